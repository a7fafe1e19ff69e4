"""FastAPI + SQLAlchemy 2 async ORM (asyncpg driver), a session per request."""

from __future__ import annotations

from _world import DATABASE_URL, POOL_SIZE, asyncpg_url, fortunes_html, query_count, random_id
from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

engine = create_async_engine(asyncpg_url(DATABASE_URL), pool_size=POOL_SIZE, max_overflow=0)
Session = async_sessionmaker(engine, expire_on_commit=False, class_=AsyncSession)


class Base(DeclarativeBase):
    pass


class World(Base):
    __tablename__ = "world"
    id: Mapped[int] = mapped_column(primary_key=True)
    randomnumber: Mapped[int]


class Fortune(Base):
    __tablename__ = "fortune"
    id: Mapped[int] = mapped_column(primary_key=True)
    message: Mapped[str]


app = FastAPI()


@app.get("/json")
async def json_() -> dict:
    return {"message": "Hello, World!"}


@app.get("/db")
async def single() -> dict:
    async with Session() as session:
        world = await session.get(World, random_id())
    return {"id": world.id, "randomNumber": world.randomnumber}


@app.get("/queries")
async def queries(queries: str = "1") -> list:
    async with Session() as session:
        worlds = [await session.get(World, random_id()) for _ in range(query_count(queries))]
    return [{"id": w.id, "randomNumber": w.randomnumber} for w in worlds]


@app.get("/fortunes", response_class=HTMLResponse)
async def fortunes() -> str:
    async with Session() as session:
        rows = (await session.scalars(select(Fortune))).all()
    return fortunes_html([(f.id, f.message) for f in rows])


@app.get("/updates")
async def updates(queries: str = "1") -> list:
    async with Session() as session, session.begin():
        ids = sorted(random_id() for _ in range(query_count(queries)))
        worlds = [await session.get(World, i) for i in ids]
        for world in worlds:
            world.randomnumber = random_id()
    return [{"id": w.id, "randomNumber": w.randomnumber} for w in worlds]
