"""``TimeoutMiddleware``: answer 504 when a handler does not start its response in time."""

from __future__ import annotations

import asyncio

from covet.http import ASGIApp, Message, Receive, Scope, Send
from covet.middleware._responses import send_problem

__all__ = ["TimeoutMiddleware"]


class TimeoutMiddleware:
    """Cancel a handler that has not started its response after ``timeout`` seconds; send 504.

    The clock stops when the response starts, so a long stream (SSE, downloads) is not cut off.
    The handler runs in the same task; it sees ``asyncio.CancelledError`` at its current ``await``
    (a ``def`` handler running in a thread cannot be interrupted and finishes in the background).
    """

    def __init__(self, app: ASGIApp, *, timeout: float = 30.0) -> None:
        if timeout <= 0:
            raise ValueError("timeout must be a positive number of seconds")
        self.app = app
        self.timeout = timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False
        deadline = asyncio.timeout(self.timeout)

        async def watch(message: Message) -> None:
            nonlocal started
            if not started:
                if deadline.expired():
                    # The handler caught its cancellation and answered anyway: too late, the
                    # 504 below is the answer.
                    return
                if message["type"] == "http.response.start":
                    started = True
                    deadline.reschedule(None)
            await send(message)

        try:
            async with deadline:
                await self.app(scope, receive, watch)
        except TimeoutError:
            if started or not deadline.expired():
                raise
        if not started and deadline.expired():
            await send_problem(send, 504, f"The handler did not respond within {self.timeout:g} s.")
