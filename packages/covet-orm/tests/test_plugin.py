"""covet-orm's pytest plugin (covet.orm.testing), run on generated test files with pytester.

Each case runs pytest in a subprocess against SQLite, PostgreSQL and MariaDB (``--covet-db-url``
with a database name unique to this run; the plugin appends ``_test`` and creates it).
"""

from __future__ import annotations

import os
import textwrap
from urllib.parse import urlsplit, urlunsplit

import pytest

from covet.orm.testing import isolated_database_url

from .conftest import SERVER_ENV

pytest_plugins = ["pytester"]

MODELS = """
from covet.http import Covet
from covet.orm import CharField, Model, get_default_database


class Note(Model):
    title = CharField(max_length=50)

    class Meta:
        table_name = "plugin_note"


app = Covet()


@app.post("/notes", status_code=201)
async def create(data: dict):
    note = Note(**data)
    note.save()
    return note.to_dict()


@app.get("/notes/count")
async def count():
    return {"count": await Note.objects.acount()}
"""

CONFTEST = """
import pytest
from models import Note


@pytest.fixture(scope="session")
def covet_models():
    return [Note]
"""


@pytest.fixture(params=["sqlite", "postgres", "mysql"])
def base_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path_factory.mktemp('plugin') / 'app.db'}"
    admin = os.environ[SERVER_ENV[request.param]]
    parts = urlsplit(admin)
    return urlunsplit(parts._replace(path=f"/covet_plugin_{os.getpid()}"))


INI = """
[pytest]
asyncio_mode = auto
asyncio_default_fixture_loop_scope = function
"""


def run(pytester: pytest.Pytester, base_url: str, tests: str, *args: str) -> pytest.RunResult:
    pytester.makeini(INI)
    pytester.makepyfile(models=MODELS)
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_cases=textwrap.dedent(tests))
    return pytester.runpytest_subprocess(
        f"--covet-db-url={base_url}", "-p", "no:cacheprovider", "-q", *args
    )


def test_a_row_written_in_one_test_is_gone_in_the_next(
    pytester: pytest.Pytester, base_url: str
) -> None:
    tests = """
        from covet.http.testing import TestClient
        from models import Note, app


        def test_writes(db):
            Note.objects.create(title="by the test")
            with TestClient(app) as client:  # the app runs on another thread and loop
                assert client.post("/notes", json={"title": "by the app"}).status_code == 201
                assert client.get("/notes/count").json() == {"count": 2}  # sees the test's row
            assert sorted(Note.objects.values_list("title", flat=True)) == [
                "by the app", "by the test",
            ]


        def test_sees_nothing(db):
            assert Note.objects.count() == 0


        async def test_async_writes(db):
            from covet.http.testing import AsyncTestClient

            await Note.objects.acreate(title="async")
            async with AsyncTestClient(app) as client:
                await client.post("/notes", json={"title": "by the app"})
                assert (await client.get("/notes/count")).json() == {"count": 2}


        def test_sees_nothing_again(db):
            assert Note.objects.count() == 0
    """
    result = run(pytester, base_url, tests)
    result.assert_outcomes(passed=4)


def test_nested_transactions_are_savepoints(pytester: pytest.Pytester, base_url: str) -> None:
    tests = """
        import pytest
        from models import Note


        def test_savepoint(db):
            Note.objects.create(title="kept")
            with pytest.raises(RuntimeError):
                with db.transaction():
                    Note.objects.create(title="rolled back")
                    raise RuntimeError
            with db.transaction():
                Note.objects.create(title="also kept")
            assert sorted(Note.objects.values_list("title", flat=True)) == ["also kept", "kept"]


        async def test_async_savepoint(db):
            with pytest.raises(RuntimeError):
                async with db.transaction():
                    await Note.objects.acreate(title="rolled back")
                    raise RuntimeError
            assert await Note.objects.acount() == 0
    """
    run(pytester, base_url, tests).assert_outcomes(passed=2)


def test_transactional_db_commits_and_empties_the_tables(
    pytester: pytest.Pytester, base_url: str
) -> None:
    tests = """
        from covet.orm import Database
        from models import Note


        def test_commits(transactional_db, covet_database_url):
            with transactional_db.transaction():
                Note.objects.create(title="committed")
            other = Database(covet_database_url, default=False)  # another connection sees it
            try:
                assert other.fetch_one("SELECT count(*) AS n FROM plugin_note")["n"] == 1
            finally:
                other.close()


        def test_emptied(transactional_db):
            assert Note.objects.count() == 0
            assert Note.objects.create(title="again").pk == 1  # ids start over
    """
    run(pytester, base_url, tests).assert_outcomes(passed=2)


