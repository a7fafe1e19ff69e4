"""Model bodies under the pytest plugin's ``db`` fixture, as a user's test suite runs them: rows
written through a model body and read back as a QuerySet result (loaded through the async API)
are the test's, rolled back after it, for ``def`` and ``async def`` handlers alike.

The suite runs in a pytest of its own (pytester), as the plugin's own tests do, so its session
fixtures never meet this session's."""

from __future__ import annotations

import os
import textwrap

import pytest

pytest_plugins = ["pytester"]

INI = """
[pytest]
asyncio_mode = auto
asyncio_default_fixture_loop_scope = function
"""

TESTS = """
from typing import Any

import pytest

from covet.http import Covet
from covet.http.testing import TestClient
from covet.orm import CharField, Database, Model


class Memo(Model):
    text = CharField(max_length=20)

    class Meta:
        table_name = "bodies_memo_rollback"
        ordering = ["id"]


@pytest.fixture(scope="session")
def covet_models():
    return [Memo]


def make_app() -> Covet:
    app = Covet()

    @app.post("/memos", status_code=201, response_model=Memo)
    def add(data: Memo) -> Memo:
        data.save()
        return data

    @app.get("/memos", response_model=list[Memo])
    def memos() -> Any:
        return Memo.objects.all()  # loaded on the loop through the async API

    @app.get("/async/memos", response_model=list[Memo])
    async def async_memos() -> Any:
        return Memo.objects.all()

    return app


@pytest.mark.parametrize("run", [1, 2])
def test_rows_written_through_a_body_are_rolled_back(db: Database, run: int) -> None:
    assert Memo.objects.count() == 0  # the other run's row is gone
    with TestClient(make_app()) as client:
        assert client.post("/memos", json={"text": f"run {run}"}).status_code == 201
        assert [m["text"] for m in client.get("/memos").json()] == [f"run {run}"]
        assert [m["text"] for m in client.get("/async/memos").json()] == [f"run {run}"]
    assert Memo.objects.get().text == f"run {run}"
"""

SERVERS = {
    "postgres": ("COVET_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"),
    "mysql": ("COVET_TEST_MYSQL_URL", "mysql://root@127.0.0.1:3306/test"),
}


@pytest.mark.parametrize("backend", ["sqlite", "postgres", "mysql"])
def test_model_bodies_share_the_rolled_back_transaction(
    pytester: pytest.Pytester, backend: str
) -> None:
    if backend == "sqlite":
        url = f"sqlite:///{pytester.path / 'bodies.db'}"
    else:
        variable, default = SERVERS[backend]
        base = os.environ.get(variable, default)
        url = base.rsplit("/", 1)[0] + f"/covet_bodies_{os.getpid()}"
    pytester.makeini(INI)
    pytester.makepyfile(test_memos=textwrap.dedent(TESTS))
    result = pytester.runpytest_subprocess(f"--covet-db-url={url}", "-p", "no:cacheprovider", "-q")
    outcomes = result.parseoutcomes()
    if (
        backend != "sqlite"
        and outcomes.get("errors")
        and not outcomes.get("passed")
        and os.environ.get("CI") != "true"
    ):
        pytest.skip(f"{backend} unreachable? set {SERVERS[backend][0]}\n{result.stdout.str()}")
    result.assert_outcomes(passed=2)
