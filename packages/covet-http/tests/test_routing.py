import functools
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Annotated, Any

import pytest
from fastapi import FastAPI
from hypothesis import given
from hypothesis import strategies as st
from starlette.applications import Starlette
from starlette.requests import Request as StarletteRequest
from starlette.responses import JSONResponse as StarletteJSON
from starlette.routing import Route as StarletteRoute

from covet.http import (
    ConfigurationError,
    Convertor,
    Covet,
    Depends,
    Header,
    HTTPException,
    Mount,
    NoMatchFound,
    Path,
    PlainTextResponse,
    Request,
    Route,
    Router,
    StreamingResponse,
    WebSocket,
    register_convertor,
)
from covet.http._tree import match, walk
from covet.http._types import Message
from covet.http.testing import TestClient


def make_app(**options: Any) -> Covet:
    app = Covet(**options)

    @app.get("/")
    async def home() -> str:
        return "home"

    @app.get("/users/{id:int}", name="user")
    async def user(id: int) -> dict[str, Any]:
        return {"id": id, "type": type(id).__name__}

    @app.get("/users/me")
    async def me() -> str:
        return "me"

    @app.get("/items/{n}")
    async def item(n: int) -> dict[str, int]:
        return {"n": n}

    @app.get("/files/{name}")
    async def file(name: str) -> str:
        return name

    @app.get("/static/{rest:path}")
    async def static(rest: str) -> str:
        return rest

    @app.get("/uuid/{u:uuid}")
    async def by_uuid(u: uuid.UUID) -> str:
        return u.hex

    @app.get("/price/{p:float}")
    async def price(p: float) -> dict[str, float]:
        return {"p": p}

    @app.route("/things", methods=["GET", "POST"])
    async def things(request: Request) -> str:
        return request.method

    @app.delete("/things")
    async def delete_things() -> None:
        return None

    @app.get("/slash/")
    async def slash() -> str:
        return "slash"

    return app


@pytest.fixture
def client() -> TestClient:
    return TestClient(make_app())


def test_static_and_converted_paths(client: TestClient) -> None:
    assert client.get("/").text == "home"
    response = client.get("/users/42")
    assert response.json() == {"id": 42, "type": "int"}
    assert client.get("/users/me").text == "me"  # static segment wins over the int parameter
    assert client.get("/uuid/" + "a" * 32).text == "a" * 32
    assert client.get("/price/1.5").json() == {"p": 1.5}


def test_converter_mismatch_is_404_but_annotation_mismatch_is_422(client: TestClient) -> None:
    response = client.get("/users/abc")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == 404
    response = client.get("/items/abc")
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"loc": ["path", "n"], "msg": "Input should be a valid integer", "type": "int_parsing"}
    ]
    assert client.get("/items/7").json() == {"n": 7}
    assert client.get("/uuid/not-a-uuid").status_code == 404
    assert client.get("/price/nan").status_code == 404


def test_encoded_slash_stays_inside_its_segment(client: TestClient) -> None:
    assert client.get("/files/a%2Fb").text == "a/b"
    assert client.get("/files/a/b").status_code == 404
    assert client.get("/files/caf%C3%A9").text == "café"


def test_path_converter_takes_the_rest(client: TestClient) -> None:
    assert client.get("/static/css/site.css").text == "css/site.css"
    assert client.get("/static/").text == ""


def test_405_lists_every_method_and_options_is_automatic(client: TestClient) -> None:
    response = client.put("/things")
    assert response.status_code == 405
    assert response.headers["allow"] == "DELETE, GET, HEAD, OPTIONS, POST"
    assert response.json()["title"] == "Method Not Allowed"
    response = client.options("/things")
    assert response.status_code == 204
    assert response.headers["allow"] == "DELETE, GET, HEAD, OPTIONS, POST"
    assert client.delete("/things").status_code == 204
    assert client.post("/things").text == "POST"


def test_head_has_the_get_headers_and_no_body(client: TestClient) -> None:
    get = client.get("/users/5")
    head = client.head("/users/5")
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["content-length"] == get.headers["content-length"] == "21"
    assert head.headers["content-type"] == get.headers["content-type"]


