from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from covet.http import (
    Covet,
    FileResponse,
    HTTPException,
    JSONResponse,
    StreamingResponse,
    WebSocketException,
)
from covet.http._json import InvalidJSON
from covet.http._responses import PlainTextResponse
from covet.http._types import Receive, Scope, Send
from covet.http._websockets import WebSocket, WebSocketDisconnect, WebSocketState
from covet.http.testing import TestClient, WebSocketDenialResponse


def websocket_app(handler: Any) -> Any:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await handler(WebSocket(scope, receive, send))

    return app


def test_echo_text_bytes_and_json() -> None:
    async def echo(ws: WebSocket) -> None:
        await ws.accept()
        await ws.send_text(await ws.receive_text())
        await ws.send_bytes(await ws.receive_bytes())
        await ws.send_json(await ws.receive_json())
        await ws.send_json(await ws.receive_json(mode="binary"), mode="binary")
        await ws.close()

    with TestClient(websocket_app(echo)).websocket_connect("/ws") as session:
        session.send_text("hello")
        assert session.receive_text() == "hello"
        session.send_bytes(b"\x00\x01")
        assert session.receive_bytes() == b"\x00\x01"
        session.send_json({"a": [1, 2]})
        assert session.receive_json() == {"a": [1, 2]}
        session.send_json({"b": 1}, mode="binary")
        assert session.receive_json(mode="binary") == {"b": 1}
        with pytest.raises(WebSocketDisconnect) as info:
            session.receive_text()
        assert info.value.code == 1000


def test_connection_details() -> None:
    seen: dict[str, Any] = {}

    async def handler(ws: WebSocket) -> None:
        seen.update(
            url=str(ws.url),
            query=ws.query_params.getlist("tag"),
            header=ws.headers["x-token"],
            cookies=ws.cookies,
            path_params=ws.path_params,
            client=ws.client,
        )
        await ws.accept(subprotocol="chat.v2", headers={"X-Server": "covet"})
        await ws.close(4000, "bye")

    client = TestClient(websocket_app(handler), cookies={"sid": "abc"})
    with client.websocket_connect(
        "/ws?tag=a&tag=b", subprotocols=["chat.v1", "chat.v2"], headers={"X-Token": "t"}
    ) as session:
        assert session.accepted_subprotocol == "chat.v2"
        assert (b"x-server", b"covet") in session.extra_headers
        with pytest.raises(WebSocketDisconnect) as info:
            session.receive_text()
    assert (info.value.code, info.value.reason) == (4000, "bye")
    assert seen["url"] == "ws://testserver/ws?tag=a&tag=b"
    assert seen["query"] == ["a", "b"]
    assert seen["header"] == "t"
    assert seen["cookies"] == {"sid": "abc"}
    assert seen["path_params"] == {}
    assert seen["client"] == ("testclient", 50000)


def test_iteration_ends_when_the_client_disconnects() -> None:
    received: list[Any] = []
    states: list[WebSocketState] = []

    async def handler(ws: WebSocket) -> None:
        await ws.accept()
        async for message in ws.iter_json():
            received.append(message)
        states.append(ws.client_state)

    with TestClient(websocket_app(handler)).websocket_connect("/") as session:
        session.send_json(1)
        session.send_json({"two": 2})
        session.close(1001)
    assert received == [1, {"two": 2}]
    assert states == [WebSocketState.DISCONNECTED]


def test_receive_after_disconnect_raises_with_the_code() -> None:
    codes: list[int] = []

    async def handler(ws: WebSocket) -> None:
        await ws.accept()
        try:
            await ws.receive_text()
        except WebSocketDisconnect as exc:
            codes.append(exc.code)

    with TestClient(websocket_app(handler)).websocket_connect("/") as session:
        session.close(1001, "going away")
    assert codes == [1001]


def test_iter_text_and_iter_bytes() -> None:
    async def handler(ws: WebSocket) -> None:
        await ws.accept()
        texts = []
        async for text in ws.iter_text():
            texts.append(text)
            if text == "end":
                break
        async for data in ws.iter_bytes():
            await ws.send_text(",".join(texts) + data.decode())

    with TestClient(websocket_app(handler)).websocket_connect("/") as session:
        session.send_text("a")
        session.send_text("end")
        session.send_bytes(b"!")
        assert session.receive_text() == "a,end!"


def test_rejecting_before_accept_closes_the_handshake() -> None:
    async def handler(ws: WebSocket) -> None:
        await ws.close(1008, "no token")

    with pytest.raises(WebSocketDisconnect) as info:
        TestClient(websocket_app(handler)).websocket_connect("/").__enter__()
    assert (info.value.code, info.value.reason) == (1008, "no token")


def test_denial_response() -> None:
    async def handler(ws: WebSocket) -> None:
        await ws.send_denial_response(PlainTextResponse("go away", status_code=403))

    with pytest.raises(WebSocketDenialResponse) as info:
        TestClient(websocket_app(handler)).websocket_connect("/").__enter__()
    assert info.value.status_code == 403
    assert info.value.content == b"go away"


