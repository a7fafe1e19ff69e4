import types

import covet.http


def isort_key(name: str) -> tuple[int, str]:
    """The order ruff's RUF022 keeps: CONSTANTS, then Classes, then functions and dunders."""
    if name.isupper():
        return 0, name
    if name[0].isupper():
        return 1, name
    return 2, name


def test_all_is_sorted() -> None:
    assert covet.http.__all__ == sorted(covet.http.__all__, key=isort_key)


def test_all_is_complete() -> None:
    public = {
        name
        for name, value in vars(covet.http).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    }
    assert public == set(covet.http.__all__) - {"__version__"}


def test_issue_api_is_exported() -> None:
    required = {
        "Covet",
        "Router",
        "Request",
        "WebSocket",
        "Response",
        "JSONResponse",
        "HTMLResponse",
        "PlainTextResponse",
        "RedirectResponse",
        "StreamingResponse",
        "FileResponse",
        "EventSourceResponse",
        "HTTPException",
        "StaticFiles",
        "BackgroundTasks",
        "Query",
        "Header",
        "Cookie",
        "Body",
        "Depends",
        "WebSocketDisconnect",
        "Headers",
        "QueryParams",
        "URL",
        "UploadFile",
        "FormData",
        "State",
    }
    assert required <= set(covet.http.__all__)
    for name in covet.http.__all__:
        assert getattr(covet.http, name) is not None


def test_primitives_for_middleware_are_public() -> None:
    """covet.middleware and covet.auth need these; they must not import private modules."""
    from covet.http import _cookies, _datastructures, _errors, _json, _types

    for module in (_cookies, _datastructures, _errors, _json, _types):
        for name in (
            "ASGIApp",
            "Message",
            "RawHeaders",
            "Receive",
            "Scope",
            "Send",
            "SameSite",
            "format_set_cookie",
            "parse_cookies",
            "route_path",
            "MutableHeaders",
            "http_exception_response",
            "error_response",
            "problem_response",
            "InvalidJSON",
            "json_dumps",
            "json_loads",
        ):
            if hasattr(module, name):
                assert getattr(covet.http, name) is getattr(module, name), name
                assert name in covet.http.__all__
