from __future__ import annotations

import os
from email.utils import formatdate
from pathlib import Path
from typing import Any

import anyio
import anyio.lowlevel
import pytest
from hypothesis import given
from hypothesis import strategies as st

from covet.http._fileresponse import FileResponse, parse_ranges
from covet.http._types import Message, Scope
from covet.http.testing import TestClient

CONTENT = bytes(range(256)) * 40  # 10240 bytes


@pytest.fixture
def data_file(tmp_path: Path) -> Path:
    path = tmp_path / "data.bin"
    path.write_bytes(CONTENT)
    return path


def client_for(path: Path, **kwargs: Any) -> TestClient:
    return TestClient(FileResponse(path, **kwargs))


async def call_asgi(app: Any, scope: Scope) -> list[Message]:
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b""}

    async def send(message: Message) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return sent


def test_whole_file_with_validators(data_file: Path) -> None:
    reply = client_for(data_file).get("/")
    assert reply.status_code == 200
    assert reply.content == CONTENT
    assert reply.headers["content-length"] == str(len(CONTENT))
    assert reply.headers["content-type"] == "application/octet-stream"
    assert reply.headers["accept-ranges"] == "bytes"
    st = data_file.stat()
    assert reply.headers["last-modified"] == formatdate(st.st_mtime, usegmt=True)
    assert reply.headers["etag"] == f'"{st.st_mtime_ns:x}-{st.st_size:x}"'