def test_trailing_slash_redirects_with_a_relative_location(client: TestClient) -> None:
    response = client.get("/users/5/?x=1", follow_redirects=False)
    assert response.status_code == 307
    assert response.headers["location"] == "/users/5?x=1"
    response = client.get("/slash", follow_redirects=False)
    assert response.headers["location"] == "/slash/"
    assert client.get("/slash").text == "slash"


def test_trailing_slash_strict_and_ignore() -> None:
    strict = TestClient(make_app(trailing_slash="strict"))
    assert strict.get("/users/5/", follow_redirects=False).status_code == 404
    ignore = TestClient(make_app(trailing_slash="ignore"))
    response = ignore.get("/users/5/", follow_redirects=False)
    assert response.status_code == 200
    assert response.json()["id"] == 5
    with pytest.raises(ConfigurationError):
        Covet(trailing_slash="sometimes")  # type: ignore[arg-type]


def test_url_for_and_root_path() -> None:
    app = make_app(root_path="/api")
    assert app.url_path_for("user", id=3) == "/users/3"
    assert app.url_for("user", id=3) == "/api/users/3"
    assert app.url_path_for("static", rest="a/b c") == "/static/a/b%20c"
    assert app.url_path_for("file", name="a/b") == "/files/a%2Fb"
    with pytest.raises(NoMatchFound):
        app.url_path_for("nope")
    with pytest.raises(NoMatchFound):
        app.url_path_for("user")

    @app.get("/link")
    async def link(request: Request) -> str:
        return str(request.url_for("user", id=9))

    client = TestClient(app, root_path="/prefix")
    assert client.get("/prefix/link").text == "http://testserver/prefix/users/9"


def test_bad_paths_are_rejected_at_registration() -> None:
    app = Covet()
    with pytest.raises(ConfigurationError, match="whole segment"):
        app.add_route("/a/x{id}", lambda: None)
    with pytest.raises(ConfigurationError, match="unknown path converter"):
        app.add_route("/a/{id:nope}", lambda: None)
    with pytest.raises(ConfigurationError, match="must come last"):
        app.add_route("/a/{p:path}/b", lambda: None)
    with pytest.raises(ConfigurationError, match="start with"):
        app.add_route("a", lambda: None)


class EvenConvertor(Convertor):
    priority = 5

    def convert(self, value: str) -> int:
        number = int(value)
        if number % 2:
            raise ValueError("odd")
        return number


register_convertor("even", EvenConvertor())


def test_custom_converter() -> None:
    app = Covet()

    @app.get("/n/{n:even}")
    async def even(n: int) -> str:
        return f"even {n}"

    @app.get("/n/{n:int}")
    async def odd(n: int) -> str:
        return f"odd {n}"

    client = TestClient(app)
    assert client.get("/n/4").text == "even 4"
    assert client.get("/n/5").text == "odd 5"
    assert app.url_path_for("even", n=8) == "/n/8"


def test_include_router_prefix_and_dependencies() -> None:
    calls: list[str] = []

    def guard(x_key: Annotated[str | None, Header()] = None) -> None:
        calls.append("guard")
        if x_key != "ok":
            raise HTTPException(401, "missing key")

    def audit() -> None:
        calls.append("audit")

    router = Router(dependencies=[audit])

    @router.get("/{org}/members")
    async def members(org: str) -> dict[str, str]:
        return {"org": org}

    @router.get("/")
    async def index() -> str:
        return "index"

    app = Covet()
    app.include_router(router, prefix="/orgs", dependencies=[Depends(guard)])
    client = TestClient(app)
    response = client.get("/orgs/acme/members")
    assert response.status_code == 401
    assert response.json()["detail"] == "missing key"
    assert calls == ["guard"]
    calls.clear()
    response = client.get("/orgs/acme/members", headers={"X-Key": "ok"})
    assert response.json() == {"org": "acme"}
    assert calls == ["guard", "audit"]
    assert client.get("/orgs/", headers={"X-Key": "ok"}).text == "index"
    assert app.url_path_for("members", org="x") == "/orgs/x/members"
    with pytest.raises(ConfigurationError):
        app.include_router(router, prefix="orgs/")


