from typing import Annotated, Any

import pytest

from covet.http import (
    ClientDisconnect,
    Covet,
    Form,
    HTTPException,
    Request,
    RequestLimits,
    UploadFile,
)
from covet.http._requests import parse_query
from covet.http.testing import TestClient


def http_scope(**overrides: Any) -> dict[str, Any]:
    scope: dict[str, Any] = {
        "type": "http",
        "method": "GET",
        "path": "/a b",
        "raw_path": b"/a%20b",
        "query_string": b"x=1&x=2&y=%C3%A9&z",
        "root_path": "",
        "scheme": "https",
        "http_version": "1.1",
        "server": ("example.com", 443),
        "client": ("10.0.0.1", 5000),
        "headers": [
            (b"host", b"example.com"),
            (b"x-multi", b"1"),
            (b"x-multi", b"2"),
            (b"cookie", b'a=1; b="two"'),
        ],
    }
    scope.update(overrides)
    return scope


def receiver(*chunks: bytes, disconnect: bool = False) -> Any:
    messages = [
        {"type": "http.request", "body": chunk, "more_body": i < len(chunks) - 1}
        for i, chunk in enumerate(chunks)
    ]
    if disconnect:
        messages[-1]["more_body"] = True
        messages.append({"type": "http.disconnect"})

    async def receive() -> dict[str, Any]:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    return receive


def test_scope_views() -> None:
    request = Request(http_scope())
    assert request.method == "GET"
    assert request.path == "/a b"
    assert request.url.path == "/a b"
    assert request.url.query == "x=1&x=2&y=%C3%A9&z"
    assert request.query_params.getlist("x") == ["1", "2"]
    assert request.query_params["y"] == "é"
    assert request.query_params["z"] == ""
    assert request.headers.getlist("X-Multi") == ["1", "2"]
    assert request.headers["HOST"] == "example.com"
    assert request.cookies == {"a": "1", "b": "two"}
    assert request.client is not None
    assert (request.client.host, request.client.port) == ("10.0.0.1", 5000)
    assert request.path_params == {}
    assert str(request.base_url) == "https://example.com/"
    request.state.x = 1
    assert Request(request.scope).state.x == 1  # state lives in the scope


def test_parse_query_fast_and_slow_paths() -> None:
    assert parse_query(b"") == {}
    assert parse_query(b"a=1&a=2&b&&c=") == {"a": ["1", "2"], "b": [""], "c": [""]}
    assert parse_query(b"q=a+b&r=%2F") == {"q": ["a b"], "r": ["/"]}


async def test_body_stream_and_json() -> None:
    request = Request(http_scope(method="POST"), receiver(b'{"a":', b" [1, 2]}"))
    assert await request.json() == {"a": [1, 2]}
    assert await request.body() == b'{"a": [1, 2]}'
    chunks = [chunk async for chunk in request.stream()]
    assert b"".join(chunks) == b'{"a": [1, 2]}'


async def test_stream_is_single_use_and_limited() -> None:
    request = Request(http_scope(method="POST"), receiver(b"ab", b"cd"))
    assert [c async for c in request.stream()] == [b"ab", b"cd", b""]
    with pytest.raises(RuntimeError, match="already consumed"):
        await request.body()
    limited = Request(http_scope(method="POST"), receiver(b"abc", b"def"), max_body_size=4)
    with pytest.raises(HTTPException) as info:
        await limited.body()
    assert info.value.status_code == 413
    declared = Request(
        http_scope(method="POST", headers=[(b"content-length", b"nope")]), receiver(b"")
    )
    with pytest.raises(HTTPException) as info:
        await declared.body()
    assert info.value.status_code == 400
    unlimited = Request(http_scope(method="POST"), receiver(b"x" * 50), max_body_size=None)
    assert len(await unlimited.body()) == 50
    limits = RequestLimits(max_body_size=3, max_json_depth=2)
    shallow = Request(http_scope(method="POST"), receiver(b"[[1]]"), limits=limits)
    assert (shallow.max_body_size, shallow.max_json_depth) == (3, 2)
    with pytest.raises(HTTPException) as info:
        await shallow.json()
    assert info.value.status_code == 413


