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

    @api.get("/ping")
    async def ping() -> str:
        return "pong"

    app.include_router(api, prefix="/api")
    app.mount("/raw", lambda scope, receive, send: None, name="raw")
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
        ["GET", "/api/ping", "ping"],
        ["MOUNT", "/raw", "raw"],
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


@pytest.mark.slow
def test_run_serves_the_app_with_uvicorn(app_dir: Path) -> None:
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "covet.http",
            "run",
            f"{module_name(app_dir)}:app",
            "--port",
            str(port),
            "--app-dir",
            str(app_dir),
            "--log-level",
            "warning",
        ],
        cwd=app_dir,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        for _ in range(100):
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/items/7", timeout=1)
                break
            except httpx.TransportError:
                if process.poll() is not None:
                    raise AssertionError(process.stdout.read().decode()) from None  # type: ignore[union-attr]
                time.sleep(0.1)
        else:
            raise AssertionError("the server did not start")
        assert response.json() == {"id": 7}
        assert httpx.head(f"http://127.0.0.1:{port}/").content == b""
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()


def test_run_without_uvicorn_advises_the_extra(
    app_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "uvicorn", None)  # `import uvicorn` now fails
    assert run_command([f"{module_name(app_dir)}:app"]) == 1
    assert "pip install 'covet-http[server]'" in capsys.readouterr().err
