from __future__ import annotations

import dataclasses
import datetime
import enum
import importlib.util
import sys
import uuid
from decimal import Decimal
from types import ModuleType
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from covet.http import _json
from covet.http._json import InvalidJSON, json_dumps, json_loads


class Color(enum.Enum):
    RED = "red"


@dataclasses.dataclass
class Point:
    x: int
    when: datetime.date


class Custom:
    def to_dict(self) -> dict[str, Any]:
        return {"custom": True}


VALUE = {
    "dt": datetime.datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=datetime.UTC),
    "naive": datetime.datetime(2024, 5, 6, 7, 8, 9),
    "date": datetime.date(2024, 5, 6),
    "time": datetime.time(7, 8, 9),
    "uuid": uuid.UUID("12345678-1234-5678-1234-567812345678"),
    "decimal": Decimal("1.10"),
    "enum": Color.RED,
    "point": Point(1, datetime.date(2024, 1, 1)),
    "custom": Custom(),
    "set": {1},
    "text": "h\u00e9llo",
    1: "int key",
}
EXPECTED = (
    '{"dt":"2024-05-06T07:08:09.123456+00:00","naive":"2024-05-06T07:08:09",'
    '"date":"2024-05-06","time":"07:08:09","uuid":"12345678-1234-5678-1234-567812345678",'
    '"decimal":"1.10","enum":"red","point":{"x":1,"when":"2024-01-01"},'
    '"custom":{"custom":true},"set":[1],"text":"h\u00e9llo","1":"int key"}'
).encode()


def load_without_orjson(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    monkeypatch.setitem(sys.modules, "orjson", None)  # makes `import orjson` fail
    spec = importlib.util.spec_from_file_location("_json_stdlib", _json.__file__)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_dumps_is_compact_and_encodes_common_types() -> None:
    assert json_dumps(VALUE) == EXPECTED


def test_stdlib_backend_encodes_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    stdlib = load_without_orjson(monkeypatch)
    assert stdlib.BACKEND == "json"
    assert stdlib.json_dumps(VALUE) == EXPECTED
    assert stdlib.json_loads(b'{"a":[1,2]}') == {"a": [1, 2]}
    with pytest.raises(stdlib.InvalidJSON, match="Invalid JSON"):
        stdlib.json_loads(b"{")
    with pytest.raises(stdlib.InvalidJSON, match="deeper than the limit of 64"):
        stdlib.json_loads(b"[" * 100_000 + b"]" * 100_000)


def test_dumps_rejects_unknown_types() -> None:
    with pytest.raises(TypeError, match="not JSON serializable"):
        json_dumps({"x": object()})


def test_loads_round_trip_and_str_input() -> None:
    assert json_loads(b'{"a": [1, 2.5, "x", null, true]}') == {"a": [1, 2.5, "x", None, True]}
    assert json_loads('{"\u00e9": 1}') == {"\u00e9": 1}


@pytest.mark.parametrize("bad", [b"", b"{", b"{'a': 1}", b"[1,]", b"nope", b"\xff\xfe"])
def test_loads_rejects_bad_json_with_a_clear_message(bad: bytes) -> None:
    with pytest.raises(InvalidJSON, match="Invalid JSON"):
        json_loads(bad)
    assert issubclass(InvalidJSON, ValueError)


def test_depth_limit() -> None:
    assert json_loads(b"[" * 64 + b"]" * 64) is not None
    with pytest.raises(InvalidJSON, match="deeper than the limit of 64 levels"):
        json_loads(b"[" * 65 + b"]" * 65)
    assert json_loads(b'{"a":' * 5 + b"1" + b"}" * 5, max_depth=5) is not None
    with pytest.raises(InvalidJSON, match="limit of 4 levels"):
        json_loads(b'{"a":' * 5 + b"1" + b"}" * 5, max_depth=4)


def test_depth_limit_ignores_brackets_inside_strings_and_wide_documents() -> None:
    assert json_loads(b'["' + b"[" * 500 + b'"]') == ["[" * 500]
    assert json_loads(b'["\\"[[[[[[", 1]', max_depth=1) == ['"[[[[[[', 1]
    wide = b"[" + b",".join([b'{"a":[1]}'] * 1000) + b"]"
    assert len(json_loads(wide, max_depth=3)) == 1000


def test_depth_bomb_is_refused_cheaply() -> None:
    with pytest.raises(InvalidJSON, match="deeper"):
        json_loads(b"[" * 5_000_000 + b"]" * 5_000_000)
    with pytest.raises(InvalidJSON, match="deeper"):
        json_loads(b"[" * 1_000_000)
    with pytest.raises(InvalidJSON, match="deeper"):
        json_loads(b"[[]" * 1_000_000 + b"]" * 1_000_000)
    with pytest.raises(InvalidJSON, match="Invalid JSON"):
        json_loads(b"[]" * 60 + b"[" * 10 + b"}" * 10)  # mismatched: the parser reports it


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(alphabet='[]{}"\\ab,:'),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.text(alphabet='[]{}"\\ab'), children, max_size=4)
    ),
    max_leaves=30,
)


