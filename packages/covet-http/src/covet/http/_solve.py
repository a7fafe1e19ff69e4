"""Per-request resolution of a handler plan: extractors, body, form and dependencies."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from covet.http._concurrency import ON_LOOP, Runner, run_sync
from covet.http._datastructures import UploadFile
from covet.http._exceptions import ConfigurationError, HTTPException, RequestValidationError
from covet.http._json import InvalidJSON, json_loads
from covet.http._params import MISSING, Depends, from_annotation
from covet.http._requests import Request
from covet.http._responses import Response
from covet.http._signature import HandlerPlan, analyse
from covet.http._validation import Invalid

if TYPE_CHECKING:
    from covet.http._background import BackgroundTasks

_plans: dict[Callable[..., Any], HandlerPlan] = {}


def dependency_plan(call: Callable[..., Any]) -> HandlerPlan:
    """The (memoised) plan of a dependency callable."""
    plan = _plans.get(call)
    if plan is None:
        plan = _plans[call] = analyse(call, websocket=None)
    return plan


def check_dependencies(plan: HandlerPlan, pre: list[Depends] | None = None) -> None:
    """Analyse every dependency below ``plan`` now, so a broken one fails at registration.

    Raises ConfigurationError for a dependency that cannot be analysed or for a cycle
    (``a -> b -> a`` would otherwise recurse on every request). Overrides are looked up per
    request and analysed when first used.
    """
    done: set[Callable[..., Any]] = set()

    def visit(call: Callable[..., Any], chain: list[Callable[..., Any]]) -> None:
        if call is from_annotation:
            raise ConfigurationError(
                "Depends() without a callable only works on an annotated handler parameter "
                "(Annotated[Pager, Depends()]); in dependencies=[...] name the callable"
            )
        if call in chain:
            names = " -> ".join(_name(c) for c in [*chain[chain.index(call) :], call])
            raise ConfigurationError(f"dependency cycle: {names}")
        if call in done:
            return
        sub = dependency_plan(call)
        for _, dep in sub.dependencies:
            visit(dep.dependency, [*chain, call])
        done.add(call)

    for dep in pre or ():
        visit(dep.dependency, [])
    for _, dep in plan.dependencies:
        visit(dep.dependency, [])


def _name(call: Callable[..., Any]) -> str:
    return str(getattr(call, "__qualname__", None) or repr(call))


class RequestContext:
    """What one request accumulates while its dependencies resolve."""

    __slots__ = (
        "background",
        "cache",
        "cleanups",
        "overrides",
        "response",
        "threads",
        "websocket",
    )

    def __init__(
        self,
        threads: Runner | None,
        overrides: dict[Callable[..., Any], Callable[..., Any]],
        websocket: Any = None,
    ) -> None:
        self.threads = threads
        self.overrides = overrides
        self.cache: dict[Callable[..., Any], Any] = {}
        #: generator dependencies waiting to run their code after ``yield`` (oldest first)
        self.cleanups: list[tuple[Any, bool, Runner | None]] | None = None
        self.background: BackgroundTasks | None = None
        self.response: Response | None = None
        self.websocket = websocket

    def get_response(self) -> Response:
        """The per-request Response a handler or dependency can set headers/cookies/status on."""
        if self.response is None:
            self.response = Response()
            self.response.status_code = 0  # 0: not set, the handler's result decides
        return self.response

    def get_background(self) -> BackgroundTasks:
        if self.background is None:
            from covet.http._background import BackgroundTasks

            self.background = BackgroundTasks()
        return self.background

    async def close(self, exc: BaseException | None = None) -> None:
        """Run the code after ``yield`` in generator dependencies, newest first.

        Each one sees the exception the request ended with (thrown in at its ``yield``), as in
        a ``with`` block. A new exception raised by one is what the older ones see, and is
        raised from here at the end.
        """
        cleanups, self.cleanups = self.cleanups, None
        if not cleanups:
            return
        original = exc
        for generator, is_async, runner in reversed(cleanups):
            try:
                await _resume(generator, is_async, exc, runner)
            except BaseException as raised:
                if raised is not exc:
                    exc = raised
        if exc is not None and exc is not original:
            raise exc


async def _resume(
    generator: Any, is_async: bool, exc: BaseException | None, threads: Runner | None
) -> None:
    if is_async:
        try:
            if exc is None:
                await generator.__anext__()
            else:
                await generator.athrow(exc)
        except StopAsyncIteration:
            return
    elif await run_sync(_resume_sync, generator, exc, threads=threads):
        return
    raise RuntimeError(f"the dependency generator {generator!r} yielded more than once")


def _resume_sync(generator: Any, exc: BaseException | None) -> bool:
    try:
        if exc is None:
            next(generator)
        else:
            generator.throw(exc)
    except StopIteration:
        return True
    return False


def _first_sync(generator: Any) -> Any:
    try:
        return next(generator)
    except StopIteration:
        raise RuntimeError(f"the dependency generator {generator!r} did not yield") from None


def extract(plan: HandlerPlan, request: Request, kwargs: dict[str, Any]) -> list[dict[str, Any]]:
    """Run the plain extractors into ``kwargs``; return the field errors (usually none)."""
    errors: list[dict[str, Any]] = []
    for name, extractor in plan.extractors:
        try:
            kwargs[name] = extractor(request)
        except Invalid as exc:
            errors.extend(exc.errors)
    return errors


async def solve(
    plan: HandlerPlan,
    request: Request | None,
    ctx: RequestContext,
    pre: list[Depends] | None = None,
) -> dict[str, Any]:
    """Everything the handler takes, as keyword arguments; 422 with every field error."""
    errors: list[dict[str, Any]] = []
    if pre:
        for dep in pre:
            await _resolve(dep, request, ctx, errors)
    kwargs: dict[str, Any] = {}
    if plan.extractors:
        assert request is not None
        errors.extend(extract(plan, request, kwargs))
    for name, dep in plan.dependencies:
        value = await _resolve(dep, request, ctx, errors)
        if value is not MISSING:
            kwargs[name] = value
    if plan.body:
        assert request is not None
        await read_body(plan, request, kwargs, errors)
    if plan.form:
        assert request is not None
        await _read_form(plan, request, kwargs, errors)
    if plan.background is not None:
        kwargs[plan.background] = ctx.get_background()
    if plan.response is not None:
        kwargs[plan.response] = ctx.get_response()
    if plan.websocket is not None:
        kwargs[plan.websocket] = ctx.websocket
    if errors:
        raise RequestValidationError(errors)
    return kwargs


async def _resolve(
    dep: Depends, request: Request | None, ctx: RequestContext, errors: list[dict[str, Any]]
) -> Any:
    call = dep.dependency
    if ctx.overrides:
        call = ctx.overrides.get(call, call)
    if dep.use_cache and call in ctx.cache:
        return ctx.cache[call]
    plan = dependency_plan(call)
    try:
        kwargs = await solve(plan, request, ctx)
    except RequestValidationError as exc:
        errors.extend(exc.errors)
        return MISSING
    value = await call_plan(plan, kwargs, ctx)
    if dep.use_cache:
        ctx.cache[call] = value
    return value


async def call_plan(plan: HandlerPlan, kwargs: dict[str, Any], ctx: RequestContext) -> Any:
    call = plan.call
    if plan.is_generator:
        runner = ON_LOOP if plan.on_loop else ctx.threads
        generator = call(**kwargs)
        if plan.is_async:
            try:
                value = await generator.__anext__()
            except StopAsyncIteration:
                raise RuntimeError(f"the dependency {plan.name} did not yield") from None
        else:
            value = await run_sync(_first_sync, generator, threads=runner)
        if ctx.cleanups is None:
            ctx.cleanups = []
        ctx.cleanups.append((generator, plan.is_async, runner))
        return value
    if plan.is_async:
        return await call(**kwargs)
    if plan.on_loop:
        return call(**kwargs)
    return await run_sync(functools.partial(call, **kwargs), threads=ctx.threads)


async def read_body(
    plan: HandlerPlan, request: Request, kwargs: dict[str, Any], errors: list[dict[str, Any]]
) -> None:
    raw = await request.body()
    data: Any = MISSING
    if raw.strip():
        wrong_type = _not_json(request.scope["headers"])
        if wrong_type is not None:
            msg = f"Expected a JSON body (Content-Type application/json), got {wrong_type!r}"
            errors.append({"loc": ["body"], "msg": msg, "type": "content_type"})
            return
        try:
            data = json_loads(raw, max_depth=request.limits.max_json_depth)
        except InvalidJSON as exc:
            msg = str(exc)
            if not msg.startswith("Invalid JSON"):
                msg = "Invalid JSON: " + msg
            errors.append({"loc": ["body"], "msg": msg, "type": "json_invalid"})
            return
        request._json = data
        request._has_json = True
    if plan.body_embedded and data is not MISSING and type(data) is not dict:
        errors.append(
            {"loc": ["body"], "msg": "Input should be a JSON object", "type": "dict_type"}
        )
        return
    for name, key, validate, default in plan.body:
        if key is None:
            value = data
            loc: tuple[Any, ...] = ("body",)
        else:
            value = data.get(key, MISSING) if data is not MISSING else MISSING
            loc = ("body", key)
        if value is MISSING:
            if default is MISSING:
                errors.append({"loc": list(loc), "msg": "Field required", "type": "missing"})
            else:
                kwargs[name] = default
            continue
        try:
            kwargs[name] = validate(value, loc)
        except Invalid as exc:
            errors.extend(exc.errors)


def _not_json(headers: list[tuple[bytes, bytes]]) -> str | None:
    """The request's Content-Type when it is present and not JSON (FastAPI's rule), else None.

    ``application/json`` and ``application/*+json`` are JSON; no Content-Type reads as JSON.
    Refusing the rest keeps cross-site ``text/plain`` form posts (no CORS preflight) out.
    """
    for name, value in headers:
        if name == b"content-type":
            if value == b"application/json":
                return None
            media = value.partition(b";")[0].strip().lower()
            if media == b"application/json" or (
                media.startswith(b"application/") and media.endswith(b"+json")
            ):
                return None
            return value.decode("latin-1")
    return None


async def _read_form(
    plan: HandlerPlan, request: Request, kwargs: dict[str, Any], errors: list[dict[str, Any]]
) -> None:
    try:
        form = await request.form()
    except HTTPException as exc:
        if exc.status_code != 415:
            raise
        detail = str(exc.detail)
        msg = detail[:1].upper() + detail[1:]  # "Expected a form (...), got 'application/json'"
        errors.append({"loc": ["form"], "msg": msg, "type": "content_type"})
        return
    for name, key, convert, many, default, count in plan.form:
        values = form.getlist(key)
        loc = ["form", key]
        if not values:
            if default is MISSING:
                errors.append({"loc": loc, "msg": "Field required", "type": "missing"})
            else:
                kwargs[name] = default
            continue
        try:
            if convert is None:
                if not all(isinstance(v, UploadFile) for v in values):
                    raise Invalid(
                        [{"loc": [], "msg": "Expected a file upload", "type": "file_type"}]
                    )
                kwargs[name] = values if many else values[-1]
            else:
                texts = [v for v in values if isinstance(v, str)]
                if len(texts) != len(values):
                    raise Invalid(
                        [
                            {
                                "loc": [],
                                "msg": "Expected a text field, got a file",
                                "type": "string_type",
                            }
                        ]
                    )
                converted = [convert(v) for v in texts]
                kwargs[name] = converted if many else converted[-1]
            if count is not None:
                count(values)
        except Invalid as exc:
            errors.extend({**e, "loc": [*loc, *e["loc"]]} for e in exc.errors)
