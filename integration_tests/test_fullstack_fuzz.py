"""Hypothesis drives random JSON bodies into the write endpoints of examples/fullstack, on
SQLite, PostgreSQL and MariaDB (issue 11): any JSON value (integers of any size, floats, text
with lone surrogates escaped as JSON allows, NUL, nested lists and objects, and now and then NaN
or Infinity, which are not JSON) in any field. Every answer is below 500, and the tables hold
exactly what the successful answers said: nothing else, nothing half-written.

Bounded: a fixed number of examples per database, a few seconds each; derandomized on CI
(conftest.py's ``ci`` profile)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from covet.auth import PasswordHasher
from covet.http.testing import TestClient

from .test_fullstack_bad_input import Session, database_url, fullstack

__all__ = ["database_url"]  # the fixture: SQLite, PostgreSQL and MariaDB in turn

COMPARED = ("id", "url", "title", "notes", "tags", "visits")
EXAMPLES = 80  # per database: about 3 s each

BIG = st.sampled_from([2**31, 2**53 + 1, 2**63 - 1, 2**63, -(2**63) - 1, 2**64, 10**30])
TEXT = st.text(
    st.characters(codec=None, exclude_categories=()),  # every code point, surrogates included
    max_size=40,
) | st.sampled_from(["", "\x00", "a\x00b", "\ud800", "x" * 201, "é" * 201, "https://a.example"])
URLS = st.sampled_from(["https://a.example", "http://b.example/p?q=1", "https://c.example:8080/"])
SCALARS = st.none() | st.booleans() | st.integers() | BIG | st.floats(allow_nan=False) | TEXT
JSON_VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
    max_leaves=8,
)
FIELD_VALUE = st.one_of(JSON_VALUES, TEXT, st.lists(TEXT, max_size=3), URLS)


VALID_TEXT = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=30)


def mostly(valid: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """A valid value three times in four, anything else otherwise: most bodies reach the
    database, and each field is bad on its own often enough."""
    return st.one_of(valid, valid, valid, FIELD_VALUE)


def bookmark_body(required: bool) -> st.SearchStrategy[dict[str, Any]]:
    fields = {"url": mostly(URLS), "title": mostly(VALID_TEXT.filter(bool))}
    optional = {"notes": mostly(VALID_TEXT), "tags": mostly(st.lists(VALID_TEXT, max_size=3))}
    if required:
        return st.fixed_dictionaries(fields, optional=optional)
    return st.fixed_dictionaries({}, optional={**fields, **optional}).filter(bool)


SIGNUP = st.fixed_dictionaries(
    {
        # lower case: MariaDB's default collation would take "Ada" for "ada" (a 409 there only)
        "username": mostly(st.from_regex(r"[a-z0-9_.-]{1,20}", fullmatch=True)),
        "password": mostly(st.text(min_size=8, max_size=20).filter(lambda p: p.isascii())),
    },
    optional={"email": mostly(st.just("ada@example.org"))},
)
# one in ten bodies spells a number as NaN / Infinity (not JSON: a 4xx)
NOT_JSON = st.sampled_from(["NaN", "Infinity", "-Infinity", "1e400"])


@st.composite
def requests(draw: st.DrawFn) -> tuple[str, str, bytes]:
    kind = draw(st.sampled_from(["create", "patch", "signup"]))
    if kind == "create":
        method, path, body = "POST", "/bookmarks", draw(bookmark_body(required=True))
    elif kind == "patch":
        method, path, body = "PATCH", "{id}", draw(bookmark_body(required=False))
    else:
        method, path, body = "POST", "/auth/signup", draw(SIGNUP)
    if draw(st.booleans()) and draw(st.booleans()) and draw(st.booleans()):
        body = {**body, draw(st.sampled_from(sorted(body) or ["title"])): 0.5}
        text = json.dumps(body).replace("0.5", draw(NOT_JSON), 1)
    else:
        text = json.dumps(body)  # ensure_ascii: a lone surrogate is sent as "\ud800"
    return method, path, text.encode()


@pytest.fixture
def session(database_url: str) -> Iterator[Session]:
    app = fullstack.create_app(database_url, password_hasher=PasswordHasher.for_testing())
    with TestClient(app, base_url="https://testserver") as client:
        yield Session(client)


def snapshot(session: Session) -> tuple[int, dict[int, dict[str, Any]]]:
    users, rows, _ = session.state()
    return users, {row["id"]: {k: row[k] for k in COMPARED} for row in rows}


def test_random_json_bodies_never_500_and_tables_hold_what_was_answered(session: Session) -> None:
    seen: dict[int, int] = {}

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    @given(requests())
    def run(request: tuple[str, str, bytes]) -> None:
        method, template, content = request
        path = template.replace("{id}", session.path)
        users, rows = snapshot(session)
        reply = session.send(method, path, content=content)
        assert reply.status_code < 500, (method, path, content, reply.text)
        seen[reply.status_code] = seen.get(reply.status_code, 0) + 1
        if reply.status_code >= 400:
            assert reply.headers["content-type"] == "application/problem+json"
        elif path == "/auth/signup":
            users += 1
        else:
            answered = reply.json()
            rows = {**rows, answered["id"]: {k: answered[k] for k in COMPARED}}
        # the tables hold what the answers said: nothing else, nothing half-written
        assert snapshot(session) == (users, rows), (method, path, content, reply.text)

    run()
    # the runs reach the database: some bodies were stored, some refused
    assert any(code < 300 for code in seen) and any(code >= 400 for code in seen), seen
