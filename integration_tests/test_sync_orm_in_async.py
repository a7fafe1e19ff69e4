"""covet-orm's sync API inside covet.http's async handlers: it works, and it does not block the
event loop (issue 12 §1).

The concurrency tests cannot pass if a sync call blocks the loop: N requests each make a sync ORM
call that the database holds until all N are waiting at once (a PostgreSQL advisory lock, a
MariaDB ``GET_LOCK``) -- with a blocked loop only one request ever reaches the database and the
barrier gives up; on SQLite a request whose sync write waits for a lock held by the test must not
stall a concurrent ``/ping``.
"""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from covet.http import Covet, on_loop
from covet.http.testing import TestClient
from covet.orm import (
    CharField,
    Database,
    IntegerField,
    Model,
    SynchronousOnlyError,
    SyncORMMiddleware,
    sync_orm,
)

from ._servers import server_database

N = 4  # concurrent requests held at the barrier
BARRIER_WAIT = 20.0  # seconds the barrier waits for all N (a blocked loop never gets there)


class Person(Model):
    name = CharField(max_length=20)
    age = IntegerField(default=0)

    class Meta:
        table_name = "sync_in_async_person"


def _database_url(backend: str, tmp_path: Path) -> Iterator[str]:
    with server_database(backend, "sync_async", tmp_path) as url:
        yield url


