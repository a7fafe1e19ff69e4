"""Form parsing (urlencoded and multipart) through python-multipart, within size limits.

Every limit answers with an ``HTTPException``: 413 when a part, field or file is too big or there
are too many parts, 400 when the body is malformed, 415 for a content type that is not a form.
"""

from __future__ import annotations

from collections.abc import AsyncIterable
from tempfile import SpooledTemporaryFile
from types import ModuleType
from typing import Any
from urllib.parse import unquote_to_bytes

from covet.http._datastructures import FormData, Headers, UploadFile
from covet.http._exceptions import ConfigurationError, HTTPException

__all__ = [
    "DEFAULT_MAX_FIELD_SIZE",
    "DEFAULT_MAX_FILE_SIZE",
    "DEFAULT_MAX_PARTS",
    "DEFAULT_SPOOL_THRESHOLD",
    "parse_form",
]

MiB = 1024 * 1024
DEFAULT_MAX_PARTS = 1000
DEFAULT_MAX_FIELD_SIZE = 1 * MiB
DEFAULT_MAX_FILE_SIZE = 100 * MiB
DEFAULT_SPOOL_THRESHOLD = 1 * MiB


def _python_multipart() -> ModuleType:
    try:
        import python_multipart
    except ImportError:
        raise ConfigurationError(
            "parsing forms needs python-multipart; install it with: pip install 'covet-http[forms]'"
        ) from None
    return python_multipart


