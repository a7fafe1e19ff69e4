from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from covet.http import Covet, WebSocketDisconnect
from covet.http._exceptions import ConfigurationError
from covet.http._staticfiles import StaticFiles
from covet.http._types import Message
from covet.http.testing import TestClient


@pytest.fixture
def site(tmp_path: Path) -> Path:
    root = tmp_path / "site"
    (root / "docs").mkdir(parents=True)
    (root / "app.css").write_text("body {}")
    (root / "docs" / "index.html").write_text("<h1>docs</h1>")
    (root / "empty-dir").mkdir()
    (tmp_path / "secret.txt").write_text("top secret")
    return root


async def get(app: StaticFiles, path: str, root_path: str = "", method: str = "GET") -> Any:
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b""}

    async def send(message: Message) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": method,
        "path": path,
        "root_path": root_path,
        "headers": [(b"host", b"testserver")],
        "query_string": b"",
        "scheme": "http",
    }
    await app(scope, receive, send)
    body = b"".join(message.get("body", b"") for message in sent[1:])
    return sent[0]["status"], dict(sent[0]["headers"]), body


def test_serves_files_with_validators_and_ranges(site: Path) -> None:
    client = TestClient(StaticFiles(directory=site))
    reply = client.get("/app.css")
    assert reply.status_code == 200
    assert reply.text == "body {}"
    assert reply.headers["content-type"] == "text/css; charset=utf-8"
    assert "content-disposition" not in reply.headers
    etag = reply.headers["etag"]
    assert client.get("/app.css", headers={"If-None-Match": etag}).status_code == 304
    ranged = client.get("/app.css", headers={"Range": "bytes=0-3"})
    assert ranged.status_code == 206
    assert ranged.text == "body"
    assert client.head("/app.css").content == b""


def test_missing_files_are_404_problem_details(site: Path) -> None:
    reply = TestClient(StaticFiles(directory=site)).get("/nope.css")
    assert reply.status_code == 404
    assert reply.headers["content-type"] == "application/problem+json"
    assert reply.json() == {
        "type": "about:blank",
        "title": "Not Found",
        "status": 404,
        "detail": "no such file",
    }
    assert TestClient(StaticFiles(directory=site)).get("/docs").status_code == 404  # html=False


def test_only_get_and_head(site: Path) -> None:
    reply = TestClient(StaticFiles(directory=site)).post("/app.css")
    assert reply.status_code == 405
    assert reply.headers["allow"] == "GET, HEAD"


@pytest.mark.parametrize(
    "path",
    [
        "/../secret.txt",
        "/docs/../../secret.txt",
        "/%2e%2e/secret.txt",  # a server that did not decode it: still refused by name
        "//etc/passwd",
        "/..\\secret.txt",
        "/app.css\x00.png",
    ],
)
async def test_path_traversal_is_refused(site: Path, path: str) -> None:
    app = StaticFiles(directory=site)
    status, _, body = await get(app, path)
    assert status == 404
    assert b"secret" not in body
    if "%" in path:
        status, _, _ = await get(app, path.replace("%2e", "."))
        assert status == 404


def test_encoded_dot_dot_through_the_client(site: Path) -> None:
    client = TestClient(StaticFiles(directory=site))
    for path in ["/%2e%2e/secret.txt", "/%2E%2E/secret.txt", "/docs/%2e%2e/%2e%2e/secret.txt"]:
        reply = client.get(path)
        assert reply.status_code == 404
        assert "top secret" not in reply.text


async def test_absolute_path_resolution_stays_inside(site: Path) -> None:
    app = StaticFiles(directory=site)
    assert app.resolve("/etc/passwd") == os.path.join(app.directory, "etc", "passwd")
    assert app.resolve("/../x") is None


async def test_symlinks_out_of_the_directory(site: Path, tmp_path: Path) -> None:
    (site / "link.txt").symlink_to(tmp_path / "secret.txt")
    (site / "inner.css").symlink_to(site / "app.css")
    status, _, _ = await get(StaticFiles(directory=site), "/link.txt")
    assert status == 404
    status, _, body = await get(StaticFiles(directory=site), "/inner.css")
    assert (status, body) == (200, b"body {}")
    status, _, body = await get(StaticFiles(directory=site, follow_symlink=True), "/link.txt")
    assert (status, body) == (200, b"top secret")


def test_html_mode_serves_index_and_redirects(site: Path) -> None:
    client = TestClient(StaticFiles(directory=site, html=True), follow_redirects=False)
    reply = client.get("/docs/")
    assert reply.status_code == 200
    assert reply.text == "<h1>docs</h1>"
    reply = client.get("/docs")
    assert reply.status_code == 307
    assert reply.headers["location"] == "./docs/"  # relative: no Host header in it
    assert client.get("/empty-dir/").status_code == 404


async def test_a_double_slash_path_cannot_redirect_off_site(site: Path) -> None:
    # a path-absolute "//docs/" Location would be protocol-relative: an open redirect
    status, headers, _ = await get(StaticFiles(directory=site, html=True), "//docs")
    assert (status, headers[b"location"]) == (307, b"./docs/")


