"""``AsyncTestClient``: an ``httpx.AsyncClient`` that calls the ASGI app on the test's own loop."""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncIterator, Mapping
from types import TracebackType
from typing import Any, Self

import anyio
from anyio.streams.memory import MemoryObjectReceiveStream

from covet.http._testing_common import Lifespan, build_scope, httpx
from covet.http._types import ASGIApp, Message

__all__ = ["AsyncTestClient"]


class _AsyncBody(httpx.AsyncByteStream):
    def __init__(
        self,
        messages: MemoryObjectReceiveStream[tuple[str, Any]],
        disconnected: anyio.Event,
        task: asyncio.Task[None],
        raise_errors: bool,
    ) -> None:
        self._messages = messages
        self._disconnected = disconnected
        self._task = task
        self._raise = raise_errors
        self._closed = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for kind, payload in self._messages:
            if kind == "body":
                body, more = payload
                if body:
                    yield body
                if not more:
                    return
            elif kind == "error":
                if self._raise:
                    await self.aclose()
                    raise payload
                return
            else:
                return

    async def aclose(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._disconnected.set()
        await self._task
        error = None
        while True:
            try:
                kind, payload = self._messages.receive_nowait()
            except (anyio.WouldBlock, anyio.EndOfStream):
                break
            if kind == "error":
                error = payload
        await self._messages.aclose()
        if error is not None and self._raise:
            raise error


class _AsyncTransport(httpx.AsyncBaseTransport):
    def __init__(self, client: AsyncTestClient) -> None:
        self._client = client

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        client = self._client
        scope = build_scope(
            request,
            "http",
            root_path=client.root_path,
            client=client.client_address,
            state=client.lifespan_state,
        )
        body = await request.aread()
        to_client, messages = anyio.create_memory_object_stream[tuple[str, Any]](math.inf)
        disconnected = anyio.Event()
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
                to_client.send_nowait(("start", message))
            elif message["type"] == "http.response.body":
                more = message.get("more_body", False)
                to_client.send_nowait(("body", (message.get("body", b""), more)))

        async def run_app() -> None:
            try:
                await client.app(scope, receive, send)
            except Exception as exc:
                to_client.send_nowait(("error", exc))
            finally:
                to_client.send_nowait(("done", None))
                to_client.close()

        task = asyncio.ensure_future(run_app())
        kind, payload = await messages.receive()
        stream = _AsyncBody(messages, disconnected, task, client.raise_server_exceptions)
        if kind == "start":
            return httpx.Response(
                payload["status"],
                headers=payload.get("headers", []),
                stream=stream,
                request=request,
            )
        await stream.aclose()
        error = payload if kind == "error" else None
        if error is None:
            error = RuntimeError("the ASGI app returned without sending a response")
        if client.raise_server_exceptions:
            raise error
        return httpx.Response(500, request=request)


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
        finally:
            lifespan, self._lifespan = self._lifespan, None
            if lifespan is not None:
                await lifespan.shutdown()
            if self._lifespan_task is not None:
                await self._lifespan_task
