from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from covet.http import Covet, Request
from covet.http._datastructures import (
    URL,
    Address,
    FormData,
    Headers,
    MultiDict,
    MutableHeaders,
    QueryParams,
    State,
    UploadFile,
    parse_query_string,
    route_path,
)
from covet.http.testing import TestClient


def test_headers_are_case_insensitive_and_multi_valued() -> None:
    headers = Headers(raw=[(b"content-type", b"text/plain"), (b"x-tag", b"a"), (b"x-tag", b"b")])
    assert headers["Content-Type"] == "text/plain"
    assert headers.get("X-TAG") == "a"
    assert headers.getlist("x-Tag") == ["a", "b"]
    assert headers.get("missing") is None
    assert headers.get("missing", "d") == "d"
    assert "CONTENT-TYPE" in headers
    assert "nope" not in headers
    assert headers.keys() == ["content-type", "x-tag", "x-tag"]
    assert headers.items()[1:] == [("x-tag", "a"), ("x-tag", "b")]
    assert len(headers) == 3
    with pytest.raises(KeyError):
        headers["missing"]


def test_headers_from_mapping_and_scope() -> None:
    headers = Headers({"X-Token": "abc"})
    assert headers.raw == [(b"x-token", b"abc")]
    scope = {"headers": [(b"host", b"example.com")]}
    assert Headers(scope=scope)["host"] == "example.com"
    assert Headers({"A": "1"}) == Headers(raw=[(b"a", b"1")])
    assert Headers({"A": "1"}) != Headers(raw=[(b"a", b"2")])


def test_mutable_headers_keep_separate_lines() -> None:
    headers = MutableHeaders()
    headers.append("Set-Cookie", "a=1")
    headers.append("Set-Cookie", "b=2")
    headers["Content-Type"] = "text/html"
    assert headers.raw == [
        (b"set-cookie", b"a=1"),
        (b"set-cookie", b"b=2"),
        (b"content-type", b"text/html"),
    ]
    headers.set("set-cookie", "c=3")
    assert headers.getlist("set-cookie") == ["c=3"]
    assert headers.setdefault("content-type", "x") == "text/html"
    assert headers.setdefault("x-new", "1") == "1"
    del headers["content-type"]
    assert "content-type" not in headers
    headers.update({"X-New": "2", "X-Other": "3"})
    assert headers["x-new"] == "2"
    assert headers["x-other"] == "3"
    headers.add_vary_header("Accept")
    headers.add_vary_header("accept")
    headers.add_vary_header("Origin")
    assert headers["vary"] == "Accept, Origin"


def test_mutable_headers_share_the_raw_list() -> None:
    raw: list[tuple[bytes, bytes]] = []
    MutableHeaders(raw=raw).append("x-a", "1")
    assert raw == [(b"x-a", b"1")]
    copy = Headers(raw=raw).mutablecopy()
    copy.append("x-b", "2")
    assert raw == [(b"x-a", b"1")]


def test_query_params_parse_bytes_and_str() -> None:
    params = QueryParams(b"tag=a&tag=b&empty=&name=J%C3%BCrgen+X")
    assert params["tag"] == "b"  # the last value, as a handler's `tag: str` parameter reads it
    assert params.getlist("tag") == ["a", "b"]
    assert params["empty"] == ""
    assert params["name"] == "J\u00fcrgen X"
    params = QueryParams("name=J%C3%BCrgen")
    assert params["name"] == "J\u00fcrgen"
    assert params.multi_items() == [("name", "J\u00fcrgen")]
    assert list(QueryParams([("a", "1"), ("a", "2")])) == ["a"]
    assert QueryParams({"a": "1"}) == QueryParams("a=1")
    assert str(QueryParams([("a", "1 2"), ("b", "&")])) == "a=1+2&b=%26"
    assert "missing" not in params
    assert len(QueryParams("a=1&a=2&b=3")) == 2


