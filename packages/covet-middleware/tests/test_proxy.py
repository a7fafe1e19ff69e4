from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from covet.middleware import ProxyHeadersMiddleware, client_host

TRUSTED = {"trusted_proxies": ["10.0.0.0/8", "127.0.0.1"]}


async def echo(
    build: Callable[..., Any], make_client: Any, peer: str, headers: dict[str, str]
) -> Any:
    app = build((ProxyHeadersMiddleware, TRUSTED))
    async with make_client(app, peer=peer, base_url="http://testserver") as c:
        response = await c.get("/echo", headers=headers)
    assert response.status_code == 200
    return response.json()


async def test_untrusted_peer_headers_are_ignored(build: Any, make_client: Any) -> None:
    data = await echo(
        build,
        make_client,
        "203.0.113.9",
        {"x-forwarded-for": "1.2.3.4", "x-forwarded-proto": "https", "x-forwarded-host": "evil"},
    )
    assert data["client"] == ["203.0.113.9", 4321]
    assert data["scheme"] == "http"
    assert data["host"] == "testserver"


async def test_trusted_peer_x_forwarded(build: Any, make_client: Any) -> None:
    data = await echo(
        build,
        make_client,
        "10.0.0.2",
        {
            "x-forwarded-for": "198.51.100.7",
            "x-forwarded-proto": "https",
            "x-forwarded-host": "api.example.com",
        },
    )
    assert data["client"] == ["198.51.100.7", 0]
    assert data["scheme"] == "https"
    assert data["host"] == "api.example.com"


async def test_walks_right_to_left_and_stops_at_first_untrusted(
    build: Any, make_client: Any
) -> None:
    # The left-most entry was written by the client itself: it must not win.
    data = await echo(
        build,
        make_client,
        "10.0.0.2",
        {"x-forwarded-for": "6.6.6.6, 198.51.100.7, 10.1.1.1"},
    )
    assert data["client"] == ["198.51.100.7", 0]


async def test_all_hops_trusted_gives_the_left_most(build: Any, make_client: Any) -> None:
    data = await echo(build, make_client, "10.0.0.2", {"x-forwarded-for": "10.9.9.9, 10.1.1.1"})
    assert data["client"] == ["10.9.9.9", 0]


async def test_rfc7239_forwarded(build: Any, make_client: Any) -> None:
    data = await echo(
        build,
        make_client,
        "127.0.0.1",
        {
            "forwarded": 'for=6.6.6.6;proto=http, for="[2001:db8:cafe::17]:4711";proto=https;'
            "host=shop.example, for=10.0.0.5;proto=http"
        },
    )
    assert data["client"] == ["2001:db8:cafe::17", 4711]
    assert data["scheme"] == "https"
    assert data["host"] == "shop.example"


async def test_forwarded_wins_over_x_forwarded(build: Any, make_client: Any) -> None:
    data = await echo(
        build,
        make_client,
        "127.0.0.1",
        {"forwarded": "for=192.0.2.60;proto=https", "x-forwarded-for": "6.6.6.6"},
    )
    assert data["client"] == ["192.0.2.60", 0]


async def test_bad_forwarded_host_is_not_used(build: Any, make_client: Any) -> None:
    data = await echo(
        build, make_client, "10.0.0.2", {"x-forwarded-for": "1.1.1.1", "x-forwarded-host": "a/b"}
    )
    assert data["host"] == "testserver"


def test_bad_network_is_refused() -> None:
    with pytest.raises(ValueError, match="not an IP address"):
        ProxyHeadersMiddleware(lambda *a: None, trusted_proxies=["10.0.0.0/33"])  # type: ignore[arg-type]


def test_trust_matching() -> None:
    mw = ProxyHeadersMiddleware(lambda *a: None, ["10.0.0.0/8", "::1"])  # type: ignore[arg-type]
    assert mw.is_trusted("10.200.0.1")
    assert mw.is_trusted("::ffff:10.0.0.1")
    assert mw.is_trusted("::1")
    assert not mw.is_trusted("11.0.0.1")
    assert not mw.is_trusted("unknown")
    assert not mw.is_trusted(None)
    assert ProxyHeadersMiddleware(lambda *a: None, "*").is_trusted("8.8.8.8")  # type: ignore[arg-type]


async def test_websocket_scheme_becomes_wss(asgi_call: Any) -> None:
    seen: dict[str, Any] = {}

    async def app(scope: Any, receive: Any, send: Any) -> None:
        seen.update(scope)

    mw = ProxyHeadersMiddleware(app, ["127.0.0.1"])
    scope = {
        "type": "websocket",
        "scheme": "ws",
        "path": "/",
        "headers": [(b"x-forwarded-for", b"192.0.2.1"), (b"x-forwarded-proto", b"https")],
        "client": ("127.0.0.1", 1),
    }
    await mw(scope, None, None)  # type: ignore[arg-type]
    assert seen["scheme"] == "wss"
    assert client_host(seen) == "192.0.2.1"


async def test_lifespan_passes_through() -> None:
    seen = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        seen.append(scope["type"])

    await ProxyHeadersMiddleware(app, "*")({"type": "lifespan"}, None, None)  # type: ignore[arg-type]
    assert seen == ["lifespan"]


@pytest.mark.parametrize(
    "headers",
    [
        {"x-forwarded-for": "1.2.3.4:\xb2, 10.0.0.3"},
        {"forwarded": 'for="1.2.3.4:\xb9"'},
        {"forwarded": 'for="[2001:db8::1]:\xb3"'},
        {"x-forwarded-for": "1.2.3.4:99999999999999999999999"},
    ],
)
async def test_non_ascii_or_out_of_range_ports_are_ignored(headers: dict[str, str]) -> None:
    # str.isdigit() accepts "²" (latin-1 \xb2) but int() refuses it: that was a 500.
    seen: list[Any] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        seen.append(scope["client"])

    scope = {
        "type": "http",
        "scheme": "http",
        "client": ("10.0.0.2", 1234),
        "headers": [(k.encode(), v.encode("latin-1")) for k, v in headers.items()],
    }
    await ProxyHeadersMiddleware(app, TRUSTED["trusted_proxies"])(scope, None, None)  # type: ignore[arg-type]
    host, port = seen[0]
    assert host in ("1.2.3.4", "2001:db8::1")
    assert port == 0


async def test_forwarded_quoted_commas_do_not_make_hops(build: Any, make_client: Any) -> None:
    # RFC 7239 quoted-strings may hold "," and ";": they belong to the value, not the list.
    data = await echo(
        build,
        make_client,
        "127.0.0.1",
        {"forwarded": 'for=198.51.100.7;host="shop.example,for=6.6.6.6";proto=https'},
    )
    assert data["client"] == ["198.51.100.7", 0]
    assert data["scheme"] == "https"