def test_directory_redirects_never_trust_the_host_header(site: Path) -> None:
    client = TestClient(StaticFiles(directory=site, html=True), follow_redirects=False)
    reply = client.get("/docs?page=2", headers={"Host": "evil.example"})
    assert reply.status_code == 307
    assert reply.headers["location"] == "./docs/?page=2"
    (site / "docs" / "caf\u00e9 menu").mkdir()
    (site / "docs" / "caf\u00e9 menu" / "index.html").write_text("menu")
    reply = client.get("/docs/caf%C3%A9%20menu")
    assert reply.headers["location"] == "./caf%C3%A9%20menu/"
    followed = TestClient(StaticFiles(directory=site, html=True)).get("/docs/caf%C3%A9%20menu")
    assert (followed.status_code, followed.text) == (200, "menu")


def test_html_mode_uses_404_page(site: Path) -> None:
    (site / "404.html").write_text("<p>lost</p>")
    reply = TestClient(StaticFiles(directory=site, html=True)).get("/missing")
    assert reply.status_code == 404
    assert reply.text == "<p>lost</p>"
    assert reply.headers["content-type"] == "text/html; charset=utf-8"


async def test_mounted_under_root_path(site: Path) -> None:
    app = StaticFiles(directory=site)
    status, _, body = await get(app, "/static/app.css", root_path="/static")
    assert (status, body) == (200, b"body {}")
    status, _, body = await get(app, "/app.css", root_path="/static")  # root_path excluded
    assert (status, body) == (200, b"body {}")


def test_directory_must_exist(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="does not exist"):
        StaticFiles(directory=tmp_path / "missing")
    StaticFiles(
        directory=tmp_path / "missing", check_dir=False
    )  # created later, checked per request


async def test_file_removed_between_lookup_and_send_is_404(site: Path) -> None:
    class Racing(StaticFiles):
        def _lookup(self, path: str) -> tuple[str | None, os.stat_result | None]:
            full, st = super()._lookup(path)
            if full is not None and st is not None and os.path.isfile(full):
                os.remove(full)  # another process deletes it right after the stat
            return full, st

    status, headers, body = await get(Racing(site), "/app.css")
    assert status == 404
    assert headers[b"content-type"] == b"application/problem+json"
    assert b"no such file" in body


def test_a_file_path_with_a_trailing_slash_is_404(site: Path) -> None:
    client = TestClient(StaticFiles(site))
    assert client.get("/app.css").status_code == 200
    assert client.get("/app.css/").status_code == 404


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    path=st.lists(
        st.sampled_from(
            ["..", ".", "", "docs", "app.css", "\\", "%2e", "\x00", "\u2025", "C:", "/"]
        ),
        max_size=8,
    ).map("/".join)
)
async def test_no_path_leaves_the_directory_or_raises(site: Path, path: str) -> None:
    app = StaticFiles(site, html=True)
    resolved, root = app.resolve(path), app.directory
    assert resolved is None or resolved == root or resolved.startswith(root + os.sep)
    status, _, body = await get(app, "/" + path)
    assert status in (200, 307, 404)
    assert b"top secret" not in body


async def test_an_unreadable_file_is_404_not_a_truncated_200(
    site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # chmod 000 does not stop root (which runs CI containers), so refuse the open() itself
    import anyio

    async def refuse(*args: Any, **kwargs: Any) -> Any:
        raise PermissionError(13, "Permission denied", args[0])

    monkeypatch.setattr(anyio, "open_file", refuse)
    status, headers, body = await get(StaticFiles(site), "/app.css")
    assert status == 404
    assert headers[b"content-type"] == b"application/problem+json"
    status, _, body = await get(StaticFiles(site), "/app.css", method="HEAD")
    assert (status, body) == (200, b"")  # HEAD never opens the file


def test_files_from_packages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    package = tmp_path / "site-packages" / "covet_static_demo"
    (package / "statics" / "css").mkdir(parents=True)
    (package / "assets").mkdir()
    (package / "__init__.py").write_text("")
    (package / "statics" / "css" / "site.css").write_text("from the package")
    (package / "statics" / "shared.txt").write_text("package copy")
    (package / "assets" / "logo.svg").write_text("<svg/>")
    (tmp_path / "own").mkdir()
    (tmp_path / "own" / "shared.txt").write_text("own copy")
    monkeypatch.syspath_prepend(str(tmp_path / "site-packages"))

    files = StaticFiles(
        directory=tmp_path / "own",
        packages=["covet_static_demo", ("covet_static_demo", "assets")],
    )
    client = TestClient(files)
    assert client.get("/css/site.css").text == "from the package"
    assert client.get("/shared.txt").text == "own copy"  # the directory comes first
    assert client.get("/logo.svg").text == "<svg/>"
    assert client.get("/../own/shared.txt").status_code == 404
    assert client.get("/nothing.txt").status_code == 404
    only_packages = TestClient(StaticFiles(packages=["covet_static_demo"]))
    assert only_packages.get("/shared.txt").text == "package copy"

    with pytest.raises(ConfigurationError, match="cannot import"):
        StaticFiles(packages=["covet_no_such_package"])
    with pytest.raises(ConfigurationError, match="no 'missing' directory"):
        StaticFiles(packages=[("covet_static_demo", "missing")])
    with pytest.raises(ConfigurationError):
        StaticFiles()


def test_a_websocket_to_static_files_is_closed(tmp_path: Path) -> None:
    app = Covet()
    app.mount("/static", StaticFiles(directory=tmp_path))
    with (
        pytest.raises(WebSocketDisconnect) as info,
        TestClient(app).websocket_connect("/static/x") as session,
    ):
        session.receive_text()
    assert info.value.code == 1008
