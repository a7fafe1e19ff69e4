"""JSON Schema (2020-12, as OpenAPI 3.1 uses it) for the Python types handlers declare.

Named classes (dataclasses, TypedDicts, enums, model-library classes) become shared components
referenced with ``$ref``; everything else is written inline. Model classes are described by their
own library (:mod:`covet.http._models`), all of one library's classes in one call, once every route
has been seen, so their component names and cross-references stay the library's own.
"""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import enum
import re
import types
import typing
import uuid
from collections.abc import Mapping, Sequence
from typing import Annotated, Any, Literal, Union, get_args, get_origin, is_typeddict

from covet.http._constraints import collect
from covet.http._datastructures import UploadFile
from covet.http._models import Mode, ModelAdapter, find_adapter, result_type
from covet.http._validation import QUALIFIERS, typeddict_required

REF = "#/components/schemas/{model}"
_NULL = {"type": "null"}
_SCALARS: dict[Any, dict[str, Any]] = {
    str: {"type": "string"},
    int: {"type": "integer"},
    float: {"type": "number"},
    bool: {"type": "boolean"},
    bytes: {"type": "string"},
    uuid.UUID: {"type": "string", "format": "uuid"},
    datetime.datetime: {"type": "string", "format": "date-time"},
    datetime.date: {"type": "string", "format": "date"},
    datetime.time: {"type": "string", "format": "time"},
    # read from a number or a decimal string; written as a string (the JSON encoder's rule)
    decimal.Decimal: {
        "type": ["number", "string"],
        "pattern": r"^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$",
    },
}
_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def _jsonable(value: Any) -> bool:
    if value is None or isinstance(value, bool | int | float | str):
        return not (isinstance(value, float) and value != value)  # NaN has no JSON form
    if isinstance(value, list | tuple):
        return all(_jsonable(item) for item in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _jsonable(v) for k, v in value.items())
    return False


def default_value(value: Any) -> tuple[bool, Any]:
    """``(True, json value)`` when ``value`` can be written as a schema's ``default``."""
    if isinstance(value, enum.Enum):
        value = value.value
    if isinstance(value, uuid.UUID | decimal.Decimal):
        return True, str(value)
    if isinstance(value, datetime.date | datetime.time):
        return True, value.isoformat()
    if isinstance(value, set | frozenset):
        value = sorted(value, key=repr)
    if isinstance(value, tuple):
        value = list(value)
    return (True, value) if _jsonable(value) else (False, None)


