"""covet.http: CovetPy's async-native ASGI framework.

The test clients live in :mod:`covet.http.testing` (they need the ``testing`` extra, httpx).
"""

from covet.http.__about__ import __version__
from covet.http._app import Covet
from covet.http._background import BackgroundTask, BackgroundTasks
from covet.http._concurrency import on_loop
from covet.http._constraints import Constraints
from covet.http._convertors import Convertor, register_convertor
from covet.http._cookies import SameSite, format_set_cookie, parse_cookies
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
    route_path,
)
from covet.http._endpoint_classes import HTTPEndpoint, WebSocketEndpoint
from covet.http._errors import (
    error_response,
    http_exception_response,
    problem_details,
    problem_response,
)
from covet.http._exceptions import (
    ConfigurationError,
    CovetHTTPError,
    HTTPException,
    RequestValidationError,
    WebSocketException,
)
from covet.http._fileresponse import FileResponse
from covet.http._json import InvalidJSON, json_dumps, json_loads
from covet.http._middleware import Middleware
from covet.http._models import ModelAdapter, register_model_adapter
from covet.http._openapi._context import OpenAPIContext
from covet.http._params import Body, Cookie, Depends, Form, Header, Path, Query
from covet.http._requests import ClientDisconnect, Request, RequestLimits
from covet.http._responses import (
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)
from covet.http._routing import Host, Mount, NoMatchFound, Route, Router, WebSocketRoute
from covet.http._sse import EventSourceResponse, ServerSentEvent
from covet.http._staticfiles import StaticFiles
from covet.http._types import ASGIApp, Message, RawHeaders, Receive, Scope, Send
from covet.http._urls import URLPath
from covet.http._websockets import WebSocket, WebSocketDisconnect, WebSocketState

__all__ = [
    "URL",
    "ASGIApp",
    "Address",
    "BackgroundTask",
    "BackgroundTasks",
    "Body",
    "ClientDisconnect",
    "ConfigurationError",
    "Constraints",
    "Convertor",
    "Cookie",
    "Covet",
    "CovetHTTPError",
    "Depends",
    "EventSourceResponse",
    "FileResponse",
    "Form",
    "FormData",
    "HTMLResponse",
    "HTTPEndpoint",
    "HTTPException",
    "Header",
    "Headers",
    "Host",
    "InvalidJSON",
    "JSONResponse",
    "Message",
    "Middleware",
    "ModelAdapter",
    "Mount",
    "MultiDict",
    "MutableHeaders",
    "NoMatchFound",
    "OpenAPIContext",
    "Path",
    "PlainTextResponse",
    "Query",
    "QueryParams",
    "RawHeaders",
    "Receive",
    "RedirectResponse",
    "Request",
    "RequestLimits",
    "RequestValidationError",
    "Response",
    "Route",
    "Router",
    "SameSite",
    "Scope",
    "Send",
    "ServerSentEvent",
    "State",
    "StaticFiles",
    "StreamingResponse",
    "URLPath",
    "UploadFile",
    "WebSocket",
    "WebSocketDisconnect",
    "WebSocketEndpoint",
    "WebSocketException",
    "WebSocketRoute",
    "WebSocketState",
    "__version__",
    "error_response",
    "format_set_cookie",
    "http_exception_response",
    "json_dumps",
    "json_loads",
    "on_loop",
    "parse_cookies",
    "problem_details",
    "problem_response",
    "register_convertor",
    "register_model_adapter",
    "route_path",
]
