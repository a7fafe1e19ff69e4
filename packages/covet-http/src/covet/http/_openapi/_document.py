"""Build an app's OpenAPI 3.1 document from what route registration already analysed.

Every route's plan (:class:`~covet.http._signature.HandlerPlan`) lists the values it reads, with
their types, markers and constraints; dependencies contribute theirs too. This module only
translates: it runs once, when ``app.openapi()`` is first called, never per request.
"""

from __future__ import annotations

import copy
import http
import inspect
import re
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any, get_args, get_origin

from covet.http._constraints import check_length, check_value
from covet.http._convertors import (
    Convertor,
    FloatConvertor,
    IntegerConvertor,
    PathConvertor,
    StringConvertor,
    UUIDConvertor,
)
from covet.http._endpoint import _DEFAULT
from covet.http._exceptions import ConfigurationError
from covet.http._fileresponse import FileResponse
from covet.http._middleware import Layer
from covet.http._mounts import Host
from covet.http._openapi._context import OpenAPIContext, SecurityRequirements
from covet.http._openapi._schema import SchemaRegistry, default_value
from covet.http._openapi._servers import host_server, place, server_path
from covet.http._params import MISSING, Depends
from covet.http._responses import (
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)
from covet.http._routing import Mount, Route, Router
from covet.http._signature import HandlerPlan, ParamInfo, _resolve_hints
from covet.http._solve import dependency_plan
from covet.http._sse import EventSourceResponse
from covet.http._validation import Invalid, sequence_item, unwrap_optional

if TYPE_CHECKING:
    from covet.http._app import Covet

OPENAPI_VERSION = "3.1.0"
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_CONVERTOR_SCHEMAS: dict[type[Convertor], dict[str, Any]] = {
    IntegerConvertor: {"type": "integer", "minimum": 0},
    FloatConvertor: {"type": "number", "minimum": 0},
    UUIDConvertor: {"type": "string", "format": "uuid"},
    StringConvertor: {"type": "string", "minLength": 1, "pattern": "^[^/]+$"},
    PathConvertor: {"type": "string"},
}
_OPERATION_ID = re.compile(r"[^A-Za-z0-9_]+")
#: a path template variable of an enclosing mount: its name and converter
PathVariable = tuple[str, Convertor]


def problem_schemas() -> dict[str, Any]:
    """RFC 9457 problem details, and the 422 variant with covet's ``errors`` list."""
    return {
        "ProblemDetails": {
            "title": "ProblemDetails",
            "description": "An error, as RFC 9457 problem details (application/problem+json).",
            "type": "object",
            "properties": {
                "type": {"type": "string", "default": "about:blank"},
                "title": {"type": "string"},
                "status": {"type": "integer", "minimum": 100, "maximum": 599},
                "detail": {"description": "What went wrong, for this occurrence."},
                "instance": {"type": "string"},
            },
            "required": ["type", "title", "status"],
        },
        "ValidationProblem": {
            "title": "ValidationProblem",
            "description": (
                "422: the request did not match the declared parameters; `errors` lists "
                "every field that failed (absent when a handler raised the 422 itself)."
            ),
            "allOf": [{"$ref": "#/components/schemas/ProblemDetails"}],
            "type": "object",
            "properties": {
                "errors": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "loc": {
                                "type": "array",
                                "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]},
                            },
                            "msg": {"type": "string"},
                            "type": {"type": "string"},
                        },
                        "required": ["loc", "msg", "type"],
                    },
                }
            },
        },
    }


