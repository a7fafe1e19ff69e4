from __future__ import annotations

import sys
from collections.abc import AsyncIterator

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from covet.http._datastructures import Headers, UploadFile
from covet.http._exceptions import ConfigurationError, HTTPException
from covet.http._forms import parse_form

BOUNDARY = "----covetboundary"


def multipart_body(*parts: tuple[str, str | None, bytes, str | None]) -> bytes:
    """parts: (name, filename, data, content_type)"""
    chunks = []
    for name, filename, data, content_type in parts:
        disposition = f'form-data; name="{name}"'
        if filename is not None:
            disposition += f'; filename="{filename}"'
        head = f"--{BOUNDARY}\r\nContent-Disposition: {disposition}\r\n"
        if content_type:
            head += f"Content-Type: {content_type}\r\n"
        chunks.append(head.encode() + b"\r\n" + data + b"\r\n")
    return b"".join(chunks) + f"--{BOUNDARY}--\r\n".encode()


def multipart_headers() -> Headers:
    return Headers({"content-type": f"multipart/form-data; boundary={BOUNDARY}"})


def urlencoded_headers() -> Headers:
    return Headers({"content-type": "application/x-www-form-urlencoded"})


async def chunked(body: bytes, size: int = 7) -> AsyncIterator[bytes]:
    for start in range(0, len(body), size):
        yield body[start : start + size]


async def test_urlencoded_fields_repeat_and_decode() -> None:
    body = b"name=J%C3%BCrgen+X&tag=a&tag=b&empty=&flag"
    form = await parse_form(urlencoded_headers(), chunked(body))
    assert form["name"] == "J\u00fcrgen X"
    assert form.getlist("tag") == ["a", "b"]
    assert form["empty"] == ""
    assert form["flag"] == ""


async def test_urlencoded_limits() -> None:
    with pytest.raises(HTTPException) as info:
        await parse_form(urlencoded_headers(), chunked(b"a=1&b=2&c=3"), max_parts=2)
    assert info.value.status_code == 413
    with pytest.raises(HTTPException) as info:
        await parse_form(urlencoded_headers(), chunked(b"a=" + b"x" * 100), max_field_size=50)
    assert info.value.status_code == 413
    with pytest.raises(HTTPException) as info:
        await parse_form(urlencoded_headers(), chunked(b"a=%ff%fe"))
    assert info.value.status_code == 400


async def test_multipart_fields_and_files() -> None:
    body = multipart_body(
        ("title", None, "h\u00e9llo".encode(), None),
        ("tags", None, b"a", None),
        ("tags", None, b"b", None),
        ("upload", "notes.txt", b"line 1\r\nline 2\r\n", "text/plain"),
        ("empty", "", b"", "application/octet-stream"),
    )
    form = await parse_form(multipart_headers(), chunked(body))
    assert form["title"] == "h\u00e9llo"
    assert form.getlist("tags") == ["a", "b"]
    upload = form["upload"]
    assert isinstance(upload, UploadFile)
    assert upload.filename == "notes.txt"
    assert upload.content_type == "text/plain"
    assert upload.size == len(b"line 1\r\nline 2\r\n")
    assert await upload.read() == b"line 1\r\nline 2\r\n"
    empty = form["empty"]
    assert isinstance(empty, UploadFile)
    assert empty.filename == ""
    assert empty.size == 0
    await form.close()
    assert upload.file.closed


async def test_big_uploads_spool_to_disk() -> None:
    data = bytes(range(256)) * 1000
    body = multipart_body(("file", "big.bin", data, "application/octet-stream"))
    form = await parse_form(multipart_headers(), chunked(body, 4096), spool_threshold=1024)
    upload = form["file"]
    assert isinstance(upload, UploadFile)
    assert not upload._in_memory
    assert await upload.read() == data
    await form.close()


