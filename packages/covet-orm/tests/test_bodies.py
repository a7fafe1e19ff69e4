"""Models as JSON bodies, without covet.http: what each field accepts from a decoded JSON body,
how it is written back, and which fields a client may set (``_schema``, ``_bodies``)."""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import re
import uuid
from typing import Any

import pytest

from covet.orm import (
    BinaryField,
    BooleanField,
    CharField,
    DateField,
    DateTimeField,
    DecimalField,
    DurationField,
    EmailField,
    EnumField,
    F,
    FloatField,
    GeneratedField,
    GenericIPAddressField,
    ImproperlyConfigured,
    IntegerField,
    InvalidBody,
    JSONField,
    Model,
    ModelSchema,
    Partial,
    SlugField,
    TimeField,
    UUIDField,
    ValidationError,
    json_schema,
)
from covet.orm._schema import ADAPTER, spec_of


class Size(enum.IntEnum):
    S = 1
    L = 2


class Gadget(Model):
    code = UUIDField(primary_key=True, default=uuid.uuid4)
    name = CharField(max_length=8)
    email = EmailField(null=True)
    slug = SlugField(default="x")
    count = IntegerField(default=0)
    ratio = FloatField(default=0.5)
    price = DecimalField(max_digits=5, decimal_places=2, default=decimal.Decimal("1.00"))
    on = BooleanField(default=False)
    day = DateField(null=True)
    at = DateTimeField(null=True)
    time = TimeField(null=True)
    span = DurationField(null=True)
    blob = BinaryField(null=True)
    size = EnumField(Size, default=Size.S)
    ip = GenericIPAddressField(null=True)
    data = JSONField(null=True)
    total = GeneratedField(expression=F("count") * 2, output_field=IntegerField())
    owner = IntegerField(default=0, editable=False)

    class Meta:
        table_name = "bodies_gadget"


def _errors(data: Any, tp: Any = Gadget) -> dict[str, tuple[str, str]]:
    with pytest.raises(InvalidBody) as caught:
        ADAPTER.validator(tp)(data, ("body",))
    return {"/".join(map(str, e["loc"])): (e["msg"], e["type"]) for e in caught.value.entries}


def test_every_kind_of_field_reads_its_json_value() -> None:
    gadget = ADAPTER.validator(Gadget)(
        {
            "name": "box",
            "email": "a@b.co",
            "count": 3.0,
            "ratio": 2,
            "price": 1.5,
            "on": True,
            "day": "2024-02-29",
            "at": "2024-02-29T10:00:00+02:00",
            "time": "10:30",
            "span": 90.5,
            "blob": "AAEC",
            "size": 2,
            "ip": "2001:DB8:0::1",
            "data": {"k": [1, None]},
        },
        ("body",),
    )
    assert isinstance(gadget, Gadget) and gadget._adding
    assert gadget.count == 3 and type(gadget.count) is int and gadget.ratio == 2.0
    assert gadget.price == decimal.Decimal("1.50") and str(gadget.price) == "1.50"
    assert gadget.day == dt.date(2024, 2, 29)
    assert gadget.at == dt.datetime(2024, 2, 29, 8, tzinfo=dt.UTC)
    assert gadget.time == dt.time(10, 30) and gadget.span == dt.timedelta(seconds=90.5)
    assert gadget.blob == b"\x00\x01\x02" and gadget.size is Size.L
    assert gadget.ip == "2001:db8::1" and gadget.data == {"k": [1, None]}
    assert isinstance(gadget.code, uuid.UUID)  # the default: the pk is not client-writable


