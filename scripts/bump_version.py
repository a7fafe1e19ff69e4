"""Set one version on every CovetPy distribution and every ``==`` pin between them.

    python scripts/bump_version.py 0.3.0

Each distribution's version lives in its ``__about__.py`` (hatch reads it from there); the pins
live in the ``pyproject.toml`` files. ``scripts/check_versions.py`` verifies they agree.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ROOT / "packages"
DISTRIBUTIONS = (
    "covet",
    "covet-auth",
    "covet-http",
    "covet-middleware",
    "covet-migrate",
    "covet-orm",
)
VERSION_RE = re.compile(r"^\d+\.\d+\.\d+(?:(?:a|b|rc)\d+)?(?:\.post\d+)?(?:\.dev\d+)?$")
PIN_RE = re.compile(
    r'("(?:' + "|".join(map(re.escape, DISTRIBUTIONS)) + r')(?:\[[^\]]*\])?==)([^"]+)(")'
)
ABOUT_RE = re.compile(r'^__version__ = "([^"]+)"$', re.MULTILINE)


def about_file(distribution: str) -> Path:
    src = PACKAGES / distribution / "src" / "covet"
    if distribution == "covet":
        return src / "__about__.py"
    return src / distribution.removeprefix("covet-") / "__about__.py"


def bump(version: str) -> list[Path]:
    if not VERSION_RE.match(version):
        raise SystemExit(f"not a release version: {version!r} (expected e.g. 0.3.0 or 0.3.0rc1)")
    changed: list[Path] = []
    for distribution in DISTRIBUTIONS:
        about = about_file(distribution)
        about.write_text(ABOUT_RE.sub(f'__version__ = "{version}"', about.read_text()))
        pyproject = PACKAGES / distribution / "pyproject.toml"
        pyproject.write_text(PIN_RE.sub(lambda m: f"{m[1]}{version}{m[3]}", pyproject.read_text()))
        changed += [about, pyproject]
    return changed


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    for path in bump(sys.argv[1]):
        print(path.relative_to(ROOT))