def _decode(data: bytes | bytearray, what: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise HTTPException(400, f"{what} is not valid UTF-8") from None


def _basename(filename: str) -> str:
    """The last path segment of a client's file name: ``../../etc/passwd`` -> ``passwd``.

    Browsers send only the base name; anything else is a hand-made request, and a name with
    directories in it must not reach code that joins it onto a path.
    """
    name = filename.replace("\\", "/").rpartition("/")[2]
    return "" if name in (".", "..") else name


async def parse_form(
    headers: Headers,
    stream: AsyncIterable[bytes],
    *,
    max_parts: int = DEFAULT_MAX_PARTS,
    max_field_size: int = DEFAULT_MAX_FIELD_SIZE,
    max_file_size: int | None = DEFAULT_MAX_FILE_SIZE,
    spool_threshold: int = DEFAULT_SPOOL_THRESHOLD,
) -> FormData:
    """Parse the request body as a form. Files are spooled to disk past ``spool_threshold``."""
    content_type = headers.get("content-type")
    if content_type is None:
        return FormData()
    media_type = content_type.partition(";")[0].strip().lower()
    if media_type == "application/x-www-form-urlencoded":
        return await _parse_urlencoded(stream, max_parts, max_field_size)
    if media_type == "multipart/form-data":
        parser = _MultipartForm(
            content_type, max_parts, max_field_size, max_file_size, spool_threshold
        )
        return await parser.parse(stream)
    raise HTTPException(
        415,
        f"expected a form (application/x-www-form-urlencoded or multipart/form-data), "
        f"got {media_type!r}",
    )


async def _parse_urlencoded(
    stream: AsyncIterable[bytes], max_parts: int, max_field_size: int
) -> FormData:
    multipart = _python_multipart()
    fields: list[tuple[str, str]] = []
    name = bytearray()
    value = bytearray()

    def on_field_start() -> None:
        name.clear()
        value.clear()

    def on_field_name(data: bytes, start: int, end: int) -> None:
        name.extend(data[start:end])
        if len(name) > max_field_size:
            raise HTTPException(413, f"a form field name is longer than {max_field_size} bytes")

    def on_field_data(data: bytes, start: int, end: int) -> None:
        value.extend(data[start:end])
        if len(value) > max_field_size:
            raise HTTPException(413, f"form field is larger than {max_field_size} bytes")

    def on_field_end() -> None:
        if len(fields) >= max_parts:
            raise HTTPException(413, f"the form has more than {max_parts} fields")
        try:  # raw bytes and %-escapes are both UTF-8 (curl -d sends "é" unescaped)
            key = unquote_to_bytes(bytes(name).replace(b"+", b" ")).decode("utf-8")
            val = unquote_to_bytes(bytes(value).replace(b"+", b" ")).decode("utf-8")
        except UnicodeDecodeError:
            raise HTTPException(400, "form field is not valid UTF-8") from None
        fields.append((key, val))

    parser = multipart.QuerystringParser(
        {
            "on_field_start": on_field_start,
            "on_field_name": on_field_name,
            "on_field_data": on_field_data,
            "on_field_end": on_field_end,
        }
    )
    try:
        async for chunk in stream:
            if chunk:
                parser.write(chunk)
        parser.finalize()
    except multipart.exceptions.ParseError as exc:
        raise HTTPException(400, f"malformed urlencoded form: {exc}") from None
    return FormData(fields)


class _MultipartForm:
    """Collects parser callbacks as events, then applies them (file writes are async)."""

    def __init__(
        self,
        content_type: str,
        max_parts: int,
        max_field_size: int,
        max_file_size: int | None,
        spool_threshold: int,
    ) -> None:
        self.multipart = _python_multipart()
        _, options = self.multipart.multipart.parse_options_header(content_type)
        boundary = options.get(b"boundary")
        if not boundary:
            raise HTTPException(400, "multipart/form-data without a boundary parameter")
        self.boundary = boundary
        self.max_parts = max_parts
        self.max_field_size = max_field_size
        self.max_file_size = max_file_size
        self.spool_threshold = spool_threshold
        self.events: list[tuple[str, Any]] = []
        self.items: list[tuple[str, str | UploadFile]] = []
        self.part_headers: list[tuple[bytes, bytes]] = []
        self.header_field = bytearray()
        self.header_value = bytearray()
        self.parts = 0
        self.name = ""
        self.field: bytearray | None = None
        self.file: UploadFile | None = None

    # Parser callbacks: synchronous, so they only record what happened.
    def on_part_begin(self) -> None:
        self.part_headers = []

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self.header_field.extend(data[start:end])

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self.header_value.extend(data[start:end])

    def on_header_end(self) -> None:
        self.part_headers.append((bytes(self.header_field).lower(), bytes(self.header_value)))
        self.header_field.clear()
        self.header_value.clear()

    def on_headers_finished(self) -> None:
        self.events.append(("headers", self.part_headers))

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        self.events.append(("data", data[start:end]))

    def on_part_end(self) -> None:
        self.events.append(("end", None))

    async def parse(self, stream: AsyncIterable[bytes]) -> FormData:
        callbacks = {
            "on_part_begin": self.on_part_begin,
            "on_part_data": self.on_part_data,
            "on_part_end": self.on_part_end,
            "on_header_field": self.on_header_field,
            "on_header_value": self.on_header_value,
            "on_header_end": self.on_header_end,
            "on_headers_finished": self.on_headers_finished,
        }
        try:
            parser = self.multipart.MultipartParser(self.boundary, callbacks)
        except self.multipart.exceptions.FormParserError as exc:  # e.g. a boundary over 256 bytes
            raise HTTPException(400, f"unusable multipart boundary: {exc}") from None
        try:
            async for chunk in stream:
                if chunk:
                    parser.write(chunk)
                    await self._apply_events()
            parser.finalize()
            await self._apply_events()
            if parser.state != self.multipart.multipart.MultipartState.END:
                raise HTTPException(400, "the multipart body ended before its closing boundary")
        except self.multipart.exceptions.ParseError as exc:
            await self._close_files()
            raise HTTPException(400, f"malformed multipart form: {exc}") from None
        except BaseException:
            await self._close_files()
            raise
        return FormData(self.items)

    async def _close_files(self) -> None:
        if self.file is not None and all(value is not self.file for _, value in self.items):
            await self.file.close()
        for _, value in self.items:
            if isinstance(value, UploadFile):
                await value.close()

    async def _apply_events(self) -> None:
        events, self.events = self.events, []
        for kind, payload in events:
            if kind == "headers":
                self._start_part(payload)
            elif kind == "data":
                await self._add_data(payload)
            else:
                await self._end_part()

    def _start_part(self, raw_headers: list[tuple[bytes, bytes]]) -> None:
        self.parts += 1
        if self.parts > self.max_parts:
            raise HTTPException(413, f"the form has more than {self.max_parts} parts")
        headers = Headers(raw=raw_headers)
        disposition = headers.get("content-disposition")
        if disposition is None:
            raise HTTPException(400, "a multipart part has no Content-Disposition header")
        _, options = self.multipart.multipart.parse_options_header(disposition)
        if b"name" not in options:
            raise HTTPException(400, "a multipart part has no name in Content-Disposition")
        self.name = _decode(options[b"name"], "a multipart field name")
        if b"filename" in options:
            filename = _basename(_decode(options[b"filename"], "an uploaded file name"))
            spool = SpooledTemporaryFile(max_size=self.spool_threshold)  # noqa: SIM115
            self.file = UploadFile(spool, size=0, filename=filename, headers=headers)
            self.field = None
        else:
            self.file = None
            self.field = bytearray()

    async def _add_data(self, data: bytes) -> None:
        if self.file is not None:
            assert self.file.size is not None
            if self.max_file_size is not None and self.file.size + len(data) > self.max_file_size:
                raise HTTPException(
                    413, f"uploaded file {self.name!r} is larger than {self.max_file_size} bytes"
                )
            await self.file.write(data)
        elif self.field is not None:
            self.field.extend(data)
            if len(self.field) > self.max_field_size:
                raise HTTPException(
                    413, f"form field {self.name!r} is larger than {self.max_field_size} bytes"
                )

    async def _end_part(self) -> None:
        if self.file is not None:
            await self.file.seek(0)
            self.items.append((self.name, self.file))
            self.file = None
        elif self.field is not None:
            self.items.append((self.name, _decode(self.field, f"form field {self.name!r}")))
            self.field = None
