"""A bookshop API that documents itself: response models, rules on input, the docs pages.

    python examples/bookshop/app.py          # inside the workspace environment

Then open http://127.0.0.1:8000/docs (Swagger UI) or /redoc, or fetch /openapi.json. Set
``BOOKSHOP_DOCS_ASSETS=local`` to serve the pages' JavaScript from installed packages
(``pip install 'covet-http[docs]' drf-spectacular-sidecar``) instead of the jsDelivr CDN.

What it shows:

- ``response_model=``: the handlers return internal records (with a cost price and a supplier
  that must never leave the server); only the public fields are sent, and documented.
- Rules on input (``Query(ge=...)``, ``Constraints(...)`` in a dataclass) checked before the
  handler runs and published in the document.
- ``tags``, docstrings as summaries and descriptions, declared 404/409 problem answers,
  ``status_code=201``, a deprecated route, and a route left out of the document.
"""

from __future__ import annotations

import dataclasses
import enum
import itertools
import os
import threading
from typing import Annotated

from covet.http import Constraints, Covet, HTTPException, Path, Query, Router


class Genre(enum.Enum):
    FICTION = "fiction"
    SCIENCE = "science"
    HISTORY = "history"


@dataclasses.dataclass
class Record:
    """A book as the shop keeps it (never sent as it is)."""

    id: int
    title: str
    author: str
    genre: Genre
    price_cents: int
    stock: int
    cost_cents: int  # internal
    supplier: str  # internal


@dataclasses.dataclass
class Book:
    """A book as customers see it."""

    id: int
    title: str
    author: str
    genre: Genre
    price_cents: int
    in_stock: bool


@dataclasses.dataclass
class BookSummary:
    id: int
    title: str


@dataclasses.dataclass
class NewBook:
    title: Annotated[str, Constraints(min_length=1, max_length=200)]
    author: Annotated[str, Constraints(min_length=1, max_length=100)]
    genre: Genre
    price_cents: Annotated[int, Constraints(ge=0, le=1_000_000)]
    cost_cents: Annotated[int, Constraints(ge=0, le=1_000_000)] = 0
    stock: Annotated[int, Constraints(ge=0, le=100_000)] = 0


BookId = Annotated[int, Path(le=2**31, description="The book's id")]
NOT_FOUND = {404: "No book with this id"}


class Shelf:
    """An in-memory catalogue (thread-safe: `def` handlers run on worker threads)."""

    def __init__(self) -> None:
        self.books: dict[int, Record] = {}
        self.ids = itertools.count(1)
        self.lock = threading.Lock()

    def add(self, new: NewBook, supplier: str = "Acme Books") -> Record:
        with self.lock:
            record = Record(
                next(self.ids),
                new.title,
                new.author,
                new.genre,
                new.price_cents,
                new.stock,
                new.cost_cents,
                supplier,
            )
            self.books[record.id] = record
        return record

    def get(self, book_id: int) -> Record:
        try:
            return self.books[book_id]
        except KeyError:
            raise HTTPException(404, f"book {book_id} does not exist") from None


def public(record: Record) -> dict[str, object]:
    """The record's fields, plus what customers see computed; response_model picks the rest."""
    return {**dataclasses.asdict(record), "in_stock": record.stock > 0}


def create_app(docs_assets: str | None = None) -> Covet:
    shelf = Shelf()
    assets = docs_assets or os.environ.get("BOOKSHOP_DOCS_ASSETS", "cdn")
    app = Covet(
        title="Bookshop",
        version="1.0.0",
        description="A small catalogue. Prices are in cents.",
        openapi_tags=[
            {"name": "books", "description": "The catalogue"},
            {"name": "admin", "description": "Stock keeping"},
        ],
        docs_assets="local" if assets == "local" else "cdn",
    )
    books = Router()

    @books.get("/books", response_model=list[BookSummary])
    def list_books(
        genre: Genre | None = None,
        q: Annotated[
            str | None, Query(min_length=2, max_length=50, description="In the title")
        ] = None,
        limit: Annotated[int, Query(ge=1, le=100)] = 20,
        offset: Annotated[int, Query(ge=0)] = 0,
    ) -> list[Record]:
        """List the books, by title.

        Filter by `genre` or by a part of the `title`.
        """
        found = sorted(shelf.books.values(), key=lambda record: record.title)
        if genre is not None:
            found = [record for record in found if record.genre is genre]
        if q is not None:
            found = [record for record in found if q.lower() in record.title.lower()]
        return found[offset : offset + limit]

    @books.get("/books/{book_id:int}", response_model=Book, responses=NOT_FOUND)
    def read_book(book_id: BookId) -> dict[str, object]:
        """One book."""
        return public(shelf.get(book_id))

    @books.get("/books/{book_id:int}/price", deprecated=True, responses=NOT_FOUND)
    def read_price(book_id: BookId) -> int:
        """The price in cents (read it from the book instead)."""
        return shelf.get(book_id).price_cents

    admin = Router()

    @admin.post(
        "/books",
        status_code=201,
        response_model=Book,
        responses={409: "A book with this title and author exists"},
    )
    def add_book(book: NewBook) -> dict[str, object]:
        """Add a book to the catalogue."""
        for record in shelf.books.values():
            if (record.title, record.author) == (book.title, book.author):
                raise HTTPException(409, "this book is already in the catalogue")
        return public(shelf.add(book))

    @admin.delete("/books/{book_id:int}", status_code=204, responses=NOT_FOUND)
    def remove_book(book_id: BookId) -> None:
        """Remove a book."""
        with shelf.lock:
            if shelf.books.pop(book_id, None) is None:
                raise HTTPException(404, f"book {book_id} does not exist")

    @app.get("/health", include_in_schema=False)
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    app.include_router(books, tags=["books"])
    app.include_router(admin, prefix="/admin", tags=["admin"])
    app.state.shelf = shelf
    return app


app = create_app()

if __name__ == "__main__":
    app.run(host=os.environ.get("HOST", "127.0.0.1"), port=int(os.environ.get("PORT", "8000")))
