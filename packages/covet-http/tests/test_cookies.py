from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from covet.http._cookies import format_set_cookie, parse_cookies


def test_parse_cookies_like_a_browser() -> None:
    assert parse_cookies('a=1; b=two;c="quoted\\"x"') == {"a": "1", "b": "two", "c": 'quoted"x'}
    assert parse_cookies("lonely") == {"": "lonely"}
    assert parse_cookies(" ; a = 1 ;;") == {"a": "1"}
    assert parse_cookies("a=1; a=2") == {"a": "1"}
    assert parse_cookies('x="\\303\\251t\\303\\251"')["x"] == "\u00e9t\u00e9"
    assert parse_cookies("raw=\u00c3\u00a9")["raw"] == "\u00e9"  # raw UTF-8 bytes, read as latin-1
    assert parse_cookies("latin=\u00e9")["latin"] == "\u00e9"  # not UTF-8: kept as is
    assert parse_cookies("token=a=b=c") == {"token": "a=b=c"}
    assert parse_cookies("") == {}


def test_format_set_cookie_defaults() -> None:
    assert format_set_cookie("sid", "abc") == "sid=abc; Path=/; SameSite=Lax"


def test_format_set_cookie_all_attributes() -> None:
    line = format_set_cookie(
        "sid",
        "abc",
        max_age=60,
        expires=datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC),
        path="/app",
        domain="example.com",
        secure=True,
        httponly=True,
        samesite="none",
        partitioned=True,
    )
    assert line == (
        "sid=abc; Max-Age=60; Expires=Wed, 02 Jan 2030 03:04:05 GMT; Path=/app; "
        "Domain=example.com; Secure; HttpOnly; SameSite=None; Partitioned"
    )


def test_format_set_cookie_expires_in_seconds_and_string() -> None:
    assert "Expires=" in format_set_cookie("a", expires=10)
    assert "GMT" in format_set_cookie("a", expires=10)
    assert "Expires=Thu, 01 Jan 1970 00:00:00 GMT" in format_set_cookie(
        "a", expires="Thu, 01 Jan 1970 00:00:00 GMT"
    )


def test_format_set_cookie_quotes_unsafe_values() -> None:
    assert format_set_cookie("a", 'x;y"z', samesite=None) == 'a="x\\073y\\"z"; Path=/'
    assert parse_cookies('a="x\\073y\\"z"') == {"a": 'x;y"z'}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"samesite": "none"}, "requires secure"),
        ({"samesite": "sometimes"}, "samesite must be"),
        ({"partitioned": True}, "requires secure"),
        ({"path": "/a;b"}, "must not contain"),
        ({"domain": "a\r\nb"}, "must not contain"),
    ],
)
def test_format_set_cookie_rejects_unsafe_settings(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        format_set_cookie("a", "b", **kwargs)  # type: ignore[arg-type]


def test_format_set_cookie_rejects_bad_names() -> None:
    with pytest.raises(ValueError, match="invalid cookie name"):
        format_set_cookie("a b", "1")
    with pytest.raises(ValueError, match="invalid cookie name"):
        format_set_cookie("", "1")


@given(st.text(max_size=40))
def test_any_value_survives_set_cookie_then_cookie_header(value: str) -> None:
    line = format_set_cookie("k", value, samesite=None, path=None)
    assert line.startswith("k=")
    assert "\r" not in line
    assert "\n" not in line
    assert ";" not in line[2:]
    assert parse_cookies(line) == {"k": value}


@pytest.mark.parametrize("value", ["\\101", "\\\\", '\\"', "\\\\101", "a\\b", '"quoted"', "\\377"])
def test_backslashes_followed_by_digits_survive_the_round_trip(value: str) -> None:
    line = format_set_cookie("k", value, samesite=None, path=None)
    assert parse_cookies(line) == {"k": value}


@given(st.text(alphabet=st.characters(max_codepoint=0xFF), max_size=60))
def test_any_cookie_header_parses_without_raising(header: str) -> None:
    cookies = parse_cookies(header)
    assert all(isinstance(key, str) and isinstance(value, str) for key, value in cookies.items())
    assert all(";" not in key for key in cookies)


@pytest.mark.parametrize(
    ("key", "kwargs", "message"),
    [
        ("__Secure-id", {}, "__Secure- cookies require secure=True"),
        ("__Host-id", {}, "__Host- cookies require secure=True"),
        ("__Host-id", {"secure": True, "path": "/app"}, "path='/'"),
        ("__Host-id", {"secure": True, "domain": "example.com"}, "no domain"),
        ("__host-id", {"secure": True, "path": None}, "path='/'"),  # browsers match any case
    ],
)
def test_cookie_name_prefixes_that_browsers_would_reject(
    key: str, kwargs: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        format_set_cookie(key, "1", **kwargs)  # type: ignore[arg-type]


def test_cookie_name_prefixes_with_the_right_attributes() -> None:
    assert format_set_cookie("__Secure-id", "1", secure=True).startswith("__Secure-id=1;")
    line = format_set_cookie("__Host-id", "1", secure=True)
    assert line == "__Host-id=1; Path=/; Secure; SameSite=Lax"


@pytest.mark.parametrize("partitioned", [False, True])
def test_delete_cookie_can_delete_a_partitioned_cookie(partitioned: bool) -> None:
    from covet.http import Response

    response = Response()
    response.delete_cookie("chip", secure=True, samesite="none", partitioned=partitioned)
    header = response.headers["set-cookie"]
    assert ("Partitioned" in header) is partitioned
    assert "Max-Age=0" in header and "Secure" in header
    with pytest.raises(ValueError, match="secure=True"):
        Response().delete_cookie("chip", partitioned=True)