def depth(value: Any) -> int:
    if isinstance(value, list):
        return 1 + max((depth(item) for item in value), default=0)
    if isinstance(value, dict):
        return 1 + max((depth(item) for item in value.values()), default=0)
    return 0


@settings(max_examples=300)
@given(json_values)
def test_depth_limit_matches_the_real_nesting(value: Any) -> None:
    import json

    data = json.dumps(value).encode()
    levels = depth(value)
    assert json_loads(data, max_depth=max(levels, 1)) == value
    if levels > 1:
        with pytest.raises(InvalidJSON, match="deeper"):
            json_loads(data, max_depth=levels - 1)


def test_integers_beyond_64_bits_stay_exact() -> None:
    big = {"id": 2**70, "neg": -(2**63) - 1}
    assert json_dumps(big) == b'{"id":1180591620717411303424,"neg":-9223372036854775809}'
    assert json_loads(json_dumps(big)) == big
    assert json_loads(b'"19 digits 1234567890123456789 in a string"') == (
        "19 digits 1234567890123456789 in a string"
    )


def test_an_unterminated_string_is_skipped_in_one_linear_match() -> None:
    # The depth check strips strings with a regex; an unterminated string used to fail at every
    # one of its (escaped) quotes and be rescanned from each: quadratic, 80 KB took 26 s of CPU
    # on the event loop. Now the string pattern also ends at the end of the data.
    for tail in (b"", b"\\", b"x"):
        unterminated = b'"' + b'\\"' * 1000 + tail
        match = _json._STRING.match(unterminated)
        assert match is not None
        assert match.end() == len(unterminated)
    hostile = b"[" * 70 + b'"' + b'\\"' * 200_000  # 400 KB, well under the body limit
    with pytest.raises(InvalidJSON):
        json_loads(hostile)


@pytest.mark.parametrize(
    "document",
    [
        b"[NaN]",
        b"[Infinity]",
        b"[-Infinity]",
        b'{"id": 12345678901234567890123, "x": NaN}',  # long numbers go to the stdlib parser
        b"[12345678901234567890123, -Infinity]",
    ],
)
def test_nan_and_infinity_are_not_json_on_either_parser(document: bytes) -> None:
    with pytest.raises(InvalidJSON):
        json_loads(document)


# -- one set of rules, whichever parser runs ---------------------------------------------------

REFUSED = [
    b'"\\ud800"',  # a lone high surrogate
    b'"\\udc00x"',  # a lone low surrogate
    b'"\\udc00\\ud800"',  # a pair in the wrong order
    b'{"\\ud800": 1}',  # in a key
    b"1e400",  # past a double's range
    b"-1E400",
    b"9" * 400,  # an integer past a double's range
    b"\xef\xbb\xbf[1]",  # a byte order mark
    b'"\xed\xa0\x80"',  # a surrogate encoded in (invalid) UTF-8
    b'"\xc0\x80"',
    b"[NaN]",
]