def test_state_machine_refuses_out_of_order_messages() -> None:
    errors: list[str] = []

    async def handler(ws: WebSocket) -> None:
        try:
            await ws.send_text("too early")
        except RuntimeError as exc:
            errors.append(str(exc))
        try:
            await ws.receive_text()
        except RuntimeError as exc:
            errors.append(str(exc))
        await ws.accept()
        await ws.close()
        try:
            await ws.send_text("too late")
        except RuntimeError as exc:
            errors.append(str(exc))

    with (
        pytest.raises(WebSocketDisconnect),
        TestClient(websocket_app(handler)).websocket_connect("/") as session,
    ):
        session.receive_text()
    assert errors == [
        "'websocket.send' before the websocket was accepted; accept() first",
        "the websocket is not connected; call accept() first",
        "cannot send: the websocket is already closed",
    ]


def test_wrong_frame_type_and_bad_json() -> None:
    problems: list[str] = []

    async def handler(ws: WebSocket) -> None:
        await ws.accept()
        try:
            await ws.receive_bytes()
        except TypeError as exc:
            problems.append(str(exc))
        try:
            await ws.receive_json()
        except InvalidJSON as exc:
            problems.append(f"InvalidJSON, close code {exc.code}")  # type: ignore[attr-defined]
        await ws.close()

    with TestClient(websocket_app(handler)).websocket_connect("/") as session:
        session.send_text("text")
        session.send_text("{not json")
        with pytest.raises(WebSocketDisconnect):
            session.receive_text()
    assert problems == [
        "1003: expected a binary frame, received a text frame",
        "InvalidJSON, close code 1003",
    ]


def test_app_errors_reach_the_test() -> None:
    async def handler(ws: WebSocket) -> None:
        await ws.accept()
        await ws.receive_text()
        raise LookupError("handler bug")

    with TestClient(websocket_app(handler)).websocket_connect("/") as session:
        session.send_text("x")
        with pytest.raises(LookupError, match="handler bug"):
            session.receive_text()


def test_websocket_requires_a_websocket_scope() -> None:
    async def receive() -> Any:
        raise AssertionError

    async def send(message: Any) -> None:
        raise AssertionError

    with pytest.raises(ValueError, match="websocket"):
        WebSocket({"type": "http"}, receive, send)


def test_accepting_a_subprotocol_the_client_did_not_offer_is_refused() -> None:
    chosen: list[str | None] = []

    async def handler(ws: WebSocket) -> None:
        try:
            await ws.accept(subprotocol="graphql-ws")
        except ValueError as exc:
            chosen.append(str(exc))
            await ws.accept(subprotocol=ws.scope["subprotocols"][-1])
        else:
            chosen.append(None)
        await ws.close()

    client = TestClient(websocket_app(handler))
    with client.websocket_connect("/ws", subprotocols=["chat", "superchat"]) as session:
        # a browser fails the connection when the server picks a protocol it did not offer
        assert session.accepted_subprotocol == "superchat"
    assert chosen[0] is not None
    assert "'graphql-ws' was not offered" in chosen[0]
    with client.websocket_connect("/ws", subprotocols=["graphql-ws"]) as session:
        assert session.accepted_subprotocol == "graphql-ws"
    assert chosen[1] is None


def test_denial_response_reads_like_an_http_response() -> None:
    from covet.http._responses import JSONResponse

    async def handler(ws: WebSocket) -> None:
        response = JSONResponse({"detail": "no token"}, status_code=401)
        response.set_cookie("a", "1")
        response.set_cookie("b", "2")
        await ws.send_denial_response(response)

    with pytest.raises(WebSocketDenialResponse) as info:
        TestClient(websocket_app(handler)).websocket_connect("/").__enter__()
    denial = info.value
    assert denial.status_code == 401
    assert denial.json() == {"detail": "no token"}
    assert denial.text == '{"detail":"no token"}'
    assert denial.headers["Content-Type"] == "application/json"  # case-insensitive
    assert denial.headers.get_list("set-cookie") == [  # repeated lines are all kept
        "a=1; Path=/; SameSite=Lax",
        "b=2; Path=/; SameSite=Lax",
    ]


def test_json_mode_must_be_text_or_binary() -> None:
    errors: list[str] = []

    async def handler(ws: WebSocket) -> None:
        await ws.accept()
        for call in (lambda: ws.send_json({}, mode="bytes"), lambda: ws.receive_json(mode="str")):  # type: ignore[arg-type]
            try:
                await call()
            except ValueError as exc:
                errors.append(str(exc))
        await ws.close()

    with TestClient(websocket_app(handler)).websocket_connect("/") as session:
        try:
            session.send_json({}, mode="bytes")  # type: ignore[arg-type]
        except ValueError as exc:
            errors.append(str(exc))
    assert len(errors) == 3
    assert all("mode must be 'text' or 'binary'" in error for error in errors)


