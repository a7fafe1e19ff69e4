"""Headers, query strings, URLs and form data: the value types requests and responses share."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from tempfile import SpooledTemporaryFile
from typing import Any, BinaryIO, NamedTuple, TypeVar, overload
from urllib.parse import parse_qsl, urlencode

from covet.http._concurrency import run_in_threadpool
from covet.http._types import RawHeaders, Scope
from covet.http._urls import URL, route_path

__all__ = [
    "URL",
    "Address",
    "FormData",
    "Headers",
    "ImmutableMultiDict",
    "MultiDict",
    "MutableHeaders",
    "QueryParams",
    "State",
    "UploadFile",
    "check_raw_headers",
    "encode_header",
    "route_path",
]

_T = TypeVar("_T")
_HEADER_NAME = re.compile(rb"[!#$%&'*+\-.^_`|~0-9a-z]+")  # an RFC 9110 token, lower-cased
_HEADER_VALUE_FORBIDDEN = re.compile(rb"[\r\n\x00]")
# Lines "name NUL value LF", so one match checks a whole list (NUL can be in neither part).
_HEADER_LINES = re.compile(rb"(?:[!#$%&'*+\-.^_`|~0-9a-z]+\x00[^\r\n\x00]*\n)*")


def check_raw_headers(raw: RawHeaders) -> None:
    """Raise ``ValueError`` when an encoded header line would split (header injection)."""
    if _HEADER_LINES.fullmatch(b"".join([name + b"\x00" + value + b"\n" for name, value in raw])):
        return
    for name, value in raw:
        encode_header(name.decode("latin-1"), value.decode("latin-1"))


def encode_header(key: str, value: str) -> tuple[bytes, bytes]:
    """Encode one response header line, refusing what would split it (header injection)."""
    name = key.lower().encode("latin-1")
    encoded = value.encode("latin-1")
    if _HEADER_NAME.fullmatch(name) is None or _HEADER_VALUE_FORBIDDEN.search(encoded):
        raise ValueError(
            f"invalid HTTP header {key!r}: {value!r} "
            "(a name is a token; a value may not contain CR, LF or NUL)"
        )
    return name, encoded


_V = TypeVar("_V")


class Address(NamedTuple):
    host: str
    port: int


class Headers(Mapping[str, str]):
    """An immutable, case-insensitive, multi-valued view over raw ASGI headers.

    ``headers["set-cookie"]`` returns the first value; ``getlist`` returns all of them.
    """

    __slots__ = ("_list",)

    def __init__(
        self,
        headers: Mapping[str, str] | Iterable[tuple[str, str]] | None = None,
        raw: RawHeaders | None = None,
        scope: Scope | None = None,
    ) -> None:
        if raw is not None:
            self._list: RawHeaders = raw
        elif scope is not None:
            self._list = scope["headers"] = list(scope["headers"])
        elif headers is not None:
            items = headers.items() if isinstance(headers, Mapping) else headers
            self._list = [
                (key.lower().encode("latin-1"), value.encode("latin-1")) for key, value in items
            ]
        else:
            self._list = []

    @property
    def raw(self) -> RawHeaders:
        return self._list

    def keys(self) -> list[str]:  # type: ignore[override]
        return [key.decode("latin-1") for key, _ in self._list]

    def values(self) -> list[str]:  # type: ignore[override]
        return [value.decode("latin-1") for _, value in self._list]

    def items(self) -> list[tuple[str, str]]:  # type: ignore[override]
        return [(key.decode("latin-1"), value.decode("latin-1")) for key, value in self._list]

    def getlist(self, key: str) -> list[str]:
        wanted = key.lower().encode("latin-1")
        return [value.decode("latin-1") for name, value in self._list if name.lower() == wanted]

    @overload
    def get(self, key: str, /) -> str | None: ...
    @overload
    def get(self, key: str, /, default: str | _T) -> str | _T: ...
    def get(self, key: str, /, default: object = None) -> object:
        wanted = key.lower().encode("latin-1")
        for name, value in self._list:
            if name == wanted or name.lower() == wanted:
                return value.decode("latin-1")
        return default

    def __getitem__(self, key: str) -> str:
        value = self.get(key)
        if value is None:
            raise KeyError(key)
        return value

    def __contains__(self, key: object) -> bool:
        if not isinstance(key, str):
            return False
        wanted = key.lower().encode("latin-1")
        return any(name == wanted or name.lower() == wanted for name, _ in self._list)

    def __iter__(self) -> Iterator[str]:
        return iter(self.keys())

    def __len__(self) -> int:
        return len(self._list)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Headers):
            return NotImplemented
        return sorted((k.lower(), v) for k, v in self._list) == sorted(
            (k.lower(), v) for k, v in other._list
        )

    __hash__ = None  # type: ignore[assignment]

    def mutablecopy(self) -> MutableHeaders:
        return MutableHeaders(raw=list(self._list))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.items()!r})"


class MutableHeaders(Headers):
    """Headers that can be changed in place; the raw list is kept, so repeated lines stay apart."""

    __slots__ = ()

    def __setitem__(self, key: str, value: str) -> None:
        self.set(key, value)

    def set(self, key: str, value: str) -> None:
        """Replace every ``key`` line with a single ``key: value`` line."""
        name, encoded = encode_header(key, value)
        found = False
        kept: RawHeaders = []
        for item in self._list:
            if item[0].lower() == name:
                if not found:
                    kept.append((name, encoded))
                    found = True
            else:
                kept.append(item)
        if not found:
            kept.append((name, encoded))
        self._list[:] = kept

    def append(self, key: str, value: str) -> None:
        """Add a line without touching existing ones (use for ``Set-Cookie``)."""
        self._list.append(encode_header(key, value))

    def setdefault(self, key: str, value: str) -> str:
        existing = self.get(key)
        if existing is not None:
            return existing
        self.append(key, value)
        return value

    def __delitem__(self, key: str) -> None:
        name = key.lower().encode("latin-1")
        self._list[:] = [item for item in self._list if item[0].lower() != name]

    def update(self, other: Mapping[str, str] | Iterable[tuple[str, str]] = (), /) -> None:
        items = other.items() if isinstance(other, Mapping) else other
        for key, value in items:
            self.set(key, value)

    def __ior__(self, other: Mapping[str, str]) -> MutableHeaders:
        if not isinstance(other, Mapping):
            raise TypeError(f"expected a mapping, got {type(other).__name__}")
        self.update(other)
        return self

    def __or__(self, other: Mapping[str, str]) -> MutableHeaders:
        if not isinstance(other, Mapping):
            raise TypeError(f"expected a mapping, got {type(other).__name__}")
        merged = self.mutablecopy()
        merged.update(other)
        return merged

    def add_vary_header(self, vary: str) -> None:
        existing = self.get("vary")
        if existing is None:
            self.set("vary", vary)
        elif vary.lower() not in {part.strip().lower() for part in existing.split(",")}:
            self.set("vary", f"{existing}, {vary}")


class ImmutableMultiDict(Mapping[str, _V]):
    """An immutable mapping that keeps every value of repeated keys, in order.

    ``d[key]`` is the **last** value given for ``key`` (as in Starlette and Django, and as a
    handler's ``q: str`` parameter reads it); ``getlist(key)`` is all of them.
    """

    __slots__ = ("_dict", "_list")

    def __init__(self, items: Mapping[str, _V] | Iterable[tuple[str, _V]] | None = None) -> None:
        if items is None:
            pairs: list[tuple[str, _V]] = []
        elif isinstance(items, ImmutableMultiDict):
            pairs = list(items.multi_items())
        elif isinstance(items, Mapping):
            pairs = list(items.items())
        else:
            pairs = list(items)
        self._list = pairs
        self._dict: dict[str, _V] = dict(pairs)

    def getlist(self, key: str) -> list[_V]:
        return [value for name, value in self._list if name == key]

    def multi_items(self) -> list[tuple[str, _V]]:
        return list(self._list)

    def __getitem__(self, key: str) -> _V:
        return self._dict[key]

    def __contains__(self, key: object) -> bool:
        return key in self._dict

    def __iter__(self) -> Iterator[str]:
        return iter(self._dict)

    def __len__(self) -> int:
        return len(self._dict)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ImmutableMultiDict):
            return NotImplemented
        return sorted(self._list, key=lambda item: item[0]) == sorted(
            other._list, key=lambda item: item[0]
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._list!r})"


class MultiDict(ImmutableMultiDict[Any]):
    """A mutable multi-dict: ``d[key] = value`` replaces every value of ``key``;
    ``append`` adds one more; ``getlist``, ``setlist``, ``poplist`` work on all of them."""

    __slots__ = ()

    def __init__(
        self,
        items: Mapping[str, Any] | Iterable[tuple[str, Any]] | None = None,
        /,
        **kwargs: Any,
    ) -> None:
        super().__init__(items)
        for key, value in kwargs.items():
            self.append(key, value)

    def __setitem__(self, key: str, value: Any) -> None:
        self.setlist(key, [value])

    def __delitem__(self, key: str) -> None:
        del self._dict[key]
        self._list = [(k, v) for k, v in self._list if k != key]

    def pop(self, key: str, default: Any = None) -> Any:
        self._list = [(k, v) for k, v in self._list if k != key]
        return self._dict.pop(key, default)

    def popitem(self) -> tuple[str, Any]:
        key, value = self._dict.popitem()
        self._list = [(k, v) for k, v in self._list if k != key]
        return key, value

    def poplist(self, key: str) -> list[Any]:
        values = self.getlist(key)
        self.pop(key)
        return values

    def clear(self) -> None:
        self._dict.clear()
        self._list.clear()

    def setdefault(self, key: str, default: Any = None) -> Any:
        if key not in self._dict:
            self.append(key, default)
        return self._dict[key]

    def setlist(self, key: str, values: Sequence[Any]) -> None:
        """Replace every value of ``key`` with ``values`` (none: remove the key)."""
        if not values:
            self.pop(key)
            return
        self._list = [(k, v) for k, v in self._list if k != key]
        self._list.extend((key, value) for value in values)
        self._dict[key] = values[-1]

    def append(self, key: str, value: Any) -> None:
        self._list.append((key, value))
        self._dict[key] = value

    def update(
        self,
        items: Mapping[str, Any] | Iterable[tuple[str, Any]] | None = None,
        /,
        **kwargs: Any,
    ) -> None:
        """Replace the values of the keys given (all of them, each key's new values kept)."""
        incoming = MultiDict(items, **kwargs)
        self._list = [(k, v) for k, v in self._list if k not in incoming._dict]
        self._list.extend(incoming._list)
        self._dict.update(incoming._dict)


def parse_query_string(query: str) -> list[tuple[str, str]]:
    """``parse_qsl(query, keep_blank_values=True)``, with a quick path when nothing is escaped."""
    if "%" in query or "+" in query:
        return parse_qsl(query, keep_blank_values=True)
    pairs = []
    for chunk in query.split("&"):
        if chunk:
            name, _, value = chunk.partition("=")
            pairs.append((name, value))
    return pairs


class QueryParams(ImmutableMultiDict[str]):
    """The parsed query string: ``?tag=a&tag=b`` gives ``get("tag") == "a"``, ``getlist`` both."""

    __slots__ = ()

    def __init__(
        self,
        params: str | bytes | Mapping[str, str] | Iterable[tuple[str, str]] | None = None,
    ) -> None:
        if isinstance(params, bytes):  # raw non-ASCII bytes are UTF-8, like %-escapes
            params = params.decode("utf-8", errors="replace")
        if isinstance(params, str):
            super().__init__(parse_query_string(params))
        else:
            super().__init__(params)

    def __str__(self) -> str:
        return urlencode(self._list)


class UploadFile:
    """An uploaded file, spooled in memory up to a threshold and on disk past it."""

    def __init__(
        self,
        file: BinaryIO | SpooledTemporaryFile[bytes],
        *,
        size: int | None = None,
        filename: str | None = None,
        headers: Headers | None = None,
    ) -> None:
        self.file = file
        self.size = size
        self.filename = filename
        self.headers = headers if headers is not None else Headers()

    @property
    def content_type(self) -> str | None:
        return self.headers.get("content-type")

    @property
    def _in_memory(self) -> bool:
        rolled = getattr(self.file, "_rolled", True)
        return not rolled

    async def write(self, data: bytes) -> None:
        if self.size is not None:
            self.size += len(data)
        if self._in_memory:
            self.file.write(data)
        else:
            await run_in_threadpool(self.file.write, data)

    async def read(self, size: int = -1) -> bytes:
        if self._in_memory:
            return self.file.read(size)
        return await run_in_threadpool(self.file.read, size)

    async def seek(self, offset: int) -> None:
        if self._in_memory:
            self.file.seek(offset)
        else:
            await run_in_threadpool(self.file.seek, offset)

    async def close(self) -> None:
        if self._in_memory:
            self.file.close()
        else:
            await run_in_threadpool(self.file.close)

    def __repr__(self) -> str:
        return (
            f"UploadFile(filename={self.filename!r}, size={self.size!r}, "
            f"content_type={self.content_type!r})"
        )


class FormData(ImmutableMultiDict[str | UploadFile]):
    """Parsed form fields; file fields are ``UploadFile`` objects. ``await close()`` frees them."""

    __slots__ = ()

    async def close(self) -> None:
        for _, value in self._list:
            if not isinstance(value, str):
                await value.close()


class State:
    """An attribute bag: ``state.user = ...``; missing attributes raise AttributeError."""

    def __init__(self, state: dict[str, Any] | None = None) -> None:
        super().__setattr__("_state", state if state is not None else {})

    def __setattr__(self, key: str, value: Any) -> None:
        self._state[key] = value

    def __getattr__(self, key: str) -> Any:
        try:
            return self._state[key]
        except KeyError:
            raise AttributeError(f"'State' object has no attribute {key!r}") from None

    def __delattr__(self, key: str) -> None:
        try:
            del self._state[key]
        except KeyError:
            raise AttributeError(f"'State' object has no attribute {key!r}") from None

    def __contains__(self, key: str) -> bool:
        return key in self._state

    def __repr__(self) -> str:
        return f"State({self._state!r})"