def test_json_values_of_the_wrong_kind_are_refused() -> None:
    errors = _errors(
        {
            "name": 1,
            "email": "nobody",
            "slug": "a b",
            "count": "1",
            "ratio": True,
            "price": "abc",
            "on": 1,
            "day": "29/02/2024",
            "span": "1 day",
            "blob": "***",
            "size": 3,
            "ip": "1.2.3",
        }
    )
    assert errors == {
        "body/name": ("Input should be a valid string", "string_type"),
        "body/email": ("not a valid email address", "value_error"),
        "body/slug": (
            "a slug has only ASCII letters, digits, hyphens and underscores",
            "value_error",
        ),
        "body/count": ("Input should be a valid integer", "int_type"),
        "body/ratio": ("Input should be a valid number", "float_type"),
        "body/price": ("Input should be a valid decimal", "decimal_parsing"),
        "body/on": ("Input should be a valid boolean", "bool_type"),
        "body/day": ("Input should be a valid date", "date_parsing"),
        "body/span": ("Input should be a duration in seconds", "duration_type"),
        "body/blob": ("Input should be base64-encoded bytes", "bytes_type"),
        "body/size": ("Input should be one of 1, 2", "enum"),
        "body/ip": ("invalid value: '1.2.3' is not an IP address", "value_error"),
    }


def test_read_only_fields_and_unknown_names() -> None:
    errors = _errors({"name": "n", "code": str(uuid.uuid4()), "total": 1, "owner": 2, "x": 0})
    assert errors["body/code"] == ("read-only field: the server sets it", "read_only")
    assert errors["body/total"] == ("read-only field: the server sets it", "read_only")
    assert errors["body/owner"] == ("read-only field: the server sets it", "read_only")
    assert errors["body/x"][1] == "extra_forbidden"

    class WithCode(ModelSchema, model=Gadget, include=["code", "name"]):
        pass

    code = uuid.uuid4()
    made = ADAPTER.validator(WithCode)({"code": str(code), "name": "n"}, ())
    assert made.code == code  # a selection that names the primary key makes it writable


def test_an_invalid_body_is_a_validation_error_answering_422() -> None:
    with pytest.raises(ValidationError) as caught:
        ADAPTER.validator(Gadget)({"name": "far too long"}, ("body",))
    assert caught.value.errors == {"name": ["at most 8 characters (it has 12)"]}
    problem = caught.value.__problem__()
    assert problem["status"] == 422


def test_partial_bodies_hold_only_what_was_sent() -> None:
    patch_type = Partial[Gadget]
    assert patch_type.__name__ == "GadgetPatch" and issubclass(patch_type, Partial)
    patch = ADAPTER.validator(patch_type)({"count": 2, "email": None}, ("body",))
    assert patch.values == {"count": 2, "email": None} and patch.fields == ["email", "count"]
    gadget = Gadget(name="n", email="a@b.co")
    assert patch.apply(gadget) is gadget and gadget.count == 2 and gadget.email is None
    assert _errors({"name": None}, patch_type) == {
        "body/name": ("this field cannot be null", "value_error")
    }
    small = Gadget.schema(include=["name"], partial=True)
    assert issubclass(small, Partial) and small.__name__ == "GadgetNamePatch"
    assert _errors({"count": 1}, small)["body/count"][1] == "extra_forbidden"


def test_fields_are_written_as_json() -> None:
    gadget = Gadget(
        name="n",
        at=dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.UTC),
        day=dt.date(2024, 1, 2),
        time=dt.time(3, 4),
        span=dt.timedelta(minutes=1),
        blob=b"\x00\x01\x02",
        size=Size.L,
        data={"a": 1},
    )
    out = spec_of(Gadget).dump(gadget)
    assert out["code"] == str(gadget.code) and out["price"] == "1.00"
    assert out["at"] == "2024-01-02T03:04:05+00:00" and out["day"] == "2024-01-02"
    assert out["time"] == "03:04:00" and out["span"] == 60.0 and out["blob"] == "AAEC"
    assert out["size"] == 2 and out["data"] == {"a": 1} and out["email"] is None
    assert out["total"] is None  # not computed yet (never saved)
    del gadget.__dict__["total"]
    assert "total" not in spec_of(Gadget).dump(gadget)  # generated: read back later
    del gadget.__dict__["ratio"]  # deferred
    with pytest.raises(TypeError, match=r"no Gadget.ratio"):
        spec_of(Gadget).dump(gadget)
    assert "ratio" not in gadget.__covet_json__()
    assert spec_of(Gadget).dump({"name": "d"} | {f.name: None for f in Gadget._meta.fields})