def starlette_app() -> Starlette:
    async def where(request: StarletteRequest) -> StarletteJSON:
        return StarletteJSON(
            {
                "path": request.url.path,
                "root_path": request.scope["root_path"],
                "id": request.path_params.get("id"),
                "url": str(request.url_for("where", id=1)),
            }
        )

    return Starlette(routes=[StarletteRoute("/things/{id:int}", where, name="where")])


def test_mount_a_starlette_app() -> None:
    app = Covet()
    app.mount("/legacy", starlette_app())

    @app.get("/legacy-not-mounted")
    async def other() -> str:
        return "other"

    client = TestClient(app)
    assert client.get("/legacy/things/3").json() == {
        "path": "/legacy/things/3",
        "root_path": "/legacy",
        "id": 3,
        "url": "http://testserver/legacy/things/1",
    }
    assert client.get("/legacy/nothing").status_code == 404
    assert client.get("/legacy-not-mounted").text == "other"
    app.mount("/named", starlette_app(), name="legacy")
    assert app.url_path_for("legacy:where", id=3) == "/named/things/3"
    with pytest.raises(NoMatchFound):
        app.url_path_for("legacy:missing")
    behind_proxy = TestClient(app, root_path="/edge")
    assert behind_proxy.get("/edge/legacy/things/4").json()["url"] == (
        "http://testserver/edge/legacy/things/1"
    )


def test_mount_a_fastapi_app() -> None:
    api = FastAPI()

    @api.get("/items/{item_id}")
    async def read_item(item_id: int, q: str | None = None) -> dict[str, Any]:
        return {"item_id": item_id, "q": q}

    app = Covet()
    app.mount("/v2", api)
    client = TestClient(app)
    assert client.get("/v2/items/5?q=x").json() == {"item_id": 5, "q": "x"}
    assert client.get("/v2/items/x").status_code == 422
    assert client.get("/v2/openapi.json").json()["paths"]["/items/{item_id}"]


def test_mount_a_covet_app_and_route_priority() -> None:
    inner = Covet()

    @inner.get("/hello/{name}", name="hello")
    async def hello(name: str, request: Request) -> dict[str, str]:
        return {"hello": name, "root_path": request.scope["root_path"]}

    app = Covet()
    app.mount("/inner", inner, name="inner")

    @app.get("/inner/exact")
    async def exact() -> str:
        return "outer wins"

    client = TestClient(app)
    assert client.get("/inner/hello/bob").json() == {"hello": "bob", "root_path": "/inner"}
    assert client.get("/inner/exact").text == "outer wins"
    assert app.url_path_for("inner:hello", name="x") == "/inner/hello/x"


def test_add_route_and_router_as_asgi_app() -> None:
    router = Router()

    def plain() -> str:
        return "plain"

    router.add_route("/plain", plain)
    client = TestClient(router)
    assert client.get("/plain").text == "plain"
    assert client.get("/missing").status_code == 404


def test_explicit_head_route_wins_over_the_implicit_one() -> None:
    app = Covet()

    @app.get("/doc")
    async def doc() -> str:
        return "full document"

    @app.route("/doc", methods=["HEAD"])
    async def doc_head() -> PlainTextResponse:
        return PlainTextResponse("", headers={"X-Head": "explicit"})

    response = TestClient(app).head("/doc")
    assert response.headers["x-head"] == "explicit"


def test_app_level_dependencies_run_for_every_route() -> None:
    seen: list[str] = []

    def audit(request: Request) -> None:
        seen.append(request.url.path)

    app = Covet(dependencies=[audit])
    app.add_route("/a", lambda: "a")
    router = Router()
    router.add_route("/b", lambda: "b")
    app.include_router(router, prefix="/r")
    client = TestClient(app)
    assert client.get("/a").text == "a"
    assert client.get("/r/b").text == "b"
    assert seen == ["/a", "/r/b"]


