"""``response_model=``: the handler's result, cut down to the declared fields.

The serializer is compiled once per route from the model type. Dataclasses and TypedDicts are
read from a dict (by key) or from any object (by attribute, so an ORM row or an internal
dataclass works), field by field and recursively through lists, dicts and ``X | None``; every
other key or attribute is dropped, so internal fields never reach the client. Values are not
re-validated (they come from your code, not the client), but a missing required field is an
error (500) rather than a silently incomplete answer. Model-library classes (pydantic, msgspec,
...) are produced by their own serializer (:mod:`covet.http._models`).
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from typing import Annotated, Any, Union, get_args, get_origin, is_typeddict

from covet.http._models import find_adapter, result_type
from covet.http._validation import QUALIFIERS, typeddict_required

Serialize = Callable[[Any], Any]
_MISSING = object()


def _identity(value: Any) -> Any:
    return value


def serializer(tp: Any) -> Serialize | None:
    """A function producing the JSON-ready form of a ``tp`` result; None when nothing to cut."""
    loaded = result_type(tp)
    if loaded is not tp:  # QuerySet[M]: the list[M] it loads as
        return serializer(loaded)
    origin = get_origin(tp)
    if origin is Annotated or origin in QUALIFIERS:
        return serializer(get_args(tp)[0])
    if origin in (Union, types.UnionType):
        options = [arg for arg in get_args(tp) if arg is not type(None)]
        if len(options) == 1:
            inner = serializer(options[0])
            if inner is None:
                return None
            return lambda value: None if value is None else inner(value)
        if all(serializer(arg) is None for arg in options):
            return None
        raise TypeError(
            f"response_model {tp!r}: a union of models is ambiguous; declare one model "
            "(or a pydantic/msgspec union type)"
        )
    if origin in (list, set, frozenset, tuple, Sequence) or tp in (list, set, frozenset, tuple):
        args = [arg for arg in get_args(tp) if arg is not Ellipsis]
        items: list[Serialize | None] = [serializer(arg) for arg in args]
        if origin is tuple and len(args) > 1 and len(get_args(tp)) == len(args):
            if all(item is None for item in items):
                return None
            fixed = [item or _identity for item in items]
            return lambda value: [f(v) for f, v in zip(fixed, value, strict=True)]
        each = items[0] if items else None
        if each is None:
            return None
        return lambda value: [each(element) for element in value]
    if origin in (dict, Mapping):
        pair = get_args(tp)
        item = serializer(pair[1]) if len(pair) == 2 else None
        if item is None:
            return None
        return lambda value: {key: item(element) for key, element in value.items()}
    if dataclasses.is_dataclass(tp) and isinstance(tp, type):
        hints = typing.get_type_hints(tp)
        required = {
            f.name
            for f in dataclasses.fields(tp)
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        }
        return _object(tp, {f.name: hints[f.name] for f in dataclasses.fields(tp)}, required)
    if is_typeddict(tp):
        hints = typing.get_type_hints(tp, include_extras=True)
        return _object(tp, hints, typeddict_required(tp, hints))
    adapter = find_adapter(tp)
    if adapter is not None:
        return adapter.serializer(tp)
    return None


def _object(tp: Any, hints: dict[str, Any], required: set[str]) -> Serialize:
    fields = [(name, serializer(hint), name in required) for name, hint in hints.items()]
    plain = all(convert is None for _, convert, _ in fields)
    names = [name for name, _, _ in fields]
    model = tp.__name__

    def from_dict(value: dict[str, Any]) -> dict[str, Any]:
        if plain and len(value) == len(names):
            try:
                return {name: value[name] for name in names}
            except KeyError:
                pass
        out: dict[str, Any] = {}
        for name, convert, needed in fields:
            item = value.get(name, _MISSING)
            if item is _MISSING:
                if needed:
                    raise _missing(model, name)
                continue
            out[name] = item if convert is None or item is None else convert(item)
        return out

    def from_object(value: Any) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, convert, needed in fields:
            item = getattr(value, name, _MISSING)
            if item is _MISSING:
                if needed:
                    raise _missing(model, name)
                continue
            out[name] = item if convert is None or item is None else convert(item)
        return out

    def serialize(value: Any) -> dict[str, Any]:
        if type(value) is dict:
            return from_dict(value)
        if isinstance(value, Mapping):
            return from_dict(dict(value))
        return from_object(value)

    return serialize


def _missing(model: str, name: str) -> TypeError:
    return TypeError(
        f"the handler's result has no field {name!r}, which response_model {model} requires"
    )


def route_serializer(tp: Any) -> Serialize:
    """The serializer for a route's results: tuples and Response objects pass through it."""
    from covet.http._responses import Response

    convert = serializer(tp) or _identity

    def serialize(result: Any) -> Any:
        if isinstance(result, Response) or result is None:
            return result
        if type(result) is tuple:
            return (convert(result[0]), *result[1:])
        return convert(result)

    return serialize