def test_media_type_guess_and_download_filename(tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    page.write_text("<h1>hi</h1>")
    reply = client_for(page).get("/")
    assert reply.headers["content-type"] == "text/html; charset=utf-8"
    reply = client_for(page, filename="report.csv").get("/")
    assert reply.headers["content-type"] == "text/csv; charset=utf-8"
    assert reply.headers["content-disposition"] == 'attachment; filename="report.csv"'
    reply = client_for(page, filename="r\u00e9sum\u00e9.txt").get("/")
    assert (
        reply.headers["content-disposition"] == "attachment; filename*=utf-8''r%C3%A9sum%C3%A9.txt"
    )


def test_an_unknown_type_is_an_octet_stream(tmp_path: Path) -> None:
    blob = tmp_path / "data.unknown-extension"
    blob.write_bytes(b"\x00\x01")
    for reply in (client_for(blob).get("/"), client_for(blob).head("/")):
        assert reply.headers["content-type"] == "application/octet-stream"  # not text/plain
    named = client_for(blob, filename="archive.zzz").get("/")
    assert named.headers["content-type"] == "application/octet-stream"


def test_conditional_get_answers_304(data_file: Path) -> None:
    client = client_for(data_file)
    first = client.get("/")
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    reply = client.get("/", headers={"If-None-Match": etag})
    assert reply.status_code == 304
    assert reply.content == b""
    assert reply.headers["etag"] == etag
    assert "content-length" not in reply.headers
    assert client.get("/", headers={"If-None-Match": f'"other", W/{etag}'}).status_code == 304
    assert client.get("/", headers={"If-None-Match": "*"}).status_code == 304
    assert client.get("/", headers={"If-None-Match": '"other"'}).status_code == 200
    assert client.get("/", headers={"If-Modified-Since": modified}).status_code == 304
    old = formatdate(data_file.stat().st_mtime - 3600, usegmt=True)
    assert client.get("/", headers={"If-Modified-Since": old}).status_code == 200
    assert client.get("/", headers={"If-Modified-Since": "garbage"}).status_code == 200
    # If-None-Match wins over If-Modified-Since
    both = {"If-None-Match": '"other"', "If-Modified-Since": modified}
    assert client.get("/", headers=both).status_code == 200


def test_single_range(data_file: Path) -> None:
    client = client_for(data_file)
    reply = client.get("/", headers={"Range": "bytes=10-19"})
    assert reply.status_code == 206
    assert reply.content == CONTENT[10:20]
    assert reply.headers["content-range"] == f"bytes 10-19/{len(CONTENT)}"
    assert reply.headers["content-length"] == "10"
    reply = client.get("/", headers={"Range": "bytes=-5"})
    assert reply.content == CONTENT[-5:]
    reply = client.get("/", headers={"Range": "bytes=10000-"})
    assert reply.content == CONTENT[10000:]
    reply = client.get("/", headers={"Range": "bytes=10000-999999"})
    assert reply.content == CONTENT[10000:]
    assert reply.headers["content-range"] == f"bytes 10000-10239/{len(CONTENT)}"


def test_multiple_ranges_are_multipart_byteranges(data_file: Path) -> None:
    reply = client_for(data_file).get("/", headers={"Range": "bytes=0-2, 100-104"})
    assert reply.status_code == 206
    content_type = reply.headers["content-type"]
    assert content_type.startswith("multipart/byteranges; boundary=")
    boundary = content_type.split("boundary=")[1].encode()
    assert int(reply.headers["content-length"]) == len(reply.content)
    expected = (
        b"--" + boundary + b"\r\nContent-Type: application/octet-stream\r\n"
        b"Content-Range: bytes 0-2/10240\r\n\r\n" + CONTENT[0:3] + b"\r\n"
        b"--" + boundary + b"\r\nContent-Type: application/octet-stream\r\n"
        b"Content-Range: bytes 100-104/10240\r\n\r\n" + CONTENT[100:105] + b"\r\n"
        b"--" + boundary + b"--\r\n"
    )
    assert reply.content == expected


def test_overlapping_ranges_merge_into_one(data_file: Path) -> None:
    reply = client_for(data_file).get("/", headers={"Range": "bytes=0-9,5-14"})
    assert reply.status_code == 206
    assert reply.headers["content-range"] == "bytes 0-14/10240"
    assert reply.content == CONTENT[:15]


def test_unsatisfiable_range_is_416(data_file: Path) -> None:
    reply = client_for(data_file).get("/", headers={"Range": "bytes=20000-"})
    assert reply.status_code == 416
    assert reply.headers["content-range"] == "bytes */10240"


@pytest.mark.parametrize("header", ["items=0-1", "bytes=5-2", "bytes=a-b", "bytes=", "bytes=1"])
def test_invalid_range_headers_are_ignored(data_file: Path, header: str) -> None:
    reply = client_for(data_file).get("/", headers={"Range": header})
    assert reply.status_code == 200
    assert reply.content == CONTENT


def test_if_range(data_file: Path) -> None:
    client = client_for(data_file)
    etag = client.get("/").headers["etag"]
    modified = client.get("/").headers["last-modified"]
    matching = client.get("/", headers={"Range": "bytes=0-0", "If-Range": etag})
    assert matching.status_code == 206
    by_date = client.get("/", headers={"Range": "bytes=0-0", "If-Range": modified})
    assert by_date.status_code == 206
    stale = client.get("/", headers={"Range": "bytes=0-0", "If-Range": '"stale"'})
    assert stale.status_code == 200
    assert stale.content == CONTENT
    weak = client.get("/", headers={"Range": "bytes=0-0", "If-Range": f"W/{etag}"})
    assert weak.status_code == 200  # If-Range needs a strong match


async def test_head_sends_headers_only(data_file: Path) -> None:
    sent = await call_asgi(
        FileResponse(data_file), {"type": "http", "method": "HEAD", "headers": []}
    )
    assert sent[0]["status"] == 200
    assert (b"content-length", b"10240") in sent[0]["headers"]
    assert sent[1:] == [{"type": "http.response.body", "body": b""}]
    sent = await call_asgi(
        FileResponse(data_file),
        {"type": "http", "method": "HEAD", "headers": [(b"range", b"bytes=0-9")]},
    )
    assert sent[0]["status"] == 206
    assert (b"content-length", b"10") in sent[0]["headers"]
    assert sent[1:] == [{"type": "http.response.body", "body": b""}]


async def test_range_bytes_as_asgi_messages(data_file: Path) -> None:
    scope = {"type": "http", "method": "GET", "headers": [(b"range", b"bytes=65530-")]}
    big = data_file.with_name("big.bin")
    big.write_bytes(b"a" * 65536 + b"b" * 10)
    sent = await call_asgi(FileResponse(big), scope)
    assert sent[0]["status"] == 206
    body = b"".join(message["body"] for message in sent[1:])
    assert body == b"a" * 6 + b"b" * 10
    assert sent[-1].get("more_body", False) is False


def test_empty_file(tmp_path: Path) -> None:
    empty = tmp_path / "empty.txt"
    empty.touch()
    reply = client_for(empty).get("/")
    assert reply.status_code == 200
    assert reply.content == b""
    assert reply.headers["content-length"] == "0"
    assert client_for(empty).get("/", headers={"Range": "bytes=-1"}).status_code == 416


def test_stat_once_from_stat_result(data_file: Path) -> None:
    st = data_file.stat()
    response = FileResponse(data_file, stat_result=st)
    os.utime(data_file, (st.st_atime, st.st_mtime + 100))  # changed on disk, not re-read
    assert TestClient(response).get("/").headers["etag"] == f'"{st.st_mtime_ns:x}-{st.st_size:x}"'


def test_missing_file_raises(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="does not exist"):
        client_for(tmp_path / "nope").get("/")
    with pytest.raises(RuntimeError, match="is not a file"):
        client_for(tmp_path).get("/")


def test_parse_ranges() -> None:
    assert parse_ranges("bytes=0-0", 10) == [(0, 1)]
    assert parse_ranges("bytes=0-1,3-4,2-2", 10) == [(0, 5)]
    assert parse_ranges("bytes=-3", 10) == [(7, 10)]
    assert parse_ranges("bytes=-30", 10) == [(0, 10)]
    assert parse_ranges("bytes=20-30", 10) == []
    assert parse_ranges("bytes=0-1,20-30", 10) == [(0, 2)]
    assert parse_ranges("BYTES = 1-2", 10) == [(1, 3)]
    assert parse_ranges("bytes=" + ",".join(["0-1"] * 65), 10) is None
    assert parse_ranges("bytes=1-2-3", 10) is None


def test_post_ignores_conditionals(data_file: Path) -> None:
    client = client_for(data_file)
    reply = client.post("/", headers={"If-None-Match": "*", "Range": "bytes=0-1"})
    assert reply.status_code == 200
    assert reply.content == CONTENT


@given(
    size=st.integers(min_value=0, max_value=500),
    specs=st.lists(
        st.tuples(
            st.one_of(st.none(), st.integers(0, 600)), st.one_of(st.none(), st.integers(0, 600))
        ),
        min_size=1,
        max_size=6,
    ),
)
def test_parse_ranges_invariants(size: int, specs: list[tuple[int | None, int | None]]) -> None:
    header = "bytes=" + ",".join(
        f"{'' if first is None else first}-{'' if last is None else last}" for first, last in specs
    )
    ranges = parse_ranges(header, size)
    if ranges is None:
        return
    previous_end = -1
    for start, end in ranges:
        assert 0 <= start < end <= size  # non-empty, inside the file
        assert start > previous_end  # sorted, merged, no overlap or adjacency
        previous_end = end
    # every byte a valid spec asked for is covered
    covered = {index for start, end in ranges for index in range(start, end)}
    for first, last in specs:
        if first is None and last is not None:
            wanted = range(max(size - last, 0), size) if last else range(0)
        elif first is not None:
            wanted = range(first, min(size, last + 1 if last is not None else size))
        else:
            continue
        assert set(wanted) <= covered


def test_failed_preconditions_are_412(data_file: Path) -> None:
    client = client_for(data_file)
    first = client.get("/")
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    assert client.get("/", headers={"If-Match": etag}).status_code == 200
    assert client.get("/", headers={"If-Match": "*"}).status_code == 200
    failed = client.get("/", headers={"If-Match": '"other"'})
    assert failed.status_code == 412
    assert failed.content == b""
    assert client.get("/", headers={"If-Match": f"W/{etag}"}).status_code == 412  # strong only
    assert client.get("/", headers={"If-Unmodified-Since": modified}).status_code == 200
    old = formatdate(data_file.stat().st_mtime - 3600, usegmt=True)
    assert client.get("/", headers={"If-Unmodified-Since": old}).status_code == 412
    # If-Match takes precedence over If-Unmodified-Since
    both = {"If-Match": etag, "If-Unmodified-Since": old}
    assert client.get("/", headers=both).status_code == 200


@pytest.mark.parametrize(
    "header",
    [
        "bytes=\xb2-",  # a latin-1 superscript two: str.isdigit() says yes, int() says no
        "bytes=0-\u0663",  # an Arabic-Indic digit
        "bytes=0-" + "9" * 5000,  # past int()'s 4300-digit limit
        "bytes=" + "1" * 5000 + "-",
        "bytes=-" + "9" * 5000,
    ],
)
def test_hostile_range_numbers_never_raise(data_file: Path, header: str) -> None:
    parse_ranges(header, len(CONTENT))
    reply = TestClient(FileResponse(data_file)).get("/", headers={b"Range": header.encode("utf-8")})
    assert reply.status_code in (200, 206, 416)


def test_huge_range_numbers_clamp_to_the_file(data_file: Path) -> None:
    size = len(CONTENT)
    assert parse_ranges("bytes=0-" + "9" * 5000, size) == [(0, size)]
    assert parse_ranges("bytes=-" + "9" * 5000, size) == [(0, size)]
    assert parse_ranges("bytes=" + "9" * 5000 + "-", size) == []
    assert parse_ranges("bytes=\xb2-", size) is None


@given(st.text(alphabet="bytes=-,0123456789 \t\xb2\u0663", max_size=40))
def test_parse_ranges_never_raises(header: str) -> None:
    ranges = parse_ranges(header, 100)
    assert ranges is None or all(0 <= start < end <= 100 for start, end in ranges)


def stat_then_delete(path: Path) -> FileResponse:
    response = FileResponse(path, stat_result=path.stat())
    path.unlink()
    return response


@pytest.mark.parametrize("range_header", [None, "bytes=0-9", "bytes=0-9,20-29"])
async def test_file_gone_after_stat_fails_before_the_response_starts(
    data_file: Path, range_header: str | None
) -> None:
    response = stat_then_delete(data_file)
    headers = [] if range_header is None else [(b"range", range_header.encode())]
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b""}

    async def send(message: Message) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "GET", "headers": headers}
    with pytest.raises(RuntimeError, match="does not exist"):
        await response(scope, receive, send)
    assert sent == []  # nothing half-sent: the app can still answer 500 (or 404)