ROUTE_PATHS = [
    "/",
    "/a",
    "/a/{x:int}",
    "/a/{x}",
    "/a/b",
    "/a/b/{rest:path}",
    "/{s}/c",
    "/{s}/{t:int}/",
    "/u/{id:uuid}",
    "/f/{p:float}/x",
]


@given(
    st.lists(st.sampled_from(["a", "b", "c", "", "1", "x", "2.5", "0" * 32, "u", "f"]), max_size=4)
)
def test_fast_walk_agrees_with_the_full_search(parts: list[str]) -> None:
    router = Router()
    for path in ROUTE_PATHS:
        router.add_route(path, lambda: None, name=path)
    root = router.compile()
    fast: dict[str, Any] = {}
    full: dict[str, Any] = {}
    walked = walk(root, parts, fast, "GET")
    found, _, _ = match(root, parts, 0, full, "GET")
    if walked is not None:
        assert walked is found
        assert fast == full


def test_router_decorators_websockets_and_its_own_lifespan() -> None:
    api = Router()

    @api.put("/x")
    async def put_x() -> str:
        return "put"

    @api.patch("/x")
    async def patch_x() -> str:
        return "patch"

    @api.delete("/x")
    async def delete_x() -> str:
        return "delete"

    @api.post("/x")
    async def post_x() -> str:
        return "post"

    @api.websocket("/ws/{n:int}")
    async def ws(websocket: WebSocket, n: int) -> None:
        await websocket.accept()
        await websocket.send_json(n)
        await websocket.close()

    with TestClient(api) as client:  # a bare Router acknowledges lifespan events
        assert [client.request(m, "/x").text for m in ("PUT", "PATCH", "DELETE", "POST")] == [
            "put",
            "patch",
            "delete",
            "post",
        ]
        assert client.get("/x").headers["allow"] == "DELETE, OPTIONS, PATCH, POST, PUT"
    app = Covet()
    app.mount("/api", api)
    with TestClient(app).websocket_connect("/api/ws/5") as socket:  # through the mount
        assert socket.receive_json() == 5


def test_covet_mounted_inside_fastapi() -> None:
    inner = Covet()

    @inner.get("/users/{id:int}", name="user")
    async def user(id: int, request: Request) -> dict[str, Any]:
        return {"id": id, "self": str(request.url_for("user", id=id))}

    @inner.get("/files/{name}")
    async def file(name: str) -> str:
        return name

    outer = FastAPI()
    outer.mount("/covet", inner)
    client = TestClient(outer)
    assert client.get("/covet/users/4").json() == {
        "id": 4,
        "self": "http://testserver/covet/users/4",
    }
    assert client.get("/covet/files/a%2Fb").text == "a/b"
    assert client.get("/covet/users/4/", follow_redirects=False).headers["location"] == (
        "/covet/users/4"
    )
    assert client.get("/covet/nothing").status_code == 404


async def test_slash_redirect_never_leaves_the_host() -> None:
    app = Covet()
    app.add_route("//evil.example/x", lambda: "x")  # odd routes, to force the redirect
    app.add_route("/\\evil.example/x", lambda: "x")
    for raw in (b"//evil.example/x/", b"/\\evil.example/x/"):
        sent: list[Message] = []

        async def send(message: Message, sent: list[Message] = sent) -> None:
            sent.append(message)

        async def receive() -> Message:
            return {"type": "http.request", "body": b"", "more_body": False}

        scope: Message = {
            "type": "http",
            "method": "GET",
            "path": raw.decode(),
            "raw_path": raw,
            "query_string": b"",
            "headers": [],
            "root_path": "",
        }
        await app(scope, receive, send)
        assert sent[0]["status"] == 307
        location = dict(sent[0]["headers"])[b"location"]
        assert location in (b"/evil.example/x", b"/%5Cevil.example/x"), location


# -- duplicate registrations --------------------------------------------------------------------


async def first_handler() -> str:
    return "first"


async def second_handler() -> str:
    return "second"


