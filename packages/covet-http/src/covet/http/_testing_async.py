"""``AsyncTestClient``: an ``httpx.AsyncClient`` that calls the ASGI app on the test's own loop."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Mapping
from types import TracebackType
from typing import Any, Self

import anyio

from covet.http._testing_common import (
    WINDOW,
    Lifespan,
    RequestReceiver,
    client_scope,
    httpx,
    no_response,
)
from covet.http._types import ASGIApp, Message, Scope

__all__ = ["AsyncTestClient"]


class _AsyncExchange(RequestReceiver):
    """One request to the app, run as a task on the test's loop. The message stream is bounded,
    so an endless response waits for the reader; errors are kept aside and raised on close."""

    def __init__(self, app: ASGIApp, scope: Scope, body: bytes, live: set[_AsyncExchange]) -> None:
        self.app = app
        self.scope = scope
        self.body: bytes | None = body
        self.to_client, self.messages = anyio.create_memory_object_stream[tuple[str, Any]](WINDOW)
        self.disconnected = anyio.Event()
        self.errors: list[Exception] = []
        self.live = live
        self.finished = False
        self.task = asyncio.ensure_future(self.run())
        live.add(self)

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            item: tuple[str, Any] = ("start", message)
        elif message["type"] == "http.response.body":
            item = ("body", (message.get("body", b""), message.get("more_body", False)))
        else:
            return
        with contextlib.suppress(anyio.BrokenResourceError):  # the reader has gone
            await self.to_client.send(item)

    async def run(self) -> None:
        try:
            await self.app(self.scope, self.receive, self.send)
        except Exception as exc:
            self.errors.append(exc)
        finally:
            self.to_client.close()

    async def finish(self) -> Exception | None:
        if self.finished:
            return None
        self.finished = True
        self.live.discard(self)
        self.disconnected.set()
        await self.messages.aclose()  # unblocks a sender waiting for room
        await self.task
        return self.errors[0] if self.errors else None


class _AsyncBody(httpx.AsyncByteStream):
    def __init__(self, exchange: _AsyncExchange, raise_errors: bool) -> None:
        self._exchange = exchange
        self._raise = raise_errors
        self._closed = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for kind, payload in self._exchange.messages:
            if kind == "body":
                body, more = payload
                if body:
                    yield body
                if not more:
                    return
        # The app returned without finishing the body: raise its error, if any, now.
        if self._exchange.errors and self._raise:
            await self.aclose()

    async def aclose(self) -> None:
        if self._closed:
            return
        self._closed = True
        error = await self._exchange.finish()
        if error is not None and self._raise:
            raise error


class _AsyncTransport(httpx.AsyncBaseTransport):
    def __init__(self, client: AsyncTestClient) -> None:
        self._client = client

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        client = self._client
        scope = client_scope(client, request)
        body = await request.aread()
        exchange = _AsyncExchange(client.app, scope, body, client.open_exchanges)
        try:
            kind, payload = await exchange.messages.receive()
        except anyio.EndOfStream:
            kind, payload = "done", None
        if kind == "start":
            return httpx.Response(
                payload["status"],
                headers=payload.get("headers", []),
                stream=_AsyncBody(exchange, client.raise_server_exceptions),
                request=request,
            )
        error = await exchange.finish()
        return no_response(error, client.raise_server_exceptions, request)


class AsyncTestClient(httpx.AsyncClient):
    """An async client that calls ``app`` in-process on the running asyncio loop;
    ``async with AsyncTestClient(app) as c:`` runs the lifespan around the block."""

    __test__ = False

    def __init__(
        self,
        app: ASGIApp,
        base_url: str = "http://testserver",
        raise_server_exceptions: bool = True,
        root_path: str = "",
        cookies: Any = None,
        headers: Mapping[str, str] | None = None,
        follow_redirects: bool = True,
        client: tuple[str, int] = ("testclient", 50000),
    ) -> None:
        self.app = app
        self.raise_server_exceptions = raise_server_exceptions
        self.root_path = root_path
        self.client_address = client
        self.lifespan_state: dict[str, Any] = {}
        self.open_exchanges: set[_AsyncExchange] = set()
        self._lifespan: Lifespan | None = None
        self._lifespan_task: asyncio.Task[None] | None = None
        super().__init__(
            base_url=base_url,
            headers={"user-agent": "testclient", **(headers or {})},
            transport=_AsyncTransport(self),
            follow_redirects=follow_redirects,
            cookies=cookies,
        )

    async def __aenter__(self) -> Self:
        lifespan = Lifespan(self.app, self.lifespan_state, self.raise_server_exceptions)
        self._lifespan_task = asyncio.ensure_future(lifespan.run())
        try:
            await lifespan.startup()
        except BaseException:
            self._lifespan_task.cancel()
            raise
        self._lifespan = lifespan
        await super().__aenter__()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None = None,
        exc_value: BaseException | None = None,
        traceback: TracebackType | None = None,
    ) -> None:
        try:
            await super().__aexit__(exc_type, exc_value, traceback)
            for exchange in list(self.open_exchanges):  # streams the test left open
                await exchange.finish()
        finally:
            lifespan, self._lifespan = self._lifespan, None
            if lifespan is not None:
                await lifespan.shutdown()
            if self._lifespan_task is not None:
                await self._lifespan_task
