import dataclasses
import datetime
import sys
import uuid
from typing import Annotated, Any

import pytest
from starlette.middleware import Middleware as StarletteMiddleware

from covet.http import (
    BackgroundTasks,
    ConfigurationError,
    Covet,
    Depends,
    HTTPException,
    JSONResponse,
    Middleware,
    PlainTextResponse,
    Query,
    Request,
    Response,
    Router,
    StreamingResponse,
    WebSocket,
    WebSocketDisconnect,
    WebSocketException,
)
from covet.http._types import Message, Receive, Scope, Send
from covet.http.testing import TestClient, WebSocketDenialResponse


@dataclasses.dataclass
class Pet:
    name: str
    born: datetime.date
    id: uuid.UUID


class Invoice:
    def to_dict(self) -> dict[str, int]:
        return {"total": 12}


def returns_app() -> Covet:
    app = Covet()
    pet = Pet("Rex", datetime.date(2020, 1, 2), uuid.UUID(int=1))
    cases: dict[str, Any] = {
        "dict": {"a": 1},
        "list": [1, "two"],
        "dataclass": pet,
        "str": "héllo",
        "bytes": b"\x00\x01",
        "none": None,
        "tuple2": ({"created": True}, 201),
        "tuple3": ("teapot", 418, {"X-Extra": "1"}),
        "response": PlainTextResponse("custom", status_code=203),
        "to_dict": Invoice(),
        "number": 1.5,
    }
    for name, value in cases.items():
        app.add_route(f"/{name}", lambda value=value: value, name=name)

    @app.post("/created", status_code=201)
    async def created() -> dict[str, bool]:
        return {"ok": True}

    @app.delete("/gone", status_code=202)
    async def gone() -> None:
        return None

    @app.get("/stream")
    async def stream() -> StreamingResponse:
        async def chunks() -> Any:
            yield b"a"
            yield b"b"

        return StreamingResponse(chunks(), media_type="text/plain")

    return app


@pytest.mark.parametrize(
    ("path", "status", "content_type", "body"),
    [
        ("/dict", 200, "application/json", b'{"a":1}'),
        ("/list", 200, "application/json", b'[1,"two"]'),
        (
            "/dataclass",
            200,
            "application/json",
            b'{"name":"Rex","born":"2020-01-02","id":"00000000-0000-0000-0000-000000000001"}',
        ),
        ("/str", 200, "text/plain; charset=utf-8", "héllo".encode()),
        ("/bytes", 200, "application/octet-stream", b"\x00\x01"),
        ("/none", 204, None, b""),
        ("/tuple2", 201, "application/json", b'{"created":true}'),
        ("/tuple3", 418, "text/plain; charset=utf-8", b"teapot"),
        ("/response", 203, "text/plain; charset=utf-8", b"custom"),
        ("/to_dict", 200, "application/json", b'{"total":12}'),
        ("/number", 200, "application/json", b"1.5"),
    ],
)
def test_return_values_become_responses(
    path: str, status: int, content_type: str | None, body: bytes
) -> None:
    response = TestClient(returns_app()).get(path)
    assert response.status_code == status
    assert response.headers.get("content-type") == content_type
    assert response.content == body
    if status != 204:
        assert response.headers["content-length"] == str(len(body))
    if path == "/tuple3":
        assert response.headers["x-extra"] == "1"


def test_route_status_code_and_head_on_streams() -> None:
    client = TestClient(returns_app())
    assert client.post("/created").status_code == 201
    response = client.delete("/gone")
    assert (response.status_code, response.content) == (202, b"")
    assert client.get("/stream").text == "ab"
    response = client.head("/stream")
    assert (response.status_code, response.content) == (200, b"")


class TagMiddleware:
    def __init__(self, app: Any, tag: str) -> None:
        self.app = app
        self.tag = tag

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        scope.setdefault("tags", []).append(self.tag)

        async def tagged_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message["headers"], (b"x-tag", self.tag.encode())]
            await send(message)

        await self.app(scope, receive, tagged_send)


