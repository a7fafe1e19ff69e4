import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import httpx
import pytest

from covet.http.__main__ import main as module_main
from covet.http._cli import routes_command, run_command

APP_SOURCE = textwrap.dedent(
    """
    from covet.http import Covet, Router

    app = Covet()
    api = Router()

    @app.get("/", name="home")
    async def home() -> str:
        return "home"

    @app.route("/items/{id:int}", methods=["GET", "PUT"])
    def item(id: int) -> dict:
        return {"id": id}

    @app.websocket("/ws")
    async def ws(websocket) -> None:
        await websocket.accept()

    @app.get("/client", name="client")
    async def client(request) -> dict:
        return {"host": request.client.host, "scheme": request.url.scheme}

    @api.get("/ping")
    async def ping() -> str:
        return "pong"

    app.include_router(api, prefix="/api")
    app.mount("/raw", lambda scope, receive, send: None, name="raw")
    admin = Router()

    @admin.get("/users", name="users")
    async def users() -> list:
        return []

    app.host("admin.example.org", admin, name="admin")
    app.host("cdn.example.org", lambda scope, receive, send: None)
    """
)


@pytest.fixture
def app_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    module = f"cliapp_{tmp_path.name.replace('-', '_')}"
    (tmp_path / f"{module}.py").write_text(APP_SOURCE)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def module_name(app_dir: Path) -> str:
    return next(app_dir.glob("cliapp_*.py")).stem


def test_routes_lists_every_route(app_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert routes_command([f"{module_name(app_dir)}:app"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["METHODS", "PATH", "NAME", "ENDPOINT"]
    rows = [line.split()[:3] for line in lines[1:]]
    assert rows == [
        ["GET", "/openapi.json", "openapi_document"],  # the OpenAPI document and docs pages
        ["GET", "/docs", "swagger_ui"],
        ["GET", "/docs/swagger-init.js", "swagger_init"],
        ["GET", "/redoc", "redoc"],
        ["GET", "/", "home"],
        ["GET,PUT", "/items/{id:int}", "item"],
        ["WS", "/ws", "ws"],
        ["GET", "/client", "client"],
        ["GET", "/api/ping", "ping"],
        ["MOUNT", "/raw", "raw"],
        ["GET", "admin.example.org/users", "users"],
        ["HOST", "cdn.example.org/", "<function"],
    ]


def test_routes_defaults_to_the_app_attribute(
    app_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert module_main(["routes", module_name(app_dir)]) == 0
    assert "/api/ping" in capsys.readouterr().out


def test_clear_errors_for_bad_targets(app_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert routes_command(["no_such_module_xyz:app"]) == 1
    assert "cannot import module 'no_such_module_xyz'" in capsys.readouterr().err
    assert routes_command([f"{module_name(app_dir)}:missing"]) == 1
    assert "has no attribute 'missing'" in capsys.readouterr().err
    assert run_command(["no_such_module_xyz:app"]) == 1
    assert "cannot import module" in capsys.readouterr().err
    assert module_main([]) == 2


def test_help_summary_is_the_docstring_first_line() -> None:
    assert (run_command.__doc__ or "").splitlines()[0].startswith("Serve an app with uvicorn")
    assert (routes_command.__doc__ or "").splitlines()[
        0
    ] == "List an app's routes: covet routes module:app."


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def serve_and_wait(command: list[str], cwd: Path, port: int) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    for _ in range(200):
        try:
            httpx.get(f"http://127.0.0.1:{port}/", timeout=1)
            return process
        except httpx.TransportError:
            if process.poll() is not None:
                raise AssertionError(process.stdout.read().decode()) from None  # type: ignore[union-attr]
            time.sleep(0.1)
    process.terminate()
    raise AssertionError("the server did not start")


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    process.wait(timeout=10)
    if process.stdout is not None:
        process.stdout.close()


SPOOFED = {"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"}


@pytest.mark.slow
def test_run_serves_the_app_with_uvicorn(app_dir: Path) -> None:
    port = free_port()
    command = [sys.executable, "-m", "covet.http", "run", f"{module_name(app_dir)}:app"]
    command += ["--port", str(port), "--app-dir", str(app_dir), "--log-level", "warning"]
    process = serve_and_wait(command, app_dir, port)
    try:
        assert httpx.get(f"http://127.0.0.1:{port}/items/7").json() == {"id": 7}
        assert httpx.head(f"http://127.0.0.1:{port}/").content == b""
        # uvicorn's default would believe X-Forwarded-For from 127.0.0.1: covet's launcher
        # leaves forwarding headers to ProxyHeadersMiddleware
        spoofed = httpx.get(f"http://127.0.0.1:{port}/client", headers=SPOOFED)
        assert spoofed.json() == {"host": "127.0.0.1", "scheme": "http"}
    finally:
        stop(process)


@pytest.mark.slow
def test_app_run_ignores_forwarding_headers(app_dir: Path) -> None:
    port = free_port()
    script = app_dir / "serve.py"
    script.write_text(
        f"from {module_name(app_dir)} import app\napp.run(port={port}, log_level='warning')\n"
    )
    process = serve_and_wait([sys.executable, str(script)], app_dir, port)
    try:
        spoofed = httpx.get(f"http://127.0.0.1:{port}/client", headers=SPOOFED)
        assert spoofed.json() == {"host": "127.0.0.1", "scheme": "http"}
    finally:
        stop(process)


def test_run_without_uvicorn_advises_the_extra(
    app_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "uvicorn", None)  # `import uvicorn` now fails
    assert run_command([f"{module_name(app_dir)}:app"]) == 1
    assert "pip install 'covet-http[server]'" in capsys.readouterr().err
