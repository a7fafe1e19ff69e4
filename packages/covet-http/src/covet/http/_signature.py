"""Handler analysis: a signature becomes a list of extractors, once, at registration.

Per request only the extractors run. An extractor reads one value from the request (path, query,
header, cookie) and converts it; the JSON body, form fields and dependencies are resolved by
:mod:`covet.http._solve` using the same plan.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import inspect
import sys
import typing
from collections.abc import Callable, Mapping
from typing import Annotated, Any, NamedTuple, get_args, get_origin, get_type_hints, is_typeddict

from covet.http._concurrency import marked_on_loop
from covet.http._constraints import Check, Constraints, check_length, check_value, collect
from covet.http._datastructures import UploadFile
from covet.http._exceptions import ConfigurationError
from covet.http._params import (
    MISSING,
    Body,
    Cookie,
    Depends,
    Form,
    Header,
    Param,
    Path,
    Query,
    from_annotation,
)
from covet.http._requests import Request
from covet.http._responses import Response
from covet.http._validation import (
    Invalid,
    sequence_builder,
    sequence_item,
    text_validator,
    unwrap_optional,
    value_validator,
)

Extractor = Callable[[Request], Any]


class ParamInfo(NamedTuple):
    """One request value a plan reads, as analysis saw it (what the OpenAPI document describes)."""

    name: str
    #: "path", "query", "header", "cookie", "body" or "form"
    source: str
    #: the name on the wire (lower-cased for headers); None for a whole, unembedded JSON body
    key: str | None
    annotation: Any
    default: Any
    marker: Param
    constraints: Constraints | None


class HandlerPlan:
    """What a handler (or dependency) needs, worked out once from its signature."""

    __slots__ = (
        "background",
        "body",
        "body_embedded",
        "call",
        "dependencies",
        "extractors",
        "form",
        "is_async",
        "is_generator",
        "name",
        "on_loop",
        "params",
        "response",
        "returns",
        "simple",
        "websocket",
    )

    def __init__(self, call: Callable[..., Any]) -> None:
        self.call = call
        self.name = getattr(call, "__qualname__", repr(call))
        #: the return annotation (None when there is none)
        self.returns: Any = None
        target = _unwrap(call)
        self.is_async = inspect.iscoroutinefunction(target) or inspect.isasyncgenfunction(target)
        self.is_generator = inspect.isgeneratorfunction(target) or inspect.isasyncgenfunction(
            target
        )
        #: a sync function to call on the event loop's thread (``@on_loop``)
        self.on_loop = not self.is_async and (marked_on_loop(call) or marked_on_loop(target))
        #: (kwarg name, extractor) for path/query/header/cookie/request values
        self.extractors: list[tuple[str, Extractor]] = []
        #: (kwarg name, Depends) in declaration order
        self.dependencies: list[tuple[str, Depends]] = []
        #: (kwarg name, key in the JSON object or None for the whole body, validator, default)
        self.body: list[tuple[str, str | None, Callable[[Any, tuple[Any, ...]], Any], Any]] = []
        self.body_embedded = False
        #: (kwarg name, field name, converter or None for UploadFile, is sequence, default,
        #: the check of a sequence's length or None)
        self.form: list[tuple[str, str, Callable[[str], Any] | None, bool, Any, Check | None]] = []
        self.background: str | None = None
        #: a parameter annotated Response: headers, cookies and status for the reply
        self.response: str | None = None
        self.websocket: str | None = None
        #: extractors and at most a JSON body: no form, dependencies or background tasks
        self.simple = False
        #: every path/query/header/cookie/body/form value, for the OpenAPI document
        self.params: list[ParamInfo] = []


_INFERRED = (int, float, bool)


def _unwrap(call: Callable[..., Any]) -> Any:
    """The function whose kind (async, generator) decides how ``call`` runs."""
    while isinstance(call, functools.partial):
        call = call.func
    if inspect.isfunction(call) or inspect.ismethod(call) or inspect.isclass(call):
        return call
    return type(call).__call__


def _partial_keywords(call: Callable[..., Any]) -> set[str]:
    """The keywords ``functools.partial`` (however nested) bound on ``call``."""
    bound: set[str] = set()
    while isinstance(call, functools.partial):
        bound.update(call.keywords)
        call = call.func
    return bound


def _resolve_hints(call: Callable[..., Any]) -> dict[str, Any]:
    while isinstance(call, functools.partial):
        call = call.func
    if inspect.isclass(call):
        target: Any = call.__init__
    elif inspect.isfunction(call) or inspect.ismethod(call):
        target = call
    else:  # a callable instance
        target = type(call).__call__
    try:
        return get_type_hints(target, include_extras=True)
    except NameError as exc:
        # postponed annotations naming locals of the function that registers the route
        frame = sys._getframe(1)
        while frame is not None and frame.f_globals.get("__name__", "").startswith("covet.http"):
            frame = frame.f_back  # type: ignore[assignment]
        if frame is not None:
            with contextlib.suppress(NameError, TypeError):
                return get_type_hints(target, localns=dict(frame.f_locals), include_extras=True)
        error: Exception = exc
    except TypeError as exc:
        error = exc
    raise ConfigurationError(
        f"cannot resolve the type hints of {getattr(call, '__qualname__', call)!r}: {error}; "
        "names used in annotations must be importable at module level"
    ) from error


def _split_annotated(annotation: Any) -> tuple[Any, list[Any]]:
    if get_origin(annotation) is Annotated:
        args = get_args(annotation)
        return args[0], list(args[1:])
    return annotation, []


def _is_body_type(tp: Any) -> bool:
    tp, _ = unwrap_optional(tp)
    origin = get_origin(tp) or tp
    if origin is dict or tp in (list, set, tuple):
        return True
    if dataclasses.is_dataclass(tp) or is_typeddict(tp):
        return True
    item = sequence_item(tp)
    if item is not None:
        return _is_body_type(item) or not _is_text_type(item)
    return _is_model(tp)


def _is_text_type(tp: Any) -> bool:
    try:
        text_validator(tp)
    except TypeError:
        return False
    return True


def _is_model(tp: Any) -> bool:
    from covet.http._models import find_adapter

    return find_adapter(tp) is not None


def _is_upload(tp: Any) -> bool:
    tp, _ = unwrap_optional(tp)
    item = sequence_item(tp)
    return (item if item is not None else tp) is UploadFile


def analyse(
    call: Callable[..., Any],
    path_params: Mapping[str, type] | None = None,
    *,
    websocket: bool | None = False,
) -> HandlerPlan:
    """Build the plan for ``call``; ``path_params`` maps path names to their converter's type.

    ``websocket``: True for a websocket handler (it must take the socket), False for an HTTP
    handler (it must not), None for a dependency (it may; it gets None on HTTP routes).
    """
    from covet.http._background import BackgroundTasks
    from covet.http._websockets import WebSocket

    path_params = path_params or {}
    plan = HandlerPlan(call)
    hints = _resolve_hints(call)
    plan.returns = hints.get("return")
    try:
        signature = inspect.signature(call)
    except (TypeError, ValueError) as exc:
        raise ConfigurationError(f"cannot read the signature of {call!r}: {exc}") from exc
    body_params: list[tuple[str, Any, Body, Any]] = []
    bound = _partial_keywords(call)
    for name, parameter in signature.parameters.items():
        if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD) or name in bound:
            continue  # a keyword functools.partial bound is the code's, not the client's
        annotation = hints.get(name, Any)
        if name not in hints and type(parameter.default) in _INFERRED:
            annotation = type(parameter.default)  # def page(n=1): n is an int
        tp, metadata = _split_annotated(annotation)
        shape = next((m for m in metadata if isinstance(m, type) and _is_model(m)), None)
        if shape is not None:  # Annotated[User, UserIn]: a User read as UserIn describes it
            tp = shape
        marker: Param | Depends | None = next(
            (m for m in metadata if isinstance(m, Param | Depends)), None
        )
        default = parameter.default if parameter.default is not parameter.empty else MISSING
        if isinstance(default, Param | Depends):
            marker, default = default, getattr(default, "default", MISSING)
        elif isinstance(marker, Param) and marker.default is not MISSING and default is MISSING:
            default = marker.default
        if isinstance(marker, Depends):
            if marker.dependency is from_annotation:  # Annotated[Pager, Depends()]
                if not (isinstance(tp, type) and callable(tp)):
                    raise ConfigurationError(
                        f"{plan.name}: parameter {name!r} uses Depends() without a callable, "
                        f"so its annotation must be a class to call, not {tp!r}"
                    )
                marker = Depends(tp, use_cache=marker.use_cache)
            plan.dependencies.append((name, marker))
            continue
        base = tp
        if marker is None:
            if name == "request" or (isinstance(base, type) and issubclass(base, Request)):
                plan.extractors.append((name, _identity))
                continue
            if name == "websocket" or (isinstance(base, type) and issubclass(base, WebSocket)):
                if websocket is False:
                    raise ConfigurationError(
                        f"{plan.name}: parameter {name!r} asks for a WebSocket on an HTTP route"
                    )
                plan.websocket = name
                continue
            if isinstance(base, type) and issubclass(base, BackgroundTasks):
                plan.background = name
                continue
            if base is Response:
                plan.response = name
                continue
            if name in path_params:
                marker = Path()
            elif _is_upload(tp):
                marker = Form()
            elif _is_body_type(tp):
                marker = Body()
            else:
                marker = Query()
        where = f"{plan.name}: parameter {name!r}"
        rules = collect([*metadata, marker])
        if isinstance(marker, Path):
            plan.extractors.append((name, _path_extractor(name, tp, path_params, where, rules)))
            plan.params.append(ParamInfo(name, "path", name, tp, MISSING, marker, rules))
        elif isinstance(marker, Query | Header | Cookie):
            extractor = _text_extractor(name, tp, marker, default, where, rules)
            plan.extractors.append((name, extractor))
            key = marker.key(name) if isinstance(marker, Header) else marker.alias or name
            plan.params.append(ParamInfo(name, marker.source, key, tp, default, marker, rules))
        elif isinstance(marker, Body):
            body_params.append((name, tp, marker, default))
        elif isinstance(marker, Form):
            key = marker.alias or name
            many = sequence_item(unwrap_optional(tp)[0]) is not None
            if _is_upload(tp):
                converter = None
                _rules_check(rules, tp, where, per_item=True)  # files: only a count applies
            else:
                converter = _text_validator(tp, where, rules)
            count = check_length(rules) if many else None
            plan.form.append((name, key, converter, many, default, count))
            plan.params.append(ParamInfo(name, "form", key, tp, default, marker, rules))
    plan.body_embedded = len(body_params) > 1 or any(m.embed for _, _, m, _ in body_params)
    for name, tp, marker, default in body_params:
        body_key = (marker.alias or name) if plan.body_embedded else None
        try:
            validator = value_validator(tp)
        except TypeError as exc:
            raise ConfigurationError(f"{plan.name}: body parameter {name!r}: {exc}") from exc
        if default is MISSING and unwrap_optional(tp)[1]:
            default = None
        rules = marker.constraints
        where = f"{plan.name}: body parameter {name!r}"
        validator = _constrained_value(validator, rules, tp, where)
        plan.body.append((name, body_key, validator, default))
        plan.params.append(ParamInfo(name, "body", body_key, tp, default, marker, rules))
    if plan.body and plan.form:
        raise ConfigurationError(f"{plan.name}: a handler cannot take both a JSON body and a form")
    if websocket and plan.websocket is None:
        raise ConfigurationError(
            f"{plan.name}: a websocket handler needs a parameter named 'websocket' "
            "or annotated WebSocket"
        )
    plan.simple = not (plan.form or plan.dependencies or plan.background or plan.response)
    return plan


def _identity(request: Request) -> Request:
    return request


def _text_validator(tp: Any, where: str, rules: Constraints | None = None) -> Callable[[str], Any]:
    inner, _ = unwrap_optional(tp)
    item = sequence_item(inner)
    try:
        convert = text_validator(item if item is not None else inner)
    except TypeError as exc:
        raise ConfigurationError(f"{where}: {exc}") from exc
    # on a list, the lengths count its items (checked by the extractor), the rest apply to each
    check = _rules_check(rules, tp, where, per_item=True)
    if check is None:
        return convert

    def checked(value: str) -> Any:
        return check(convert(value))

    return checked


def _rules_check(
    rules: Constraints | None, tp: Any, where: str, *, per_item: bool = False
) -> Check | None:
    """``rules`` as a check of one converted value; a rule that cannot apply to ``tp`` is a
    :class:`ConfigurationError` now (``ge`` on a string would otherwise never be checked).

    ``per_item``: ``tp`` may be a list whose items are checked one by one (the extractor
    counts them), as for query, header and form values.
    """
    if rules is None:
        return None
    try:
        rules.refuse_misfits(tp, per_item=per_item)
    except TypeError as exc:
        raise ConfigurationError(f"{where}: {exc}") from None
    inner, _ = unwrap_optional(tp)
    return check_value(rules, skip_length=per_item and sequence_item(inner) is not None)


def _constrained_value(
    validate: Callable[[Any, tuple[Any, ...]], Any], rules: Constraints | None, tp: Any, where: str
) -> Callable[[Any, tuple[Any, ...]], Any]:
    check = _rules_check(rules, tp, where)
    if check is None:
        return validate

    def checked(value: Any, loc: tuple[Any, ...]) -> Any:
        result = validate(value, loc)
        try:
            return check(result) if result is not None else result
        except Invalid as exc:
            raise _located(exc, loc) from None

    return checked


def _path_extractor(
    name: str, tp: Any, path_params: Mapping[str, type], where: str, rules: Constraints | None
) -> Extractor:
    if name not in path_params:
        return _enclosing_path_extractor(name, tp, where, rules)
    produced = path_params[name]
    inner, _ = unwrap_optional(tp)
    # the handler gets what the converter made ({id:int}) unless its annotation converts it
    check = _rules_check(rules, produced if inner is Any else tp, where)
    if check is not None and (inner is Any or inner is str or produced is not str):

        def checked_passthrough(request: Request) -> Any:
            try:
                return check(request.scope["path_params"][name])
            except Invalid as exc:
                raise _located(exc, ("path", name)) from None

        return checked_passthrough
    if inner is Any or inner is str or produced is not str:

        def passthrough(request: Request) -> Any:
            return request.scope["path_params"][name]

        return passthrough
    convert = _text_validator(tp, where, rules)

    def convert_path(request: Request) -> Any:
        value = request.scope["path_params"][name]
        try:
            return convert(value if type(value) is str else str(value))
        except Invalid as exc:
            raise _located(exc, ("path", name)) from None

    return convert_path


def _enclosing_path_extractor(
    name: str, tp: Any, where: str, rules: Constraints | None
) -> Extractor:
    """A ``Path()`` parameter the route's own path lacks: one of an enclosing
    ``Mount("/{tenant}")`` or ``Host("{tenant}.example.org")``, looked up per request."""
    convert = _text_validator(tp, where, rules)
    check = _rules_check(rules, tp, where) or (lambda value: value)

    def from_enclosing(request: Request) -> Any:
        value = request.scope.get("path_params", {}).get(name, MISSING)
        if value is MISSING:
            raise Invalid([{"loc": ["path", name], "msg": "Field required", "type": "missing"}])
        try:
            if type(value) is not str:  # converted already, by the mount's or host's converter
                return check(value)
            return convert(value)
        except Invalid as exc:
            raise _located(exc, ("path", name)) from None

    return from_enclosing


def _located(exc: Invalid, loc: tuple[str, ...]) -> Invalid:
    return Invalid([{**e, "loc": [*loc, *e["loc"]]} for e in exc.errors])


def _text_extractor(
    name: str, tp: Any, marker: Param, default: Any, where: str, rules: Constraints | None
) -> Extractor:
    inner, optional = unwrap_optional(tp)
    if default is MISSING and optional:
        default = None
    convert = _text_validator(tp, where, rules)
    is_sequence = sequence_item(inner) is not None
    build = sequence_builder(inner) if is_sequence else list
    count = check_length(rules) if is_sequence else None
    source = marker.source
    key = marker.key(name) if isinstance(marker, Header) else (marker.alias or name)
    loc = (source, key)
    required = default is MISSING

    def missing() -> Any:
        if required:
            raise Invalid([{"loc": list(loc), "msg": "Field required", "type": "missing"}])
        return default

    if source == "cookie":

        def get_cookie(request: Request) -> Any:
            value = request.cookies.get(key)
            if value is None:
                return missing()
            try:
                return convert(value)
            except Invalid as exc:
                raise _located(exc, loc) from None

        return get_cookie

    read: Callable[[Request], dict[str, list[str]]] = (
        Request.query_map if source == "query" else Request.header_map
    )
    if is_sequence:

        def get_many(request: Request) -> Any:
            values = read(request).get(key)
            if not values:
                return missing()
            out, errors = [], []
            for index, value in enumerate(values):
                try:
                    out.append(convert(value))
                except Invalid as exc:
                    errors.extend(_located(exc, (*loc, index)).errors)  # type: ignore[arg-type]
            if errors:
                raise Invalid(errors)
            if count is not None:
                try:
                    count(out)
                except Invalid as exc:
                    raise _located(exc, loc) from None
            return build(out)

        return get_many

    if convert is str:

        def get_text(request: Request) -> Any:
            values = read(request).get(key)
            return values[-1] if values else missing()

        return get_text

    def get_one(request: Request) -> Any:
        values = read(request).get(key)
        if not values:
            return missing()
        try:
            return convert(values[-1])
        except Invalid as exc:
            raise _located(exc, loc) from None

    return get_one


def path_param_types(convertors: Mapping[str, Any]) -> dict[str, type]:
    """Map each path parameter to the Python type its converter produces."""
    types_: dict[str, type] = {}
    for name, convertor in convertors.items():
        hints = typing.get_type_hints(convertor.convert)
        produced = hints.get("return", Any)
        types_[name] = produced if isinstance(produced, type) else object
    return types_