class BrokenMiddleware:
    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == "/broken":
            raise RuntimeError("middleware bug")
        await self.app(scope, receive, send)


def test_pure_asgi_middleware_order_and_errors() -> None:
    app = Covet()
    app.add_middleware(TagMiddleware, tag="inner")
    app.add_middleware(TagMiddleware, tag="outer")
    app.add_middleware(BrokenMiddleware)

    @app.get("/tags")
    async def tags(request: Any) -> list[str]:
        return request.scope["tags"]  # type: ignore[no-any-return]

    client = TestClient(app)
    response = client.get("/tags")
    assert response.json() == ["outer", "inner"]  # the last added sees the request first
    assert response.headers.get_list("x-tag") == ["inner", "outer"]
    response = client.get("/broken")
    assert response.status_code == 500
    assert response.json()["title"] == "Internal Server Error"
    with pytest.raises(ConfigurationError):
        app.add_middleware(TagMiddleware, tag="late")


def test_state_and_scope_conventions(caplog: pytest.LogCaptureFixture) -> None:
    app = Covet()
    app.state.greeting = "hi"

    class SessionLike:
        def __init__(self, inner: Any) -> None:
            self.inner = inner

        async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
            scope["session"] = {"uid": 7}
            scope["user"] = "alice"
            scope["auth"] = ["read"]
            await self.inner(scope, receive, send)

    @app.get("/me")
    async def me(request: Any) -> dict[str, Any]:
        request.state.seen = True
        return {
            "greeting": request.app.state.greeting,
            "session": request.session,
            "user": request.user,
            "auth": request.auth,
            "seen": request.state.seen,
        }

    @app.get("/bare")
    async def bare(request: Any) -> str:
        return str(request.session)

    assert TestClient(app).get("/bare").status_code == 500
    assert "SessionMiddleware must be installed to access request.session" in caplog.text
    app2 = Covet()
    app2.router = app.router
    app2.state = app.state
    app2.add_middleware(SessionLike)
    assert TestClient(app2).get("/me").json() == {
        "greeting": "hi",
        "session": {"uid": 7},
        "user": "alice",
        "auth": ["read"],
        "seen": True,
    }


def test_websocket_route_with_path_params_and_dependencies() -> None:
    app = Covet()

    def room_prefix(prefix: Annotated[str, Query()] = ">") -> str:
        return prefix

    @app.websocket("/ws/{room}")
    async def chat(
        websocket: WebSocket, room: str, prefix: Annotated[str, Depends(room_prefix)]
    ) -> None:
        await websocket.accept()
        async for text in websocket.iter_text():
            await websocket.send_text(f"{prefix}{room}:{text}")

    @app.websocket("/guarded")
    async def guarded(ws: WebSocket) -> None:
        raise WebSocketException(4403, "forbidden")

    @app.websocket("/numbers/{n:int}")
    async def numbers(websocket: WebSocket, n: int) -> None:
        await websocket.accept()
        await websocket.send_json({"n": n, "type": type(n).__name__})
        await websocket.close()

    client = TestClient(app)
    with client.websocket_connect("/ws/lobby?prefix=%23") as ws:
        ws.send_text("hello")
        assert ws.receive_text() == "#lobby:hello"
    with client.websocket_connect("/numbers/3") as ws:
        assert ws.receive_json() == {"n": 3, "type": "int"}
    with pytest.raises(WebSocketDisconnect) as info, client.websocket_connect("/guarded") as ws:
        ws.receive_text()
    assert info.value.code == 4403
    with pytest.raises(WebSocketDisconnect), client.websocket_connect("/nowhere") as ws:
        ws.receive_text()


def test_websocket_handler_must_take_the_socket() -> None:
    app = Covet()
    with pytest.raises(ConfigurationError, match="needs a parameter named 'websocket'"):
        app.add_websocket_route("/ws", lambda_handler)
    with pytest.raises(ConfigurationError, match="must be an async def"):
        app.add_websocket_route("/ws", lambda websocket: None)


async def lambda_handler(other: str) -> None:
    return None


