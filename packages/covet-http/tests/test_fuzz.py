"""Fuzzing: whatever a client sends, the answer is never a 500 and never a hang.

Hypothesis builds requests (paths, query strings, headers, cookies, Host values, JSON and form
bodies) and sends them to one app that reads all of it, twice: as ASGI scopes straight into the
app (fields no HTTP parser would let through), and as raw bytes to a real uvicorn with its h11
and httptools parsers. Each test is bounded (a few seconds); on CI the root conftest loads a
derandomized profile, so a commit passes or fails the same way every time.
``COVET_FUZZ_EXAMPLES=5000`` hunts longer.
"""

from __future__ import annotations

import dataclasses
import datetime
import enum
import os
import uuid
from pathlib import Path
from typing import Annotated, Any, Literal, TypedDict

import anyio
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from covet.http import (
    Cookie,
    Covet,
    Form,
    Header,
    Query,
    Request,
    Router,
    StaticFiles,
    UploadFile,
    WebSocket,
)

#: COVET_FUZZ_EXAMPLES=5000 for a longer hunt; the suite's default keeps each test to seconds
FUZZ = settings(
    max_examples=int(os.environ.get("COVET_FUZZ_EXAMPLES", "120")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


class Color(enum.Enum):
    RED = "red"
    BLUE = "blue"


class NewItem(TypedDict):
    name: str
    price: float
    tags: list[str]


@dataclasses.dataclass
class Address:
    city: str
    zip: str | None = None


def fuzz_app(static_dir: Path) -> Covet:
    app = Covet(max_body_size=64 * 1024)

    @app.get("/")
    async def index() -> str:
        return "index"

    @app.route("/inspect/{rest:path}", methods=["GET", "POST", "PUT"])
    async def inspect(request: Request, rest: str) -> dict[str, Any]:
        url = request.url
        return {
            "rest": rest,
            "host": url.hostname,
            "port": url.port,
            "netloc": url.netloc,
            "base": str(request.base_url),
            "self": str(request.url_for("inspect", rest=rest or "x")),
            "query": request.query_params.multi_items(),
            "headers": len(request.headers),
            "cookies": request.cookies,
            "client": request.client,
        }

    @app.get("/typed/{n:int}/{f:float}/{u:uuid}/{s}")
    async def typed(
        n: int,
        f: float,
        u: uuid.UUID,
        s: str,
        page: int = 1,
        ratio: float = 0.5,
        flag: bool = False,
        ids: Annotated[list[int], Query()] = [],  # noqa: B006
        color: Color = Color.RED,
        mode: Literal["a", "b"] = "a",
        day: datetime.date | None = None,
        bounded: Annotated[int, Query(ge=0, le=2**63 - 1)] = 0,
        x_count: Annotated[int | None, Header()] = None,
        session: Annotated[str | None, Cookie()] = None,
    ) -> dict[str, Any]:
        return {"n": n, "f": f, "page": page, "ids": ids, "day": day, "count": x_count}

    @app.post("/json/item")
    async def json_item(item: NewItem) -> dict[str, Any]:
        return {"name": item["name"]}

    @app.post("/json/address")
    async def json_address(address: Address) -> dict[str, Any]:
        return {"city": address.city}

    @app.post("/json/raw")
    async def json_raw(request: Request) -> dict[str, Any]:
        data = await request.json()
        return {"kind": type(data).__name__}

    @app.post("/form")
    async def form(
        name: Annotated[str, Form()],
        age: Annotated[int, Form(ge=0)] = 0,
        upload: Annotated[UploadFile | None, Form()] = None,
    ) -> dict[str, Any]:
        content = await upload.read() if upload is not None else b""
        return {"name": name, "age": age, "size": len(content)}

    @app.post("/form/raw")
    async def form_raw(request: Request) -> dict[str, Any]:
        data = await request.form()
        return {"keys": sorted(data)}

    @app.websocket("/ws/{room}")
    async def ws(websocket: WebSocket, room: str, nick: str = "anon") -> None:
        await websocket.accept()
        await websocket.send_json({"room": room, "nick": nick, "url": str(websocket.url)})
        await websocket.close()

    api = Router()

    @api.get("/users/{id:int}", name="user")
    async def user(id: int, request: Request) -> dict[str, Any]:
        return {"id": id, "url": str(request.url_for("api:user", id=id))}

    app.host("api.example.org", api, name="api")
    app.mount("/static", StaticFiles(directory=static_dir, html=True))
    return app


@pytest.fixture(scope="module")
def static_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("static")
    (root / "index.html").write_text("<h1>hi</h1>")
    (root / "a.css").write_text("body {}")
    return root


@pytest.fixture(scope="module")
def app(static_dir: Path) -> Covet:
    return fuzz_app(static_dir)


# -- strategies ---------------------------------------------------------------------------------

_SEGMENT_CHARS = st.characters(codec="utf-8", exclude_characters="/?#")
segments = st.one_of(
    st.sampled_from(
        [
            "inspect",
            "typed",
            "static",
            "json",
            "form",
            "users",
            "1",
            "-1",
            "1.5",
            "nan",
            "..",
            ".",
            "",
            "a.css",
            "index.html",
            str(uuid.UUID(int=7)),
            "%2F",
            "%2e%2e",
            "%00",
            "%zz",
            "9" * 30,
            "\\",
            "@",
            ":",
        ]
    ),
    st.text(_SEGMENT_CHARS, max_size=8),
)
paths = st.lists(segments, max_size=6).map(lambda parts: "/" + "/".join(parts))
query_values = st.one_of(
    st.sampled_from(
        [
            "1",
            "-5",
            "0",
            "9" * 25,
            "1e400",
            "nan",
            "true",
            "maybe",
            "red",
            "b",
            "2024-02-30",
            "2024-01-01",
            "",
            "%ff",
            "%",
            "+",
            "a&b",
            "\ud800",
        ]
    ),
    st.text(max_size=12),
)
query_keys = st.sampled_from(
    ["page", "ratio", "flag", "ids", "color", "mode", "day", "bounded", "nick", "x", ""]
)
queries = st.lists(st.tuples(query_keys, query_values), max_size=6)
host_values = st.one_of(
    st.sampled_from(
        [
            "testserver",
            "api.example.org",
            "API.EXAMPLE.ORG:8443",
            "[::1]",
            "[:::]",
            "x:99999",
            "x:",
            "user@evil",
            "evil/x",
            "[v1.x]",
            "[V1.x]",
            "a b",
            "",
            "127.0.0.1:0",
        ]
    ),
    st.text(st.characters(min_codepoint=33, max_codepoint=126), max_size=20),
)
header_names = st.sampled_from(
    ["x-count", "cookie", "content-type", "accept", "x-other", "content-length", "user-agent"]
)
header_values = st.one_of(
    st.sampled_from(
        [
            "1",
            "-1",
            "abc",
            "9" * 30,
            "session=abc; a=1",
            'a="\\101"',
            "=;;=",
            "",
            "application/json",
            "text/plain",
            "multipart/form-data; boundary=x",
        ]
    ),
    st.text(
        st.characters(min_codepoint=32, max_codepoint=255, exclude_characters="\x7f"), max_size=24
    ),
)
json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=8),
)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=10,
)
json_bodies = st.one_of(
    json_values.map(lambda value: __import__("json").dumps(value).encode()),
    st.sampled_from(
        [
            b'{"name": "\\ud800", "price": 1, "tags": []}',
            b'{"name": 1234567890123456789012}',
            b"[" * 80 + b"]" * 80,
            b"1e400",
            b"\xef\xbb\xbf{}",
            b'{"a":',
            b"NaN",
            b"",
            b'{"city": "x", "zip": null}',
            b'{"name": "a", "price": 1e400, "tags": ["\\udc00"]}',
        ]
    ),
    st.binary(max_size=40),
)