def test_url_from_string_and_replace() -> None:
    url = URL("https://user:pw@example.com:8443/a/b?x=1#frag")
    assert url.scheme == "https"
    assert url.netloc == "user:pw@example.com:8443"
    assert url.path == "/a/b"
    assert url.query == "x=1"
    assert url.fragment == "frag"
    assert url.hostname == "example.com"
    assert url.port == 8443
    assert url.username == "user"
    assert url.password == "pw"
    assert url.is_secure
    assert (
        str(url.replace(scheme="http", path="/c")) == "http://user:pw@example.com:8443/c?x=1#frag"
    )
    assert str(url.replace(port=None, username=None)) == "https://example.com/a/b?x=1#frag"
    assert str(URL("http://a/p?x=1").include_query_params(y=2)) == "http://a/p?x=1&y=2"
    assert str(URL("http://a/p?x=1").replace_query_params(z=3)) == "http://a/p?z=3"
    assert str(URL("http://a/p?x=1&y=2&x=3").remove_query_params("x")) == "http://a/p?y=2"
    assert URL("http://a/") == "http://a/"


def test_url_from_scope() -> None:
    scope = {
        "scheme": "http",
        "server": ("127.0.0.1", 8000),
        "path": "/api/items",
        "query_string": b"q=1",
        "headers": [(b"host", b"example.org")],
    }
    assert str(URL(scope=scope)) == "http://example.org/api/items?q=1"
    scope["headers"] = []
    assert str(URL(scope=scope)) == "http://127.0.0.1:8000/api/items?q=1"
    scope["headers"] = [(b"host", b"evil.com/x@")]
    assert str(URL(scope=scope)).startswith("http://127.0.0.1:8000/")
    scope.update(scheme="https", server=("::1", 443), query_string=b"")
    assert str(URL(scope=scope)) == "https://[::1]/api/items"
    scope.update(path="/a?b#c")
    assert URL(scope=scope).path == "/a%3Fb%23c"


def test_route_path_strips_root_path() -> None:
    assert route_path({"path": "/static/a.css", "root_path": "/static"}) == "/a.css"
    assert route_path({"path": "/static", "root_path": "/static"}) == ""
    assert route_path({"path": "/staticx", "root_path": "/static"}) == "/staticx"
    assert route_path({"path": "/a.css", "root_path": "/static"}) == "/a.css"
    assert route_path({"path": "/a.css"}) == "/a.css"


def test_state_is_an_attribute_bag() -> None:
    state = State()
    state.db = "conn"
    assert state.db == "conn"
    assert "db" in state
    del state.db
    with pytest.raises(AttributeError, match="db"):
        state.db  # noqa: B018
    with pytest.raises(AttributeError):
        del state.db
    backing: dict[str, object] = {"x": 1}
    assert State(backing).x == 1


def test_address() -> None:
    address = Address("127.0.0.1", 5000)
    assert address.host == "127.0.0.1"
    assert address.port == 5000


async def test_upload_file_in_memory_and_on_disk() -> None:
    from tempfile import SpooledTemporaryFile

    upload = UploadFile(
        SpooledTemporaryFile(max_size=4),  # noqa: SIM115
        size=0,
        filename="a.txt",
        headers=Headers({"content-type": "text/plain"}),
    )
    await upload.write(b"ab")
    assert upload._in_memory
    await upload.write(b"cdef")  # crosses the threshold, rolls to disk
    assert not upload._in_memory
    assert upload.size == 6
    await upload.seek(0)
    assert await upload.read() == b"abcdef"
    assert upload.content_type == "text/plain"
    assert "a.txt" in repr(upload)
    await upload.close()
    assert upload.file.closed


async def test_form_data_is_a_multidict_and_closes_files() -> None:
    from tempfile import SpooledTemporaryFile

    upload = UploadFile(SpooledTemporaryFile(), filename="f")  # noqa: SIM115
    form = FormData([("a", "1"), ("a", "2"), ("f", upload)])
    assert form["a"] == "2"
    assert form.getlist("a") == ["1", "2"]
    assert form["f"] is upload
    await form.close()
    assert upload.file.closed


@given(st.text(alphabet="ab=&%+2025;\u00e9 ", max_size=30))
def test_query_string_parsing_matches_the_standard_library(query: str) -> None:
    from urllib.parse import parse_qsl

    assert parse_query_string(query) == parse_qsl(query, keep_blank_values=True)