def test_same_path_and_method_twice_is_refused_naming_both_handlers() -> None:
    app = Covet()
    app.add_route("/items/{id:int}", first_handler, ["GET", "POST"])
    with pytest.raises(ConfigurationError) as info:
        app.add_route("/items/{item_id:int}", second_handler, ["POST"])
    message = str(info.value)
    assert "POST" in message and "first_handler" in message and "second_handler" in message
    # another method on the same path, or another converter, is fine
    app.add_route("/items/{id:int}", second_handler, ["DELETE"])
    app.add_route("/items/{slug}", second_handler, ["GET"])
    assert TestClient(app).delete("/items/1").text == "second"


def test_duplicates_through_include_router_are_refused() -> None:
    router = Router()
    router.add_route("/x", first_handler)
    app = Covet()
    app.include_router(router, prefix="/api")
    app.include_router(router, prefix="/v2")
    with pytest.raises(ConfigurationError, match="first_handler"):
        app.include_router(router, prefix="/api")
    inner = Router()
    inner.add_route("/x", first_handler)
    with pytest.raises(ConfigurationError, match="second_handler"):
        inner.add_route("/x", second_handler)


def test_an_explicit_head_route_may_sit_beside_get() -> None:
    app = Covet()
    app.add_route("/h", first_handler, ["GET"])
    app.add_route("/h", second_handler, ["HEAD"])
    with pytest.raises(ConfigurationError):
        app.add_route("/h", second_handler, ["HEAD"])


def test_duplicate_websocket_routes_and_mounts_are_refused() -> None:
    async def ws(websocket: WebSocket) -> None:
        await websocket.accept()

    app = Covet()
    app.add_websocket_route("/ws", ws)
    with pytest.raises(ConfigurationError, match="websocket"):
        app.add_websocket_route("/ws", ws)
    app.mount("/static", PlainTextResponse("a"))
    with pytest.raises(ConfigurationError, match="mount"):
        app.mount("/static/", PlainTextResponse("b"))


def test_duplicate_explicit_route_names_are_refused() -> None:
    app = Covet()
    app.add_route("/a", first_handler, name="thing")
    with pytest.raises(ConfigurationError) as info:
        app.add_route("/b", second_handler, name="thing")
    assert "'thing'" in str(info.value) and "first_handler" in str(info.value)
    # one router included twice (/v1, /v2) keeps its names; url_path_for finds the first
    api = Router()
    api.add_route("/ping", first_handler, name="ping")
    app.include_router(api, prefix="/v1")
    app.include_router(api, prefix="/v2")
    assert app.url_path_for("ping") == "/v1/ping"
    # an inferred name (the function's) may repeat: one handler serving two paths
    app.add_route("/c", first_handler)
    app.add_route("/c/{n:int}", first_handler)
    assert app.url_path_for("first_handler", n=3) == "/c/3"


def test_head_on_a_streaming_get_never_iterates_the_generator_and_closes_it() -> None:
    app = Covet()
    pulled: list[str] = []
    made: list[Any] = []

    @app.get("/async")
    async def stream_async() -> StreamingResponse:
        async def chunks() -> AsyncIterator[bytes]:
            pulled.append("async")
            yield b"data"

        made.append(chunks())
        return StreamingResponse(made[-1], media_type="text/csv", headers={"X-Rows": "1"})

    @app.get("/sync")
    def stream_sync() -> StreamingResponse:
        def chunks() -> Iterator[bytes]:
            pulled.append("sync")
            yield b"data"

        made.append(chunks())
        return StreamingResponse(made[-1], media_type="text/csv")

    client = TestClient(app)
    response = client.head("/async")
    assert response.status_code == 200 and response.content == b""
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["x-rows"] == "1"
    assert client.head("/sync").content == b""
    assert pulled == []
    assert made[0].ag_frame is None and made[1].gi_frame is None  # closed, never started
    assert client.get("/async").content == b"data" and pulled == ["async"]