@st.composite
def multipart_bodies(draw: st.DrawFn) -> tuple[bytes, str]:
    boundary = draw(st.sampled_from(["x", "----b0undary", "a" * 70]))
    parts = []
    for _ in range(draw(st.integers(0, 4))):
        name = draw(st.sampled_from(["name", "age", "upload", "other", ""]) | st.text(max_size=6))
        headers = [f'Content-Disposition: form-data; name="{name}"']
        if draw(st.booleans()):
            filename = draw(st.sampled_from(["a.txt", "../../etc/passwd", "", "C:\\x.txt"]))
            headers[0] += f'; filename="{filename}"'
            headers.append("Content-Type: application/octet-stream")
        if draw(st.booleans()):
            headers.append(draw(st.sampled_from(["X-Bad", "Content-Type: ;;;", "a: b"])))
        body = draw(st.binary(max_size=30) | st.sampled_from([b"7", b"-1", b"\xff\xfe"]))
        part = "\r\n".join(headers).encode("utf-8", "surrogateescape") + b"\r\n\r\n" + body
        parts.append(part)
    closing = draw(st.sampled_from([f"--{boundary}--\r\n", "", f"--{boundary}"]))
    raw = b"".join(f"--{boundary}\r\n".encode() + part + b"\r\n" for part in parts)
    raw += closing.encode()
    content_type = draw(
        st.sampled_from(
            [
                f"multipart/form-data; boundary={boundary}",
                "multipart/form-data",
                f'multipart/form-data; boundary="{boundary}"',
                "multipart/form-data; boundary=",
            ]
        )
    )
    return raw, content_type


