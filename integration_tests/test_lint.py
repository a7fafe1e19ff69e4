"""ruff (lint and format) and mypy --strict stay clean: STYLE.md's bar, enforced by the suite."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ["covet", "covet.http", "covet.orm", "covet.auth", "covet.middleware", "covet.migrate"]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=600)


def _tool(name: str) -> str:
    path = shutil.which(name, path=str(Path(sys.executable).parent))
    assert path, f"{name} is not installed in the test environment (see hatch.toml)"
    return path


def test_ruff_check() -> None:
    result = _run(_tool("ruff"), "check", "--no-cache", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_format() -> None:
    result = _run(_tool("ruff"), "format", "--check", "--no-cache", ".")
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.slow
def test_mypy_strict() -> None:
    args = [_tool("mypy"), "--python-executable", sys.executable]
    for package in PACKAGES:
        args += ["-p", package]
    result = _run(*args)
    assert result.returncode == 0, result.stdout + result.stderr