class DocumentBuilder:
    """One build of one app's document."""

    def __init__(self, app: Covet) -> None:
        self.app = app
        self.registry = SchemaRegistry()
        self.security = SecurityRequirements()
        self.document: dict[str, Any] = {"openapi": OPENAPI_VERSION, "info": {}, "paths": {}}
        self.context = OpenAPIContext(self.document, self.registry, self.security)
        #: (operation, base id, path, method) in route order, for operation ids
        self._operations: list[tuple[dict[str, Any], str, str, str, bool]] = []
        #: Host entries met while walking, documented once the hostless routes are
        self._hosts: list[tuple[Host, str, list[PathVariable]]] = []
        #: the Host entry being walked: its Server Object and operation id prefix
        self._host: tuple[dict[str, Any], str] | None = None
        self.registry.components.update(problem_schemas())

    def build(self) -> dict[str, Any]:
        config = self.app.openapi_config
        info: dict[str, Any] = {"title": config.title, "version": config.version}
        for key, value in (
            ("summary", config.summary),
            ("description", config.description),
            ("termsOfService", config.terms_of_service),
            ("contact", config.contact),
            ("license", config.license_info),
        ):
            if value:
                info[key] = value
        self.document["info"] = info
        if config.servers:
            self.document["servers"] = [dict(server) for server in config.servers]
        self._app(self.app, "", [])
        while self._hosts:
            self._host_entry(*self._hosts.pop(0))
        self._operation_ids()
        self.registry.finish()
        schemas = self.registry.components
        used = _used_components(self.document, schemas)
        components: dict[str, Any] = self.document.setdefault("components", {})
        if used:
            components["schemas"] = {name: schemas[name] for name in sorted(used)}
        self.security.resolve(components.get("securitySchemes", {}))
        if not components:
            del self.document["components"]
        if config.tags:
            self.document["tags"] = [dict(tag) for tag in config.tags]
        return place(self.document, server_path(config.servers))

    # -- walking the routes -----------------------------------------------------------------

    def _app(self, app: Any, prefix: str, prefix_params: list[PathVariable]) -> None:
        self._middleware(getattr(app, "user_middleware", ()))
        router = app.router if hasattr(app, "router") else app
        self._middleware(getattr(router, "middleware", ()))
        self._routes(router.routes, prefix, prefix_params)

    def _middleware(self, entries: Iterable[Any]) -> None:
        """Let each middleware class with a ``__covet_openapi__`` hook add to the document
        (covet-auth declares its security schemes), wherever it sits: the app, a router, a
        mount or one route. Nothing else about middleware changes the document."""
        for entry in entries:
            # Middleware(cls, *args, **options) unpacks to three parts; (cls, options) to two
            parts = (entry,) if isinstance(entry, type) else tuple(entry)
            hook = getattr(parts[0], "__covet_openapi__", None)
            if hook is not None:
                self.context.path = self.context.method = self.context.operation = None
                options = parts[-1] if len(parts) > 1 and isinstance(parts[-1], dict) else {}
                self.context.middleware_options = options
                hook(self.context)
        self.context.middleware_options = {}

    def _layers(self, layers: Iterable[Layer]) -> None:
        for layer in layers:
            self._middleware(layer.middleware)

    def _routes(
        self, routes: Iterable[Any], prefix: str, prefix_params: list[PathVariable]
    ) -> None:
        for route in routes:
            if isinstance(route, Route):
                if route.include_in_schema:
                    self._layers(route.layers)
                    self._route(route, prefix, prefix_params)
            elif isinstance(route, Mount):
                inner = route.app
                if not isinstance(getattr(inner, "router", inner), Router):
                    continue  # not a covet app: its own routes are its own business
                self._layers(route.layers)
                self._middleware(route.middleware)
                variables = [s for s in route.segments if isinstance(s, tuple)]
                self._app(inner, prefix + _template(route.path), [*prefix_params, *variables])
            elif isinstance(route, Host):
                self._hosts.append((route, prefix, prefix_params))
            # Websockets have no place in OpenAPI.

    def _host_entry(self, host: Host, prefix: str, prefix_params: list[PathVariable]) -> None:
        """The operations of a covet app or router behind a Host, each with the host as its
        server. They come after the hostless routes, which answer every other host: where a
        path and method is taken already, the host's operation is left out (a document has one
        per path and method; the host's own covet app serves its whole document there)."""
        inner = host.app
        if not isinstance(getattr(inner, "router", inner), Router):
            return
        self._middleware(host.middleware)
        name = host.name or ".".join(part for part in host.labels if isinstance(part, str))
        label = _OPERATION_ID.sub("_", name).strip("_")
        self._host = (host_server(host), label)
        try:
            self._app(inner, prefix, prefix_params)
        finally:
            self._host = None

    def _route(self, route: Route, prefix: str, prefix_params: list[PathVariable]) -> None:
        path = prefix + _template(route.path)
        methods = sorted(m.lower() for m in route.own_methods if m.lower() in METHODS)
        item: dict[str, Any] = self.document["paths"].setdefault(path or "/", {})
        for method in methods:
            if self._host is not None and method in item:
                continue  # answered on other hosts by a route documented already
            # a class-based endpoint serves each verb with a route (and plan) of its own
            handler = route.handler_for(method.upper())
            operation = self._operation(route, handler, path or "/", method, prefix_params)
            item[method] = operation
            base = route.openapi.operation_id or (route.name or "operation")
            if route.openapi.operation_id is None and len(methods) > 1:
                base = f"{base}_{method}"
            if route.openapi.operation_id is None and self._host is not None:
                base = f"{self._host[1]}_{base}"  # as url_for names it: "api:users"
            self._operations.append(
                (operation, base, path, method, route.openapi.operation_id is not None)
            )
        if not item:  # every method is taken by the routes of other hosts
            del self.document["paths"][path or "/"]

    # -- one operation ----------------------------------------------------------------------

    def _operation(
        self,
        route: Route,
        handler: Route,
        path: str,
        method: str,
        prefix_params: list[PathVariable],
    ) -> dict[str, Any]:
        options = route.openapi
        operation: dict[str, Any] = {}
        if options.tags:
            operation["tags"] = list(options.tags)
        summary, description = _docstring(handler.endpoint)
        if handler is not route and summary is None:  # a verb of a class without a docstring
            summary = f"{method.capitalize()} {route.name}"
            description = inspect.getdoc(route.endpoint)
        operation["summary"] = options.summary or summary or _title(route.name or "")
        if options.description or description:
            operation["description"] = options.description or description
        plans = list(self._plans(handler))
        infos = [info for plan in plans for info in plan.params]
        parameters = self._parameters(handler, infos, prefix_params)
        if parameters:
            operation["parameters"] = parameters
        body = self._request_body(handler, plans)
        if body is not None:
            operation["requestBody"] = body
        operation["responses"] = self._responses(handler)
        if infos or prefix_params:
            operation["responses"].setdefault(
                "422",
                {
                    "description": "Validation Error",
                    "content": {
                        "application/problem+json": {
                            "schema": self.registry.ref("ValidationProblem")
                        }
                    },
                },
            )
        if body is not None:
            self._body_errors(handler, operation["responses"], body)
        if options.deprecated:
            operation["deprecated"] = True
        if self._host is not None:
            operation["servers"] = [copy.deepcopy(self._host[0])]
        self.context.path, self.context.method, self.context.operation = path, method, operation
        self.context.server = None if self._host is None else self._host[0]
        for hook in self._hooks(route, handler):
            hook(self.context)
        self.context.path = self.context.method = self.context.operation = None
        self.context.server = None
        if options.openapi_extra:
            _deep_update(operation, options.openapi_extra)
        return operation

    def _plans(self, route: Route) -> Iterator[HandlerPlan]:
        """The route's plan and every dependency plan below it, each once."""
        seen: set[int] = set()

        def visit(plan: HandlerPlan) -> Iterator[HandlerPlan]:
            if id(plan) in seen:
                return
            seen.add(id(plan))
            for _, dep in plan.dependencies:
                yield from visit(dependency_plan(dep.dependency))
            yield plan

        for dep in route.dependencies:
            yield from visit(dependency_plan(dep.dependency))
        yield from visit(route.plan)

    def _hooks(self, route: Route, handler: Route) -> Iterator[Any]:
        seen: set[int] = set()

        def hooks_of(obj: Any) -> Iterator[Any]:
            hook = getattr(obj, "__covet_openapi__", None)
            if hook is not None and id(obj) not in seen:
                seen.add(id(obj))
                yield hook

        def visit(dep: Depends) -> Iterator[Any]:
            yield from hooks_of(dep)
            yield from hooks_of(dep.dependency)
            for _, sub in dependency_plan(dep.dependency).dependencies:
                yield from visit(sub)

        for dep in handler.dependencies:
            yield from visit(dep)
        for _, dep in handler.plan.dependencies:
            yield from visit(dep)
        yield from hooks_of(route.endpoint)
        yield from hooks_of(handler.endpoint)

    # -- parameters -------------------------------------------------------------------------

    def _parameters(
        self, route: Route, infos: list[ParamInfo], prefix_params: list[PathVariable]
    ) -> list[dict[str, Any]]:
        parameters: dict[tuple[str, str], dict[str, Any]] = {}
        #: every template variable (the mounts' and the route's own) with its converter
        convertors = dict(prefix_params)
        convertors.update(route.convertors)
        for name, convertor in convertors.items():  # each must be described
            parameters[("path", name)] = {
                "name": name,
                "in": "path",
                "required": True,
                "schema": _path_schema(convertor),
            }
        for info in infos:
            if info.source not in ("path", "query", "header", "cookie"):
                continue
            if not info.marker.include_in_schema:
                continue
            assert info.key is not None
            key = (info.source, info.key)
            inner, optional = unwrap_optional(info.annotation)
            if info.source == "path":
                entry = parameters.get(key)
                if entry is None:
                    continue  # read from an enclosing Host: not a variable of this path
                if isinstance(convertors[info.key], StringConvertor):  # the handler converts
                    schema = self._value_schema(inner, info)
                    if schema.get("type") == "string":
                        schema.setdefault("minLength", 1)
                else:
                    schema = entry["schema"]
                    if info.constraints is not None:
                        schema.update(info.constraints.json_schema())
                entry["schema"] = schema
            else:
                entry = {
                    "name": info.key,
                    "in": info.source,
                    "required": info.default is MISSING and not optional,
                    "schema": self._value_schema(inner, info),
                }
                if sequence_item(inner) is not None and info.source == "query":
                    entry["style"], entry["explode"] = "form", True
            if info.marker.description:
                entry["description"] = info.marker.description
            if info.marker.deprecated:
                entry["deprecated"] = True
            if info.marker.examples:
                entry["schema"]["examples"] = list(info.marker.examples)
            parameters[key] = entry
        return list(parameters.values())

    def _value_schema(self, tp: Any, info: ParamInfo) -> dict[str, Any]:
        schema = self.registry.schema(tp, "validation")
        if info.constraints is not None:
            is_array = sequence_item(tp) is not None
            rules = info.constraints.json_schema(array=is_array)
            if is_array:
                items = schema.setdefault("items", {})
                for name in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
                             "multipleOf", "pattern"):  # fmt: skip
                    if name in rules:
                        items[name] = rules.pop(name)
            schema.update(rules)
        if info.default is not MISSING and info.default is not None:
            ok, value = default_value(info.default)
            if ok and _obeys(info.default, info):
                schema["default"] = value
        return schema

    # -- request bodies ---------------------------------------------------------------------

    def _request_body(self, route: Route, plans: list[HandlerPlan]) -> dict[str, Any] | None:
        bodies = [i for plan in plans for i in plan.params if i.source == "body"]
        forms = [i for plan in plans for i in plan.params if i.source == "form"]
        if bodies:
            embedded = any(info.key is not None for info in bodies)
            if not embedded:
                info = bodies[0]
                schema = self._body_schema(info)
                required = info.default is MISSING
            else:
                properties: dict[str, Any] = {}
                needed = []
                for info in bodies:
                    assert info.key is not None
                    properties[info.key] = self._body_schema(info)
                    if info.default is MISSING:
                        needed.append(info.key)
                schema = {"type": "object", "properties": properties}
                if needed:
                    schema["required"] = needed
                required = bool(needed)
            return {"required": required, "content": {"application/json": {"schema": schema}}}
        if forms:
            properties = {}
            needed = []
            uploads = False
            for info in forms:
                assert info.key is not None
                inner, _ = unwrap_optional(info.annotation)
                item = sequence_item(inner)
                uploads = uploads or (item if item is not None else inner).__name__ == "UploadFile"
                properties[info.key] = self._value_schema(inner, info)
                if info.marker.description:
                    properties[info.key]["description"] = info.marker.description
                if info.default is MISSING and not unwrap_optional(info.annotation)[1]:
                    needed.append(info.key)
            schema = {"type": "object", "properties": properties}
            if needed:
                schema["required"] = needed
            media = "multipart/form-data" if uploads else "application/x-www-form-urlencoded"
            return {"required": bool(needed), "content": {media: {"schema": schema}}}
        return None

    def _body_errors(self, route: Route, responses: dict[str, Any], body: dict[str, Any]) -> None:
        """The answers a body gets before validation: an unreadable form is a 400, and a body
        over the limits (``max_body_size``; a form's parts and field sizes) a 413."""
        problem = {"application/problem+json": {"schema": self.registry.ref("ProblemDetails")}}
        form = any(media != "application/json" for media in body["content"])
        if form:
            responses.setdefault(
                "400",
                {"description": "The form could not be read (malformed, or not UTF-8).",
                 "content": problem},
            )  # fmt: skip
        limit = route.max_body_size
        if limit is _DEFAULT:
            limit = self.app.settings.limits.max_body_size
        if form or limit is not None:
            responses.setdefault(
                "413", {"description": "The body is larger than the limits.", "content": problem}
            )

    def _body_schema(self, info: ParamInfo) -> dict[str, Any]:
        schema = self.registry.schema(info.annotation, "validation")
        if info.constraints is not None:
            schema.update(info.constraints.json_schema())
        if info.marker.description:
            schema["description"] = info.marker.description
        if info.marker.examples:
            schema["examples"] = list(info.marker.examples)
        if info.default is not MISSING and info.default is not None:
            ok, value = default_value(info.default)
            if ok:
                schema["default"] = value
        return schema

    # -- responses --------------------------------------------------------------------------

    def _responses(self, route: Route) -> dict[str, Any]:
        options = route.openapi
        try:
            returns = _resolve_hints(route.endpoint).get("return", Any)
        except ConfigurationError:
            returns = Any
        model = route.response_model
        if model is None or returns is None or returns is type(None):
            # a handler declared to return None answers 204 whatever response_model says (the
            # filter passes None through): a class endpoint's delete() next to its get()
            model = returns
        if get_origin(model) is tuple and get_args(model):  # -> tuple[Body, int]
            model = get_args(model)[0]
        status, content, headers = self._success(route, model)
        responses: dict[str, Any] = {}
        entry: dict[str, Any] = {"description": options.response_description}
        if content is not None:
            entry["content"] = content
        if headers:
            entry["headers"] = headers
        responses[str(status)] = entry
        for key, spec in options.responses.items():
            responses[key] = self._declared_response(key, spec, responses.get(key))
        return responses

    def _success(
        self, route: Route, model: Any
    ) -> tuple[int, dict[str, Any] | None, dict[str, Any]]:
        status = route.status_code
        if model is None or model is type(None):
            return status or 204, None, {}
        if inspect.isclass(model) and issubclass(model, Response):
            return self._response_class(route, model)
        if model is str:
            return status or 200, {"text/plain": {"schema": {"type": "string"}}}, {}
        if model in (bytes, bytearray, memoryview):
            binary = {"type": "string", "format": "binary"}
            return status or 200, {"application/octet-stream": {"schema": binary}}, {}
        schema = self.registry.schema(model, "serialization")
        return status or 200, {"application/json": {"schema": schema}}, {}

    def _response_class(
        self, route: Route, cls: type[Response]
    ) -> tuple[int, dict[str, Any] | None, dict[str, Any]]:
        status = route.status_code or 200
        text = {"schema": {"type": "string"}}
        if issubclass(cls, RedirectResponse):
            location = {"Location": {"schema": {"type": "string"}}}
            return route.status_code or 307, None, location
        if issubclass(cls, EventSourceResponse):
            return status, {"text/event-stream": text}, {}
        if issubclass(cls, FileResponse | StreamingResponse):
            binary = {"schema": {"type": "string", "format": "binary"}}
            return status, {"application/octet-stream": binary}, {}
        if issubclass(cls, HTMLResponse):
            return status, {"text/html": text}, {}
        if issubclass(cls, PlainTextResponse):
            return status, {"text/plain": text}, {}
        if issubclass(cls, JSONResponse):
            return status, {"application/json": {"schema": {}}}, {}
        media = getattr(cls, "media_type", None)
        if isinstance(media, str):
            return status, {media: {}}, {}
        return status, None, {}

    def _declared_response(
        self, key: str, spec: Any, existing: dict[str, Any] | None
    ) -> dict[str, Any]:
        error = key in ("default", "4XX", "5XX") or (key.isdigit() and int(key) >= 400)
        entry: dict[str, Any] = dict(existing or {})
        model: Any = None
        media: str | None = None
        if isinstance(spec, dict):
            extra = dict(spec)
            model = extra.pop("model", None)
            media = extra.pop("media_type", None)
            entry.update(extra)
        elif isinstance(spec, str):
            entry["description"] = spec
        elif spec is not None:
            model = spec
        if "description" not in entry:
            entry["description"] = _phrase(key)
        if "content" not in entry:
            if model is not None:
                media = media or ("application/problem+json" if error else "application/json")
                entry["content"] = {media: {"schema": self.registry.schema(model, "serialization")}}
            elif (error and key != "default") or key in ("4XX", "5XX"):
                schema = self.registry.ref(
                    "ValidationProblem" if key == "422" else "ProblemDetails"
                )
                entry["content"] = {"application/problem+json": {"schema": schema}}
        return entry

    # -- operation ids ----------------------------------------------------------------------

    def _operation_ids(self) -> None:
        """Unique and stable: the route's name (``_method`` on multi-method routes); names
        used more than once get their path appended (``list_items_v2_items``)."""
        counts: dict[str, int] = {}
        for _, base, _, _, _ in self._operations:
            counts[base] = counts.get(base, 0) + 1
        explicit: dict[str, str] = {}
        taken: set[str] = set()
        for operation, base, path, method, given in self._operations:
            if given:
                if base in explicit:
                    raise ConfigurationError(
                        f"operation_id {base!r} is used by {explicit[base]} and {method.upper()} "
                        f"{path}; operation ids must be unique"
                    )
                explicit[base] = f"{method.upper()} {path}"
                operation["operationId"] = base
                taken.add(base)
        for operation, base, path, method, given in self._operations:
            if given:
                continue
            name = _OPERATION_ID.sub("_", base).strip("_") or "operation"
            if counts[base] > 1 or name in taken:
                name = f"{name}_{_OPERATION_ID.sub('_', path).strip('_')}".rstrip("_")
            candidate = name
            if candidate in taken:
                candidate = f"{name}_{method}"
            n = 2
            while candidate in taken:
                candidate, n = f"{name}_{method}_{n}", n + 1
            taken.add(candidate)
            operation["operationId"] = candidate