async def test_multipart_limits_answer_413() -> None:
    too_many = multipart_body(*[(f"f{i}", None, b"x", None) for i in range(5)])
    with pytest.raises(HTTPException) as info:
        await parse_form(multipart_headers(), chunked(too_many), max_parts=4)
    assert info.value.status_code == 413
    assert "more than 4 parts" in str(info.value.detail)

    big_field = multipart_body(("f", None, b"x" * 200, None))
    with pytest.raises(HTTPException) as info:
        await parse_form(multipart_headers(), chunked(big_field), max_field_size=100)
    assert info.value.status_code == 413

    big_file = multipart_body(("f", "a.bin", b"x" * 200, None))
    with pytest.raises(HTTPException) as info:
        await parse_form(multipart_headers(), chunked(big_file), max_file_size=100)
    assert info.value.status_code == 413
    assert "larger than 100 bytes" in str(info.value.detail)
    # the file limit does not apply to plain fields, and vice versa
    form = await parse_form(multipart_headers(), chunked(big_file), max_field_size=10)
    await form.close()


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"garbage without boundaries", "malformed|ended before"),
        (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="a"\r\n\r\nno end'.encode(),
            "ended before",
        ),
        (
            f"--{BOUNDARY}\r\nContent-Type: text/plain\r\n\r\nx\r\n--{BOUNDARY}--\r\n".encode(),
            "no Content-Disposition",
        ),
        (
            f"--{BOUNDARY}\r\nContent-Disposition: form-data\r\n\r\nx\r\n--{BOUNDARY}--".encode(),
            "no name",
        ),
    ],
)
async def test_malformed_multipart_answers_400(body: bytes, message: str) -> None:
    with pytest.raises(HTTPException, match=message) as info:
        await parse_form(multipart_headers(), chunked(body))
    assert info.value.status_code == 400


async def test_missing_boundary_and_wrong_content_type() -> None:
    headers = Headers({"content-type": "multipart/form-data"})
    with pytest.raises(HTTPException, match="boundary") as info:
        await parse_form(headers, chunked(b""))
    assert info.value.status_code == 400
    with pytest.raises(HTTPException) as info:
        await parse_form(Headers({"content-type": "application/json"}), chunked(b"{}"))
    assert info.value.status_code == 415
    assert len(await parse_form(Headers(), chunked(b""))) == 0


async def test_missing_python_multipart_gives_install_advice(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "python_multipart", None)
    with pytest.raises(ConfigurationError, match=r"pip install 'covet-http\[forms\]'"):
        await parse_form(urlencoded_headers(), chunked(b"a=1"))


def html5_escape(name: str) -> str:
    """How browsers (and httpx) escape a multipart field name: '"' and C0 controls but ESC."""
    return "".join(
        f"%{ord(char):02X}" if char == '"' or (ord(char) < 0x20 and char != "\x1b") else char
        for char in name
    )


field_text = st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\x00"))


@settings(max_examples=50, deadline=None)
@given(
    fields=st.dictionaries(
        field_text.filter(bool), st.lists(field_text, min_size=1, max_size=3), max_size=4
    ),
    content=st.binary(max_size=2000),
)
async def test_what_httpx_encodes_parses_back(fields: dict[str, list[str]], content: bytes) -> None:
    expected = [(key, value) for key, values in fields.items() for value in values]
    request = httpx.Request(
        "POST", "http://testserver/", data=fields, files={"upload": ("f.bin", content)}
    )
    form = await parse_form(Headers(raw=request.headers.raw), chunked(request.read(), 97))
    text_items = [(key, value) for key, value in form.multi_items() if key != "upload"]
    assert text_items == [(html5_escape(key), value) for key, value in expected]
    upload = form["upload"]
    assert isinstance(upload, UploadFile)
    assert await upload.read() == content
    await form.close()

    encoded = httpx.Request("POST", "http://testserver/", data=fields)
    form = await parse_form(Headers(raw=encoded.headers.raw), chunked(encoded.read()))
    assert form.multi_items() == expected


async def test_a_boundary_too_long_for_the_parser_is_400() -> None:
    headers = Headers({"content-type": "multipart/form-data; boundary=" + "x" * 300})
    with pytest.raises(HTTPException, match="boundary") as info:
        await parse_form(headers, chunked(b"--" + b"x" * 300 + b"--\r\n"))
    assert info.value.status_code == 400


