import asyncio
import json
import logging
from typing import Annotated, Any
from urllib.parse import quote, unquote

import anyio
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from covet.http import (
    Covet,
    CovetHTTPError,
    Header,
    HTTPException,
    JSONResponse,
    PlainTextResponse,
    Request,
    RequestValidationError,
    error_response,
    problem_details,
)
from covet.http._types import Message
from covet.http.testing import AsyncTestClient, TestClient


class PaymentRequired(Exception):
    pass


class CardDeclined(PaymentRequired):
    pass


def make_app(**options: Any) -> Covet:
    app = Covet(**options)

    @app.get("/teapot")
    async def teapot() -> None:
        raise HTTPException(
            418, "I am a teapot", headers={"X-Tea": "earl grey"}, type="https://example.com/tea"
        )

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("secret detail")

    @app.get("/declined")
    def declined() -> None:
        raise CardDeclined("card 4242 declined")

    @app.post("/echo")
    async def echo(data: dict[str, Any]) -> dict[str, Any]:
        return data

    @app.post("/raw")
    async def raw(request: Request) -> int:
        return len(await request.body())

    @app.post("/small", max_body_size=10)
    async def small(request: Request) -> int:
        return len(await request.body())

    @app.post("/json")
    async def parse(request: Request) -> Any:
        return await request.json()

    return app


def test_http_exception_is_problem_details() -> None:
    response = TestClient(make_app()).get("/teapot")
    assert response.status_code == 418
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["x-tea"] == "earl grey"
    assert response.json() == {
        "type": "https://example.com/tea",
        "title": "I'm a Teapot",
        "status": 418,
        "detail": "I am a teapot",
    }


def test_unhandled_exception_is_a_500_without_the_traceback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.ERROR, logger="covet.http"):
        response = TestClient(make_app()).get("/boom")
    assert response.status_code == 500
    assert "secret detail" not in response.text
    assert response.json()["title"] == "Internal Server Error"
    assert "secret detail" in caplog.text  # logged for the operator, not sent to the client


def test_debug_shows_the_traceback_as_json_or_html() -> None:
    client = TestClient(make_app(debug=True))
    response = client.get("/boom")
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["detail"] == "RuntimeError: secret detail"
    assert any("raise RuntimeError" in line for line in body["traceback"])
    response = client.get("/boom", headers={"Accept": "text/html,application/xhtml+xml"})
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert "RuntimeError: secret detail" in response.text
    assert "<pre>" in response.text


def test_exception_handlers_by_class_and_status() -> None:
    app = make_app()

    @app.exception_handler(PaymentRequired)
    async def payment(request: Request, exc: Exception) -> JSONResponse:
        return JSONResponse({"error": str(exc), "path": request.url.path}, status_code=402)

    @app.exception_handler(404)
    def not_found(request: Request, exc: Exception) -> tuple[str, int]:
        return f"nothing at {request.url.path}", 404

    @app.exception_handler(500)
    async def server_error(request: Request, exc: Exception) -> PlainTextResponse:
        return PlainTextResponse("custom 500", status_code=500)

    client = TestClient(app)
    response = client.get("/declined")
    assert response.status_code == 402
    assert response.json() == {"error": "card 4242 declined", "path": "/declined"}
    response = client.get("/missing")
    assert (response.status_code, response.text) == (404, "nothing at /missing")
    assert client.get("/boom").text == "custom 500"
    assert client.get("/teapot").status_code == 418  # no handler for 418: the default


def test_a_failing_exception_handler_falls_back_to_500() -> None:
    app = make_app()

    @app.exception_handler(HTTPException)
    async def broken(request: Request, exc: Exception) -> None:
        raise ValueError("handler bug")

    response = TestClient(app).get("/teapot")
    assert response.status_code == 500