def _obeys(default: Any, info: ParamInfo) -> bool:
    """Whether a default passes its own parameter's rules (a document must not contradict
    itself; the server hands such a default to the handler without checking it)."""
    rules = info.constraints
    if rules is None:
        return True
    try:
        if isinstance(default, list | tuple | set | frozenset):
            count, each = check_length(rules), check_value(rules, skip_length=True)
            if count is not None:
                count(list(default))
            for value in default if each is not None else ():
                each(value)  # type: ignore[misc]
        else:
            check = check_value(rules)
            if check is not None:
                check(default)
    except Invalid:
        return False
    return True


def _template(path: str) -> str:
    """``/items/{item_id:int}`` -> ``/items/{item_id}``."""
    return re.sub(r"\{([^}:]+)(?::[^}]*)?\}", r"{\1}", path)


def _path_schema(convertor: Convertor) -> dict[str, Any]:
    own = getattr(convertor, "openapi_schema", None)
    if isinstance(own, dict):
        return dict(own)
    for cls in type(convertor).__mro__:
        if cls in _CONVERTOR_SCHEMAS:
            return dict(_CONVERTOR_SCHEMAS[cls])
    return {"type": "string"}


def _docstring(endpoint: Any) -> tuple[str | None, str | None]:
    doc = inspect.getdoc(endpoint)
    if not doc:
        return None, None
    first, _, rest = doc.partition("\n\n")
    return " ".join(first.split()), (rest.strip() or None)


def _title(name: str) -> str:
    return " ".join(word.capitalize() for word in re.split(r"[_\W]+", name) if word)


def _phrase(key: str) -> str:
    if key.isdigit():
        try:
            return http.HTTPStatus(int(key)).phrase
        except ValueError:
            pass
    return {"default": "Error", "4XX": "Client Error", "5XX": "Server Error"}.get(key, "Response")


def _deep_update(target: dict[str, Any], extra: Any) -> None:
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            _deep_update(target[key], value)
        else:
            target[key] = value


def _used_components(document: dict[str, Any], schemas: dict[str, Any]) -> set[str]:
    """The names of the schemas reachable from the document (through nested ``$ref``s)."""
    prefix = "#/components/schemas/"
    used: set[str] = set()
    stack: list[Any] = [document]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith(prefix):
                name = ref[len(prefix) :]
                if name not in used and name in schemas:
                    used.add(name)
                    stack.append(schemas[name])
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return used