urlencoded_bodies = st.lists(
    st.tuples(query_keys | st.sampled_from(["name", "age"]), query_values), max_size=5
)


# -- through the ASGI app -----------------------------------------------------------------------


async def call(app: Any, scope: dict[str, Any], body: bytes = b"") -> list[dict[str, Any]]:
    sent: list[dict[str, Any]] = []
    delivered = False

    async def receive() -> dict[str, Any]:
        nonlocal delivered
        if delivered:
            await anyio.sleep_forever()
        delivered = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    with anyio.fail_after(5):  # never a hang
        await app(scope, receive, send)
    return sent


def http_scope(
    method: str,
    path: str,
    query: bytes = b"",
    headers: list[tuple[bytes, bytes]] | None = None,
    raw_path: bytes | None = None,
) -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": raw_path if raw_path is not None else path.encode("utf-8", "surrogatepass"),
        "query_string": query,
        "root_path": "",
        "headers": headers or [(b"host", b"testserver")],
        "client": ("127.0.0.1", 5000),
        "server": ("127.0.0.1", 8000),
    }


def assert_answered(sent: list[dict[str, Any]]) -> int:
    assert sent, "no response"
    assert sent[0]["type"] == "http.response.start"
    status: int = sent[0]["status"]
    assert status < 500, (status, b"".join(m.get("body", b"") for m in sent[1:])[:500])
    assert not sent[-1].get("more_body", False), "the response never ended"
    return status


def encode_query(pairs: list[tuple[str, str]]) -> bytes:
    from urllib.parse import quote_from_bytes

    def encoded(text: str, safe: str) -> str:
        return quote_from_bytes(text.encode("utf-8", "surrogatepass"), safe=safe)

    return "&".join(f"{encoded(k, '')}={encoded(v, '%+')}" for k, v in pairs).encode()


@FUZZ
@given(
    method=st.sampled_from(["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH", "QUERY"]),
    path=paths | st.text(max_size=20),
    query=queries,
    raw_query=st.binary(max_size=30),
    raw_path=st.none() | st.binary(max_size=30),
    root_path=st.sampled_from(["", "/api", "/inspect", "/static/"]),
    use_raw=st.booleans(),
)
async def test_router_paths_and_query_strings(
    app: Covet,
    method: str,
    path: str,
    query: list[tuple[str, str]],
    raw_query: bytes,
    raw_path: bytes | None,
    root_path: str,
    use_raw: bool,
) -> None:
    """Any path, raw_path (even one that disagrees with path), root_path and query string."""
    scope = http_scope(method, path, raw_query if use_raw else encode_query(query))
    if raw_path is not None:
        scope["raw_path"] = raw_path
    scope["root_path"] = root_path
    assert_answered(await call(app, scope))


@FUZZ
@given(
    host=st.lists(host_values, max_size=2),
    headers=st.lists(st.tuples(header_names, header_values), max_size=6),
    path=st.sampled_from(
        [
            "/inspect/a",
            "/inspect/",
            "/typed/1/2.5/" + str(uuid.UUID(int=1)) + "/s",
            "/users/5",
            "/static/a.css",
            "/",
            "/nope",
        ]
    ),
    server=st.sampled_from([("127.0.0.1", 8000), ("::1", 443), None]),
    scheme=st.sampled_from(["http", "https"]),
)
async def test_host_headers_and_cookies(
    app: Covet,
    host: list[str],
    headers: list[tuple[str, str]],
    path: str,
    server: tuple[str, int] | None,
    scheme: str,
) -> None:
    raw_headers = [(b"host", value.encode("latin-1", "replace")) for value in host]
    raw_headers += [(name.encode(), value.encode("latin-1", "replace")) for name, value in headers]
    scope = http_scope("GET", path, headers=raw_headers)
    scope.update(server=server, scheme=scheme)
    assert_answered(await call(app, scope))


@FUZZ
@given(
    path=st.sampled_from(["/json/item", "/json/address", "/json/raw"]),
    body=json_bodies,
    content_type=st.sampled_from([b"application/json", b"application/x+json", b"text/plain", None]),
)
async def test_json_bodies(app: Covet, path: str, body: bytes, content_type: bytes | None) -> None:
    headers = [(b"host", b"testserver"), (b"content-length", str(len(body)).encode())]
    if content_type is not None:
        headers.append((b"content-type", content_type))
    assert_answered(await call(app, http_scope("POST", path, headers=headers), body))