def test_background_tasks_run_after_the_response() -> None:
    app = Covet()
    done: list[str] = []

    @app.post("/signup")
    async def signup(tasks: BackgroundTasks) -> JSONResponse:
        tasks.add_task(done.append, "email sent")
        return JSONResponse({"queued": True})

    response = TestClient(app).post("/signup")
    assert response.json() == {"queued": True}
    assert done == ["email sent"]


def test_run_without_uvicorn_gives_install_advice(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "uvicorn", None)  # makes `import uvicorn` fail
    with pytest.raises(ConfigurationError, match=r"pip install 'covet-http\[server\]'"):
        Covet().run()


module_app = Covet()


def test_run_with_reload_needs_an_import_string() -> None:
    assert module_app._import_string() == (f"{__name__}:module_app", ".")
    with pytest.raises(ConfigurationError, match="module:attribute"):
        Covet()._import_string()


def test_a_returned_response_keeps_its_status_over_the_route_default() -> None:
    app = Covet()

    @app.post("/things", status_code=201)
    async def things(fail: bool = False) -> Any:
        if fail:
            return JSONResponse({"error": "nope"}, status_code=409)
        return {"ok": True}

    @app.get("/retagged")
    async def retagged() -> Any:
        return PlainTextResponse("x"), 202, {"X-Why": "tuple"}

    client = TestClient(app)
    assert client.post("/things").status_code == 201
    assert client.post("/things?fail=1").status_code == 409
    response = client.get("/retagged")
    assert (response.status_code, response.headers["x-why"]) == (202, "tuple")


def test_websocket_errors_close_with_a_code(caplog: pytest.LogCaptureFixture) -> None:
    app = Covet()

    @app.websocket("/denied")
    async def denied(websocket: WebSocket) -> None:
        await websocket.accept()
        raise HTTPException(403, "not for you")

    @app.websocket("/crash")
    async def crash(websocket: WebSocket) -> None:
        await websocket.accept()
        raise RuntimeError("ws bug")

    client = TestClient(app)
    for path, code, reason in (
        ("/denied", 1008, "not for you"),  # after accept(): a close code is all there is
        ("/crash", 1011, "internal error"),
    ):
        with pytest.raises(WebSocketDisconnect) as info, client.websocket_connect(path) as ws:
            ws.receive_text()
        assert (info.value.code, info.value.reason) == (code, reason)
    assert "ws bug" in caplog.text


def _guarded_websocket_app() -> Covet:
    app = Covet()

    def token(websocket: WebSocket) -> str:
        value = websocket.headers.get("authorization")
        if value is None:
            raise HTTPException(401, "log in first", headers={"WWW-Authenticate": "Bearer"})
        if value != "Bearer good":
            raise HTTPException(403, "not for you")
        return value

    @app.websocket("/live")
    async def live(websocket: WebSocket, who: Annotated[str, Depends(token)], n: int = 1) -> None:
        await websocket.accept()
        await websocket.send_text(f"{who} {n}")
        await websocket.close()

    return app


def test_websocket_refused_before_accept_gets_the_http_answer() -> None:
    """An HTTPException or invalid parameter before accept() refuses the handshake with the
    HTTP response an HTTP route would give (status, headers, problem details), through the
    ASGI denial-response extension, so clients see 401 + WWW-Authenticate, not a bare close."""
    client = TestClient(_guarded_websocket_app())
    with pytest.raises(WebSocketDenialResponse) as info:
        client.websocket_connect("/live").__enter__()
    denial = info.value
    assert denial.status_code == 401
    assert denial.headers["www-authenticate"] == "Bearer"
    assert denial.headers["content-type"] == "application/problem+json"
    assert denial.json()["detail"] == "log in first"
    with pytest.raises(WebSocketDenialResponse) as info:
        client.websocket_connect("/live", headers={"Authorization": "Bearer bad"}).__enter__()
    assert info.value.status_code == 403
    with pytest.raises(WebSocketDenialResponse) as info:
        client.websocket_connect("/live?n=x", headers={"Authorization": "Bearer good"}).__enter__()
    assert info.value.status_code == 422
    assert info.value.json()["errors"][0]["loc"] == ["query", "n"]
    with client.websocket_connect("/live?n=2", headers={"Authorization": "Bearer good"}) as ws:
        assert ws.receive_text() == "Bearer good 2"


