"""Test clients that call an ASGI app in-process through httpx.

``TestClient`` is a synchronous ``httpx.Client`` for plain test functions: the app runs on an
event loop in a helper thread (an anyio blocking portal). ``AsyncTestClient`` is an
``httpx.AsyncClient`` for ``async def`` tests. Both run the lifespan when used as context
managers, keep cookies, stream responses chunk by chunk (closing a stream tells the app the
client disconnected) and re-raise exceptions the app did not handle.
"""

from __future__ import annotations

import contextlib
import queue
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future
from types import TracebackType
from typing import Any, Literal, Self

import anyio
import anyio.from_thread

from covet.http._testing_common import Lifespan, build_scope, httpx
from covet.http._testing_ws import WebSocketDenialResponse, WebSocketTestSession
from covet.http._types import ASGIApp, Message

__all__ = ["AsyncTestClient", "TestClient", "WebSocketDenialResponse", "WebSocketTestSession"]


class _SyncBody(httpx.SyncByteStream):
    """The response body as the app sends it; closing it disconnects the client."""

    def __init__(
        self,
        messages: queue.Queue[tuple[str, Any]],
        finish: Callable[[], BaseException | None],
        raise_errors: bool,
    ) -> None:
        self._messages = messages
        self._finish = finish
        self._raise = raise_errors
        self._closed = False

    def __iter__(self) -> Iterator[bytes]:
        while True:
            kind, payload = self._messages.get()
            if kind == "body":
                body, more = payload
                if body:
                    yield body
                if not more:
                    return
            elif kind == "error":
                if self._raise:
                    self.close()
                    raise payload
                return
            else:
                return

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        error = self._finish()
        if error is not None and self._raise:
            raise error


class _Transport(httpx.BaseTransport):
    def __init__(self, client: TestClient) -> None:
        self._client = client

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        client = self._client
        scope = build_scope(
            request,
            "http",
            root_path=client.root_path,
            client=client.client_address,
            state=client.lifespan_state,
        )
        body = request.read()
        stack = contextlib.ExitStack()
        portal = stack.enter_context(client.portal())
        messages: queue.Queue[tuple[str, Any]] = queue.Queue()
        disconnected: anyio.Event = portal.call(anyio.Event)
        body_sent = False

        async def receive() -> Message:
            nonlocal body_sent
            if not body_sent:
                body_sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            await disconnected.wait()
            return {"type": "http.disconnect"}

        async def send(message: Message) -> None:
            if message["type"] == "http.response.start":
                messages.put(("start", message))
            elif message["type"] == "http.response.body":
                messages.put(("body", (message.get("body", b""), message.get("more_body", False))))

        async def run_app() -> None:
            try:
                await client.app(scope, receive, send)
            except Exception as exc:
                messages.put(("error", exc))
            finally:
                messages.put(("done", None))

        future: Future[None] = portal.start_task_soon(run_app)

        def finish() -> BaseException | None:
            try:
                if not future.done():
                    portal.call(disconnected.set)
                future.result()
            finally:
                stack.close()
            while not messages.empty():  # errors raised after the body was complete
                kind, payload = messages.get_nowait()
                if kind == "error":
                    return payload  # type: ignore[no-any-return]
            return None

        kind, payload = messages.get()
        if kind == "start":
            stream = _SyncBody(messages, finish, client.raise_server_exceptions)
            return httpx.Response(
                payload["status"],
                headers=payload.get("headers", []),
                stream=stream,
                request=request,
            )
        error = payload if kind == "error" else None
        finish()
        if error is None:
            error = RuntimeError("the ASGI app returned without sending a response")
        if client.raise_server_exceptions:
            raise error
        return httpx.Response(500, request=request)


class TestClient(httpx.Client):
    """A synchronous client that calls ``app`` in-process; ``with TestClient(app) as c:`` runs
    the lifespan around the block."""

    __test__ = False

    def __init__(
        self,
        app: ASGIApp,
        base_url: str = "http://testserver",
        raise_server_exceptions: bool = True,
        root_path: str = "",
        cookies: httpx._types.CookieTypes | None = None,
        headers: Mapping[str, str] | None = None,
        follow_redirects: bool = True,
        client: tuple[str, int] = ("testclient", 50000),
        backend: Literal["asyncio", "trio"] = "asyncio",
    ) -> None:
        self.app = app
        self.raise_server_exceptions = raise_server_exceptions
        self.root_path = root_path
        self.client_address = client
        self.backend = backend
        self.lifespan_state: dict[str, Any] = {}
        self._portal: anyio.from_thread.BlockingPortal | None = None
        self._exit_stack: contextlib.ExitStack | None = None
        super().__init__(
            base_url=base_url,
            headers={"user-agent": "testclient", **(headers or {})},
            transport=_Transport(self),
            follow_redirects=follow_redirects,
            cookies=cookies,
        )

    @contextlib.contextmanager
    def portal(self) -> Iterator[anyio.from_thread.BlockingPortal]:
        """The running portal inside ``with``, otherwise a fresh one for one request."""
        if self._portal is not None:
            yield self._portal
        else:
            with anyio.from_thread.start_blocking_portal(self.backend) as portal:
                yield portal

    def websocket_connect(
        self,
        url: str,
        subprotocols: list[str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> WebSocketTestSession:
        """Open a websocket to ``url``; use the session as a context manager."""
        request = self.build_request("GET", url, headers=headers)
        scope = build_scope(
            request,
            "websocket",
            root_path=self.root_path,
            client=self.client_address,
            state=self.lifespan_state,
        )
        scope["subprotocols"] = list(subprotocols or [])
        if subprotocols:
            scope["headers"].append((b"sec-websocket-protocol", ", ".join(subprotocols).encode()))
        scope["extensions"]["websocket.http.response"] = {}
        return WebSocketTestSession(self.app, scope, self.portal, self.raise_server_exceptions)

    def __enter__(self) -> Self:
        with contextlib.ExitStack() as stack:
            portal = stack.enter_context(anyio.from_thread.start_blocking_portal(self.backend))
            lifespan = Lifespan(self.app, self.lifespan_state, self.raise_server_exceptions)
            portal.start_task_soon(lifespan.run)
            portal.call(lifespan.startup)
            stack.callback(portal.call, lifespan.shutdown)
            self._portal = portal
            self._exit_stack = stack.pop_all()
        super().__enter__()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None = None,
        exc_value: BaseException | None = None,
        traceback: TracebackType | None = None,
    ) -> None:
        try:
            super().__exit__(exc_type, exc_value, traceback)
        finally:
            stack, self._exit_stack = self._exit_stack, None
            try:
                if stack is not None:
                    stack.close()
            finally:
                self._portal = None


from covet.http._testing_async import AsyncTestClient  # noqa: E402
