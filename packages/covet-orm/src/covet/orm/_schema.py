"""Models as request and response bodies: covet.http's ``ModelAdapter`` protocol, implemented
without importing covet.http (docs/model-bodies.md).

- ``data: User`` in a handler: a JSON object validated field by field, answered with an unsaved
  ``User``; ``data: Partial[User]``: only the fields sent, validated, to ``apply()`` to a row.
- ``class UserOut(ModelSchema, model=User, exclude=[...])``, or ``User.schema(...)``: a
  selection of fields, usable as a body annotation and as ``response_model=`` (what a response
  may hold: a password hash never leaves).
- Client-writable fields leave out the primary key (unless a selection names it), auto fields,
  ``auto_now``/``auto_now_add`` fields, generated fields and ``editable=False`` fields. A body
  naming one of them, or a name that is no field, is refused (422), not silently dropped.
- OpenAPI: ``User`` (what responses hold), ``UserWrite`` (a body, when it differs) and
  ``UserPatch`` (a partial body) components.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

from covet.orm import _exceptions as exc
from covet.orm._bodies import BadValue, decoder, encoder, field_schema
from covet.orm._fields import DecimalField

if TYPE_CHECKING:
    from covet.orm._fields import Field
    from covet.orm._model import Model

M = TypeVar("M", bound="Model")
Loc = tuple[str | int, ...]
_MISSING = object()


def _read_only(field: Field[Any], named: bool) -> bool:
    """Whether a client may never set ``field`` (``named``: the selection lists it)."""
    return (
        field.auto
        or field.generated
        or not field.editable
        or getattr(field, "auto_now", False)
        or getattr(field, "auto_now_add", False)
        or (field.primary_key and not named)
    )


class Spec:
    """One selection of a model's fields, and its compiled readers and writers."""

    def __init__(
        self,
        model: type[Model],
        name: str,
        include: Sequence[str] | None,
        exclude: Sequence[str],
        partial: bool,
        patch_name: str | None = None,
    ) -> None:
        meta = model._meta
        for given in (*(include or ()), *exclude):
            if given not in meta.fields_map:
                raise exc.ImproperlyConfigured(
                    f"{model.__name__}.schema() names {given!r}, which is not a field; "
                    f"fields: {', '.join(meta.fields_map)}"
                )
        chosen = set(include) if include is not None else set(meta.fields_map)
        chosen -= set(exclude)
        self.model, self.name, self.partial = model, name, partial
        self.patch_name = patch_name or name + "Patch"
        self.include = None if include is None else tuple(include)
        self.exclude = tuple(exclude)
        self.read: list[Field[Any]] = [fd for fd in meta.fields if fd.name in chosen]
        named = set(include or ())
        self.write: list[Field[Any]] = [
            fd for fd in self.read if not _read_only(fd, fd.name in named)
        ]
        self.required = (
            set()
            if partial
            else {fd.name for fd in self.write if not fd.has_default() and not fd.null}
        )
        self.read_only = {fd.name for fd in self.read} - {fd.name for fd in self.write}
        self.decoders = {fd.name: (fd, decoder(fd)) for fd in self.write}
        self.quantized = {fd.name for fd in self.write if isinstance(fd, DecimalField)}
        self.encoders = [(fd.name, encoder(fd), fd.generated) for fd in self.read]

    # -- request bodies ----------------------------------------------------------------------
    def values(self, data: Any, loc: Loc) -> dict[str, Any]:
        """The validated Python values of a decoded JSON body (InvalidBody if any is wrong)."""
        if type(data) is not dict:
            msg = f"Input should be a JSON object ({self.name})"
            raise exc.InvalidBody([{"loc": list(loc), "msg": msg, "type": "model_type"}])
        errors: list[dict[str, Any]] = []
        for key in data:
            if key in self.decoders:
                continue
            if key in self.read_only:
                msg, kind = "read-only field: the server sets it", "read_only"
            else:
                writable = ", ".join(self.decoders) or "none"
                msg, kind = f"unknown field; the fields are: {writable}", "extra_forbidden"
            errors.append({"loc": [*loc, key], "msg": msg, "type": kind})
        out: dict[str, Any] = {}
        for name, (field, decode) in self.decoders.items():
            value = data.get(name, _MISSING)
            if value is _MISSING:
                if name in self.required:
                    errors.append({"loc": [*loc, name], "msg": "Field required", "type": "missing"})
                continue
            where = [*loc, name]
            if value is not None:
                try:
                    value = decode(value)
                except BadValue as bad:
                    errors.append({"loc": where, "msg": str(bad), "type": bad.kind})
                    continue
            messages = field.validate(value)
            if messages:
                errors.extend({"loc": where, "msg": m, "type": "value_error"} for m in messages)
                continue
            out[name] = None if value is None else field.to_python(value)
        if errors:
            raise exc.InvalidBody(errors)
        for name in self.quantized.intersection(out):
            if out[name] is not None:  # rounded as save() stores it, so the answer shows that
                out[name] = self.decoders[name][0].prep(out[name])
        return out

    # -- responses ---------------------------------------------------------------------------
    def dump(self, value: Any, *, loaded: bool = False) -> dict[str, Any]:
        """The JSON-ready fields of a model instance (or a dict, or an object) in the selection.

        A deferred field is never loaded here (no hidden query): a field missing from the
        result is an error, except a generated one not yet read back after ``save()``;
        ``loaded``: leave every missing field out instead, as ``to_dict()`` does."""
        from covet.orm._model import Model

        if isinstance(value, Model):
            source: Mapping[str, Any] = value.__dict__
        elif isinstance(value, Mapping):
            source = value
        else:
            source = {name: getattr(value, name, _MISSING) for name, _, _ in self.encoders}
        out: dict[str, Any] = {}
        for name, encode, generated in self.encoders:
            item = source.get(name, _MISSING)
            if item is _MISSING:
                if generated or loaded:
                    continue
                raise TypeError(
                    f"the result has no {self.model.__name__}.{name} (deferred by only()/defer()"
                    f", or not a {self.model.__name__}), which the response model {self.name} "
                    "sends"
                )
            out[name] = item if encode is None or item is None else encode(item)
        return out

    # -- OpenAPI -----------------------------------------------------------------------------
    def read_schema(self) -> dict[str, Any]:
        return {
            "type": "object",
            "title": self.name,
            "properties": {fd.name: field_schema(fd, write=False) for fd in self.read},
            "required": [fd.name for fd in self.read if not fd.generated],
            "additionalProperties": False,  # dump() writes the selected fields and no others
        }

    def write_schema(self, title: str) -> dict[str, Any]:
        schema: dict[str, Any] = {
            "type": "object",
            "title": title,
            "properties": {fd.name: field_schema(fd, write=True) for fd in self.write},
            "additionalProperties": False,
        }
        required = [fd.name for fd in self.write if fd.name in self.required]
        if required:
            schema["required"] = required
        return schema

    def component(self, mode: str) -> tuple[str, dict[str, Any]]:
        """``(name, schema)`` of the component for ``mode`` ("validation": a request body)."""
        if mode != "validation":
            return self.name, self.read_schema()
        if self.partial:
            return self.patch_name, self.write_schema(self.patch_name)
        write = self.write_schema(self.name)
        read = self.read_schema()
        if (
            write["properties"] == read["properties"]
            and write.get("required", []) == read["required"]
        ):
            return self.name, read
        name = self.name + "Write"
        return name, {**write, "title": name}