def test_a_schema_needs_its_model_and_real_field_names() -> None:
    with pytest.raises(ImproperlyConfigured, match="needs its model"):

        class Orphan(ModelSchema):
            pass

    with pytest.raises(ImproperlyConfigured, match="'nope', which is not a field"):
        Gadget.schema(exclude=["nope"])
    with pytest.raises(TypeError, match="not instantiated"):
        Gadget.schema(include=["name"])()
    assert not ADAPTER.handles(int) and ADAPTER.handles(Gadget)
    narrow = Gadget.schema(include=["name", "count"], name="Small", partial=True)
    assert narrow.__name__ == "SmallPatch"
    assert ADAPTER.validator(narrow)({"count": 1}, ()).values == {"count": 1}
    assert _errors({"on": True}, narrow)["body/on"][1] == "extra_forbidden"

    class Changes(ModelSchema, model=Gadget, include=["name"], partial=True):
        pass

    changes = ADAPTER.validator(Changes)({"name": "m"}, ())
    assert isinstance(changes, Partial) and changes.values == {"name": "m"}
    assert _errors({"count": 1}, Changes)["body/count"][1] == "extra_forbidden"
    refs, components = ADAPTER.json_schemas([(Changes, "validation")], "{model}")
    assert refs == [{"$ref": "Changes"}] and "required" not in components["Changes"]


def test_json_schemas_for_reading_writing_and_patching() -> None:
    refs, components = ADAPTER.json_schemas(
        [(Gadget, "serialization"), (Gadget, "validation"), (Partial[Gadget], "validation")],
        "#/$defs/{model}",
    )
    assert refs == [
        {"$ref": "#/$defs/Gadget"},
        {"$ref": "#/$defs/GadgetWrite"},
        {"$ref": "#/$defs/GadgetPatch"},
    ]
    read, write = components["Gadget"], components["GadgetWrite"]
    assert "total" not in read["required"] and "code" in read["required"]
    integer = {"type": "integer", "minimum": -(2**31), "maximum": 2**31 - 1}
    assert read["properties"]["total"] == {"anyOf": [integer, {"type": "null"}]}
    assert write["required"] == ["name"]
    assert "code" not in write["properties"] and "owner" not in write["properties"]
    assert write["properties"]["size"] == {"enum": [1, 2], "default": 1}
    assert write["properties"]["price"]["anyOf"][0] == {"type": "number"}
    assert read["properties"]["price"] == {"type": "string", "format": "decimal", "default": "1.00"}
    assert read["properties"]["blob"]["anyOf"][0]["contentEncoding"] == "base64"
    assert "required" not in components["GadgetPatch"]


@json_schema(pattern=r"\S")
def _not_blank(value: str) -> None:
    if not re.search(r"\S", value, re.ASCII):
        raise ValueError("must have a non-blank character")


def test_a_validator_declares_the_rule_it_enforces_in_the_document() -> None:
    class Memo(Model):
        title = CharField(max_length=9, validators=[_not_blank])
        slug = SlugField()

        class Meta:
            table_name = "bodies_memo"

    _, components = ADAPTER.json_schemas([(Memo, "validation")], "{model}")
    properties = components["MemoWrite"]["properties"]
    assert properties["title"] == {"type": "string", "maxLength": 9, "pattern": r"\S"}
    assert _errors({"title": " ", "slug": "a"}, Memo) == {
        "body/title": ("must have a non-blank character", "value_error")
    }
    slug = re.compile(properties["slug"]["pattern"])  # what the field accepts, no more
    assert slug.search("a-b_1") and not slug.search("a\n") and not slug.search("a b")
    assert "body/slug" in _errors({"title": "t", "slug": "a\n"}, Memo)


def test_one_component_when_reading_and_writing_agree() -> None:
    class Names(ModelSchema, model=Gadget, include=["name"]):
        pass

    refs, components = ADAPTER.json_schemas(
        [(Names, "serialization"), (Names, "validation")], "{model}"
    )
    assert refs == [{"$ref": "Names"}, {"$ref": "Names"}]
    assert components["Names"]["required"] == ["name"]
    assert components["Names"]["additionalProperties"] is False