async def test_encoded_slash_below_root_path_and_mount() -> None:
    """raw_path may or may not carry root_path (uvicorn prefixes both, the test client neither)."""
    inner = Covet()

    @inner.get("/files/{name}", name="file")
    async def file(name: str) -> str:
        return name

    app = Covet()

    @app.get("/top/{name}")
    async def top(name: str) -> str:
        return name

    app.mount("/sub", inner, name="sub")
    for root_path in ("", "/app"):
        client = TestClient(app, root_path=root_path)
        assert client.get("/sub/files/a%2Fb").text == "a/b", root_path
        assert client.get("/top/a%2Fb").text == "a/b", root_path

    for raw in (b"/sub/files/a%2Fb", b"/app/sub/files/a%2Fb"):  # without / with root_path
        sent: list[Message] = []

        async def send(message: Message, sent: list[Message] = sent) -> None:
            sent.append(message)

        async def receive() -> Message:
            return {"type": "http.request", "body": b"", "more_body": False}

        scope: Message = {
            "type": "http",
            "method": "GET",
            "path": "/app/sub/files/a/b",
            "raw_path": raw,
            "root_path": "/app",
            "query_string": b"",
            "headers": [],
        }
        await app(scope, receive, send)
        assert sent[0]["status"] == 200 and sent[1]["body"] == b"a/b", raw


SEGMENT_TEXT = st.text(min_size=1, max_size=20).filter(lambda s: s not in (".", ".."))


@given(
    word=SEGMENT_TEXT,
    number=st.integers(min_value=0, max_value=10**30),
    # a `path` value keeps its slashes, so none of its parts may be a dot segment: clients remove
    # those (RFC 3986 5.2.4; httpx does), so "/." cannot reach the server as written
    rest=st.lists(SEGMENT_TEXT, min_size=1, max_size=3)
    .map("/".join)
    .filter(lambda p: not {".", ".."} & set(p.split("/"))),
)
def test_url_path_for_round_trips_through_the_router(word: str, number: int, rest: str) -> None:
    """Whatever url_path_for builds routes back to the same values (slashes, %, unicode...)."""
    app = ROUND_TRIP_APP
    client = TestClient(app)
    path = app.url_path_for("words", word=word, number=number)
    assert client.get(path).json() == {"word": word, "number": number}
    path = app.url_path_for("files", rest=rest)
    assert client.get(path).json() == {"rest": rest}


def _round_trip_app() -> Covet:
    app = Covet()

    @app.get("/w/{word}/{number:int}", name="words")
    async def words(word: str, number: int) -> dict[str, Any]:
        return {"word": word, "number": number}

    @app.get("/f/{rest:path}", name="files")
    async def files(rest: str) -> dict[str, Any]:
        return {"rest": rest}

    return app


ROUND_TRIP_APP = _round_trip_app()


def test_methods_must_be_a_list_of_method_names() -> None:
    app = Covet()
    with pytest.raises(ConfigurationError, match=r"\['POST'\]"):
        app.add_route("/x", first_handler, "POST")
    for bad in (["GET "], [""], ["GE/T"], [None]):
        with pytest.raises(ConfigurationError, match="method"):
            app.add_route("/y", first_handler, bad)  # type: ignore[arg-type]
    app.add_route("/z", first_handler, ["get", "M-SEARCH"])
    assert TestClient(app).get("/z").text == "first"


# -- reversing URLs ----------------------------------------------------------------------------


def test_url_path_for_never_builds_a_protocol_relative_url() -> None:
    async def catchall(path: str) -> str:
        return path

    router = Router()
    router.add_route("/{path:path}", catchall, name="catchall")
    built = router.url_path_for("catchall", path="/example.org/a")
    assert built == "/%2Fexample.org/a"  # not "//example.org/a", which browsers read as a host
    assert router.url_path_for("catchall", path="\\example.org/a") == "/%5Cexample.org/a"
    client = TestClient(router)
    assert client.get(built).text == "/example.org/a"  # and it routes back to the same value
    assert router.url_path_for("catchall", path="{id}") == "/%7Bid%7D"