async def test_disconnect_while_reading_and_is_disconnected() -> None:
    request = Request(http_scope(method="POST"), receiver(b"ab", disconnect=True))
    with pytest.raises(ClientDisconnect):
        await request.body()
    assert await Request(http_scope(), receiver(b"", disconnect=True)).is_disconnected() is False

    async def gone() -> dict[str, Any]:
        return {"type": "http.disconnect"}

    assert await Request(http_scope(), gone).is_disconnected() is True


def test_missing_middleware_values_fail_clearly() -> None:
    request = Request(http_scope())
    for name, middleware in (
        ("session", "SessionMiddleware"),
        ("user", "AuthenticationMiddleware"),
        ("auth", "AuthenticationMiddleware"),
    ):
        with pytest.raises(AssertionError, match=f"{middleware} must be installed"):
            getattr(request, name)
    assert Request(http_scope(session={"k": 1})).session == {"k": 1}


def test_forms_and_uploads_through_the_app() -> None:
    app = Covet(max_form_parts=3)

    @app.post("/form")
    async def form(request: Request) -> dict[str, Any]:
        data = await request.form()
        upload = data["file"]
        assert isinstance(upload, UploadFile)
        return {
            "name": data["name"],
            "file": (await upload.read()).decode(),
            "filename": upload.filename,
        }

    client = TestClient(app)
    response = client.post("/form", data={"name": "n"}, files={"file": ("a.txt", b"hello")})
    assert response.json() == {"name": "n", "file": "hello", "filename": "a.txt"}
    too_many = client.post("/form", data={"a": "1", "b": "2", "c": "3", "d": "4"})
    assert too_many.status_code in (400, 413)
    assert too_many.headers["content-type"] == "application/problem+json"


def test_form_parameters_and_upload_annotations() -> None:
    app = Covet()

    @app.post("/profile")
    async def profile(
        name: Annotated[str, Form()],
        age: Annotated[int, Form()],
        avatar: UploadFile,
        tags: Annotated[list[str], Form(alias="tag")] = [],  # noqa: B006
    ) -> dict[str, Any]:
        return {"name": name, "age": age, "avatar": (await avatar.read()).decode(), "tags": tags}

    client = TestClient(app)
    response = client.post(
        "/profile",
        data={"name": "Ann", "age": "5", "tag": ["a", "b"]},
        files={"avatar": ("a.png", b"PNG")},
    )
    assert response.json() == {"name": "Ann", "age": 5, "avatar": "PNG", "tags": ["a", "b"]}
    response = client.post("/profile", data={"age": "old"})
    assert response.status_code == 422
    assert [(e["loc"], e["type"]) for e in response.json()["errors"]] == [
        (["form", "name"], "missing"),
        (["form", "age"], "int_parsing"),
        (["form", "avatar"], "missing"),
    ]


def test_upload_parameter_rejects_a_text_field() -> None:
    app = Covet()

    @app.post("/up")
    async def up(avatar: UploadFile) -> str:
        return avatar.filename or ""

    response = TestClient(app).post("/up", data={"avatar": "not a file"})
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"loc": ["form", "avatar"], "msg": "Expected a file upload", "type": "file_type"}
    ]


async def test_is_disconnected_keeps_a_body_message_it_reads() -> None:
    request = Request(http_scope(method="POST"), receiver(b"kept"))
    assert await request.is_disconnected() is False
    assert await request.body() == b"kept"


def test_request_json_errors_are_400_with_one_prefix() -> None:
    app = Covet()

    @app.post("/echo")
    async def echo(request: Request) -> Any:
        return await request.json()

    reply = TestClient(app).post("/echo", content=b'{"a": ')
    assert reply.status_code == 400
    detail = reply.json()["detail"]
    assert detail.startswith("Invalid JSON body: ") and detail.count("Invalid JSON") == 1
