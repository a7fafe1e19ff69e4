import contextlib
from collections.abc import AsyncIterator
from typing import Any

import pytest

from covet.http import Covet, Request
from covet.http._types import Message
from covet.http.testing import AsyncTestClient, TestClient


async def drive_lifespan(app: Covet, *messages: str) -> list[Message]:
    """Speak the lifespan protocol to ``app`` the way a server does."""
    inbox = [{"type": m} for m in messages]
    sent: list[Message] = []

    async def receive() -> dict[str, Any]:
        return inbox.pop(0)

    async def send(message: Message) -> None:
        sent.append(message)

    await app({"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}, receive, send)
    return sent


def test_lifespan_context_manager_and_hooks_run_in_order() -> None:
    events: list[str] = []

    @contextlib.asynccontextmanager
    async def lifespan(app: Covet) -> AsyncIterator[dict[str, Any]]:
        events.append("lifespan enter")
        app.state.ready = True
        yield {"pool": "the-pool"}
        events.append("lifespan exit")

    app = Covet(lifespan=lifespan, on_startup=[lambda: events.append("startup arg")])

    @app.on_startup
    async def startup() -> None:
        events.append("startup hook")

    @app.on_shutdown
    def shutdown() -> None:
        events.append("shutdown hook")

    @app.get("/")
    async def index(request: Request) -> dict[str, Any]:
        return {"pool": request.state.pool, "ready": request.app.state.ready}

    with TestClient(app) as client:
        assert events == ["startup arg", "startup hook", "lifespan enter"]
        assert client.get("/").json() == {"pool": "the-pool", "ready": True}
    assert events[3:] == ["lifespan exit", "shutdown hook"]


def test_bare_async_generator_lifespan_without_app_argument() -> None:
    events: list[str] = []

    async def lifespan() -> AsyncIterator[None]:
        events.append("up")
        yield
        events.append("down")

    with TestClient(Covet(lifespan=lifespan)):
        assert events == ["up"]
    assert events == ["up", "down"]


async def test_startup_failure_is_reported_per_the_spec(caplog: pytest.LogCaptureFixture) -> None:
    app = Covet()

    @app.on_startup
    async def fail() -> None:
        raise RuntimeError("database unreachable")

    sent = await drive_lifespan(app, "lifespan.startup")
    assert [m["type"] for m in sent] == ["lifespan.startup.failed"]
    assert "database unreachable" in sent[0]["message"]
    assert "Application startup failed" in caplog.text


async def test_shutdown_failure_is_reported() -> None:
    @contextlib.asynccontextmanager
    async def lifespan(app: Covet) -> AsyncIterator[None]:
        yield
        raise RuntimeError("could not flush")

    sent = await drive_lifespan(Covet(lifespan=lifespan), "lifespan.startup", "lifespan.shutdown")
    assert [m["type"] for m in sent] == ["lifespan.startup.complete", "lifespan.shutdown.failed"]
    assert "could not flush" in sent[1]["message"]


async def test_app_serves_when_the_server_sends_no_lifespan() -> None:
    started: list[bool] = []
    app = Covet(on_startup=[lambda: started.append(True)])

    @app.get("/")
    async def index() -> str:
        return "ok"

    client = AsyncTestClient(app)  # not entered: no lifespan events at all
    response = await client.get("/")
    assert response.text == "ok"
    assert started == []
    await client.aclose()


async def test_middleware_stack_is_built_at_startup() -> None:
    app = Covet()
    sent = await drive_lifespan(app, "lifespan.startup", "lifespan.shutdown")
    assert [m["type"] for m in sent] == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
    with pytest.raises(Exception, match="after the application has started"):
        app.add_middleware(type("M", (), {}))


def test_mounted_apps_lifespans_run_inside_the_outer_one(tmp_path: Any) -> None:
    """A mounted Starlette or FastAPI app's lifespan runs (after the outer app's start-up,
    before its shutdown), its state reaches its requests; apps without one are skipped."""
    from fastapi import FastAPI
    from starlette.applications import Starlette
    from starlette.requests import Request as StarletteRequest
    from starlette.responses import JSONResponse as StarletteJSON
    from starlette.routing import Route

    from covet.http import StaticFiles

    events: list[str] = []

    @contextlib.asynccontextmanager
    async def outer(app: Any) -> AsyncIterator[None]:
        events.append("outer up")
        yield
        events.append("outer down")

    @contextlib.asynccontextmanager
    async def legacy_life(app: Any) -> AsyncIterator[dict[str, Any]]:
        events.append("starlette up")
        yield {"pool": "legacy-pool"}
        events.append("starlette down")

    async def pool(request: StarletteRequest) -> StarletteJSON:
        return StarletteJSON({"pool": request.state.pool})

    legacy = Starlette(routes=[Route("/pool", pool)], lifespan=legacy_life)

    @contextlib.asynccontextmanager
    async def api_life(app: Any) -> AsyncIterator[None]:
        events.append("fastapi up")
        yield
        events.append("fastapi down")

    api = FastAPI(lifespan=api_life)

    @api.get("/ping")
    async def ping() -> dict[str, str]:
        return {"pong": "yes"}

    async def bare(scope: Any, receive: Any, send: Any) -> None:  # no lifespan support at all
        assert scope["type"] == "http"

    (tmp_path / "a.txt").write_text("static")
    app = Covet(lifespan=outer)
    app.mount("/legacy", legacy)
    app.mount("/static", StaticFiles(directory=tmp_path))
    app.mount("/bare", bare)
    app.mount("/api", api)
    with TestClient(app) as client:
        assert events == ["outer up", "starlette up", "fastapi up"]
        assert client.get("/legacy/pool").json() == {"pool": "legacy-pool"}
        assert client.get("/api/ping").json() == {"pong": "yes"}
        assert client.get("/static/a.txt").text == "static"
    assert events[3:] == ["fastapi down", "starlette down", "outer down"]


def test_a_mounted_app_that_fails_to_start_fails_the_start() -> None:
    from starlette.applications import Starlette

    events: list[str] = []

    @contextlib.asynccontextmanager
    async def first_life(app: Any) -> AsyncIterator[None]:
        events.append("first up")
        yield
        events.append("first down")

    @contextlib.asynccontextmanager
    async def broken(app: Any) -> AsyncIterator[None]:
        raise RuntimeError("no database")
        yield  # pragma: no cover

    app = Covet()
    app.mount("/first", Starlette(lifespan=first_life))
    app.mount("/broken", Starlette(lifespan=broken))
    with pytest.raises(RuntimeError, match="mounted at '/broken' failed to start"):  # noqa: SIM117
        with TestClient(app):
            pass
    assert events == ["first up", "first down"]  # what had started is shut down


async def test_one_app_mounted_twice_starts_once_and_no_state_is_not_faked() -> None:
    from starlette.applications import Starlette

    events: list[str] = []

    @contextlib.asynccontextmanager
    async def life(app: Any) -> AsyncIterator[None]:
        events.append("pool opened")
        yield
        events.append("pool closed")

    shared = Starlette(lifespan=life)
    app = Covet()
    app.mount("/a", shared)
    app.mount("/b", shared)
    sent = await drive_lifespan(app, "lifespan.startup", "lifespan.shutdown")
    assert [m["type"] for m in sent] == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
    assert events == ["pool opened", "pool closed"]

    # a server without lifespan state: a mounted app that needs it fails as it would alone
    @contextlib.asynccontextmanager
    async def with_state(app: Any) -> AsyncIterator[dict[str, Any]]:
        yield {"pool": 1}

    needs_state = Covet()
    needs_state.mount("/s", Starlette(lifespan=with_state))
    inbox = [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}]
    replies: list[Message] = []

    async def receive() -> dict[str, Any]:
        return inbox.pop(0)

    async def send(message: Message) -> None:
        replies.append(message)

    await needs_state({"type": "lifespan", "asgi": {"version": "3.0"}}, receive, send)
    assert replies[0]["type"] == "lifespan.startup.failed"
    assert "state" in replies[0]["message"]