async def test_urlencoded_raw_utf8_is_utf8_not_latin1() -> None:
    # curl -d 'name=café' sends the bytes as they are, without percent-encoding them
    form = await parse_form(urlencoded_headers(), chunked("name=caf\u00e9&k\u00e9y=v".encode()))
    assert form["name"] == "caf\u00e9"
    assert form["k\u00e9y"] == "v"
    with pytest.raises(HTTPException) as info:
        await parse_form(urlencoded_headers(), chunked(b"name=caf\xe9"))
    assert info.value.status_code == 400


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("../../etc/passwd", "passwd"),
        ("/abs/path/report.pdf", "report.pdf"),
        ("C:\\Users\\me\\photo.jpg", "photo.jpg"),
        ("..\\..\\boot.ini", "boot.ini"),
        ("plain.txt", "plain.txt"),
        ("..", ""),
    ],
)
async def test_upload_filenames_keep_only_the_last_path_segment(sent: str, kept: str) -> None:
    body = multipart_body(("up", sent, b"data", "text/plain"))
    form = await parse_form(multipart_headers(), chunked(body))
    upload = form["up"]
    assert isinstance(upload, UploadFile)
    assert upload.filename == kept
    assert await upload.read() == b"data"
    await form.close()


@pytest.mark.parametrize(
    "failure",
    ["second file too big", "malformed after the first file", "stream error"],
)
async def test_spooled_files_are_closed_whenever_parsing_fails(
    monkeypatch: pytest.MonkeyPatch, failure: str
) -> None:
    from tempfile import SpooledTemporaryFile

    import covet.http._forms as forms_module

    opened: list[SpooledTemporaryFile[bytes]] = []

    def recording(*args: object, **kwargs: object) -> SpooledTemporaryFile[bytes]:
        spool: SpooledTemporaryFile[bytes] = SpooledTemporaryFile(*args, **kwargs)  # type: ignore[call-overload]  # noqa: SIM115
        opened.append(spool)
        return spool

    monkeypatch.setattr(forms_module, "SpooledTemporaryFile", recording)
    first = multipart_body(("a", "a.bin", b"x" * 300, None))[: -len(f"--{BOUNDARY}--\r\n")]
    if failure == "second file too big":
        body = first + multipart_body(("b", "b.bin", b"y" * 600, None))
    else:
        body = first + b"--" + BOUNDARY.encode() + b"\r\nno-colon-header\r\n\r\n"

    async def stream() -> AsyncIterator[bytes]:
        async for chunk in chunked(body, 64):
            yield chunk
        if failure == "stream error":
            raise OSError("client went away")

    with pytest.raises((HTTPException, OSError)):
        await parse_form(multipart_headers(), stream(), max_file_size=500, spool_threshold=100)
    assert len(opened) >= 1
    assert all(spool.closed for spool in opened)


_PIECES = [
    f"--{BOUNDARY}\r\n",
    f"--{BOUNDARY}--\r\n",
    'Content-Disposition: form-data; name="a"\r\n',
    'Content-Disposition: form-data; name="f"; filename="x.bin"\r\n',
    "Content-Disposition: form-data\r\n",
    "Content-Type: text/plain\r\n",
    "no colon here\r\n",
    "\r\n",
    "value",
    "\xff\xfe",
    "--",
    "\r",
    "\n",
    ";",
    '"',
]


@settings(max_examples=300, deadline=None)
@given(
    pieces=st.lists(st.sampled_from(_PIECES), max_size=25),
    chunk=st.integers(1, 40),
    urlencoded=st.booleans(),
)
async def test_any_body_is_a_form_or_a_4xx(pieces: list[str], chunk: int, urlencoded: bool) -> None:
    body = "".join(pieces).encode("latin-1")
    headers = urlencoded_headers() if urlencoded else multipart_headers()
    status = 200
    try:
        form = await parse_form(headers, chunked(body, chunk), max_parts=5, max_field_size=64)
    except HTTPException as exc:
        status = exc.status_code
    else:
        await form.close()
    assert status in (200, 400, 413)
