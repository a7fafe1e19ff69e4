from __future__ import annotations

import pytest

from covet.middleware import BadSignature, Signer
from covet.middleware._headers import add_vary, set_header
from covet.middleware._paths import PathMatcher

KEY = "helper-key-" + "h" * 40


def test_add_vary_merges_and_respects_star() -> None:
    headers = [(b"vary", b"Cookie")]
    add_vary(headers, (b"Origin",))
    add_vary(headers, (b"origin", b"Accept-Encoding"))
    assert headers == [(b"vary", b"Cookie, Origin, Accept-Encoding")]
    star = [(b"vary", b"*")]
    add_vary(star, (b"Origin",))
    assert star == [(b"vary", b"*")]
    empty: list[tuple[bytes, bytes]] = []
    add_vary(empty, (b"Origin",))
    assert empty == [(b"vary", b"Origin")]


def test_set_header_replaces_every_line() -> None:
    headers = [(b"etag", b'"a"'), (b"x", b"1"), (b"ETag", b'"b"')]
    set_header(headers, b"etag", b'W/"a"')
    assert headers == [(b"x", b"1"), (b"etag", b'W/"a"')]


def test_path_matcher() -> None:
    matcher = PathMatcher(["/login", "/api/*", r"^/users/\d+"])
    assert matcher.matches("/login")
    assert not matcher.matches("/login/x")
    assert matcher.matches("/api/")
    assert matcher.matches("/api/v1/items")
    assert matcher.matches("/users/42")
    assert not matcher.matches("/users/42/edit")
    assert not PathMatcher([])


def test_signer_rotation_and_salt() -> None:
    old = Signer("o" * 40, salt="a")
    new = Signer(["n" * 40, "o" * 40], salt="a")
    other_use = Signer("o" * 40, salt="b")
    signed = old.sign(b"payload")
    assert new.unsign(signed) == b"payload"
    with pytest.raises(BadSignature):
        other_use.unsign(signed)
    with pytest.raises(BadSignature):
        Signer("n" * 40, salt="a").unsign(signed)
    for broken in ("", "nodot", "a.b", signed + "x", "!!!." + signed.split(".")[1]):
        with pytest.raises(BadSignature):
            new.unsign(broken)


def test_signer_refuses_non_ascii_signatures_without_crashing() -> None:
    # Cookie headers are decoded as latin-1, so an attacker can put any byte in a signature;
    # hmac.compare_digest raises TypeError on non-ASCII str, which used to become a 500.
    signer = Signer("o" * 40, salt="a")
    encoded = signer.sign(b"payload").split(".")[0]
    for forged in (f"{encoded}.\xe9", f"{encoded}.{'A' * 42}\xff", f"\xe9.{'A' * 43}"):
        with pytest.raises(BadSignature):
            signer.unsign(forged)