class SchemaRegistry:
    """Builds schemas for annotations and collects the named ones as components."""

    def __init__(self) -> None:
        self.components: dict[str, dict[str, Any]] = {}
        self._names: dict[Any, str] = {}
        #: model-library classes waiting for their library: adapter -> [(type, mode, placeholder)]
        self._pending: dict[int, tuple[ModelAdapter, list[tuple[Any, Mode, dict[str, Any]]]]] = {}

    # -- naming -----------------------------------------------------------------------------

    def _claim(self, tp: Any) -> str:
        """A component name for ``tp``: its class name, made unique (``Item``, ``Item2``...)."""
        base = _NAME.sub("_", getattr(tp, "__name__", "Schema")) or "Schema"
        name, n = base, 1
        taken = set(self._names.values()) | set(self.components)
        while name in taken:
            n += 1
            name = f"{base}{n}"
        self._names[tp] = name
        return name

    def ref(self, name: str) -> dict[str, Any]:
        return {"$ref": REF.format(model=name)}

    # -- schemas ----------------------------------------------------------------------------

    def schema(self, tp: Any, mode: Mode = "validation") -> dict[str, Any]:
        """The JSON Schema of annotation ``tp`` (a fresh dict the caller may extend)."""
        if tp is Any or tp is object or tp is typing.Annotated:
            return {}
        if tp is None or tp is type(None):
            return dict(_NULL)
        loaded = result_type(tp)
        if loaded is not tp:  # QuerySet[M]: the list[M] it loads as
            return self.schema(loaded, mode)
        origin = get_origin(tp)
        if origin in QUALIFIERS:  # a TypedDict's NotRequired[int]
            return self.schema(get_args(tp)[0], mode)
        if origin is Annotated:
            base, *metadata = get_args(tp)
            schema = self.schema(base, mode)
            rules = collect(metadata)
            if rules is not None:
                inner = _non_null(schema)
                inner.update(rules.json_schema(array=inner.get("type") == "array"))
            for item in metadata:  # msgspec.Meta / pydantic Field descriptions
                text = getattr(item, "description", None)
                if isinstance(text, str) and type(item).__module__.startswith(
                    ("msgspec", "pydantic", "covet")
                ):
                    schema["description"] = text
            return schema
        if origin in (Union, types.UnionType):
            options = [self.schema(arg, mode) for arg in get_args(tp)]
            flat: list[dict[str, Any]] = []
            for option in options:
                flat.extend(option["anyOf"] if list(option) == ["anyOf"] else [option])
            return {"anyOf": flat}
        if origin is Literal:
            return _literal(get_args(tp))
        if tp in _SCALARS:
            return dict(_SCALARS[tp])
        if tp is UploadFile:
            return {
                "type": "string",
                "format": "binary",
                "contentMediaType": "application/octet-stream",
            }
        if isinstance(tp, type) and issubclass(tp, enum.Enum):
            return self._named(tp, mode, self._enum)
        if tp is dict or origin is dict or origin is Mapping:
            args = get_args(tp)
            schema = {"type": "object"}
            if len(args) == 2 and args[1] not in (Any, object):
                schema["additionalProperties"] = self.schema(args[1], mode)
            return schema
        if tp in (list, set, frozenset, tuple) or origin in (list, set, frozenset, tuple, Sequence):
            return self._array(tp, origin or tp, mode)
        if dataclasses.is_dataclass(tp) and isinstance(tp, type):
            return self._named(tp, mode, self._dataclass)
        if is_typeddict(tp):
            return self._named(tp, mode, self._typeddict)
        adapter = find_adapter(tp)
        if adapter is not None:
            placeholder: dict[str, Any] = {}
            self._pending.setdefault(id(adapter), (adapter, []))[1].append((tp, mode, placeholder))
            return placeholder
        if isinstance(tp, type) and tp.__init__ is not object.__init__:  # type: ignore[misc]
            return {"type": "string"}  # a class built from text (query/path values)
        return {}

    def _array(self, tp: Any, origin: Any, mode: Mode) -> dict[str, Any]:
        args = [arg for arg in get_args(tp)]
        schema: dict[str, Any] = {"type": "array"}
        if origin is tuple and args and (len(args) != 2 or args[1] is not Ellipsis):
            if args == [()]:  # tuple[()]
                return {"type": "array", "maxItems": 0}
            schema["prefixItems"] = [self.schema(arg, mode) for arg in args]
            schema["minItems"] = schema["maxItems"] = len(args)
            return schema
        item = args[0] if args else Any
        if item is not Any:
            schema["items"] = self.schema(item, mode)
        if origin in (set, frozenset):
            schema["uniqueItems"] = True
        return schema

    def _named(self, tp: Any, mode: Mode, build: Any) -> dict[str, Any]:
        name = self._names.get(tp)
        if name is None:
            name = self._claim(tp)
            self.components[name] = {}  # claimed first: a recursive type refers to itself
            self.components[name] = build(tp, mode)
        return self.ref(name)

    def _enum(self, tp: type[enum.Enum], mode: Mode) -> dict[str, Any]:
        schema = _literal(tuple(member.value for member in tp))
        schema.pop("const", None)
        schema["enum"] = [member.value for member in tp]
        schema["title"] = tp.__name__
        doc = tp.__doc__
        if doc and doc != enum.Enum.__doc__ and not doc.startswith("An enumeration."):
            schema["description"] = _clean(doc)
        return schema

    def _dataclass(self, tp: Any, mode: Mode) -> dict[str, Any]:
        hints = typing.get_type_hints(tp, include_extras=True)
        properties: dict[str, Any] = {}
        required: list[str] = []
        for field in dataclasses.fields(tp):
            if not field.init and mode == "validation":
                continue
            prop = self.schema(hints.get(field.name, Any), mode)
            if field.default is not dataclasses.MISSING:
                ok, value = default_value(field.default)
                if ok:
                    prop = _with_default(prop, value)
            elif field.default_factory is dataclasses.MISSING:
                required.append(field.name)
            properties[field.name] = prop
        return _object(tp, properties, required)

    def _typeddict(self, tp: Any, mode: Mode) -> dict[str, Any]:
        hints = typing.get_type_hints(tp, include_extras=True)
        properties = {name: self.schema(hint, mode) for name, hint in hints.items()}
        needed = typeddict_required(tp, hints)
        required = [name for name in hints if name in needed]
        return _object(tp, properties, required)

    # -- the model libraries ----------------------------------------------------------------

    def finish(self) -> None:
        """Ask each model library for its pending classes' schemas; fill the placeholders."""
        pending, self._pending = self._pending, {}
        for adapter, entries in pending.values():
            unique: list[tuple[Any, Mode]] = []
            for tp, mode, _ in entries:
                if (tp, mode) not in unique:
                    unique.append((tp, mode))
            schemas, components = adapter.json_schemas(unique, REF)
            renames = {}
            for name, schema in components.items():
                if name in self.components and self.components[name] != schema:
                    renames[name] = _free_name(name, self.components, components)
            if renames:
                components = _rename(components, renames)
                schemas = _rename(schemas, renames)
            for name, schema in components.items():
                self.components[renames.get(name, name)] = schema
            by_type = dict(zip(unique, schemas, strict=True))
            for tp, mode, placeholder in entries:
                placeholder.update(by_type[(tp, mode)])