async def test_client_disconnect_stops_reading_a_big_file(tmp_path: Path) -> None:
    # uvicorn drops sends once the client has gone (it does not raise), so without watching for
    # http.disconnect a 10 GB download would be read to the end for nobody
    from covet.http._fileresponse import CHUNK_SIZE

    big = tmp_path / "big.bin"
    big.write_bytes(b"x" * (CHUNK_SIZE * 50))
    first_chunk_sent = anyio.Event()
    requested = False
    bodies: list[bytes] = []

    async def receive() -> Message:
        nonlocal requested
        if not requested:
            requested = True
            return {"type": "http.request", "body": b""}
        await first_chunk_sent.wait()
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        if message["type"] == "http.response.body":
            bodies.append(message["body"])
            first_chunk_sent.set()
        await anyio.lowlevel.checkpoint()

    scope = {"type": "http", "method": "GET", "headers": []}
    await FileResponse(big)(scope, receive, send)
    assert 1 <= len(bodies) < 50


def test_a_file_of_many_chunks_arrives_whole(tmp_path: Path) -> None:
    from covet.http._fileresponse import CHUNK_SIZE

    data = bytes(range(256)) * (CHUNK_SIZE * 3 // 256 + 7)
    big = tmp_path / "big.bin"
    big.write_bytes(data)
    client = TestClient(FileResponse(big))
    assert client.get("/").content == data
    part = client.get("/", headers={"Range": f"bytes=10-{CHUNK_SIZE * 2}"})
    assert (part.status_code, part.content) == (206, data[10 : CHUNK_SIZE * 2 + 1])
    head = client.head("/")
    assert (head.headers["content-length"], head.content) == (str(len(data)), b"")
