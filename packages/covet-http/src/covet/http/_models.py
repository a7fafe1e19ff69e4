"""Model adapters: how a library's model classes validate, serialize and describe themselves.

covet-http knows dicts, lists, dataclasses and TypedDicts itself. Classes from a model library
(pydantic models, msgspec Structs, and any other library's) go through a :class:`ModelAdapter`,
so that covet-http never has to import that library: request bodies are validated with the
library's own validator, ``response_model=`` output is produced by its own serializer, and the
OpenAPI document uses its own JSON Schema generator.

An adapter is found for a class in this order: the class attribute ``__covet_model_adapter__``
(a library sets it on its base class, which is how covet-orm's models plug in without covet-http
naming covet-orm), then the adapters added with :func:`register_model_adapter`, then the
built-in pydantic and msgspec adapters (active only once the program has imported that library).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from typing import Any, Literal, Protocol, get_args, get_origin, runtime_checkable

from covet.http._validation import Invalid, error

Mode = Literal["validation", "serialization"]
Loc = tuple[str | int, ...]


@runtime_checkable
class ModelAdapter(Protocol):
    """What covet-http needs from a model library (implement it for your own)."""

    def handles(self, tp: Any) -> bool:
        """Whether ``tp`` (any annotation) is a model class of this library."""
        ...

    def validator(self, tp: Any) -> Callable[[Any, Loc], Any]:
        """A function ``(decoded JSON, loc) -> instance`` raising :class:`Invalid` on bad input
        (errors ``{"loc": [*loc, ...], "msg": str, "type": str}``), or any exception with a
        ``__covet_errors__()`` method returning that list (for a library that does not import
        covet.http). Called once per route."""
        ...

    def serializer(self, tp: Any) -> Callable[[Any], Any]:
        """A function turning a handler's result (an instance, a dict, or an object with the
        model's attributes) into JSON-ready data holding the model's fields only (what
        ``response_model=tp`` sends). Called once per route."""
        ...

    def json_schemas(
        self, types: Sequence[tuple[Any, Mode]], ref_template: str
    ) -> tuple[list[dict[str, Any]], dict[str, dict[str, Any]]]:
        """JSON Schemas (2020-12) for ``types``, in order, and the named schemas they refer to
        through ``ref_template.format(model=name)``. ``mode`` says whether the schema describes
        input (request bodies) or output (responses)."""
        ...


_registered: list[ModelAdapter] = []


def register_model_adapter(adapter: ModelAdapter) -> None:
    """Use ``adapter`` for the classes it handles (before the built-in ones)."""
    if not isinstance(adapter, ModelAdapter):
        raise TypeError(f"{adapter!r} does not implement the ModelAdapter protocol")
    _registered.insert(0, adapter)


def find_adapter(tp: Any) -> ModelAdapter | None:
    """The adapter for model class ``tp``, or None for anything else."""
    if not isinstance(tp, type):
        return None
    own = getattr(tp, "__covet_model_adapter__", None)
    if own is not None:
        return own  # type: ignore[no-any-return]
    for adapter in (*_registered, *_BUILTIN):
        if adapter.handles(tp):
            return adapter
    return None


def result_type(tp: Any) -> Any:
    """What a result annotated ``tp`` is once it has loaded itself: a class whose instances
    load through ``__covet_result__()`` names that type with a class method
    ``__covet_result_type__(*type_args)`` (covet-orm's ``QuerySet[M]`` answers ``list[M]``), so
    the document describes it and the answer is filtered by it; ``tp`` itself for the rest."""
    cls = get_origin(tp) or tp
    hook = getattr(cls, "__covet_result_type__", None) if isinstance(cls, type) else None
    return tp if hook is None else hook(*get_args(tp))


class PydanticAdapter:
    """pydantic v2 models: ``model_validate``, a ``TypeAdapter``, ``models_json_schema``."""

    def handles(self, tp: Any) -> bool:
        pydantic = sys.modules.get("pydantic")
        return pydantic is not None and isinstance(tp, type) and issubclass(tp, pydantic.BaseModel)

    def validator(self, tp: Any) -> Callable[[Any, Loc], Any]:
        import pydantic

        validate = tp.model_validate

        def check(value: Any, loc: Loc) -> Any:
            try:
                return validate(value)
            except pydantic.ValidationError as exc:
                raise Invalid(
                    [
                        {"loc": [*loc, *e["loc"]], "msg": e["msg"], "type": e["type"]}
                        for e in exc.errors(include_url=False)
                    ]
                ) from None

        return check

    def serializer(self, tp: Any) -> Callable[[Any], Any]:
        import pydantic

        adapter: pydantic.TypeAdapter[Any] = pydantic.TypeAdapter(tp)
        validate, dump = adapter.validate_python, adapter.dump_python

        def serialize(value: Any) -> Any:
            if type(value) is not tp:  # a dict, another class with the same attributes
                value = validate(value, from_attributes=True)
            return dump(value, mode="json")

        return serialize

    def json_schemas(
        self, types: Sequence[tuple[Any, Mode]], ref_template: str
    ) -> tuple[list[dict[str, Any]], dict[str, dict[str, Any]]]:
        from pydantic.json_schema import models_json_schema

        keyed, defs = models_json_schema(
            [(tp, mode) for tp, mode in types], ref_template=ref_template
        )
        return [dict(keyed[(tp, mode)]) for tp, mode in types], dict(defs.get("$defs", {}))


class MsgspecAdapter:
    """msgspec Structs: ``msgspec.convert``, ``msgspec.to_builtins``, ``schema_components``."""

    def handles(self, tp: Any) -> bool:
        msgspec = sys.modules.get("msgspec")
        return msgspec is not None and isinstance(tp, type) and issubclass(tp, msgspec.Struct)

    def validator(self, tp: Any) -> Callable[[Any, Loc], Any]:
        import msgspec

        def check(value: Any, loc: Loc) -> Any:
            try:
                return msgspec.convert(value, tp)
            except msgspec.ValidationError as exc:
                message = str(exc)
                where: list[str | int] = list(loc)
                if " - at `$." in message:
                    message, _, path = message.partition(" - at `$.")
                    where.extend(part for part in path.rstrip("`").split(".") if part)
                raise error(tuple(where), message, "value_error") from None

        return check

    def serializer(self, tp: Any) -> Callable[[Any], Any]:
        import msgspec

        convert, to_builtins = msgspec.convert, msgspec.to_builtins

        def serialize(value: Any) -> Any:
            if type(value) is not tp:
                value = convert(value, tp, from_attributes=True)
            return to_builtins(value)

        return serialize

    def json_schemas(
        self, types: Sequence[tuple[Any, Mode]], ref_template: str
    ) -> tuple[list[dict[str, Any]], dict[str, dict[str, Any]]]:
        import msgspec

        template = ref_template.replace("{model}", "{name}")
        schemas, components = msgspec.json.schema_components(
            [tp for tp, _ in types], ref_template=template
        )
        return list(schemas), dict(components)


_BUILTIN: tuple[ModelAdapter, ...] = (PydanticAdapter(), MsgspecAdapter())