def test_url_for_inside_a_mounted_router_uses_the_app_as_base() -> None:
    async def echo(request: Request) -> dict[str, str]:
        return {
            "index": str(request.url_for("index")),
            "sub": str(request.url_for("mount:sub")),
            "base": str(request.base_url),
        }

    sub = Router()
    sub.add_route("/", echo, name="sub")
    app = Covet()
    app.add_route("/", echo, name="index")
    app.mount("/submount", sub, name="mount")
    client = TestClient(app, base_url="https://www.example.org", root_path="/sub_path")
    expected = {
        "index": "https://www.example.org/sub_path/",
        "sub": "https://www.example.org/sub_path/submount/",
        "base": "https://www.example.org/sub_path/",
    }
    assert client.get("/sub_path/").json() == expected
    assert client.get("/sub_path/submount/").json() == expected


def test_a_mounted_covet_app_builds_urls_in_its_own_namespace() -> None:
    inner = Covet()

    @inner.get("/ping", name="ping")
    async def ping(request: Request) -> str:
        return str(request.url_for("ping"))

    app = Covet()
    app.mount("/inner", inner, name="inner")
    assert TestClient(app).get("/inner/ping").text == "http://testserver/inner/ping"
    assert app.url_path_for("inner:ping") == "/inner/ping"


def test_reverse_a_mount_by_name_with_path() -> None:
    ok = PlainTextResponse("OK")
    router = Router()
    router.mount("/users", ok, name="users")
    assert router.url_path_for("users", path="/a") == "/users/a"
    assert router.url_path_for("users", path="a b") == "/users/a%20b"
    with pytest.raises(NoMatchFound):
        router.url_path_for("users", path="/a", foo="bar")
    with pytest.raises(NoMatchFound):
        router.url_path_for("users")

    async def user(username: str) -> str:
        return username

    users = Router()
    users.add_route("/{username}", user, name="user")
    nested = Router()
    nested.mount("/{subpath}/users", users, name="users")
    assert nested.url_path_for("users:user", subpath="test", username="tom") == "/test/users/tom"
    assert nested.url_path_for("users", subpath="test", path="/tom") == "/test/users/tom"
    double = Router([Mount("/mount", routes=[Mount("/static", ok, name="static")], name="mount")])
    assert double.url_path_for("mount:static", path="123") == "/mount/static/123"


def test_routes_of_an_unnamed_mount_keep_their_names() -> None:
    async def item(id: int) -> int:
        return id

    inner = Router()
    inner.add_route("/items/{id:int}", item, name="item")
    app = Covet()
    app.mount("/api", inner)
    assert app.url_path_for("item", id=3) == "/api/items/3"
    assert TestClient(app).get("/api/items/3").json() == 3


def test_mount_routes_and_mount_parameters_reach_the_handlers() -> None:
    async def home(tenant: Annotated[str, Path()], request: Request) -> dict[str, Any]:
        return {"tenant": tenant, "params": request.path_params}

    app = Covet(routes=[Mount("/{tenant}", routes=[Route("/home", home)], name="t")])
    assert TestClient(app).get("/acme/home").json() == {
        "tenant": "acme",
        "params": {"tenant": "acme"},
    }
    assert app.url_path_for("t:home", tenant="acme") == "/acme/home"
    with pytest.raises(ConfigurationError):
        Mount("/x", PlainTextResponse("x"), routes=[])