def test_raw_utf8_in_a_query_string_is_utf8() -> None:
    # curl 'http://h/?name=café' sends the bytes unescaped; percent-escapes are UTF-8 too
    params = QueryParams("name=caf\u00e9&k\u00e9y=%C3%A9".encode())
    assert params["name"] == "caf\u00e9"
    assert params["k\u00e9y"] == "\u00e9"
    assert QueryParams(b"a=%ff&b=\xff")["b"] == "\ufffd"  # bad bytes: replaced, as %ff is
    assert QueryParams(b"a=%ff&b=\xff")["a"] == "\ufffd"


def test_a_repeated_key_reads_the_same_everywhere() -> None:
    app = Covet()

    @app.post("/read")
    async def read(request: Request, tag: str) -> dict[str, str | None]:
        form = await request.form()
        field = form.get("f")
        assert isinstance(field, str)
        return {"param": tag, "query": request.query_params["tag"], "form": field}

    client = TestClient(app)
    reply = client.post("/read?tag=first&tag=last", data={"f": ["one", "two"]})
    assert reply.json() == {"param": "last", "query": "last", "form": "two"}


def test_mutable_headers_merge_with_or() -> None:
    headers = MutableHeaders({"a": "1"})
    merged = headers | {"b": "2"}
    assert isinstance(merged, MutableHeaders)
    assert (merged.raw, headers.raw) == ([(b"a", b"1"), (b"b", b"2")], [(b"a", b"1")])
    assert (headers | MutableHeaders({"a": "3"})).items() == [("a", "3")]
    raw = headers.raw
    headers |= {"a": "4", "c": "5"}
    assert headers.raw is raw and headers.items() == [("a", "4"), ("c", "5")]
    with pytest.raises(TypeError):
        headers |= {"not a mapping"}  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        headers | {"not a mapping"}  # type: ignore[operator]
    with pytest.raises(ValueError, match="invalid HTTP header"):
        headers |= {"x": "a\r\nset-cookie: y=1"}


def test_multidict() -> None:
    q = MultiDict([("a", "123"), ("a", "456"), ("b", "789")])
    assert (q["a"], q.get("a"), q.getlist("a")) == ("456", "456", ["123", "456"])
    assert (list(q), list(q.values()), len(q)) == (["a", "b"], ["456", "789"], 2)
    assert repr(q) == "MultiDict([('a', '123'), ('a', '456'), ('b', '789')])"
    assert MultiDict({"a": "1", "b": "2"}) == MultiDict([("b", "2"), ("a", "1")])
    assert MultiDict(q) == q and MultiDict() == MultiDict({}) and q != "invalid"
    q["a"] = "789"
    assert q.getlist("a") == ["789"]
    del q["a"]
    assert q.get("a") is None and q.multi_items() == [("b", "789")]
    q = MultiDict([("a", "1"), ("a", "2"), ("b", "3")])
    assert q.pop("a") == "2" and q.pop("a", "gone") == "gone"
    q = MultiDict([("a", "1"), ("a", "2"), ("b", "3")])
    key, _ = q.popitem()
    assert key not in q and all(k != key for k, _ in q.multi_items())
    q = MultiDict([("a", "1"), ("a", "2"), ("b", "3")])
    assert q.poplist("a") == ["1", "2"] and q.multi_items() == [("b", "3")]
    q.clear()
    assert len(q) == 0 and q.multi_items() == []
    q = MultiDict([("a", "1")])
    q.setlist("a", ["2", "3"])
    q.setlist("b", [])
    assert q.getlist("a") == ["2", "3"] and "b" not in q
    assert q.setdefault("a", "x") == "3" and q.setdefault("c", "4") == "4"
    q.append("c", "5")
    assert q.getlist("c") == ["4", "5"] and q["c"] == "5"
    q = MultiDict([("a", "1"), ("a", "2"), ("b", "3")])
    q.update([("a", "9")], c="10")
    assert q.multi_items() == [("b", "3"), ("a", "9"), ("c", "10")]
    q.update(q)
    assert q.multi_items() == [("b", "3"), ("a", "9"), ("c", "10")]
    assert MultiDict(a="1") == MultiDict([("a", "1")])