@pytest.mark.parametrize("document", REFUSED)
@pytest.mark.parametrize("long_digits", [b"", b"1234567890123456789012"])
def test_the_same_documents_are_refused_with_or_without_long_numbers(
    document: bytes, long_digits: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A run of 19 digits anywhere used to switch to the standard library, which takes lone
    # surrogates: the body then failed later, as a 500.
    with_number = (
        b'{"n": ' + long_digits + b', "v": ' + document + b"}" if long_digits else document
    )
    in_string = (
        b'{"id": "' + long_digits + b'", "v": ' + document + b"}" if long_digits else document
    )
    stdlib = load_without_orjson(monkeypatch)
    for candidate in (with_number, in_string):
        with pytest.raises(InvalidJSON):
            json_loads(candidate)
        with pytest.raises(stdlib.InvalidJSON):
            stdlib.json_loads(candidate)


def test_a_str_with_a_lone_surrogate_is_invalid_json() -> None:
    with pytest.raises(InvalidJSON, match="lone surrogate"):
        json_loads('"\ud800"')


def test_valid_pairs_escaped_backslashes_and_big_integers_are_read_alike(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    stdlib = load_without_orjson(monkeypatch)
    document = (
        b'{"emoji": "\\ud83d\\ude00", "text": "\\\\ud800", "big": -123456789012345678901234,'
        b' "u64": 18446744073709551615, "float": 1.2345678901234567890123e5,'
        b' "id": "1234567890123456789"}'
    )
    expected = {
        "emoji": "\U0001f600",
        "text": "\\ud800",
        "big": -123456789012345678901234,
        "u64": 18446744073709551615,
        "float": 123456.78901234567,
        "id": "1234567890123456789",
    }
    assert json_loads(document) == stdlib.json_loads(document) == expected
    assert type(json_loads(b"123456789012345678901234")) is int


_SPECIAL = [b"9" * 19, b" ", b"\n", b"\xed\xa0\x80", b"\xc3\xa9", b"\xef\xbb\xbf", b"\x00"]
_PIECES = [
    *b'[ ] { } , : " \\ u d800 dc00 d83d de00 0 1 - . e E + 400 true null NaN'.split(),
    *_SPECIAL,
]
_JSON_BYTES = st.lists(st.sampled_from(_PIECES), max_size=24).map(b"".join)


@given(_JSON_BYTES)
def test_orjson_and_the_stdlib_agree_on_every_document(document: bytes) -> None:
    """A differential check: acceptance and values are the same on both parsers."""
    try:
        expected: Any = ("ok", _json._strict_loads(document))
    except ValueError:
        expected = ("refused",)
    try:
        got: Any = ("ok", json_loads(document))
    except InvalidJSON:
        got = ("refused",)
    assert got == expected


_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**40), max_value=10**40)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(), children, max_size=4)
    ),
    max_leaves=12,
)


@given(_VALUES)
def test_any_value_round_trips_exactly(value: Any) -> None:
    assert json_loads(json_dumps(value)) == value


def test_a_lone_surrogate_beside_a_long_number_is_a_client_error_in_the_app() -> None:
    from covet.http import Covet, Request
    from covet.http.testing import TestClient

    app = Covet()

    @app.post("/typed")
    async def typed(data: dict[str, Any]) -> dict[str, Any]:
        return {"name": data["name"].encode("utf-8").decode()}

    @app.post("/raw")
    async def raw(request: Request) -> dict[str, Any]:
        data = await request.json()
        return {"name": data["name"].encode("utf-8").decode()}

    client = TestClient(app)
    body = b'{"id": "1234567890123456789012", "name": "\\ud800"}'
    headers = {"content-type": "application/json"}
    typed_reply = client.post("/typed", content=body, headers=headers)
    assert typed_reply.status_code == 422
    assert typed_reply.json()["errors"][0]["type"] == "json_invalid"
    assert client.post("/raw", content=body, headers=headers).status_code == 400
    big = b'{"id": 123456789012345678901234567890, "name": "ok"}'
    assert client.post("/typed", content=big, headers=headers).json() == {"name": "ok"}


def test_a_named_tuple_encodes_as_an_array_on_both_back_ends(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from covet.http import Address

    stdlib = load_without_orjson(monkeypatch)
    value = {"client": Address("127.0.0.1", 5000)}
    assert json_dumps(value) == stdlib.json_dumps(value) == b'{"client":["127.0.0.1",5000]}'