# -- denial responses of every kind, and close codes --------------------------------------------


def test_streaming_and_file_responses_can_deny_a_handshake(tmp_path: Path) -> None:
    denied = tmp_path / "denied.txt"
    denied.write_text("go away")

    async def stream(ws: WebSocket) -> None:
        async def chunks() -> AsyncIterator[bytes]:
            yield b"hello "
            yield b"world"

        await ws.send_denial_response(StreamingResponse(chunks(), status_code=403))

    async def file(ws: WebSocket) -> None:
        await ws.send_denial_response(FileResponse(denied, status_code=401))

    for handler, status, body in ((stream, 403, b"hello world"), (file, 401, b"go away")):
        with pytest.raises(WebSocketDenialResponse) as info:
            TestClient(websocket_app(handler)).websocket_connect("/").__enter__()
        assert (info.value.status_code, info.value.content) == (status, body)


async def test_a_streaming_response_on_a_websocket_scope_sends_denial_messages() -> None:
    sent: list[dict[str, Any]] = []
    ran: list[str] = []

    async def receive() -> dict[str, Any]:  # pragma: no cover - must not be needed
        raise AssertionError("the denial stream must not read the socket")

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    async def chunks() -> AsyncIterator[bytes]:
        yield b"chunk"

    async def task() -> None:
        ran.append("background")

    await StreamingResponse(chunks(), background=task)({"type": "websocket"}, receive, send)
    assert [m["type"] for m in sent] == [
        "websocket.http.response.start",
        "websocket.http.response.body",
        "websocket.http.response.body",
    ]
    assert ran == ["background"]


def test_frames_of_the_wrong_kind_close_with_1003() -> None:
    async def texts(ws: WebSocket) -> None:
        await ws.accept()
        async for text in ws.iter_text():
            await ws.send_text(text)

    async def blobs(ws: WebSocket) -> None:
        await ws.accept()
        async for blob in ws.iter_bytes():
            await ws.send_bytes(blob)

    async def documents(ws: WebSocket) -> None:
        await ws.accept()
        async for document in ws.iter_json():
            await ws.send_json(document)

    app = Covet()
    app.add_websocket_route("/text", texts)
    app.add_websocket_route("/bytes", blobs)
    app.add_websocket_route("/json", documents)
    client = TestClient(app)
    for path, good, bad in (
        ("/text", ("text", "hi"), ("bytes", b"\x00")),
        ("/bytes", ("bytes", b"\x00"), ("text", "hi")),
        ("/json", ("text", '{"a": 1}'), ("text", "{not json")),
    ):
        with client.websocket_connect(path) as session:
            session.send({"type": "websocket.receive", good[0]: good[1]})
            session.receive()
            session.send({"type": "websocket.receive", bad[0]: bad[1]})
            with pytest.raises(WebSocketDisconnect) as info:
                session.receive_text()
        assert info.value.code == 1003, path


def test_app_exception_handlers_serve_websockets() -> None:
    class TryLater(Exception):
        pass

    app = Covet()

    @app.exception_handler(HTTPException)
    async def http_problem(request: Any, exc: HTTPException) -> JSONResponse:
        return JSONResponse({"detail": exc.detail}, status_code=exc.status_code)

    @app.exception_handler(TryLater)
    async def try_later(websocket: WebSocket, exc: TryLater) -> None:
        await websocket.close(code=1013, reason="try again later")

    @app.exception_handler(LookupError)
    def lookup_failed(websocket: WebSocket, exc: LookupError) -> None:
        return None  # handled, and left open: covet closes it

    @app.websocket("/before")
    async def before(websocket: WebSocket) -> None:
        raise HTTPException(401, "Unauthorized")

    @app.websocket("/after")
    async def after(websocket: WebSocket) -> None:
        await websocket.accept()
        raise TryLater()

    @app.websocket("/lookup")
    async def lookup(websocket: WebSocket) -> None:
        await websocket.accept()
        raise KeyError("x")

    client = TestClient(app)
    with pytest.raises(WebSocketDenialResponse) as denial:
        client.websocket_connect("/before").__enter__()
    assert denial.value.status_code == 401
    assert denial.value.content == b'{"detail":"Unauthorized"}'
    with pytest.raises(WebSocketDisconnect) as closed, client.websocket_connect("/after") as ws:
        ws.receive_text()
    assert (closed.value.code, closed.value.reason) == (1013, "try again later")
    with pytest.raises(WebSocketDisconnect) as closed, client.websocket_connect("/lookup") as ws:
        ws.receive_text()
    assert closed.value.code == 1011


def test_websocket_exception_str_and_repr() -> None:
    assert str(WebSocketException(1008)) == "1008: "
    assert str(WebSocketException(1008, "Policy Violation")) == "1008: Policy Violation"
    assert repr(WebSocketException(1013, reason="later")) == (
        "WebSocketException(code=1013, reason='later')"
    )
