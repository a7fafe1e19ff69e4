"""The hook through which other packages add to an app's OpenAPI document.

An object that defines ``__covet_openapi__(context)`` is asked to contribute while the document
is built: a middleware class in ``app.add_middleware`` (called with the middleware's options in
``context.middleware_options``), a route's endpoint, and every ``Depends`` below a route (the
marker object, then its callable). covet-auth uses it for its security schemes, its guards'
``security`` requirements and its token endpoints, so covet-http needs no knowledge of
authentication and covet-auth no knowledge of how the document is laid out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    from covet.http._models import Mode
    from covet.http._openapi._schema import SchemaRegistry


@runtime_checkable
class OpenAPIContributor(Protocol):
    def __covet_openapi__(self, context: OpenAPIContext) -> None: ...


class OpenAPIContext:
    """What a contributor sees (and may change) while the document is built.

    ``path``, ``method`` and ``operation`` are set when the hook is called for a route (the path
    as the document writes it, ``/items/{item_id}``, including every prefix); they are None for
    a middleware's hook, which gets ``middleware_options`` instead. ``url`` is the route's URL
    for a security scheme's ``tokenUrl`` and the like.
    """

    def __init__(
        self,
        document: dict[str, Any],
        registry: SchemaRegistry,
        security: SecurityRequirements,
    ) -> None:
        self.document = document
        self._registry = registry
        self._security = security
        self.path: str | None = None
        self.method: str | None = None
        self.operation: dict[str, Any] | None = None
        self.middleware_options: Mapping[str, Any] = {}
        #: the Server Object of the Host entry the current route is behind (None: no Host)
        self.server: Mapping[str, Any] | None = None

    @property
    def url(self) -> str | None:
        """The current route's URL as the document's security schemes name the app's URLs:
        its path (``/auth/token``), or ``//api.example.org/auth/token`` behind a Host. Served
        below a root path, the document puts these below it (``/api/auth/token``), so they
        resolve to the route against the server's URL (docs/openapi.md)."""
        from covet.http._openapi._servers import app_url

        return None if self.path is None else app_url(self.server, self.path)

    @property
    def security_schemes(self) -> dict[str, Any]:
        components: dict[str, Any] = self.document.setdefault("components", {})
        schemes: dict[str, Any] = components.setdefault("securitySchemes", {})
        return schemes

    def add_security_scheme(self, name: str, scheme: Mapping[str, Any]) -> None:
        """Declare a security scheme (the first declaration of a name wins)."""
        self.security_schemes.setdefault(name, dict(scheme))

    def require_security(self, scopes: Iterable[str] = ()) -> None:
        """The current operation needs credentials holding ``scopes``: any declared scheme
        will do. Resolved once the whole document is known (schemes declared later count)."""
        if self.operation is None:
            raise RuntimeError("require_security() is for a route's hook")
        self._security.require(self.operation, scopes)

    def add_response(
        self, status: int | str, description: str, *, problem: bool = True, **extra: Any
    ) -> None:
        """Document another answer of the current operation (problem details by default)."""
        if self.operation is None:
            raise RuntimeError("add_response() is for a route's hook")
        responses: dict[str, Any] = self.operation.setdefault("responses", {})
        entry: dict[str, Any] = {"description": description, **extra}
        if problem:
            entry.setdefault("content", {"application/problem+json": {"schema": self.problem()}})
        responses.setdefault(str(status), entry)

    def schema(self, tp: Any, mode: Mode = "validation") -> dict[str, Any]:
        """The JSON Schema of a Python type (named classes become shared components)."""
        return self._registry.schema(tp, mode)

    def problem(self, *, validation: bool = False) -> dict[str, Any]:
        """A reference to the RFC 9457 problem-details schema (with ``errors`` for 422s)."""
        return self._registry.ref("ValidationProblem" if validation else "ProblemDetails")


class SecurityRequirements:
    """Security requirements recorded by hooks, written once every scheme is known."""

    def __init__(self) -> None:
        self._requests: list[tuple[dict[str, Any], list[str]]] = []

    def require(self, operation: dict[str, Any], scopes: Iterable[str]) -> None:
        self._requests.append((operation, sorted(set(scopes))))

    def resolve(self, schemes: dict[str, Any]) -> None:
        by_operation: dict[int, tuple[dict[str, Any], set[str]]] = {}
        for operation, scopes in self._requests:
            by_operation.setdefault(id(operation), (operation, set()))[1].update(scopes)
        for operation, wanted in by_operation.values():
            ordered = sorted(wanted)
            for scheme in schemes.values():
                for flow in scheme.get("flows", {}).values():
                    for scope in ordered:
                        flow.setdefault("scopes", {}).setdefault(scope, scope)
            operation["security"] = [{name: ordered} for name in schemes]
