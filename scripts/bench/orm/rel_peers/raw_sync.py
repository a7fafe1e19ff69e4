"""Hand-written SQL on the raw sync DB-API drivers (sqlite3, psycopg 3, PyMySQL): the reference."""

from __future__ import annotations

import sqlite3
from typing import Any

from _relations_workload import (
    Checksum,
    Config,
    checksum_authors,
    checksum_books,
    checksum_counts,
    checksum_posts,
)
from _workload import mysql_params

BOOKS_JOIN = (
    "SELECT b.id, b.title, b.pages, b.author_id, a.name FROM rel_book b"
    " JOIN rel_author a ON a.id = b.author_id ORDER BY b.id"
)
COUNTS = (
    "SELECT a.id, a.name, COUNT(b.id) FROM rel_author a LEFT JOIN rel_book b"
    " ON b.author_id = a.id GROUP BY a.id, a.name ORDER BY a.id"
)


def books_in(p: str, n: int) -> str:
    marks = ", ".join([p] * n)
    return f"SELECT id, title, pages, author_id FROM rel_book WHERE author_id IN ({marks})"


def tags_in(p: str, n: int) -> str:
    marks = ", ".join([p] * n)
    return (
        "SELECT pt.post_id, t.id, t.name FROM rel_tag t JOIN rel_post_tags pt"
        f" ON pt.tag_id = t.id WHERE pt.post_id IN ({marks})"
    )


def group_books(authors: list[Any], books: list[Any]) -> Checksum:
    pages: dict[Any, list[int]] = {a[0]: [] for a in authors}
    for b in books:
        pages[b[3]].append(b[2])
    return checksum_authors([(a[1], pages[a[0]]) for a in authors])


def group_tags(posts: list[Any], links: list[Any]) -> Checksum:
    tags: dict[Any, list[str]] = {p[0]: [] for p in posts}
    for post_id, _, name in links:
        tags[post_id].append(name)
    return checksum_posts([(p[1], tags[p[0]]) for p in posts])


class RawSync:
    def __init__(self, cfg: Config, driver: str) -> None:
        if driver == "sqlite3":
            self.conn: Any = sqlite3.connect(cfg.url, isolation_level=None)
            self.p = "?"
        elif driver == "psycopg":
            import psycopg

            self.conn = psycopg.connect(cfg.url, autocommit=True)
            self.p = "%s"
        else:
            import pymysql

            self.conn = pymysql.connect(**mysql_params(cfg.url), autocommit=True, charset="utf8mb4")
            self.p = "%s"
        self.cur = self.conn.cursor()

    def _all(self, sql: str, params: Any = ()) -> list[Any]:
        self.cur.execute(sql, params)
        return list(self.cur.fetchall())

    def books_with_author(self) -> Checksum:
        return checksum_books([(r[1], r[4]) for r in self._all(BOOKS_JOIN)])

    def authors_with_books(self) -> Checksum:
        authors = self._all("SELECT id, name FROM rel_author ORDER BY id")
        ids = [a[0] for a in authors]
        return group_books(authors, self._all(books_in(self.p, len(ids)), ids))

    def posts_with_tags(self) -> Checksum:
        posts = self._all("SELECT id, title FROM rel_post ORDER BY id")
        ids = [p[0] for p in posts]
        return group_tags(posts, self._all(tags_in(self.p, len(ids)), ids))

    def authors_book_count(self) -> Checksum:
        return checksum_counts([(r[0], r[2]) for r in self._all(COUNTS)])

    def naive_book_author(self) -> Checksum:
        return self.books_with_author()  # the reference for (e) is the JOIN

    def close(self) -> None:
        self.conn.close()