@FUZZ
@given(
    path=st.sampled_from(["/form", "/form/raw"]),
    multipart=multipart_bodies(),
    urlencoded=urlencoded_bodies,
    use_multipart=st.booleans(),
)
async def test_form_bodies(
    app: Covet,
    path: str,
    multipart: tuple[bytes, str],
    urlencoded: list[tuple[str, str]],
    use_multipart: bool,
) -> None:
    if use_multipart:
        body, content_type = multipart
    else:
        body, content_type = encode_query(urlencoded), "application/x-www-form-urlencoded"
    headers = [(b"host", b"testserver"), (b"content-type", content_type.encode())]
    assert_answered(await call(app, http_scope("POST", path, headers=headers), body))


@FUZZ
@given(
    path=paths,
    query=queries,
    host=host_values,
    subprotocols=st.lists(st.text(max_size=5), max_size=2),
)
async def test_websocket_handshakes(
    app: Covet, path: str, query: list[tuple[str, str]], host: str, subprotocols: list[str]
) -> None:
    scope = http_scope("GET", "/ws" + path, encode_query(query))
    scope.update(
        type="websocket",
        scheme="ws",
        subprotocols=subprotocols,
        headers=[(b"host", host.encode("latin-1", "replace"))],
        extensions={"websocket.http.response": {}},
    )
    del scope["method"]
    sent: list[dict[str, Any]] = []
    incoming = [{"type": "websocket.connect"}]

    async def receive() -> dict[str, Any]:
        return incoming.pop(0) if incoming else {"type": "websocket.disconnect", "code": 1000}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    with anyio.fail_after(5):
        await app(scope, receive, send)
    assert sent
    closes = [m for m in sent if m["type"] == "websocket.close"]
    assert all(m.get("code") != 1011 for m in closes), sent
    denials = [m for m in sent if m["type"] == "websocket.http.response.start"]
    assert all(m["status"] < 500 for m in denials), sent


# -- through a real uvicorn ---------------------------------------------------------------------


@pytest.fixture(scope="module", params=["h11", "httptools"])
def server(request: pytest.FixtureRequest, app: Covet, module_live_server: Any) -> Any:
    return module_live_server(app, str(request.param))


def request_bytes(
    method: str, target: bytes, headers: list[tuple[bytes, bytes]], body: bytes
) -> bytes:
    lines = [method.encode() + b" " + target + b" HTTP/1.1"]
    lines += [name + b": " + value for name, value in headers]
    lines.append(b"Content-Length: " + str(len(body)).encode())
    lines.append(b"Connection: close")
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


_TARGET_BYTES = st.binary(min_size=0, max_size=30).filter(lambda b: not set(b) & set(b" \r\n"))
targets = st.one_of(
    st.tuples(paths, queries).map(
        lambda pq: (
            pq[0].encode("utf-8", "surrogatepass").replace(b" ", b"%20")
            + (b"?" + encode_query(pq[1]) if pq[1] else b"")
        )
    ),
    st.sampled_from(
        [
            b"@url",
            b"*",
            b"http://evil.example/inspect/x",
            b"//evil.example/x",
            b"/inspect/%2F%2Fevil",
            b"/inspect/\xff",
            b"/%",
            b"/inspect?%ff=%fe",
        ]
    ),
    _TARGET_BYTES.map(lambda b: b"/" + b),
)


@FUZZ
@given(
    method=st.sampled_from(["GET", "POST", "HEAD", "OPTIONS", "PUT", "DELETE"]),
    target=targets,
    host=st.lists(host_values, min_size=0, max_size=2),
    headers=st.lists(st.tuples(header_names, header_values), max_size=4),
    body=json_bodies,
)
def test_a_real_server_never_answers_500(
    server: Any,
    method: str,
    target: bytes,
    host: list[str],
    headers: list[tuple[str, str]],
    body: bytes,
) -> None:
    raw_headers = [(b"Host", value.encode("latin-1", "replace")) for value in host]
    raw_headers += [
        (name.encode(), value.encode("latin-1", "replace"))
        for name, value in headers
        if name != "content-length"
    ]
    raw = server.exchange(request_bytes(method, target, raw_headers, body), timeout=5)
    assert raw.startswith(b"HTTP/1.1 "), raw[:200]
    status = int(raw.split(b" ", 2)[1])
    assert status < 500, raw[:800]


@FUZZ
@given(multipart=multipart_bodies(), path=st.sampled_from([b"/form", b"/form/raw"]))
def test_a_real_server_reads_any_form(
    server: Any, multipart: tuple[bytes, str], path: bytes
) -> None:
    body, content_type = multipart
    headers = [(b"Host", b"testserver"), (b"Content-Type", content_type.encode())]
    raw = server.exchange(request_bytes("POST", path, headers, body), timeout=5)
    status = int(raw.split(b" ", 2)[1])
    assert status < 500, raw[:800]
