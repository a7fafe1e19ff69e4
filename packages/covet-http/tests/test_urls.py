"""URL, the Host header grammar and URLPath: a URL built from a request never raises later."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from covet.http import URL
from covet.http._urls import HostPort, URLPath, parse_host


def scope_with(host: bytes | None, path: str = "/admin", **extra: Any) -> dict[str, Any]:
    headers = [] if host is None else [(b"host", host)]
    return {
        "scheme": "http",
        "server": ("example.com", 80),
        "path": path,
        "query_string": b"",
        "headers": headers,
        **extra,
    }


@pytest.mark.parametrize(
    "host",
    [
        b"[:::]",
        b"x:99999",
        b"x:65536",
        b"x:100000",
        b"foo/?x=",
        b"foo/#",
        b"foo/bar",
        b"user@foo",
        b"foo\\bar",
        b"foo bar",
        b"foo\tbar",
        b"[::ffff:999.999.999.999]",
        b"[V1.foo]",
        b"[fe80::1%25eth0]",
        b"%zz.example",
        b"caf\xc3\xa9.example",
        b"example.org:8o",
        b"[::1",
        b"::1",
    ],
)
def test_a_malformed_host_header_falls_back_to_the_server_address(host: bytes) -> None:
    url = URL(scope=scope_with(host))
    assert (url.netloc, url.hostname, url.port, url.path) == (
        "example.com",
        "example.com",
        None,
        "/admin",
    )


def test_a_malformed_host_without_a_server_gives_a_relative_url() -> None:
    url = URL(scope=scope_with(b"[:::]", server=None))
    assert str(url) == "/admin"
    assert url.hostname is None and url.port is None


@pytest.mark.parametrize(
    ("host", "netloc", "hostname", "port"),
    [
        (b"example.com:000080", "example.com:000080", "example.com", 80),
        (b"Example.COM:8080", "Example.COM:8080", "example.com", 8080),
        (b"[::1]:8000", "[::1]:8000", "::1", 8000),
        (b"[v1.foo]", "[v1.foo]", "v1.foo", None),
        (b"example.com:", "example.com:", "example.com", None),
        (b"xn--caf-dma.example", "xn--caf-dma.example", "xn--caf-dma.example", None),
    ],
)
def test_a_valid_host_header_is_the_netloc(
    host: bytes, netloc: str, hostname: str, port: int | None
) -> None:
    url = URL(scope=scope_with(host))
    assert (url.netloc, url.hostname, url.port) == (netloc, hostname, port)


@pytest.mark.parametrize("with_host", [True, False])
@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("@evil.example", "/@evil.example"),
        ("user:pass@evil.example", "/user:pass@evil.example"),
        ("http://evil.example/x", "/http://evil.example/x"),
        ("/\\evil.example/a", "/%5Cevil.example/a"),
        ("/a?b#c", "/a%3Fb%23c"),
    ],
)
def test_a_path_never_becomes_the_authority(path: str, expected: str, with_host: bool) -> None:
    url = URL(scope=scope_with(b"localhost" if with_host else None, path=path, query_string=b"a=b"))
    assert url.hostname == ("localhost" if with_host else "example.com")
    assert (url.path, url.query) == (expected, "a=b")


def test_a_double_slash_path_without_any_host_stays_a_path() -> None:
    url = URL(scope=scope_with(None, path="//evil.example/a", server=None))
    assert (str(url), url.netloc) == ("/%2Fevil.example/a", "")
    with_host = URL(scope=scope_with(b"localhost", path="//evil.example/a"))
    assert (with_host.netloc, with_host.path) == ("localhost", "//evil.example/a")


@given(st.binary(max_size=40), st.text(max_size=20))
def test_a_url_from_any_scope_can_be_read_without_raising(host: bytes, path: str) -> None:
    url = URL(scope=scope_with(host, path=path))
    assert url.hostname
    assert url.port is None or 0 <= url.port <= 65535
    assert url.path.startswith("/")
    parsed = parse_host(host.decode("latin-1"))
    if parsed is not None:
        assert url.hostname == parsed.host.strip("[]")
        assert url.port == parsed.port


def test_parse_host() -> None:
    assert parse_host("Example.org:0443") == HostPort("example.org", 443)
    assert parse_host("[2001:DB8::1]") == HostPort("[2001:db8::1]", None)
    assert parse_host("") is None
    assert parse_host("a b") is None


def test_repr_hides_the_password() -> None:
    assert repr(URL("https://user:secret@example.org/p")) == (
        "URL('https://user:********@example.org/p')"
    )
    assert repr(URL("https://user@example.org/p")) == "URL('https://user@example.org/p')"
    assert repr(URL("https://example.org/p?a=@b")) == "URL('https://example.org/p?a=@b')"
    assert "secret" not in repr(URL("https://user:secret@[::1/p"))


def test_replace_hostname_port_and_userinfo() -> None:
    url = URL("https://example.org:8443/path")
    assert url.replace(hostname="example.com") == "https://example.com:8443/path"
    assert url.replace(hostname="h", port=None) == "https://h/path"
    assert url.replace(hostname="h:8080", port=None) == "https://h:8080/path"
    assert url.replace(hostname="::1") == "https://[::1]:8443/path"
    assert url.replace(hostname="[::1]:8080", port=None) == "https://[::1]:8080/path"
    assert URL("https://[fe::2]:12345").replace(port=8080) == "https://[fe::2]:8080"
    ipv6 = URL("https://[fe::2]:12345")
    assert ipv6.replace(hostname=ipv6.hostname) == ipv6
    assert URL("http://u:p@host/").replace(hostname="bar") == "http://u:p@bar/"
    assert URL("http://host:80").replace(username="u") == "http://u@host:80"
    assert URL("http://u:p@host/").replace(password=None) == "http://u@host/"


def test_include_query_params_keeps_the_other_values() -> None:
    url = URL("https://example.org/p?tag=a&tag=b&page=3")
    assert url.include_query_params(page=4) == "https://example.org/p?tag=a&tag=b&page=4"
    assert url.include_query_params(tag="c") == "https://example.org/p?page=3&tag=c"
    assert url.remove_query_params(["tag"]) == "https://example.org/p?page=3"


def test_url_path_is_a_string_that_never_leaves_the_host() -> None:
    assert URLPath("//evil.example/a") == "/%2Fevil.example/a"
    assert URLPath("/\\evil.example") == "/%5Cevil.example"
    path = URLPath("/users", host="api.example.org")
    assert isinstance(path, str) and path == "/users"
    assert path.make_absolute_url("http://whatever/root/") == "http://api.example.org/root/users"
    ws = URLPath("/ws", protocol="websocket")
    assert ws.make_absolute_url("https://example.org") == "wss://example.org/ws"
    assert ws.make_absolute_url("http://example.org") == "ws://example.org/ws"