def test_websocket_url_for_and_protocol_switch() -> None:
    async def http_endpoint(request: Request) -> str:
        return str(request.url_for("ws_endpoint"))

    async def ws_endpoint(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.send_json(
            {"ws": str(websocket.url_for("ws_endpoint")), "http": str(websocket.url_for("page"))}
        )
        await websocket.close()

    app = Covet()
    app.add_route("/", http_endpoint, name="page")
    app.add_websocket_route("/", ws_endpoint, name="ws_endpoint")
    client = TestClient(app, base_url="https://example.org")
    assert client.get("/").text == "wss://example.org/"
    with client.websocket_connect("/") as ws:
        assert ws.receive_json() == {"ws": "wss://example.org/", "http": "https://example.org/"}
    assert app.url_path_for("ws_endpoint").protocol == "websocket"
    assert app.url_for("page").protocol == "http"


# -- route names -------------------------------------------------------------------------------


class _Endpoint:
    async def method(self, request: Request) -> str:
        return "method"

    @classmethod
    async def a_classmethod(cls, request: Request) -> str:
        return "classmethod"

    @staticmethod
    async def a_staticmethod(request: Request) -> str:
        return "staticmethod"

    async def __call__(self, request: Request) -> str:
        return "object"


async def _partial_target(request: Request, name: str) -> str:
    return name


@pytest.mark.parametrize(
    ("endpoint", "expected"),
    [
        (_Endpoint().method, "method"),
        (_Endpoint.a_classmethod, "a_classmethod"),
        (_Endpoint.a_staticmethod, "a_staticmethod"),
        (_Endpoint(), "_Endpoint"),
        (lambda: "x", "<lambda>"),
        (functools.partial(_partial_target, name="bound"), "_partial_target"),
    ],
)
def test_route_names_of_every_kind_of_endpoint(endpoint: Any, expected: str) -> None:
    route = Route("/", endpoint)
    assert route.name == expected
    router = Router([route])
    assert router.url_path_for(expected) == "/"
    assert TestClient(router).get("/").status_code == 200


def test_a_partial_bound_keyword_cannot_be_overridden_from_the_query() -> None:
    app = Covet()
    app.add_route("/hello", functools.partial(_partial_target, name="bound"))
    client = TestClient(app)
    assert client.get("/hello").text == "bound"
    assert client.get("/hello?name=evil").text == "bound"


def test_a_mounted_router_serves_with_the_apps_settings() -> None:
    class Denied(Exception):
        pass

    def real_user() -> str:
        return "real"

    async def who(user: Annotated[str, Depends(real_user)]) -> str:
        return user

    async def deny() -> None:
        raise Denied

    async def upload(request: Request) -> int:
        return len(await request.body())

    section = Router()
    section.add_route("/who", who)
    section.add_route("/deny", deny)
    section.add_route("/upload", upload, methods=["POST"])
    app = Covet(max_body_size=10)
    app.mount("/section", section)
    app.host("section.example.org", section)

    @app.exception_handler(Denied)
    async def denied(request: Request, exc: Denied) -> PlainTextResponse:
        return PlainTextResponse("denied by the app", status_code=403)

    app.dependency_overrides[real_user] = lambda: "override"
    for client, prefix in (
        (TestClient(app), "/section"),
        (TestClient(app, base_url="http://section.example.org"), ""),
    ):
        assert client.get(f"{prefix}/who").text == "override"
        reply = client.get(f"{prefix}/deny")
        assert (reply.status_code, reply.text) == (403, "denied by the app")
        assert client.post(f"{prefix}/upload", content=b"x" * 11).status_code == 413
    alone = TestClient(section)  # served on its own: its own defaults
    assert alone.get("/who").text == "real"
    assert alone.post("/upload", content=b"x" * 11).json() == 11


def test_paths_and_root_paths_below_mounts_are_starlettes() -> None:
    async def echo(request: Request, label: str) -> dict[str, str]:
        return {
            "name": label,
            "path": request.scope["path"],
            "root_path": request.scope["root_path"],
        }

    async def pure(scope: Any, receive: Any, send: Any, label: str) -> None:
        await PlainTextResponse(f"{label} {scope['path']} {scope['root_path']}")(
            scope, receive, send
        )

    app = Covet(
        routes=[
            Route("/path", functools.partial(echo, label="path")),
            Mount("/asgipath", functools.partial(pure, label="asgipath")),
            Mount("/sub", routes=[Route("/path", functools.partial(echo, label="subpath"))]),
        ]
    )
    client = TestClient(app, base_url="https://www.example.org/", root_path="/root")
    assert client.get("/root/path").json() == {
        "name": "path",
        "path": "/root/path",
        "root_path": "/root",
    }
    assert client.get("/root/asgipath/").text == "asgipath /root/asgipath/ /root/asgipath"
    assert client.get("/root/sub/path").json() == {
        "name": "subpath",
        "path": "/root/sub/path",
        "root_path": "/root/sub",
    }