def _free_name(name: str, *taken: Mapping[str, Any]) -> str:
    n = 2
    while any(f"{name}{n}" in names for names in taken):
        n += 1
    return f"{name}{n}"


def _rename(value: Any, renames: dict[str, str]) -> Any:
    """``value`` with ``$ref``s to renamed components rewritten (and renamed keys at the top)."""
    refs = {REF.format(model=old): REF.format(model=new) for old, new in renames.items()}

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            return {
                key: (refs.get(item, item) if key == "$ref" else walk(item))
                for key, item in node.items()
            }
        if isinstance(node, list):
            return [walk(item) for item in node]
        return node

    if isinstance(value, dict) and not any(k.startswith("$") for k in value):
        return {renames.get(key, key): walk(item) for key, item in value.items()}
    return walk(value)


def _literal(choices: tuple[Any, ...]) -> dict[str, Any]:
    values = [choice.value if isinstance(choice, enum.Enum) else choice for choice in choices]
    kinds = {type(value) for value in values}
    schema: dict[str, Any] = {}
    names = {str: "string", int: "integer", float: "number", bool: "boolean", type(None): "null"}
    if len(kinds) == 1 and next(iter(kinds)) in names:
        schema["type"] = names[next(iter(kinds))]
    if len(values) == 1:
        schema["const"] = values[0]
    else:
        schema["enum"] = values
    return schema


def _non_null(schema: dict[str, Any]) -> dict[str, Any]:
    """The part of ``schema`` that constraints apply to (the X of ``X | None``)."""
    options = schema.get("anyOf")
    if isinstance(options, list):
        rest = [option for option in options if option != _NULL]
        if len(rest) == 1:
            return rest[0]  # type: ignore[no-any-return]
    return schema


def _with_default(schema: dict[str, Any], value: Any) -> dict[str, Any]:
    schema["default"] = value
    return schema


def _object(tp: Any, properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    schema: dict[str, Any] = {"title": tp.__name__, "type": "object", "properties": properties}
    if required:
        schema["required"] = required
    doc = tp.__doc__
    if doc and not (dataclasses.is_dataclass(tp) and doc.startswith(f"{schema['title']}(")):
        schema["description"] = _clean(doc)
    return schema


def _clean(doc: str) -> str:
    import inspect

    return inspect.cleandoc(doc)
