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
