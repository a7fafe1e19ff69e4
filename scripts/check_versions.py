"""Fail unless every CovetPy distribution has the same version and every ``==`` pin names it."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bump_version import ABOUT_RE, DISTRIBUTIONS, PACKAGES, PIN_RE, about_file


def problems() -> list[str]:
    found: list[str] = []
    versions = {}
    for distribution in DISTRIBUTIONS:
        match = ABOUT_RE.search(about_file(distribution).read_text())
        if match is None:
            found.append(f"{distribution}: no __version__ in {about_file(distribution)}")
            continue
        versions[distribution] = match[1]
    if len(set(versions.values())) > 1:
        found.append(f"distributions disagree on the version: {versions}")
    expected = next(iter(versions.values()), None)
    for distribution in DISTRIBUTIONS:
        text = (PACKAGES / distribution / "pyproject.toml").read_text()
        for pin in PIN_RE.finditer(text):
            if pin[2] != expected:
                found.append(
                    f"{distribution}/pyproject.toml pins {pin[0]} but the version is {expected}"
                )
    return found


if __name__ == "__main__":
    issues = problems()
    for line in issues:
        print(line, file=sys.stderr)
    raise SystemExit(1 if issues else 0)
