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
from collections.abc import Iterator, Mapping
from concurrent.futures import Future
from types import TracebackType
from typing import Any, Literal, Self

import anyio
import anyio.from_thread

from covet.http._testing_common import (
    WINDOW,
    Lifespan,
    RequestReceiver,
    client_scope,
    httpx,
    no_response,
)
from covet.http._testing_ws import WebSocketDenialResponse, WebSocketTestSession
from covet.http._types import ASGIApp, Message, Scope

__all__ = ["AsyncTestClient", "TestClient", "WebSocketDenialResponse", "WebSocketTestSession"]


class _Exchange(RequestReceiver):
    """One request between the test's thread and the app on the portal's event loop.

    Body chunks flow through a thread-safe queue; the app may run ``WINDOW`` chunks ahead of the
    reader, so an endless stream waits for the test instead of filling memory.
    """

    def __init__(
        self,
        app: ASGIApp,
        scope: Scope,
        body: bytes,
        portal: Any,
        stack: Any,
        live: set[_Exchange],
    ) -> None:
        self.app = app
        self.scope = scope
        self.body: bytes | None = body
        self.portal = portal
        self.stack = stack
        self.messages: queue.Queue[tuple[str, Any]] = queue.Queue()
        self.disconnected: anyio.Event = portal.call(anyio.Event)
        self.window: anyio.Semaphore = portal.call(anyio.Semaphore, WINDOW)
        self.live = live
        self.finished = False
        self.future: Future[None] = portal.start_task_soon(self.run)
        live.add(self)

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.messages.put(("start", message))
        elif message["type"] == "http.response.body":
            more = message.get("more_body", False)
            if more and not self.disconnected.is_set():
                await self.window.acquire()
            self.messages.put(("body", (message.get("body", b""), more)))

    async def run(self) -> None:
        try:
            await self.app(self.scope, self.receive, self.send)
        except Exception as exc:
            self.messages.put(("error", exc))
        finally:
            self.messages.put(("done", None))

    def consumed(self) -> None:
        self.portal.call(self.window.release)

    def _disconnect(self) -> None:
        self.disconnected.set()
        for _ in range(WINDOW):  # wake a sender waiting for room
            self.window.release()

    def finish(self) -> BaseException | None:
        """Disconnect, wait for the app to return, and report an error it raised late."""
        if self.finished:
            return None
        self.finished = True
        self.live.discard(self)
        try:
            if not self.future.done():
                self.portal.call(self._disconnect)
            self.future.result()
        finally:
            self.stack.close()
        while not self.messages.empty():
            kind, payload = self.messages.get_nowait()
            if kind == "error":
                return payload  # type: ignore[no-any-return]
        return None


class _SyncBody(httpx.SyncByteStream):
    """The response body as the app sends it; closing it disconnects the client."""

    def __init__(self, exchange: _Exchange, raise_errors: bool) -> None:
        self._exchange = exchange
        self._raise = raise_errors
        self._closed = False

    def __iter__(self) -> Iterator[bytes]:
        while True:
            kind, payload = self._exchange.messages.get()
            if kind == "body":
                body, more = payload
                if more:
                    self._exchange.consumed()
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
        error = self._exchange.finish()
        if error is not None and self._raise:
            raise error


class _Transport(httpx.BaseTransport):
    def __init__(self, client: TestClient) -> None:
        self._client = client

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        client = self._client
        scope = client_scope(client, request)
        body = request.read()
        stack = contextlib.ExitStack()
        portal = stack.enter_context(client.portal())
        exchange = _Exchange(client.app, scope, body, portal, stack, client.open_exchanges)
        kind, payload = exchange.messages.get()
        if kind == "start":
            return httpx.Response(
                payload["status"],
                headers=payload.get("headers", []),
                stream=_SyncBody(exchange, client.raise_server_exceptions),
                request=request,
            )
        exchange.finish()
        return no_response(
            payload if kind == "error" else None, client.raise_server_exceptions, request
        )


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
        self.open_exchanges: set[_Exchange] = set()
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
        scope = client_scope(self, request, "websocket")
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
            for exchange in list(self.open_exchanges):  # streams the test left open
                exchange.finish()
        finally:
            stack, self._exit_stack = self._exit_stack, None
            try:
                if stack is not None:
                    stack.close()
            finally:
                self._portal = None


from covet.http._testing_async import AsyncTestClient  # noqa: E402
