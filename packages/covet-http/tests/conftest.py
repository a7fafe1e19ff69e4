"""A real uvicorn server (h11 or httptools) in a thread, and raw HTTP/1.1 over a socket.

The test clients build ASGI scopes themselves, so they cannot show what a server hands the app
for bytes a browser would never send (``GET @evil HTTP/1.1``, two Host headers). These helpers
put uvicorn's own parsers in the path.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

HTTP_IMPLEMENTATIONS = ("h11", "httptools")


class LiveServer:
    def __init__(self, port: int, http: str) -> None:
        self.port = port
        self.http = http

    def exchange(self, request: bytes, timeout: float = 5.0) -> bytes:
        """Send raw bytes and read until the server closes the connection.

        A server or app that hangs makes this raise ``TimeoutError`` instead of blocking.
        """
        with socket.create_connection(("127.0.0.1", self.port), timeout=timeout) as sock:
            sock.sendall(request)
            chunks = []
            while True:
                data = sock.recv(65536)
                if not data:
                    return b"".join(chunks)
                chunks.append(data)

    def request(
        self,
        method: str,
        target: str,
        headers: list[tuple[str, str]] | None = None,
        body: bytes = b"",
    ) -> tuple[int, dict[str, str], bytes]:
        lines = [f"{method} {target} HTTP/1.1"]
        lines += [f"{name}: {value}" for name, value in headers or [("Host", "testserver")]]
        if body:
            lines.append(f"Content-Length: {len(body)}")
        lines.append("Connection: close")
        raw = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body
        return parse_response(self.exchange(raw))


def parse_response(raw: bytes) -> tuple[int, dict[str, str], bytes]:
    head, _, body = raw.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers: dict[str, str] = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    if headers.get("transfer-encoding") == "chunked":
        body = _unchunk(body)
    return int(status_line.split()[1]), headers, body


def _unchunk(body: bytes) -> bytes:
    out = []
    while body:
        size_line, _, body = body.partition(b"\r\n")
        size = int(size_line.split(b";")[0], 16)
        if size == 0:
            break
        out.append(body[:size])
        body = body[size + 2 :]
    return b"".join(out)


@contextlib.contextmanager
def serve(app: Any, http: str, **options: Any) -> Iterator[LiveServer]:
    """Run ``app`` under uvicorn with the ``http`` protocol implementation, in a thread."""
    import uvicorn

    config = uvicorn.Config(
        app,
        http=http,
        lifespan="off",
        log_level="error",
        proxy_headers=False,
        access_log=False,
        **options,
    )
    server = uvicorn.Server(config)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    try:
        yield LiveServer(port, http)
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


@pytest.fixture(params=HTTP_IMPLEMENTATIONS)
def http_implementation(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def live_server() -> Iterator[Any]:
    """``live_server(app, http)`` starts uvicorn for the test and stops it afterwards."""
    with contextlib.ExitStack() as stack:

        def start(app: Any, http: str, **options: Any) -> LiveServer:
            return stack.enter_context(serve(app, http, **options))

        yield start


@pytest.fixture(scope="module")
def module_live_server() -> Iterator[Any]:
    """``live_server`` for a whole module (Hypothesis tests cannot use function fixtures)."""
    with contextlib.ExitStack() as stack:

        def start(app: Any, http: str, **options: Any) -> LiveServer:
            return stack.enter_context(serve(app, http, **options))

        yield start