async def test_websocket_refused_without_the_extension_closes_1008() -> None:
    """A server without the denial-response extension: the handshake is closed (the server then
    answers 403), with the reason in the close frame."""
    app = _guarded_websocket_app()
    sent: list[dict[str, Any]] = []
    incoming = [{"type": "websocket.connect"}]

    async def receive() -> dict[str, Any]:
        return incoming.pop(0) if incoming else {"type": "websocket.disconnect", "code": 1000}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "websocket", "asgi": {"version": "3.0"}, "scheme": "ws", "path": "/live",
        "raw_path": b"/live", "query_string": b"", "root_path": "", "headers": [],
        "client": ("127.0.0.1", 5000), "server": ("testserver", 80), "subprotocols": [],
        "extensions": {},
    }  # fmt: skip
    await app(scope, receive, send)
    assert [m["type"] for m in sent] == ["websocket.close"]
    assert (sent[0]["code"], sent[0]["reason"]) == (1008, "log in first")


def test_websocket_dependencies_can_take_the_socket() -> None:
    app = Covet()

    async def subprotocol(websocket: WebSocket) -> str:
        return websocket.headers.get("x-client", "anonymous")

    @app.websocket("/who")
    async def who(websocket: WebSocket, client: Annotated[str, Depends(subprotocol)]) -> None:
        await websocket.accept()
        await websocket.send_text(client)
        await websocket.close()

    with TestClient(app).websocket_connect("/who", headers={"X-Client": "cli"}) as ws:
        assert ws.receive_text() == "cli"


def test_response_parameter_sets_headers_cookies_and_status() -> None:
    app = Covet()

    def remember(response: Response) -> None:
        response.headers["X-From-Dependency"] = "yes"

    @app.post("/login", dependencies=[remember])
    async def login(response: Response, name: str) -> dict[str, str]:
        response.set_cookie("session", name, httponly=True)
        response.set_cookie("theme", "dark")
        return {"hello": name}

    @app.post("/accepted")
    async def accepted(response: Response) -> str:
        response.status_code = 202
        return "queued"

    @app.delete("/gone")
    async def gone(response: Response) -> None:
        response.headers["X-Deleted"] = "1"

    client = TestClient(app)
    reply = client.post("/login?name=ann")
    assert reply.json() == {"hello": "ann"}
    assert reply.headers["content-type"] == "application/json"
    assert reply.headers["x-from-dependency"] == "yes"
    assert reply.headers.get_list("set-cookie") == [
        "session=ann; Path=/; HttpOnly; SameSite=Lax",
        "theme=dark; Path=/; SameSite=Lax",
    ]
    reply = client.post("/accepted")
    assert (reply.status_code, reply.text) == (202, "queued")
    reply = client.delete("/gone")
    assert (reply.status_code, reply.headers["x-deleted"]) == (204, "1")


def test_put_patch_and_debug_toggle() -> None:
    app = Covet()

    @app.put("/r")
    async def put_r() -> str:
        return "put"

    @app.patch("/r")
    async def patch_r() -> str:
        raise RuntimeError("patch failed")

    client = TestClient(app)
    assert client.put("/r").text == "put"
    assert "traceback" not in client.patch("/r").json()
    assert app.debug is False
    app.debug = True
    assert "RuntimeError: patch failed" in client.patch("/r").json()["detail"]


