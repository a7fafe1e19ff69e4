"""library: store ISBNs as digits only (a data migration with the historical Book model)."""

from covet.migrate import HistoricalModels, ops
from covet.orm import Database


def digits_only(models: HistoricalModels, db: Database) -> None:
    Book = models["library.Book"]  # the model as of this migration, not today's
    for book in Book.objects.all():
        digits = "".join(c for c in book.isbn if c.isdigit() or c == "X")
        if digits != book.isbn:
            book.isbn = digits
            book.save(update_fields=["isbn"])


dependencies = [("library", "0003_rename_book_name")]

operations = [ops.RunPython(digits_only, ops.RunPython.noop)]
