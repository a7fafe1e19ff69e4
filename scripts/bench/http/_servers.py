"""Start each benchmark app under the same uvicorn settings, wait until it answers, stop it."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from _endpoints import request

APPS = Path(__file__).resolve().parent / "apps"
HOST = "127.0.0.1"
UVICORN_FLAGS = (
    "--host",
    HOST,
    "--loop",
    "uvloop",
    "--http",
    "httptools",
    "--no-access-log",
    "--log-level",
    "warning",
    "--lifespan",
    "on",
)


@dataclass
class Server:
    framework: str
    module: str
    port: int
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def command(self) -> str:
        return " ".join(str(part) for part in self.process.args)  # type: ignore[union-attr]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


def start(framework: str, module: str, log_dir: Path, python: str = sys.executable) -> Server:
    port = free_port()
    log = log_dir / f"{framework}.log"
    command = [
        python,
        "-m",
        "uvicorn",
        f"{module}:app",
        "--app-dir",
        str(APPS),
        "--port",
        str(port),
    ]
    with log.open("wb") as output:
        process = subprocess.Popen(
            [*command, *UVICORN_FLAGS],
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so stop() reaches every child
        )
    return Server(framework, module, port, process, log)


def wait_ready(server: Server, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(
                f"{server.framework} exited with {server.process.returncode}:\n"
                + server.log.read_text(errors="replace")[-2000:]
            )
        with contextlib.suppress(OSError):
            if request(server.port, "GET", "/plaintext", timeout=1.0)[0] == 200:
                return
        time.sleep(0.1)
    raise RuntimeError(f"{server.framework} did not answer on port {server.port} in {timeout}s")


def stop(server: Server) -> None:
    process = server.process
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)


@contextlib.contextmanager
def running(
    apps: dict[str, str], log_dir: Path, failures: dict[str, str]
) -> Iterator[dict[str, Server]]:
    """Start every app (those that fail are recorded in ``failures``); stop them all on exit."""
    servers: dict[str, Server] = {}

    def terminate(signum: int, frame: object) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    previous = signal.signal(signal.SIGTERM, terminate)
    try:
        for framework, module in apps.items():
            server = start(framework, module, log_dir)
            servers[framework] = server
            try:
                wait_ready(server)
            except RuntimeError as error:
                failures[framework] = str(error)
                stop(servers.pop(framework))
        yield servers
    finally:
        for server in servers.values():
            stop(server)
        signal.signal(signal.SIGTERM, previous)
