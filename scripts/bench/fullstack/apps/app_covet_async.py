"""covet: async handlers, the ORM's async API."""

from __future__ import annotations

from _covet_models import Fortune, World, app, db  # noqa: F401
from _world import fortunes_html, query_count, random_id

from covet.http import HTMLResponse


@app.get("/db")
async def single() -> dict:
    world = await World.objects.aget(pk=random_id())
    return {"id": world.id, "randomNumber": world.randomnumber}


@app.get("/queries")
async def queries(queries: str = "1") -> list:
    out = []
    for _ in range(query_count(queries)):
        world = await World.objects.aget(pk=random_id())
        out.append({"id": world.id, "randomNumber": world.randomnumber})
    return out


@app.get("/fortunes")
async def fortunes() -> HTMLResponse:
    rows = [(f.id, f.message) async for f in Fortune.objects.all()]
    return HTMLResponse(fortunes_html(rows))


@app.get("/updates")
async def updates(queries: str = "1") -> list:
    worlds = [await World.objects.aget(pk=random_id()) for _ in range(query_count(queries))]
    for world in worlds:
        world.randomnumber = random_id()
    worlds.sort(key=lambda w: w.id)  # a fixed lock order: concurrent updates do not deadlock
    await World.objects.abulk_update(worlds, ["randomnumber"])
    return [{"id": w.id, "randomNumber": w.randomnumber} for w in worlds]
