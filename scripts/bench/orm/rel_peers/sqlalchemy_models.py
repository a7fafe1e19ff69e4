"""SQLAlchemy 2 mappings of the relation schema (shared by the sync and async peers)."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, ForeignKey, Integer, String, Table
from sqlalchemy.ext.asyncio import AsyncAttrs
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class Base(AsyncAttrs, DeclarativeBase):
    pass


post_tags = Table(
    "rel_post_tags",
    Base.metadata,
    Column("id", BigInteger, primary_key=True),
    Column("post_id", ForeignKey("rel_post.id")),
    Column("tag_id", ForeignKey("rel_tag.id")),
)


class Author(Base):
    __tablename__ = "rel_author"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    books: Mapped[list[Book]] = relationship(back_populates="author")


class Book(Base):
    __tablename__ = "rel_book"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    pages: Mapped[int] = mapped_column(Integer)
    author_id: Mapped[int] = mapped_column(ForeignKey("rel_author.id"))
    author: Mapped[Author] = relationship(back_populates="books")


class Tag(Base):
    __tablename__ = "rel_tag"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    name: Mapped[str] = mapped_column(String(50))


class Post(Base):
    __tablename__ = "rel_post"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    tags: Mapped[list[Tag]] = relationship(secondary=post_tags)