def test_isolation_holds_after_an_app_shut_down_in_a_transactional_test(
    pytester: pytest.Pytester, base_url: str
) -> None:
    """An app's shutdown closes every database's connections (database_lifecycle): the next
    test's rollback must still hold."""
    tests = """
        from covet.http.testing import TestClient
        from models import Note, app


        def test_first(db):  # the connection host starts here, on the database as it is
            assert Note.objects.count() == 0


        def test_committing(transactional_db):
            with TestClient(app) as client:
                client.post("/notes", json={"title": "committed"})
            assert Note.objects.count() == 1


        def test_rolled_back(db):
            with TestClient(app) as client:
                client.post("/notes", json={"title": "by the app"})
            assert Note.objects.count() == 1


        def test_empty(db):
            assert Note.objects.count() == 0
    """
    run(pytester, base_url, tests, "-p", "no:randomly").assert_outcomes(passed=4)


def test_assert_num_queries(pytester: pytest.Pytester, base_url: str) -> None:
    tests = """
        from models import Note


        def test_exact(db, assert_num_queries):
            with assert_num_queries(2):
                Note.objects.create(title="a")
                Note.objects.get(title="a")


        def test_too_many(db, assert_num_queries):
            with assert_num_queries(1):
                Note.objects.create(title="a")
                list(Note.objects.all())


        async def test_async_with(db, assert_num_queries, capture_queries):
            async with assert_num_queries(2):
                await Note.objects.acreate(title="a")
                await Note.objects.aget(title="a")
            async with capture_queries(transactions=True) as queries:
                await Note.objects.acount()
            assert [q.sql.split()[0] for q in queries] == ["SELECT"]
            assert queries[0].is_async


        async def test_async_too_few(db, assert_num_queries):
            async with assert_num_queries(3):
                await Note.objects.acount()
    """
    result = run(pytester, base_url, tests)
    result.assert_outcomes(passed=2, failed=2)
    result.stdout.fnmatch_lines(["*expected 1 query, ran 2:*", "*1. INSERT INTO*", "*2. SELECT*"])
    result.stdout.fnmatch_lines(["*expected 3 queries, ran 1:*", "*1. SELECT*"])


def test_each_xdist_worker_has_its_own_database(pytester: pytest.Pytester, base_url: str) -> None:
    tests = """
        import os
        import pytest
        from models import Note


        @pytest.mark.parametrize("i", range(4))
        def test_worker(db, covet_database_url, i):
            worker = os.environ["PYTEST_XDIST_WORKER"]
            assert f"_test_{worker}" in covet_database_url
            Note.objects.create(title=worker)
            assert list(Note.objects.values_list("title", flat=True)) == [worker]
    """
    run(pytester, base_url, tests, "-n", "2").assert_outcomes(passed=4)


def test_the_database_url_comes_from_the_environment(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, tmp_path: os.PathLike[str]
) -> None:
    url = f"sqlite:///{tmp_path}/from_env.db"
    monkeypatch.setenv("COVET_TEST_DATABASE_URL", url)
    pytester.makeini(INI)
    pytester.makepyfile(models=MODELS)
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(
        test_env=f"""
        def test_url(covet_database_url):
            assert covet_database_url == {isolated_database_url(url)!r}
        """
    )
    pytester.runpytest_subprocess("-p", "no:cacheprovider").assert_outcomes(passed=1)


@pytest.mark.parametrize(
    ("url", "worker", "expected"),
    [
        ("postgresql://u@h:5432/app", None, "postgresql://u@h:5432/app_test"),
        ("mysql://root@h/app?charset=x", "gw3", "mysql://root@h/app_test_gw3?charset=x"),
        ("sqlite:///data/app.db", "gw0", "sqlite:///data/app_test_gw0.db"),
        ("sqlite:////abs/app.db", None, "sqlite:////abs/app_test.db"),
        ("sqlite:///:memory:", "gw0", "sqlite:///:memory:"),
    ],
)
def test_isolated_database_url(url: str, worker: str | None, expected: str) -> None:
    assert isolated_database_url(url, worker) == expected
