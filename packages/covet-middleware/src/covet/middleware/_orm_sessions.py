"""``DatabaseSessionBackend``: server-side sessions in a SQL table through covet-orm."""

from __future__ import annotations

import secrets
import time
from typing import TYPE_CHECKING, Any

from covet.middleware._session_backends import SessionBackend, _dump, _load

if TYPE_CHECKING:
    from covet.orm import Database, Model

__all__ = ["DatabaseSessionBackend"]


def _session_model(database: Database | None, table_name: str) -> type[Model]:
    from covet.orm import CharField, FloatField, Index, Model, TextField

    meta: dict[str, Any] = {"table_name": table_name, "indexes": [Index(fields=["expires_at"])]}
    if database is not None:
        meta["db"] = database
    namespace = {
        "__module__": __name__,
        "__qualname__": "SessionRecord",
        "key": CharField(max_length=64, primary_key=True),
        "data": TextField(),
        "expires_at": FloatField(),
        "Meta": type("Meta", (), meta),
    }
    return type("SessionRecord", (Model,), namespace)


class DatabaseSessionBackend(SessionBackend):
    """Sessions in a table (``covet_sessions`` by default) of a covet-orm ``Database``.

    Needs covet-orm (``pip install 'covet-middleware[orm]'``). Works on every database covet-orm
    supports (SQLite, PostgreSQL, MariaDB), so several workers share sessions through the
    database. Create the table once with ``await backend.create_table()``; remove expired rows
    from time to time with ``await backend.purge_expired()``.
    """

    server_side = True

    def __init__(self, database: Database | None = None, *, table_name: str = "covet_sessions"):
        try:
            import covet.orm  # noqa: F401
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise ImportError(
                "DatabaseSessionBackend needs covet-orm: pip install 'covet-middleware[orm]'"
            ) from exc
        self.model = _session_model(database, table_name)

    @property
    def database(self) -> Database:
        database: Database = self.model._meta.database
        return database

    async def create_table(self) -> None:
        """``CREATE TABLE IF NOT EXISTS`` for the session table and its expiry index."""
        await self.database.acreate_tables([self.model])

    async def purge_expired(self) -> int:
        """Delete expired sessions; return how many were removed."""
        deleted, _ = await self.model.objects.filter(expires_at__lte=time.time()).adelete()
        return deleted

    async def load(
        self, cookie: str, max_age: int
    ) -> tuple[str | None, dict[str, Any], int] | None:
        if not 20 <= len(cookie) <= 64:
            return None
        record: Any = await self.model.objects.filter(key=cookie).afirst()
        if record is None or record.expires_at <= time.time():
            return None
        loaded = _load(str(record.data).encode(), max_age)
        return None if loaded is None else (cookie, *loaded)

    async def save(
        self, session_id: str | None, data: dict[str, Any], issued: int, max_age: int
    ) -> tuple[str | None, str]:
        session_id = session_id or secrets.token_urlsafe(32)
        await self.model.objects.aupdate_or_create(
            key=session_id,
            defaults={"data": _dump(data, issued).decode(), "expires_at": issued + max_age},
        )
        return session_id, session_id

    async def delete(self, session_id: str) -> None:
        await self.model.objects.filter(key=session_id).adelete()