def test_validation_errors_can_be_customised() -> None:
    app = make_app()

    @app.exception_handler(RequestValidationError)
    async def flat(request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse({"fields": [e["loc"][-1] for e in exc.errors]}, status_code=400)

    response = TestClient(app).post("/echo", json=[1])
    assert response.status_code == 400
    assert response.json() == {"fields": ["body"]}


def test_body_over_the_limit_is_413_from_content_length() -> None:
    client = TestClient(make_app(max_body_size=100))
    response = client.post("/raw", content=b"x" * 101)
    assert response.status_code == 413
    assert response.json()["detail"] == "Request body is larger than the limit of 100 bytes"
    assert client.post("/raw", content=b"x" * 100).json() == 100
    assert client.post("/small", content=b"x" * 11).status_code == 413  # per-route limit
    assert client.post("/echo", content=b"[" * 50 + b"]" * 50 + b" " * 60).status_code == 413


async def test_body_over_the_limit_is_413_when_content_length_lies() -> None:
    app = make_app(max_body_size=100)
    chunks_read = 0
    sent: list[Message] = []

    async def receive() -> dict[str, Any]:
        nonlocal chunks_read
        chunks_read += 1
        return {"type": "http.request", "body": b"y" * 60, "more_body": chunks_read < 1000}

    async def send(message: Message) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/raw",
        "raw_path": b"/raw",
        "query_string": b"",
        "root_path": "",
        "scheme": "http",
        "http_version": "1.1",
        "headers": [(b"content-length", b"10")],
        "server": ("t", 80),
        "client": ("c", 1),
    }
    await app(scope, receive, send)
    assert sent[0]["status"] == 413
    assert chunks_read == 2  # stopped as soon as the limit was passed


async def test_streamed_body_without_length_is_counted() -> None:
    app = make_app(max_body_size=1000)

    async def chunks() -> Any:
        for _ in range(20):
            yield b"z" * 100

    async with AsyncTestClient(app) as client:
        response = await client.post("/raw", content=chunks())
    assert response.status_code == 413


def test_json_too_deep_or_invalid_is_a_client_error() -> None:
    client = TestClient(make_app(max_json_depth=10))
    deep = "[" * 11 + "]" * 11
    response = client.post("/echo", content=deep)
    assert response.status_code == 422
    assert response.json()["errors"][0]["type"] == "json_invalid"
    assert client.post("/json", content=deep).status_code == 400
    assert client.post("/json", content=b"\xff\xfe").status_code == 400
    assert client.post("/json", content="[" * 9 + "]" * 9).json() == [[[[[[[[[]]]]]]]]]


def test_error_response_is_reusable_outside_the_app() -> None:
    scope = {"type": "http", "method": "GET", "path": "/x", "headers": []}
    response = error_response(HTTPException(404, "gone"), scope)
    assert response.status_code == 404
    assert json.loads(response.body) == {
        "type": "about:blank",
        "title": "Not Found",
        "status": 404,
        "detail": "gone",
    }
    response = error_response(KeyError("k"), scope, debug=False)
    assert response.status_code == 500
    assert b"KeyError" not in response.body
    response = error_response(KeyError("k"), scope, debug=True)
    assert b"KeyError" in response.body
    validation = error_response(
        RequestValidationError([{"loc": ["query", "a"], "msg": "m", "type": "t"}]), scope
    )
    assert json.loads(validation.body)["errors"] == [
        {"loc": ["query", "a"], "msg": "m", "type": "t"}
    ]
    assert problem_details(409, "dup", instance="/x", extra=1) == {
        "type": "about:blank",
        "title": "Conflict",
        "status": 409,
        "detail": "dup",
        "instance": "/x",
        "extra": 1,
    }


def test_unconvertible_return_value_is_a_clear_500(caplog: pytest.LogCaptureFixture) -> None:
    app = Covet()

    @app.get("/obj")
    async def obj() -> object:
        return object()

    with caplog.at_level(logging.ERROR, logger="covet.http"):
        assert TestClient(app).get("/obj").status_code == 500
    assert "cannot turn a object returned by a handler into a response" in caplog.text


def fuzz_app() -> Covet:
    app = make_app(max_body_size=2048)

    @app.get("/typed/{n}/{id:int}")
    async def typed(n: int, id: int, q: list[float] = [], flag: bool = False) -> str:  # noqa: B006
        return "ok"

    @app.post("/model")
    async def model(
        data: dict[str, list[int]], x_token: Annotated[str | None, Header()] = None
    ) -> str:
        return "ok"

    @app.post("/form")
    async def form(request: Request) -> int:
        return len(await request.form())

    return app


FUZZ_APP = fuzz_app()


