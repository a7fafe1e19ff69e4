"""CovetPy demo: a small notes service on SQLite.

    ./scripts/demo                       # from the repository root
    python examples/demo/app.py          # inside the workspace environment

Then open http://127.0.0.1:8000/ (an HTML page) or try the JSON API:

    curl -s localhost:8000/api/notes -d '{"title": "Buy milk", "body": "semi-skimmed"}' \
         -H 'content-type: application/json'
    curl -s 'localhost:8000/api/notes?done=false&limit=10'
    curl -s -X PATCH localhost:8000/api/notes/1 -d '{"done": true}' \
         -H 'content-type: application/json'
    curl -s localhost:8000/api/stats

Async handlers use the ORM's async API (aiosqlite underneath); plain ``def`` handlers use the
synchronous API (stdlib sqlite3) on the app's worker threads; and the sync API also works inside
``async def`` handlers, without blocking the event loop (``get_note``). The model is the
request and response body (``data: Annotated[Note, NoteIn]``, ``Partial[Note]``,
``response_model=Note``): every field is checked by the model's own rules, a bad value is a 422
naming the field, and a missing note a 404.

The API describes itself: http://127.0.0.1:8000/docs (Swagger UI), /redoc and /openapi.json.
"""

from __future__ import annotations

import html
import os
from typing import Annotated, Any

from covet.http import Covet, HTMLResponse, HTTPException, Path, Query
from covet.orm import (
    BooleanField,
    CharField,
    Count,
    Database,
    DateTimeField,
    Model,
    ModelSchema,
    Partial,
    TextField,
    json_schema,
)

DATABASE_URL = os.environ.get("COVET_DEMO_DATABASE_URL", "sqlite:///covet-demo.db")
db = Database(DATABASE_URL)


SPACES = " \t\n\r\f\v"


@json_schema(pattern=r"\S")  # published in the OpenAPI document, so clients know the rule
def not_blank(value: str) -> None:
    if not value.strip(SPACES):  # \S: not one of these ASCII spaces, as JSON Schema reads it
        raise ValueError("must have a non-blank character")


class Note(Model):
    title = CharField(max_length=200, validators=[not_blank])
    body = TextField(default="")
    done = BooleanField(default=False)
    created_at = DateTimeField(auto_now_add=True)

    class Meta:
        db = db
        ordering = ["-created_at", "-id"]


# ids, offsets and limits are 64-bit in SQL: a larger number from the URL must not reach the
# database (it would fail there, a 500); the bound makes it a 422 and is in the document
INT64_MAX = 2**63 - 1
NoteId = Annotated[int, Path(le=INT64_MAX)]
NOT_FOUND = {404: "No note with this id"}


class NoteIn(ModelSchema, model=Note, include=["title", "body"]):
    """A new note: its title and body (the server sets the rest)."""


async def lifespan(app: Covet):  # type: ignore[no-untyped-def]
    await db.acreate_tables([Note])
    yield  # at shutdown covet-orm closes every database's connections by itself


app = Covet(title="CovetPy notes", version="1.0", lifespan=lifespan)


@app.get("/", include_in_schema=False)
async def index() -> HTMLResponse:
    notes = [note async for note in Note.objects.all()[:50]]
    items = "".join(
        f"<li>{'✔' if note.done else '•'} <b>{html.escape(note.title)}</b> "
        f"{html.escape(note.body)}</li>"
        for note in notes
    )
    return HTMLResponse(
        "<!doctype html><title>CovetPy notes</title><h1>Notes</h1>"
        f"<ul>{items or '<li>No notes yet: POST one to /api/notes</li>'}</ul>"
    )


@app.get("/api/notes", response_model=list[Note])
async def list_notes(
    done: bool | None = None,
    q: Annotated[str | None, Query(alias="search")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0, le=INT64_MAX)] = 0,
) -> Any:
    notes = Note.objects.all()
    if done is not None:
        notes = notes.filter(done=done)
    if q:
        notes = notes.filter(title__icontains=q)
    # an unevaluated QuerySet: covet reads it through the async API, then writes each row
    return notes[offset : offset + limit]


@app.post("/api/notes", status_code=201, response_model=Note)
async def create_note(data: Annotated[Note, NoteIn]) -> Note:
    # data is an unsaved Note whose title and body passed the model's checks (else a 422)
    data.title = data.title.strip(SPACES)
    await data.asave()
    return data


@app.get("/api/notes/{note_id:int}", name="note", responses=NOT_FOUND, response_model=Note)
async def get_note(note_id: NoteId) -> Note:
    # the sync API in an async handler: the request waits for the database, the loop does not;
    # Note.DoesNotExist answers 404 by itself
    return Note.objects.get(id=note_id)


@app.patch("/api/notes/{note_id:int}", responses=NOT_FOUND, response_model=Note)
def update_note(note_id: NoteId, changes: Partial[Note]) -> Note:
    # a plain def handler: runs on a worker thread and uses the synchronous ORM API; changes
    # holds the fields the client sent, each checked as the model checks it ({"done": "no"}
    # is a 422), and never the id or created_at
    if "title" in changes:
        changes.values["title"] = changes.values["title"].strip(SPACES)
    with db.transaction():
        note = Note.objects.select_for_update().get(id=note_id)  # DoesNotExist: a 404
        changes.apply(note)
        if changes.fields:
            note.save(update_fields=changes.fields)
    return note


@app.delete("/api/notes/{note_id:int}", responses=NOT_FOUND)
async def delete_note(note_id: NoteId) -> None:
    deleted, _ = await Note.objects.filter(id=note_id).adelete()
    if not deleted:
        raise HTTPException(404, f"note {note_id} does not exist")


@app.get("/api/stats")
async def stats() -> dict:
    return await Note.objects.aaggregate(total=Count("id"))


if __name__ == "__main__":
    app.run(host=os.environ.get("HOST", "127.0.0.1"), port=int(os.environ.get("PORT", "8000")))
