"""Parameter markers for ``typing.Annotated`` handler parameters.

    async def handler(
        user: Annotated[User, Depends(current_user)],         # what current_user returns
        session: Annotated[str, Cookie()],                    # the "session" cookie
        x_request_id: Annotated[str | None, Header()] = None, # the X-Request-Id header
        q: Annotated[str, Query(alias="search")] = "",        # ?search=...
    ) -> ...

A marker may also be given as the default value (``q: str = Query("")``), FastAPI style.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any, Final, TypedDict, Unpack


class _Missing:
    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"

    def __bool__(self) -> bool:
        return False


MISSING: Final[Any] = _Missing()


Number = int | float | Decimal


class ParamOptions(TypedDict, total=False):
    """The keyword options every marker takes (see :class:`Param`)."""

    description: str | None
    gt: Number | None
    ge: Number | None
    lt: Number | None
    le: Number | None
    multiple_of: Number | None
    min_length: int | None
    max_length: int | None
    pattern: str | None
    examples: list[Any] | None
    deprecated: bool
    include_in_schema: bool


class Param:
    """Base of the source markers: where a handler parameter's value comes from.

    ``gt``/``ge``/``lt``/``le``/``multiple_of`` bound numbers, ``min_length``/``max_length`` the
    length of a string (or the number of items of a list), ``pattern`` is a regular expression
    a string must contain (``re.search``; anchor it with ``^...$``). They are checked on every
    request (422) and appear in the OpenAPI document, with ``description``, ``examples`` and
    ``deprecated``; ``include_in_schema=False`` leaves the parameter out of the document.
    """

    source: str = ""
    __slots__ = (
        "alias",
        "constraints",
        "default",
        "deprecated",
        "description",
        "examples",
        "include_in_schema",
    )

    def __init__(
        self,
        default: Any = MISSING,
        *,
        alias: str | None = None,
        description: str | None = None,
        gt: Number | None = None,
        ge: Number | None = None,
        lt: Number | None = None,
        le: Number | None = None,
        multiple_of: Number | None = None,
        min_length: int | None = None,
        max_length: int | None = None,
        pattern: str | None = None,
        examples: list[Any] | None = None,
        deprecated: bool = False,
        include_in_schema: bool = True,
    ) -> None:
        from covet.http._constraints import Constraints

        self.default = default
        self.alias = alias
        self.description = description
        rules = Constraints(gt, ge, lt, le, multiple_of, min_length, max_length, pattern)
        self.constraints = rules if any(True for _ in rules.items()) else None
        self.examples = examples
        self.deprecated = deprecated
        self.include_in_schema = include_in_schema

    def __repr__(self) -> str:
        args = [] if self.default is MISSING else [repr(self.default)]
        if self.alias is not None:
            args.append(f"alias={self.alias!r}")
        return f"{type(self).__name__}({', '.join(args)})"


class Query(Param):
    """The value comes from the query string (``alias`` names the key)."""

    source = "query"
    __slots__ = ()


class Path(Param):
    """The value comes from the path (the default for names that appear in the route path)."""

    source = "path"
    __slots__ = ()


class Header(Param):
    """The value comes from a request header; ``x_token`` reads ``X-Token`` unless ``alias`` is set.

    Pass ``convert_underscores=False`` to keep underscores in the header name.
    """

    source = "header"
    __slots__ = ("convert_underscores",)

    def __init__(
        self,
        default: Any = MISSING,
        *,
        alias: str | None = None,
        convert_underscores: bool = True,
        **options: Unpack[ParamOptions],
    ) -> None:
        super().__init__(default, alias=alias, **options)
        self.convert_underscores = convert_underscores

    def key(self, name: str) -> str:
        """The header this marker reads for parameter ``name``, lower-cased."""
        if self.alias:
            return self.alias.lower()
        return (name.replace("_", "-") if self.convert_underscores else name).lower()


class Cookie(Param):
    """The value comes from a request cookie."""

    source = "cookie"
    __slots__ = ()


class Body(Param):
    """The value is the JSON body, or with ``embed=True`` (or several body params) a key of it."""

    source = "body"
    __slots__ = ("embed",)

    def __init__(
        self,
        default: Any = MISSING,
        *,
        alias: str | None = None,
        embed: bool = False,
        **options: Unpack[ParamOptions],
    ) -> None:
        super().__init__(default, alias=alias, **options)
        self.embed = embed


class Form(Param):
    """The value is a field of a urlencoded or multipart form (``UploadFile`` for files)."""

    source = "form"
    __slots__ = ()


class Depends:
    """The value is what ``dependency`` returns (or yields); resolved once per request.

    ``dependency`` may be a ``def`` or ``async def`` function, or a generator of either kind whose
    code after ``yield`` runs once the response has been sent. Its own parameters are resolved the
    same way as a handler's. ``use_cache=False`` calls it again each time it is asked for.
    ``Annotated[Pager, Depends()]`` (no callable) calls the annotated class, as in FastAPI.
    """

    __slots__ = ("dependency", "use_cache")

    def __init__(self, dependency: Callable[..., Any] | None = None, *, use_cache: bool = True):
        if dependency is not None and not callable(dependency):
            raise TypeError(f"Depends() takes a callable, got {dependency!r}")
        self.dependency = dependency if dependency is not None else from_annotation
        self.use_cache = use_cache

    def __repr__(self) -> str:
        name = getattr(self.dependency, "__qualname__", repr(self.dependency))
        return f"Depends({name})"


def from_annotation() -> Any:
    """The placeholder of ``Depends()``; analysis swaps in the parameter's annotated class."""
    raise RuntimeError("Depends() without a callable is only valid on an annotated parameter")
