"""Relations on SQLite: covet-orm (sync and async) against hand-written SQL on sqlite3, Django
and SQLAlchemy 2 (sync), each peer in its own subprocess on the same database file.

    python scripts/bench/orm/relations.py            # prints a markdown table (ms, and x raw)
    python scripts/bench/orm/relations.py --postgres postgresql://postgres@127.0.0.1/postgres
                       # asyncpg (raw) and covet-orm on PostgreSQL, in a database made for it

(a) 1,000 books with their author (select_related / joinedload / a JOIN)
(b) 200 authors with all their books (prefetch_related / selectinload / IN)
(c) 500 books with their tags, many-to-many (prefetch_related / selectinload / IN)
(d) authors annotated with Count of their books (GROUP BY over a LEFT JOIN)
(e) the naive loop reading book.author for 1,000 books (each ORM's default lazy loading)
"""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

PEERS = ["raw_sqlite3", "covet_sync", "covet_async", "django", "sqlalchemy_sync"]
CASES = ["a", "b", "c", "d", "e"]
ROUNDS = 15


def seed(path: str) -> None:
    con = sqlite3.connect(path)
    con.executescript(
        """
        CREATE TABLE author (id INTEGER PRIMARY KEY, name VARCHAR(50) NOT NULL);
        CREATE TABLE book (id INTEGER PRIMARY KEY, title VARCHAR(50) NOT NULL,
            author_id INTEGER NOT NULL REFERENCES author (id));
        CREATE INDEX book_author ON book (author_id);
        CREATE TABLE tag (id INTEGER PRIMARY KEY, name VARCHAR(20) NOT NULL);
        CREATE TABLE book_tags (id INTEGER PRIMARY KEY, book_id INTEGER NOT NULL
            REFERENCES book (id), tag_id INTEGER NOT NULL REFERENCES tag (id),
            UNIQUE (book_id, tag_id));
        CREATE INDEX book_tags_tag ON book_tags (tag_id);
        """
    )
    con.executemany("INSERT INTO author VALUES (?, ?)", [(i, f"a{i}") for i in range(1, 201)])
    con.executemany(
        "INSERT INTO book VALUES (?, ?, ?)",
        [(i, f"b{i}", (i - 1) // 5 + 1) for i in range(1, 1001)],
    )
    con.executemany("INSERT INTO tag VALUES (?, ?)", [(i, f"t{i}") for i in range(1, 21)])
    pairs = [(b, (b + k) % 20 + 1) for b in range(1, 501) for k in range(3)]
    con.executemany("INSERT INTO book_tags (book_id, tag_id) VALUES (?, ?)", pairs)
    con.commit()
    con.close()


# -- peers: each returns {case: callable} -----------------------------------------------------
def raw_sqlite3(path: str) -> dict[str, Callable[[], Any]]:
    con = sqlite3.connect(path)

    def a() -> Any:
        return con.execute(
            "SELECT b.id, b.title, b.author_id, a.id, a.name FROM book b "
            "JOIN author a ON a.id = b.author_id"
        ).fetchall()

    def b() -> Any:
        authors = con.execute("SELECT id, name FROM author").fetchall()
        ids = [r[0] for r in authors]
        marks = ", ".join("?" * len(ids))
        books = con.execute(
            f"SELECT id, title, author_id FROM book WHERE author_id IN ({marks})", ids
        ).fetchall()
        return authors, books

    def c() -> Any:
        books = con.execute("SELECT id, title, author_id FROM book WHERE id <= 500").fetchall()
        ids = [r[0] for r in books]
        marks = ", ".join("?" * len(ids))
        tags = con.execute(
            "SELECT t.id, t.name, bt.book_id FROM tag t JOIN book_tags bt ON bt.tag_id = t.id "
            f"WHERE bt.book_id IN ({marks})",
            ids,
        ).fetchall()
        return books, tags

    def d() -> Any:
        return con.execute(
            "SELECT a.id, a.name, COUNT(b.id) FROM author a LEFT JOIN book b "
            "ON b.author_id = a.id GROUP BY a.id, a.name"
        ).fetchall()

    return {"a": a, "b": b, "c": c, "d": d, "e": a}


def _covet_models() -> Any:
    from covet.orm import CASCADE, CharField, ForeignKey, ManyToManyField, Model

    class Author(Model):
        name = CharField(max_length=50)

        class Meta:
            table_name = "author"

    class Tag(Model):
        name = CharField(max_length=20)

        class Meta:
            table_name = "tag"

    class Book(Model):
        title = CharField(max_length=50)
        author = ForeignKey(Author, on_delete=CASCADE, related_name="books")
        tags = ManyToManyField(Tag, related_name="books")

        class Meta:
            table_name = "book"

    return Author, Book


def _url(path: str) -> str:
    return path if "://" in path else f"sqlite:///{path}"


def covet_sync(path: str) -> dict[str, Callable[[], Any]]:
    from covet.orm import Count, Database

    Database(_url(path), default=True)
    Author, Book = _covet_models()
    return {
        "a": lambda: list(Book.objects.select_related("author")),
        "b": lambda: [len(a.books.all()) for a in Author.objects.prefetch_related("books")],
        "c": lambda: [
            len(b.tags.all()) for b in Book.objects.filter(id__lte=500).prefetch_related("tags")
        ],
        "d": lambda: list(Author.objects.annotate(n=Count("books"))),
        "e": lambda: [b.author.name for b in Book.objects.all()],
    }


def covet_async(path: str) -> dict[str, Callable[[], Any]]:
    from covet.orm import Count, Database

    Database(_url(path), default=True)
    Author, Book = _covet_models()
    loop = asyncio.new_event_loop()

    async def e() -> Any:  # async code loads explicitly: afetch on the first of the result
        books = await Book.objects.alist()
        await books[0].afetch("author")
        return [b.author.name for b in books]

    cases = {
        "a": lambda: Book.objects.select_related("author").alist(),
        "b": lambda: Author.objects.prefetch_related("books").alist(),
        "c": lambda: Book.objects.filter(id__lte=500).prefetch_related("tags").alist(),
        "d": lambda: Author.objects.annotate(n=Count("books")).alist(),
        "e": e,
    }
    return {k: (lambda f=f: loop.run_until_complete(f())) for k, f in cases.items()}


_DJANGO_MODELS = """
from django.db import models


class Author(models.Model):
    name = models.CharField(max_length=50)

    class Meta:
        db_table = "author"


class Tag(models.Model):
    name = models.CharField(max_length=20)

    class Meta:
        db_table = "tag"


class Book(models.Model):
    title = models.CharField(max_length=50)
    author = models.ForeignKey(Author, models.CASCADE, related_name="books")
    tags = models.ManyToManyField(Tag, related_name="books", db_table="book_tags")

    class Meta:
        db_table = "book"
"""


def django(path: str) -> dict[str, Callable[[], Any]]:
    import django as dj
    from django.conf import settings

    app = Path(path).parent / "bench_rel"  # reverse relations need an installed app
    app.mkdir(exist_ok=True)
    (app / "__init__.py").write_text("")
    (app / "models.py").write_text(_DJANGO_MODELS)
    sys.path.insert(0, str(app.parent))
    settings.configure(
        DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": path}},
        INSTALLED_APPS=["bench_rel"], USE_TZ=True, DEBUG=False,
    )  # fmt: skip
    dj.setup()
    from bench_rel.models import Author, Book  # type: ignore[import-not-found]
    from django.db.models import Count

    return {
        "a": lambda: list(Book.objects.select_related("author")),
        "b": lambda: [len(a.books.all()) for a in Author.objects.prefetch_related("books")],
        "c": lambda: [
            len(b.tags.all()) for b in Book.objects.filter(id__lte=500).prefetch_related("tags")
        ],
        "d": lambda: list(Author.objects.annotate(n=Count("books"))),
        "e": lambda: [b.author.name for b in Book.objects.all()],
    }


def sqlalchemy_sync(path: str) -> dict[str, Callable[[], Any]]:
    from sqlalchemy import Column, ForeignKey, Integer, String, Table, create_engine, func, select
    from sqlalchemy.orm import (
        DeclarativeBase,
        Session,
        joinedload,
        relationship,
        selectinload,
    )  # fmt: skip

    class Base(DeclarativeBase):
        pass

    book_tags = Table(
        "book_tags", Base.metadata, Column("id", Integer, primary_key=True),
        Column("book_id", ForeignKey("book.id")), Column("tag_id", ForeignKey("tag.id")),
    )  # fmt: skip

    class Author(Base):
        __tablename__ = "author"
        id = Column(Integer, primary_key=True)
        name = Column(String(50))
        books = relationship("Book", back_populates="author")

    class Tag(Base):
        __tablename__ = "tag"
        id = Column(Integer, primary_key=True)
        name = Column(String(20))

    class Book(Base):
        __tablename__ = "book"
        id = Column(Integer, primary_key=True)
        title = Column(String(50))
        author_id = Column(ForeignKey("author.id"))
        author = relationship(Author, back_populates="books")
        tags = relationship(Tag, secondary=book_tags)

    engine = create_engine(f"sqlite+pysqlite:///{path}")

    def run(stmt: Any, touch: Callable[[Any], Any] | None = None) -> Any:
        with Session(engine) as s:
            rows = s.scalars(stmt).unique().all()
            return [touch(r) for r in rows] if touch else rows

    return {
        "a": lambda: run(select(Book).options(joinedload(Book.author))),
        "b": lambda: run(
            select(Author).options(selectinload(Author.books)), lambda a: len(a.books)
        ),
        "c": lambda: run(
            select(Book).where(Book.id <= 500).options(selectinload(Book.tags)),
            lambda b: len(b.tags),
        ),
        "d": lambda: (
            Session(engine)
            .execute(
                select(Author.id, Author.name, func.count(Book.id))
                .outerjoin(Book)
                .group_by(Author.id, Author.name)
            )
            .all()
        ),
        "e": lambda: run(select(Book), lambda b: b.author.name),
    }


def raw_asyncpg(url: str) -> dict[str, Callable[[], Any]]:
    import asyncpg

    loop = asyncio.new_event_loop()
    con = loop.run_until_complete(asyncpg.connect(url))

    async def b() -> Any:
        authors = await con.fetch("SELECT id, name FROM author")
        ids = [r[0] for r in authors]
        books = await con.fetch(
            "SELECT id, title, author_id FROM book WHERE author_id = ANY($1::int[])", ids
        )
        return authors, books

    async def c() -> Any:
        books = await con.fetch("SELECT id, title, author_id FROM book WHERE id <= 500")
        tags = await con.fetch(
            "SELECT t.id, t.name, bt.book_id FROM tag t JOIN book_tags bt ON bt.tag_id = t.id "
            "WHERE bt.book_id = ANY($1::int[])",
            [r[0] for r in books],
        )
        return books, tags

    a_sql = (
        "SELECT b.id, b.title, b.author_id, a.id, a.name FROM book b "
        "JOIN author a ON a.id = b.author_id"
    )
    d_sql = (
        "SELECT a.id, a.name, COUNT(b.id) FROM author a LEFT JOIN book b "
        "ON b.author_id = a.id GROUP BY a.id, a.name"
    )
    cases = {
        "a": lambda: con.fetch(a_sql), "b": b, "c": c, "d": lambda: con.fetch(d_sql),
        "e": lambda: con.fetch(a_sql),
    }  # fmt: skip
    return {k: (lambda f=f: loop.run_until_complete(f())) for k, f in cases.items()}


def seed_postgres(url: str) -> None:
    import asyncpg

    async def run() -> None:
        con = await asyncpg.connect(url)
        await con.execute(
            "DROP TABLE IF EXISTS book_tags, book, tag, author;"
            "CREATE TABLE author (id INTEGER PRIMARY KEY, name VARCHAR(50) NOT NULL);"
            "CREATE TABLE book (id INTEGER PRIMARY KEY, title VARCHAR(50) NOT NULL,"
            " author_id INTEGER NOT NULL REFERENCES author (id));"
            "CREATE INDEX book_author ON book (author_id);"
            "CREATE TABLE tag (id INTEGER PRIMARY KEY, name VARCHAR(20) NOT NULL);"
            "CREATE TABLE book_tags (id SERIAL PRIMARY KEY, book_id INTEGER NOT NULL"
            " REFERENCES book (id), tag_id INTEGER NOT NULL REFERENCES tag (id),"
            " UNIQUE (book_id, tag_id));"
            "CREATE INDEX book_tags_tag ON book_tags (tag_id);"
        )
        await con.executemany(
            "INSERT INTO author VALUES ($1, $2)", [(i, f"a{i}") for i in range(1, 201)]
        )
        await con.executemany(
            "INSERT INTO book VALUES ($1, $2, $3)",
            [(i, f"b{i}", (i - 1) // 5 + 1) for i in range(1, 1001)],
        )
        await con.executemany(
            "INSERT INTO tag VALUES ($1, $2)", [(i, f"t{i}") for i in range(1, 21)]
        )
        pairs = [(b, (b + k) % 20 + 1) for b in range(1, 501) for k in range(3)]
        await con.executemany("INSERT INTO book_tags (book_id, tag_id) VALUES ($1, $2)", pairs)
        await con.close()

    asyncio.run(run())


def _own_database(url: str, *, create: bool) -> str:
    """Create (or drop) ``covet_relbench_<pid>`` on the server of ``url``; its URL."""
    import asyncpg

    name = f"covet_relbench_{os.getpid()}"

    async def run() -> None:
        con = await asyncpg.connect(url)
        await con.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if create:
            await con.execute(f'CREATE DATABASE "{name}"')
        await con.close()

    asyncio.run(run())
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def drop_postgres(url: str) -> None:
    import asyncpg

    async def run() -> None:
        con = await asyncpg.connect(url)
        await con.execute("DROP TABLE IF EXISTS book_tags, book, tag, author")
        await con.close()

    asyncio.run(run())


def child(peer: str, path: str) -> None:
    cases = globals()[peer](path)
    out = {}
    for case in CASES:
        fn = cases[case]
        fn()  # warm up (statement caches, hydrators)
        times = []
        for _ in range(ROUNDS):
            t0 = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t0)
        out[case] = min(times) * 1000  # the machine is shared: the least disturbed run
    print(json.dumps(out))


def main() -> None:
    postgres = sys.argv[2] if len(sys.argv) == 3 and sys.argv[1] == "--postgres" else None
    peers, baseline = PEERS, "raw_sqlite3"
    if postgres:
        peers, baseline = ["raw_asyncpg", "covet_sync", "covet_async"], "raw_asyncpg"
    with tempfile.TemporaryDirectory() as tmp:
        path = str(Path(tmp) / "bench.db")
        if postgres:  # a database of its own, dropped at the end
            path = _own_database(postgres, create=True)
            seed_postgres(path)
        else:
            seed(path)
        results = {}
        for peer in peers:
            done = subprocess.run(
                [sys.executable, __file__, "--child", peer, path],
                capture_output=True, text=True, timeout=600,
            )  # fmt: skip
            if done.returncode:
                print(f"{peer} failed:\n{done.stderr[-2000:]}", file=sys.stderr)
                continue
            results[peer] = json.loads(done.stdout.strip().splitlines()[-1])
        if postgres:
            drop_postgres(path)
            _own_database(postgres, create=False)
    base = results[baseline]
    print("| peer | " + " | ".join(f"({c})" for c in CASES) + " |")
    print("|---|" + "---|" * len(CASES))
    for peer, row in results.items():
        cells = [f"{row[c]:.2f} ms ({row[c] / base[c]:.1f}x)" for c in CASES]
        print(f"| {peer} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3])
    else:
        main()
