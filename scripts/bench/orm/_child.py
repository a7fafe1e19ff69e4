"""Run one peer on one database in this process and print its results as one JSON line.

Usage: python _child.py PEER DB URL N LARGE SMALL_REPS GET_REPS UPDATES REPEAT [--profile FILE]
"""

from __future__ import annotations

import asyncio
import importlib
import json
import sys
import traceback
from typing import Any

from _workload import Config, create_table, run_async, run_sync


def main(argv: list[str]) -> int:
    peer_name, db, url = argv[0], argv[1], argv[2]
    n, large, small_reps, get_reps, updates, repeat = (int(x) for x in argv[3:9])
    profile = argv[argv.index("--profile") + 1] if "--profile" in argv else None
    cfg = Config(db, url, n, large, small_reps, get_reps, updates, repeat)
    result: dict[str, Any] = {"peer": peer_name, "db": db}
    profiler: Any = None
    try:
        create_table(cfg)
        module = importlib.import_module(f"peers.{peer_name}")
        if profile:
            from pyinstrument import Profiler

            profiler = Profiler(async_mode="enabled")
            profiler.start()
        if module.IS_ASYNC:

            async def go() -> dict[str, float]:
                return await run_async(await _maybe_await(module.make(cfg)), cfg)

            result["rows_per_s"] = asyncio.run(go())
        else:
            result["rows_per_s"] = run_sync(module.make(cfg), cfg)
    except Exception as exc:  # a broken peer is reported, not fatal to the run
        result["error"] = f"{type(exc).__name__}: {exc}"[:300]
        result["traceback"] = traceback.format_exc()[-2000:]
    if profiler is not None:
        profiler.stop()
        with open(profile, "w") as fh:
            fh.write(profiler.output_text(unicode=False, color=False, show_all=False))
    print(json.dumps(result))
    return 0


async def _maybe_await(value: Any) -> Any:
    if asyncio.iscoroutine(value):
        return await value
    return value


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
