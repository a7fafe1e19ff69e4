"""The covet apps' models, database and app object.

``BENCH_EXTENSIONS``: ``all`` (the default), ``none``, or the names of covet.http extensions to
turn off, comma-separated (``request_connection``). ``BENCH_DEF_HANDLERS``: ``threads`` (the
default) or ``loop`` (``Covet(def_handlers=...)``). ``BENCH_THREADS``: ``thread_limit`` (default:
the pool size).
"""

from __future__ import annotations

import os

from _world import DATABASE_URL, POOL_SIZE

from covet.http import Covet
from covet.orm import CharField, Database, IntegerField, Model

db = Database(DATABASE_URL, pool_size=POOL_SIZE, min_pool_size=POOL_SIZE)


class World(Model):
    id = IntegerField(primary_key=True)
    randomnumber = IntegerField()

    class Meta:
        table_name = "world"


class Fortune(Model):
    id = IntegerField(primary_key=True)
    message = CharField(max_length=2048)

    class Meta:
        table_name = "fortune"


choice = os.environ.get("BENCH_EXTENSIONS", "all")
extensions: bool | dict[str, bool] = (
    choice == "all" if choice in ("all", "none") else dict.fromkeys(choice.split(","), False)
)
app = Covet(
    thread_limit=int(os.environ.get("BENCH_THREADS", POOL_SIZE)),
    def_handlers="loop" if os.environ.get("BENCH_DEF_HANDLERS") == "loop" else "threads",
    extensions=extensions,
)


@app.get("/json")
async def json_() -> dict:
    return {"message": "Hello, World!"}