def test_run_passes_the_options_to_uvicorn(monkeypatch: pytest.MonkeyPatch) -> None:
    import uvicorn

    calls: list[tuple[Any, dict[str, Any]]] = []
    monkeypatch.setattr(uvicorn, "run", lambda target, **kw: calls.append((target, kw)))
    module_app.run("0.0.0.0", 9000)
    module_app.run(workers=2, log_level="warning")
    assert calls[0] == (
        module_app,
        {"host": "0.0.0.0", "port": 9000, "reload": False, "workers": 1, "proxy_headers": False},
    )
    assert calls[1][0] == f"{__name__}:module_app"
    assert calls[1][1]["workers"] == 2
    assert calls[1][1]["log_level"] == "warning"
    assert calls[1][1]["proxy_headers"] is False
    for unsafe in ({"proxy_headers": True}, {"forwarded_allow_ips": "*"}):
        with pytest.raises(ConfigurationError, match="ProxyHeadersMiddleware"):
            module_app.run(**unsafe)


# -- middleware lists, as in Starlette ---------------------------------------------------------


def test_middleware_list_is_read_outermost_first() -> None:
    app = Covet(
        middleware=[
            Middleware(TagMiddleware, tag="A"),
            (TagMiddleware, {"tag": "B"}),
            StarletteMiddleware(TagMiddleware, tag="C"),
        ]
    )

    @app.get("/tags")
    async def tags(request: Any) -> list[str]:
        return request.scope["tags"]  # type: ignore[no-any-return]

    app.add_middleware(TagMiddleware, tag="added")  # wraps everything listed
    response = TestClient(app).get("/tags")
    assert response.json() == ["added", "A", "B", "C"]
    assert response.headers.get_list("x-tag") == ["C", "B", "A", "added"]


def test_a_middleware_entry_that_is_not_one_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="not a middleware entry"):
        Covet(middleware=[("not", "an", "entry")])


class CountingMiddleware(TagMiddleware):
    built: list[str] = []

    def __init__(self, app: Any, tag: str) -> None:
        super().__init__(app, tag)
        CountingMiddleware.built.append(tag)


def test_router_route_and_mount_middleware() -> None:
    CountingMiddleware.built = []

    async def tags(request: Request) -> list[str]:
        return request.scope.get("tags", [])  # type: ignore[no-any-return]

    section = Router(middleware=[Middleware(CountingMiddleware, tag="router")])
    section.add_route("/a", tags)
    section.add_route("/b", tags, middleware=[Middleware(TagMiddleware, tag="route")])

    app = Covet()
    app.include_router(section, prefix="/v1")
    app.include_router(section, prefix="/v2")
    app.mount("/mounted", section)
    app.mount("/wrapped", section, middleware=[Middleware(TagMiddleware, tag="mount")])
    app.add_route("/plain", tags)
    client = TestClient(app)
    assert client.get("/v1/a").json() == ["router"]
    assert client.get("/v2/b").json() == ["router", "route"]
    assert client.get("/mounted/b").json() == ["router", "route"]
    assert client.get("/wrapped/a").json() == ["mount", "router"]
    assert client.get("/plain").json() == []
    # one set of instances, however often the router is included or mounted
    assert CountingMiddleware.built == ["router"]
    assert client.get("/v1/nope").status_code == 404  # unmatched requests skip route middleware


def test_mount_middleware_keeps_url_path_for() -> None:
    async def users() -> str:
        return "users"

    inner = Router()
    inner.add_route("/users", users, name="users")
    app = Covet()
    app.mount("/api", inner, name="api", middleware=[Middleware(TagMiddleware, tag="m")])
    assert app.url_path_for("api:users") == "/api/users"
    assert TestClient(app).get("/api/users").headers["x-tag"] == "m"


def test_websocket_route_middleware() -> None:
    class Refuse:
        def __init__(self, app: Any) -> None:
            self.app = app

        async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] == "websocket" and not scope["query_string"]:
                await send({"type": "websocket.close", "code": 1008})
                return
            await self.app(scope, receive, send)

    app = Covet()

    @app.websocket("/ws", middleware=[Refuse])
    async def ws(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.send_text("in")
        await websocket.close()

    client = TestClient(app)
    with pytest.raises(WebSocketDisconnect) as info, client.websocket_connect("/ws"):
        pass
    assert info.value.code == 1008
    with client.websocket_connect("/ws?ok=1") as session:
        assert session.receive_text() == "in"
