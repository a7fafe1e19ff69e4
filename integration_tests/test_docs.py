"""Every ```python block in docs/*.md and README.md runs, so the user's guide cannot rot.

One namespace per page, blocks in page order, top-level ``await`` allowed, in a temporary working
directory. A block fenced ```python no-run is shown to readers but not executed.
"""

from __future__ import annotations

import ast
import asyncio
import inspect
import os
import re
import sys
import types
from pathlib import Path

import pytest

from covet.orm import _database as orm_database  # the default database, reset per page

DOCS = Path(__file__).resolve().parent.parent / "docs"
FENCE = re.compile(r"^```(?P<info>[^\n]*)\n(?P<body>.*?)^```\s*$", re.MULTILINE | re.DOTALL)


def python_blocks(page: Path) -> list[tuple[int, str]]:
    text = page.read_text(encoding="utf-8")
    blocks = []
    for match in FENCE.finditer(text):
        info = match["info"].strip().split()
        if info[:1] == ["python"] and "no-run" not in info[1:]:
            line = text.count("\n", 0, match.start("body")) + 1
            blocks.append((line, match["body"]))
    return blocks


README = DOCS.parent / "README.md"
PAGES = [page for page in [README, *sorted(DOCS.glob("*.md"))] if python_blocks(page)]


@pytest.mark.parametrize("page", PAGES, ids=[page.name for page in PAGES])
def test_page_snippets_run(page: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # a real module in sys.modules, so dataclasses and pickling inside snippets behave as in a file
    module = types.ModuleType(f"docs_{page.stem.replace('-', '_')}")
    monkeypatch.setitem(sys.modules, module.__name__, module)
    cwd = os.getcwd()
    os.chdir(tmp_path)
    # each page starts from no default database: a page's Database must not serve the next one
    monkeypatch.setattr(orm_database, "_default", None)
    opened = set(orm_database._databases)
    try:
        loop = asyncio.new_event_loop()
        try:
            for line, source in python_blocks(page):
                # pad so tracebacks point at the line in the .md file
                code = compile(
                    "\n" * (line - 1) + source,
                    str(page),
                    "exec",
                    flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT,
                    dont_inherit=True,  # this file's __future__ imports must not leak in
                )
                result = eval(code, module.__dict__)
                if inspect.iscoroutine(result):
                    loop.run_until_complete(result)
        finally:
            loop.close()
    finally:
        os.chdir(cwd)
        for db in set(orm_database._databases) - opened:
            db.close()


def test_docs_are_found() -> None:
    assert (DOCS / "index.md").exists()
