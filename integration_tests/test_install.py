"""Built wheels install and work alone, beside another ORM, and all together.

One local wheelhouse is built per session; every install uses ``--no-index --find-links`` and exact
versions, because an unrelated ``covet`` 0.1.0b6 exists on PyPI.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import venv
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
CONSTRAINTS = ROOT / "requirements" / "constraints.txt"
DISTRIBUTIONS = (
    "covet",
    "covet-auth",
    "covet-http",
    "covet-middleware",
    "covet-migrate",
    "covet-orm",
)
VERSION = "0.2.0"

CALL_ASGI = """
import asyncio

async def call(app, method, path, body=b""):
    messages = []
    async def receive():
        return {"type": "http.request", "body": body, "more_body": False}
    async def send(message):
        messages.append(message)
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
        "method": method, "scheme": "http", "path": path, "raw_path": path.encode(),
        "query_string": b"", "root_path": "", "client": ("127.0.0.1", 5000),
        "server": ("testserver", 80), "headers": [(b"content-type", b"application/json")],
    }
    await app(scope, receive, send)
    start = messages[0]
    body = b"".join(m.get("body", b"") for m in messages[1:])
    return start["status"], body
"""


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "UV_", "VIRTUAL_ENV"))}
    env["PIP_CONSTRAINT"] = str(CONSTRAINTS)
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return env


def _run(*args: str | Path, cwd: Path | None = None) -> str:
    result = subprocess.run(
        [str(a) for a in args], cwd=cwd, env=_env(), capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, f"{args}\n{result.stdout}\n{result.stderr}"
    return result.stdout


@pytest.fixture(scope="session")
def wheelhouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    house = tmp_path_factory.mktemp("wheelhouse")
    for dist in DISTRIBUTIONS:
        _run(
            sys.executable,
            "-m",
            "build",
            "--no-isolation",
            "--outdir",
            house,
            ROOT / "packages" / dist,
        )
    # third-party dependencies of everything we install below, so installs can use --no-index
    tools = _make_venv(tmp_path_factory.mktemp("download"))
    _run(
        tools / "bin" / "python",
        "-m",
        "pip",
        "download",
        "--quiet",
        "--dest",
        house,
        "--find-links",
        house,
        f"covet=={VERSION}",
        "sqlalchemy",
    )
    return house


def _make_venv(path: Path) -> Path:
    venv.EnvBuilder(with_pip=True, clear=True).create(path)
    return path


def _install(tmp_path: Path, house: Path, *requirements: str) -> Path:
    env_dir = _make_venv(tmp_path / "venv")
    _run(
        env_dir / "bin" / "python",
        "-m",
        "pip",
        "install",
        "--quiet",
        "--no-index",
        "--find-links",
        house,
        *requirements,
    )
    return env_dir


def _python(env_dir: Path, source: str, tmp_path: Path) -> str:
    script = tmp_path / "check.py"
    script.write_text(textwrap.dedent(source))
    return _run(env_dir / "bin" / "python", script, cwd=tmp_path)


def test_every_distribution_builds_sdist_and_wheel(wheelhouse: Path) -> None:
    for dist in DISTRIBUTIONS:
        stem = dist.replace("-", "_")
        assert (wheelhouse / f"{stem}-{VERSION}-py3-none-any.whl").exists(), dist
        assert (wheelhouse / f"{stem}-{VERSION}.tar.gz").exists(), dist


def test_exactly_one_wheel_contains_covet_init(wheelhouse: Path) -> None:
    owners = []
    for dist in DISTRIBUTIONS:
        wheel = wheelhouse / f"{dist.replace('-', '_')}-{VERSION}-py3-none-any.whl"
        with zipfile.ZipFile(wheel) as zf:
            if "covet/__init__.py" in zf.namelist():
                owners.append(dist)
    assert owners == ["covet"]


def test_covet_http_works_alone(wheelhouse: Path, tmp_path: Path) -> None:
    env_dir = _install(tmp_path, wheelhouse, f"covet-http=={VERSION}")
    out = _python(
        env_dir,
        CALL_ASGI
        + """
import importlib.util
from covet.http import Covet

app = Covet()

@app.get("/users/{id:int}")
async def user(id: int) -> dict:
    return {"id": id}

assert asyncio.run(call(app, "GET", "/users/7")) == (200, b'{"id":7}')
assert asyncio.run(call(app, "GET", "/users/x"))[0] == 404
assert importlib.util.find_spec("covet.orm") is None
try:
    from covet import Covet as _  # the meta package is not installed
except ImportError:
    print("alone ok")
""",
        tmp_path,
    )
    assert "alone ok" in out


def test_covet_http_with_sqlalchemy(wheelhouse: Path, tmp_path: Path) -> None:
    env_dir = _install(tmp_path, wheelhouse, f"covet-http=={VERSION}", "sqlalchemy")
    out = _python(
        env_dir,
        CALL_ASGI
        + """
import json
from sqlalchemy import create_engine, text
from covet.http import Covet

# a file, not sqlite:// (":memory:" is one database per connection, and def handlers run on
# worker threads, so they would see another, empty database)
engine = create_engine("sqlite:///notes.db")
with engine.begin() as conn:
    conn.execute(text("create table notes (id integer primary key, body text)"))

app = Covet()

@app.post("/notes")
def add(data: dict) -> dict:
    with engine.begin() as conn:
        conn.execute(text("insert into notes (body) values (:b)"), {"b": data["body"]})
        count = conn.execute(text("select count(*) from notes")).scalar_one()
    return {"count": count}

status, body = asyncio.run(call(app, "POST", "/notes", b'{"body": "hi"}'))
assert status == 200 and json.loads(body) == {"count": 1}, (status, body)
print("sqlalchemy ok")
""",
        tmp_path,
    )
    assert "sqlalchemy ok" in out


def test_meta_package_with_everything(wheelhouse: Path, tmp_path: Path) -> None:
    env_dir = _install(tmp_path, wheelhouse, f"covet=={VERSION}")
    out = _python(
        env_dir,
        CALL_ASGI
        + """
import covet, covet.auth, covet.http, covet.middleware, covet.migrate, covet.orm
from covet import Covet
assert Covet is covet.http.Covet
modules = (covet, covet.auth, covet.http, covet.middleware, covet.migrate, covet.orm)
assert {m.__version__ for m in modules} == {"0.2.0"}
app = Covet()

@app.get("/")
def index() -> str:
    return "hello"

assert asyncio.run(call(app, "GET", "/")) == (200, b"hello")
print("meta ok")
""",
        tmp_path,
    )
    assert "meta ok" in out
    (tmp_path / "webapp.py").write_text(
        textwrap.dedent("""
            from covet import Covet
            app = Covet()

            @app.get("/ping", name="ping")
            def ping() -> str:
                return "pong"
        """)
    )
    help_text = _run(env_dir / "bin" / "covet", "--help", cwd=tmp_path)
    assert "run" in help_text and "routes" in help_text
    routes = _run(env_dir / "bin" / "covet", "routes", "webapp:app", cwd=tmp_path)
    assert "/ping" in routes and "GET" in routes