@settings(max_examples=300, deadline=None)
@given(
    method=st.sampled_from(["GET", "POST", "PUT", "HEAD", "OPTIONS", "DELETE", "BREW"]),
    path=st.sampled_from(["/typed", "/model", "/form", "/echo", "/json", "/teapot", ""]),
    extra=st.lists(st.text(max_size=8), max_size=3),
    raw_suffix=st.binary(max_size=12),
    query=st.binary(max_size=40),
    body=st.binary(max_size=300) | st.sampled_from([b"{}", b'{"a":[1,"x"]}', b"[" * 100]),
    content_type=st.sampled_from(
        [
            b"application/json",
            b"multipart/form-data; boundary=x",
            b"application/x-www-form-urlencoded",
            b"text/plain",
            b"",
        ]
    ),
    header_value=st.binary(max_size=20),
)
def test_bad_input_never_causes_a_500(
    method: str,
    path: str,
    extra: list[str],
    raw_suffix: bytes,
    query: bytes,
    body: bytes,
    content_type: bytes,
    header_value: bytes,
) -> None:
    text_path = path + "".join("/" + part for part in extra)
    raw_path = quote(text_path).encode() + raw_suffix.replace(b"?", b"")
    scope = {
        "type": "http",
        "method": method,
        "path": unquote(raw_path.decode("latin-1")),
        "raw_path": raw_path,
        "query_string": query,
        "root_path": "",
        "scheme": "http",
        "http_version": "1.1",
        "server": ("t", 80),
        "client": ("c", 1),
        "headers": [
            (b"content-type", content_type),
            (b"x-token", header_value),
            (b"cookie", header_value),
        ],
    }
    sent: list[Message] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    asyncio.run(FUZZ_APP(scope, receive, send))
    assert sent[0]["status"] < 500, (scope, body, b"".join(m.get("body", b"") for m in sent))


def test_a_group_holding_one_http_exception_answers_as_that_exception() -> None:
    app = Covet()
    seen: list[int] = []

    @app.exception_handler(409)
    async def conflict(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, HTTPException)
        seen.append(exc.status_code)
        return JSONResponse({"conflict": exc.detail}, status_code=409)

    @app.get("/one")
    async def one() -> None:
        async with anyio.create_task_group() as group:

            async def fail() -> None:
                raise HTTPException(404, "no such thing", headers={"X-Why": "gone"})

            group.start_soon(fail)

    @app.get("/nested")
    async def nested() -> None:
        raise ExceptionGroup("outer", [ExceptionGroup("inner", [HTTPException(409, "taken")])])

    @app.get("/two")
    async def two() -> None:
        raise ExceptionGroup("two", [HTTPException(404), HTTPException(409)])

    @app.get("/mixed")
    async def mixed() -> None:
        raise ExceptionGroup("mixed", [HTTPException(404), ValueError("x")])

    client = TestClient(app)
    response = client.get("/one")
    assert response.status_code == 404
    assert response.headers["x-why"] == "gone"
    assert response.json()["detail"] == "no such thing"
    assert response.headers["content-type"] == "application/problem+json"
    assert client.get("/nested").json() == {"conflict": "taken"} and seen == [409]
    assert client.get("/two").status_code == 500
    assert client.get("/mixed").status_code == 500


def test_error_response_unwraps_a_single_http_exception_group() -> None:
    scope = {"type": "http", "method": "GET", "path": "/"}
    group = BaseExceptionGroup(
        "g", [RequestValidationError([{"loc": ["q"], "msg": "m", "type": "t"}])]
    )
    response = error_response(group, scope)
    assert response.status_code == 422
    assert json.loads(response.body)["errors"][0]["loc"] == ["q"]


def test_a_catch_all_exception_handler_leaves_http_errors_alone() -> None:
    """As in Starlette: Exception/CovetHTTPError handlers are for errors, not for 404 or 422."""
    app = Covet()
    caught: list[str] = []

    @app.exception_handler(Exception)
    async def everything(request: Request, exc: Exception) -> PlainTextResponse:
        caught.append(type(exc).__name__)
        return PlainTextResponse("sorry", status_code=500)

    @app.exception_handler(CovetHTTPError)
    async def ours(request: Request, exc: Exception) -> PlainTextResponse:
        caught.append("ours")
        return PlainTextResponse("ours", status_code=500)

    @app.get("/x")
    async def x(n: int) -> None:
        raise HTTPException(403)

    @app.get("/crash")
    async def crash() -> None:
        raise KeyError("k")

    client = TestClient(app)
    assert client.get("/missing").status_code == 404
    assert client.get("/x").status_code == 422
    assert client.get("/x?n=1").status_code == 403
    assert client.post("/x").status_code == 405
    assert caught == []
    assert client.get("/crash").text == "sorry" and caught == ["KeyError"]

    @app.exception_handler(HTTPException)
    async def http_errors(request: Request, exc: Exception) -> PlainTextResponse:
        return PlainTextResponse("http", status_code=400)

    assert client.get("/missing").text == "http"  # an HTTPException handler still applies