@pytest.fixture(params=["sqlite", "postgres", "mysql"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    for url in _database_url(request.param, tmp_path):
        database = Database(url, default=True, pool_size=N + 2)
        database.create_tables([Person])
        try:
            yield database
        finally:
            database.close()


@pytest.fixture
def server_db(db: Database) -> Database:
    if db.dialect.name == "sqlite":
        pytest.skip("the barrier needs a server's locks")
    return db


def mission_app() -> Covet:
    app = Covet()

    @app.post("/users")
    async def create_user(data: dict):  # type: ignore[no-untyped-def,type-arg]
        user = Person(**data)
        user.save()
        return user.to_dict()

    return app


def test_mission_snippet_answers_200(db: Database) -> None:
    with TestClient(mission_app()) as client:
        reply = client.post("/users", json={"name": "ada"})
    assert reply.status_code == 200, reply.text
    assert reply.json() == {"id": 1, "name": "ada", "age": 0}
    assert Person.objects.get(pk=1).name == "ada"


def test_the_sync_api_in_an_async_handler(db: Database) -> None:
    app = Covet()

    @app.get("/work")
    async def work() -> dict[str, Any]:
        ada = Person(name="ada")
        ada.save()
        Person.objects.create(name="bob", age=3)
        ada.age = 36
        ada.save(update_fields=["age"])
        Person.objects.filter(name="bob").update(age=4)
        bob = Person.objects.get(name="bob")
        bob.refresh_from_db()
        names = [p.name for p in Person.objects.order_by("name")]
        streamed = [p.name for p in Person.objects.order_by("name").iterator(chunk_size=1)]
        count = Person.objects.count()
        for _first in Person.objects.order_by("name").iterator(chunk_size=1):
            break  # an abandoned stream is closed (its connection returned) right here
        bob.delete()
        return {
            "names": names,
            "streamed": streamed,
            "count": count,
            "ages": dict(Person.objects.values_list("name", "age")),
            "left": Person.objects.count(),
        }

    with TestClient(app) as client:
        reply = client.get("/work")
    assert reply.status_code == 200, reply.text
    assert reply.json() == {
        "names": ["ada", "bob"],
        "streamed": ["ada", "bob"],
        "count": 2,
        "ages": {"ada": 36},
        "left": 1,
    }


def test_sync_and_async_calls_share_one_transaction(db: Database) -> None:
    app = Covet()

    @app.post("/mixed")
    async def mixed(fail: bool = False) -> dict[str, Any]:
        with db.transaction():  # sync block: the async transaction of this task underneath
            ada = Person(name="ada")
            ada.save()
            await Person.objects.filter(pk=ada.pk).aupdate(age=36)  # same connection
            async with db.transaction():  # a savepoint of the same transaction
                bob = Person(name="bob")
                await bob.asave()
                Person.objects.filter(pk=bob.pk).update(age=4)
            inside = {"in_transaction": db.in_transaction(), "count": await Person.objects.acount()}
            if fail:
                raise RuntimeError("roll back everything")
        return inside

    with TestClient(app, raise_server_exceptions=False) as client:
        assert client.post("/mixed").json() == {"in_transaction": True, "count": 2}
        assert client.post("/mixed", params={"fail": "true"}).status_code == 500
    assert sorted(Person.objects.values_list("name", "age")) == [("ada", 36), ("bob", 4)]


def test_covet_orm_is_a_covet_http_extension() -> None:
    from covet.http import _extensions

    assert dict(_extensions.installed())["sync_orm_in_async"] is SyncORMMiddleware


def test_turned_off_it_raises_the_strict_error(db: Database) -> None:
    app = Covet(extensions={"sync_orm_in_async": False})
    raised: list[BaseException] = []

    @app.get("/count")
    async def count() -> int:
        try:
            return Person.objects.count()
        except SynchronousOnlyError as exc:
            raised.append(exc)
            raise

    with TestClient(app) as client:
        assert client.get("/count").status_code == 500
    assert "await QuerySet.acount()" in str(raised[0])


async def test_outside_covet_http_it_raises_naming_both_ways_out(db: Database) -> None:
    with pytest.raises(SynchronousOnlyError) as raised:
        Person.objects.count()
    message = str(raised.value)
    assert "await QuerySet.acount()" in message
    assert "SyncORMMiddleware" in message and "@covet.orm.sync_orm" in message


async def test_the_decorator_opens_the_way_under_bare_asyncio(db: Database) -> None:
    @sync_orm
    async def job() -> int:
        Person.objects.create(name="eve")
        return Person.objects.count()

    assert await job() == 1
    with pytest.raises(SynchronousOnlyError):  # only inside the decorated call
        Person.objects.count()


def test_the_middleware_opens_the_way_under_starlette(db: Database) -> None:
    from starlette.applications import Starlette
    from starlette.middleware import Middleware
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    async def create(request: Any) -> JSONResponse:
        person = Person(**(await request.json()))
        person.save()
        return JSONResponse(person.to_dict())

    app = Starlette(
        routes=[Route("/people", create, methods=["POST"])],
        middleware=[Middleware(SyncORMMiddleware)],
    )
    with TestClient(app) as client:
        assert client.post("/people", json={"name": "ada"}).json()["name"] == "ada"


def test_the_middleware_and_the_decorator_under_fastapi(db: Database) -> None:
    from fastapi import FastAPI

    app = FastAPI()

    @app.post("/people")
    async def create(data: dict[str, Any]) -> dict[str, Any]:
        person = Person(**data)
        person.save()
        return person.to_dict()

    @app.get("/count")
    @sync_orm
    async def count() -> int:  # the decorator alone, without the middleware
        return Person.objects.count()

    with TestClient(SyncORMMiddleware(app)) as client:
        assert client.post("/people", json={"name": "ada"}).json()["name"] == "ada"
    with TestClient(app) as client:
        assert client.get("/count").json() == 1


# -- the loop is not blocked ----------------------------------------------------------------------


class Barrier:
    """Holds N sync ORM calls in the database until all N wait at once, then lets them go.

    The test's own connection takes the lock first; each request's sync call then waits for it
    in the database. The lock is let go only once N sessions wait for it, else after
    ``BARRIER_WAIT`` seconds (the requests then finish, and the test fails on ``most_waiting``).
    """

    def __init__(self, db: Database) -> None:
        self.db = db
        self.kind = db.dialect.name
        self.holder = Database(_url(db), default=False, pool_size=1)
        self.most_waiting = 0

    def wait_sql(self) -> str:
        if self.kind == "postgresql":
            return "SELECT pg_advisory_lock_shared(1212), pg_advisory_unlock_shared(1212)"
        return "SELECT GET_LOCK('covet_barrier', 60), RELEASE_LOCK('covet_barrier')"

    def _waiting(self) -> int:
        if self.kind == "postgresql":
            sql = (
                "SELECT count(*) AS n FROM pg_locks WHERE locktype = 'advisory' "
                "AND objid = 1212 AND NOT granted"
            )
        else:
            sql = (
                "SELECT count(*) AS n FROM information_schema.processlist "
                "WHERE info LIKE 'SELECT GET_LOCK(%%covet_barrier%%' AND id <> CONNECTION_ID()"
            )
        row = self.holder.fetch_one(sql)
        assert row is not None
        return int(row["n"])

    def run(self, start: Callable[[], list[Future[Any]]]) -> list[Any]:
        with self.holder.transaction():
            if self.kind == "postgresql":
                self.holder.execute("SELECT pg_advisory_lock(1212)")
            else:
                self.holder.execute("SELECT GET_LOCK('covet_barrier', 10)")
            futures = start()
            deadline = time.monotonic() + BARRIER_WAIT
            while time.monotonic() < deadline:
                self.most_waiting = max(self.most_waiting, self._waiting())
                if self.most_waiting >= N:
                    break
                time.sleep(0.02)
            if self.kind == "postgresql":
                self.holder.execute("SELECT pg_advisory_unlock(1212)")
            else:
                self.holder.execute("SELECT RELEASE_LOCK('covet_barrier')")
        try:
            return [future.result(timeout=60) for future in futures]
        finally:
            self.holder.close()


def _url(db: Database) -> str:
    u = db.url
    auth = u.username or ""
    return f"{u.scheme}://{auth}@{u.host}:{u.port}/{u.database}"


def barrier_app(db: Database, barrier: Barrier) -> Covet:
    app = Covet()

    @app.get("/wait")
    async def wait() -> dict[str, Any]:
        db.execute(barrier.wait_sql())  # sync: the task suspends while the database holds it
        return {"people": Person.objects.count()}

    return app


def test_concurrent_sync_calls_wait_together(server_db: Database) -> None:
    barrier = Barrier(server_db)
    with TestClient(barrier_app(server_db, barrier)) as client, ThreadPoolExecutor(N) as pool:
        replies = barrier.run(lambda: [pool.submit(client.get, "/wait") for _ in range(N)])
    assert barrier.most_waiting == N
    assert [r.status_code for r in replies] == [200] * N


@pytest.mark.parametrize("how", ["decorator", "app"])
def test_def_handlers_on_the_loop_wait_together(server_db: Database, how: str) -> None:
    """``@on_loop`` / ``Covet(def_handlers="loop")``: a ``def`` handler runs on the loop's
    thread, and its sync ORM calls suspend the request like an async handler's. One worker
    thread (``thread_limit=1``) would let only one request at a time reach the database."""
    barrier = Barrier(server_db)
    app = Covet(thread_limit=1, def_handlers="loop" if how == "app" else "threads")

    def wait() -> dict[str, Any]:
        server_db.execute(barrier.wait_sql())
        return {"people": Person.objects.count()}

    app.add_route("/wait", on_loop(wait) if how == "decorator" else wait)
    with TestClient(app) as client, ThreadPoolExecutor(N) as pool:
        replies = barrier.run(lambda: [pool.submit(client.get, "/wait") for _ in range(N)])
    assert barrier.most_waiting == N
    assert [r.json() for r in replies] == [{"people": 0}] * N


def test_the_barrier_catches_a_blocked_loop(server_db: Database) -> None:
    """The control: a handler that blocks the loop (the sync API run straight on the loop's
    thread, as it would without a portal) never gets N requests to the database at once."""
    global BARRIER_WAIT
    barrier = Barrier(server_db)
    app = Covet()

    @app.get("/wait")
    async def wait() -> str:
        # what a blocking call does: hold the loop until the database answers
        thread = threading.Thread(target=server_db.execute, args=(barrier.wait_sql(),))
        thread.start()
        thread.join()
        return "done"

    saved, BARRIER_WAIT = BARRIER_WAIT, 3.0
    try:
        with TestClient(app) as client, ThreadPoolExecutor(N) as pool:
            barrier.run(lambda: [pool.submit(client.get, "/wait") for _ in range(N)])
    finally:
        BARRIER_WAIT = saved
    assert barrier.most_waiting == 1


def test_sqlite_sync_work_does_not_stall_ping(tmp_path: Path) -> None:
    path = tmp_path / "ping.db"
    db = Database(f"sqlite:///{path}", default=True, busy_timeout=30)
    db.create_tables([Person])
    started = threading.Event()
    app = Covet()

    @app.post("/people")
    async def create(data: dict[str, Any]) -> dict[str, Any]:
        started.set()
        person = Person(**data)
        person.save()  # waits for the test's write lock, off the loop
        return person.to_dict()

    @app.get("/ping")
    async def ping() -> str:
        return "pong"

    holder = sqlite3.connect(path, isolation_level=None)
    try:
        with TestClient(app) as client, ThreadPoolExecutor(1) as pool:
            holder.execute("BEGIN IMMEDIATE")  # the write lock: the save() must wait
            writing = pool.submit(client.post, "/people", json={"name": "ada"})
            assert started.wait(10)
            assert client.get("/ping").text == "pong"
            assert not writing.done()  # still waiting for the lock, and /ping was served
            holder.execute("COMMIT")
            reply = writing.result(timeout=30)
            assert reply.status_code == 200 and reply.json()["name"] == "ada"
    finally:
        holder.close()
        db.close()


# -- a real uvicorn ------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


APP_MODULE = """
import os
from covet.http import Covet, on_loop
from covet.orm import CharField, Database, Model

db = Database(os.environ["SNIPPET_DATABASE_URL"])


class User(Model):
    name = CharField(max_length=20)
    email = CharField(max_length=50, unique=True, null=True)

    class Meta:
        table_name = "snippet_users"


async def lifespan(app):
    await db.acreate_tables([User])
    yield


app = Covet(lifespan=lifespan)


@app.post('/users')
async def create_user(data: dict):
    user = User(**data)
    user.save()
    return user.to_dict()
"""


@pytest.mark.slow
def test_mission_snippet_under_uvicorn(db: Database, tmp_path: Path) -> None:
    (tmp_path / "snippet.py").write_text(textwrap.dedent(APP_MODULE))
    port = _free_port()
    env = {**os.environ, "SNIPPET_DATABASE_URL": _served_url(db)}
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "snippet:app", "--port", str(port),
         "--log-level", "warning", "--app-dir", str(tmp_path)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                output = process.stdout.read().decode() if process.stdout else ""
                pytest.fail(f"uvicorn exited with {process.returncode}:\n{output}")
            try:
                reply = httpx.post(f"{base}/users", json={"name": "ada"}, timeout=5)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    pytest.fail("uvicorn did not start within 30 seconds")
                time.sleep(0.1)
        assert reply.status_code == 200, reply.text
        assert reply.json() == {"id": 1, "name": "ada", "email": None}
        bad = [
            ({"name": "x" * 21}, 422),  # ValidationError (max_length)
            ({"name": "eve", "admin": True}, 422),  # not a field
            ({"name": None}, 422),  # NOT NULL
            ({"name": "eve", "email": "e@x"}, 200),
            ({"name": "eve", "email": "e@x"}, 409),  # unique
        ]
        for body, status in bad:
            reply = httpx.post(f"{base}/users", json=body, timeout=5)
            assert reply.status_code == status, (body, reply.text)
            if status != 200:
                assert reply.headers["content-type"] == "application/problem+json"
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stdout:
            process.stdout.close()


def _served_url(db: Database) -> str:
    if db.dialect.name == "sqlite":
        return f"sqlite:///{db.url.database}"
    return _url(db)