class ModelSchema:
    """A selection of a model's fields, for a body annotation or ``response_model=``::

        class ArticleIn(ModelSchema, model=Article, include=["title", "body"]): ...

    (``Article.schema(include=[...])`` makes the same class in an expression). A body validated
    against it is an unsaved model instance holding the selected fields (the others keep their
    defaults): annotate ``data: Annotated[Article, ArticleIn]`` for type checkers to know it.
    The class name names its OpenAPI components (``ArticleIn``, ``ArticleInWrite``)."""

    __covet_spec__: ClassVar[Spec]
    __covet_model_adapter__: ClassVar[Any]

    def __init_subclass__(
        cls,
        *,
        model: type[Model] | None = None,
        include: Iterable[str] | None = None,
        exclude: Iterable[str] = (),
        partial: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init_subclass__(**kwargs)
        if model is not None:
            inc = None if include is None else tuple(include)
            name = cls.__name__
            cls.__covet_spec__ = Spec(model, name, inc, tuple(exclude), partial, name)
        elif "__covet_spec__" not in cls.__dict__:
            raise exc.ImproperlyConfigured(
                f"{cls.__name__} needs its model: class {cls.__name__}(ModelSchema, model=User, "
                "include=[...]) or exclude=[...]"
            )

    def __init__(self) -> None:
        raise TypeError(
            f"{type(self).__name__} describes a body; it is not instantiated (validated bodies "
            "are model instances)"
        )

    if TYPE_CHECKING:  # a body annotated with the schema is a model instance

        def __getattr__(self, name: str) -> Any: ...


class Partial(Generic[M]):
    """``data: Partial[User]``: the fields a PATCH body sent, each validated as ``User`` does.

    ``values`` holds them by name; ``apply(user)`` sets them on a row and returns it; ``fields``
    names them, for ``save(update_fields=patch.fields)``."""

    __covet_spec__: ClassVar[Spec]
    __covet_model_adapter__: ClassVar[Any]
    __slots__ = ("values",)

    def __init__(self, values: dict[str, Any]) -> None:
        self.values = values

    def __class_getitem__(cls, model: Any) -> Any:
        if isinstance(model, TypeVar):
            return super().__class_getitem__(model)  # type: ignore[misc]
        spec = spec_of(model)
        return spec_of_class(spec.model, spec.name, spec.include, spec.exclude, True)

    @property
    def fields(self) -> list[str]:
        return list(self.values)

    def apply(self, instance: M) -> M:
        """Set the sent fields on ``instance`` (not saved) and return it."""
        for name, value in self.values.items():
            setattr(instance, name, value)
        return instance

    def __contains__(self, name: object) -> bool:
        return name in self.values

    def __repr__(self) -> str:
        return f"<{type(self).__name__}: {self.values!r}>"


def spec_of(tp: Any) -> Spec:
    """The field selection a body annotation or response model stands for."""
    from covet.orm._model import Model

    if isinstance(tp, type) and issubclass(tp, Model):
        spec = tp._meta.cache.get("body-spec")
        if spec is None:
            spec = tp._meta.cache["body-spec"] = Spec(tp, tp.__name__, None, (), False)
        return spec
    found = getattr(tp, "__covet_spec__", None)
    if isinstance(found, Spec):
        return found
    raise TypeError(f"{tp!r} is not a covet.orm model or model schema")


def spec_of_class(
    model: type[Model],
    name: str,
    include: Iterable[str] | None,
    exclude: Iterable[str],
    partial: bool,
) -> type[Any]:
    """The (cached) class for a selection: a ``Partial`` subclass or a ``ModelSchema`` one."""
    inc = None if include is None else tuple(include)
    exc_ = tuple(exclude)
    key = ("body-class", name, inc, exc_, partial)
    cls = model._meta.cache.get(key)
    if cls is None:
        spec = Spec(model, name, inc, exc_, partial)
        base = Partial if partial else ModelSchema
        namespace = {"__covet_spec__": spec, "__module__": model.__module__}
        if partial:
            namespace["__slots__"] = ()
        cls = type(name + ("Patch" if partial else ""), (base,), namespace)
        model._meta.cache[key] = cls
    return cls


class ModelBodyAdapter:
    """covet.http's ``ModelAdapter`` for covet.orm models, ``Partial[...]`` and schemas."""

    def handles(self, tp: Any) -> bool:
        try:
            spec_of(tp)
        except TypeError:
            return False
        return True

    def validator(self, tp: Any) -> Callable[[Any, Loc], Any]:
        spec = spec_of(tp)
        model = spec.model
        if spec.partial:
            # a ModelSchema declared partial=True gives what Partial[...] gives
            make = tp if issubclass(tp, Partial) else Partial[tp]

            def patch(value: Any, loc: Loc) -> Any:
                return make(spec.values(value, loc))

            return patch

        def build(value: Any, loc: Loc) -> Any:
            return model(**spec.values(value, loc))

        return build

    def serializer(self, tp: Any) -> Callable[[Any], Any]:
        return spec_of(tp).dump

    def json_schemas(
        self, types: Sequence[tuple[Any, str]], ref_template: str
    ) -> tuple[list[dict[str, Any]], dict[str, dict[str, Any]]]:
        refs: list[dict[str, Any]] = []
        components: dict[str, dict[str, Any]] = {}
        for tp, mode in types:
            name, schema = spec_of(tp).component(mode)
            components[name] = schema
            refs.append({"$ref": ref_template.format(model=name)})
        return refs, components


ADAPTER = ModelBodyAdapter()
Partial.__covet_model_adapter__ = ADAPTER
ModelSchema.__covet_model_adapter__ = ADAPTER
