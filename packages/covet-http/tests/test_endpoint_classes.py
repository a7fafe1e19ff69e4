"""HTTPEndpoint and WebSocketEndpoint: class-based handlers analysed like functions."""

from __future__ import annotations

from typing import Annotated, Any

import pytest

from covet.http import (
    ConfigurationError,
    Covet,
    Depends,
    HTTPEndpoint,
    Request,
    Response,
    Route,
    Router,
    WebSocket,
    WebSocketDisconnect,
    WebSocketEndpoint,
    WebSocketRoute,
)
from covet.http.testing import TestClient


class Item(HTTPEndpoint):
    async def get(self, id: int, verbose: bool = False) -> dict[str, Any]:
        return {"id": id, "verbose": verbose}

    async def put(self, id: int, item: dict[str, Any]) -> dict[str, Any]:
        self.seen = item  # per-request state: a fresh instance every time
        return {"id": id, "saved": item, "fresh": not hasattr(type(self), "seen")}

    def delete(self, id: int, request: Request) -> None:
        request.state.deleted = id


def make_app() -> Covet:
    app = Covet()
    app.add_route("/items/{id:int}", Item, name="item")
    return app


def test_each_verb_is_a_handler_with_its_own_parameters() -> None:
    client = TestClient(make_app())
    assert client.get("/items/3?verbose=yes").json() == {"id": 3, "verbose": True}
    assert client.put("/items/3", json={"a": 1}).json() == {
        "id": 3,
        "saved": {"a": 1},
        "fresh": True,
    }
    assert client.delete("/items/3").status_code == 204
    assert client.head("/items/3").status_code == 200
    assert client.get("/items/x").status_code == 404
    assert client.get("/items/3?verbose=maybe").status_code == 422
    refused = client.post("/items/3")
    assert refused.status_code == 405
    assert refused.headers["allow"] == "DELETE, GET, HEAD, OPTIONS, PUT"
    assert make_app().url_path_for("item", id=4) == "/items/4"


def test_methods_and_dependencies_of_a_class_route() -> None:
    class Me(HTTPEndpoint):
        async def get(self, user: Annotated[str, Depends(lambda: "ada")]) -> str:
            return user

        async def post(self) -> str:  # pragma: no cover - not routed below
            return "post"

    router = Router([Route("/me", Me, methods=["GET"])])
    client = TestClient(router)
    assert client.get("/me").text == "ada"
    assert client.post("/me").status_code == 405
    assert Route("/me", Me).name == "Me"
    with pytest.raises(ConfigurationError, match="no method"):
        Route("/me", Me, methods=["DELETE"])

    class Empty(HTTPEndpoint):
        pass

    with pytest.raises(ConfigurationError, match="no verb method"):
        Route("/empty", Empty)

    class NeedsArgs(HTTPEndpoint):
        def __init__(self, db: Any) -> None:
            self.db = db

        async def get(self) -> str:  # pragma: no cover - refused at registration
            return "x"

    with pytest.raises(ConfigurationError, match="without arguments"):
        Route("/x", NeedsArgs)


def test_a_class_route_in_an_included_router_with_middleware() -> None:
    seen: list[str] = []

    class Mark:
        def __init__(self, app: Any) -> None:
            self.app = app

        async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
            seen.append(scope["method"])
            await self.app(scope, receive, send)

    router = Router(middleware=[Mark])
    router.add_route("/items/{id:int}", Item)
    app = Covet()
    app.include_router(router, prefix="/v1")
    client = TestClient(app)
    assert client.get("/v1/items/1").json() == {"id": 1, "verbose": False}
    assert client.delete("/v1/items/1").status_code == 204
    assert seen == ["GET", "DELETE"]


class Chat(WebSocketEndpoint):
    encoding = "json"

    async def on_connect(self, websocket: WebSocket, room: str, nick: str = "anon") -> None:
        self.room = f"{room}/{nick}"
        await websocket.accept()

    async def on_receive(self, websocket: WebSocket, data: Any) -> None:
        await websocket.send_json({"room": self.room, "echo": data})

    async def on_disconnect(self, websocket: WebSocket, close_code: int) -> None:
        closed.append(close_code)


closed: list[int] = []


def test_websocket_endpoint_callbacks_and_parameters() -> None:
    closed.clear()
    app = Covet(routes=[WebSocketRoute("/chat/{room}", Chat)])
    client = TestClient(app)
    with client.websocket_connect("/chat/lobby?nick=ann") as ws:
        ws.send_json({"hi": 1})
        assert ws.receive_json() == {"room": "lobby/ann", "echo": {"hi": 1}}
        ws.send_bytes(b'{"as": "bytes"}')
        assert ws.receive_json()["echo"] == {"as": "bytes"}
    assert closed == [1000]
    with client.websocket_connect("/chat/lobby") as ws:
        ws.send_text("{not json")
        with pytest.raises(WebSocketDisconnect) as info:
            ws.receive_json()
    assert info.value.code == 1003
    assert closed == [1000, 1003]


@pytest.mark.parametrize(
    ("encoding", "good", "bad"),
    [("text", {"text": "a"}, {"bytes": b"a"}), ("bytes", {"bytes": b"a"}, {"text": "a"})],
)
def test_websocket_endpoint_encodings(
    encoding: str, good: dict[str, Any], bad: dict[str, Any]
) -> None:
    received: list[Any] = []

    class Echo(WebSocketEndpoint):
        async def on_receive(self, websocket: WebSocket, data: Any) -> None:
            received.append(data)

    Echo.encoding = encoding  # type: ignore[assignment]
    app = Covet()
    app.add_websocket_route("/", Echo)
    with TestClient(app).websocket_connect("/") as ws:
        ws.send({"type": "websocket.receive", **good})
        ws.send({"type": "websocket.receive", **bad})
        with pytest.raises(WebSocketDisconnect) as info:
            ws.receive_text()
    assert info.value.code == 1003
    assert received == list(good.values())


def test_websocket_endpoint_that_refuses_in_on_connect() -> None:
    class Closed(WebSocketEndpoint):
        async def on_connect(self, websocket: WebSocket) -> None:
            await websocket.close(code=1008)

    app = Covet()
    app.add_websocket_route("/", Closed)
    with pytest.raises(WebSocketDisconnect) as info, TestClient(app).websocket_connect("/"):
        pass
    assert info.value.code == 1008


def test_an_explicit_head_method_and_a_class_without_get() -> None:
    class Probe(HTTPEndpoint):
        async def get(self) -> str:
            return "body"

        async def head(self, response: Response) -> None:
            response.headers["x-probe"] = "head"

    class Submit(HTTPEndpoint):
        async def post(self) -> str:
            return "posted"

    app = Covet()
    app.add_route("/probe", Probe)
    app.add_route("/submit", Submit)
    client = TestClient(app)
    assert client.head("/probe").headers["x-probe"] == "head"
    assert client.get("/probe").text == "body"
    refused = client.get("/submit")
    assert (refused.status_code, refused.headers["allow"]) == (405, "OPTIONS, POST")
