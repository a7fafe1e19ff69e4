"""The namespace rules from DESIGN.md, checked on the source tree."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SUBPACKAGES = {
    "covet-http": "http",
    "covet-orm": "orm",
    "covet-auth": "auth",
    "covet-middleware": "middleware",
    "covet-migrate": "migrate",
}
# who may import whom (DESIGN.md "Dependency direction"); optional extras included
ALLOWED = {
    "http": set(),
    "orm": set(),
    "middleware": {"http", "orm"},
    "auth": {"http", "middleware", "orm"},
    "migrate": {"orm"},
}


def test_only_the_meta_package_has_covet_init() -> None:
    inits = sorted(p.relative_to(ROOT) for p in ROOT.glob("packages/*/src/covet/__init__.py"))
    assert inits == [Path("packages/covet/src/covet/__init__.py")]


def test_meta_init_extends_path_first() -> None:
    tree = ast.parse((ROOT / "packages/covet/src/covet/__init__.py").read_text())
    body = [
        n for n in tree.body if not (isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant))
    ]
    first = ast.unparse(body[0])
    assert first == "__path__ = __import__('pkgutil').extend_path(__path__, __name__)"


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize("dist", sorted(SUBPACKAGES))
def test_dependency_direction(dist: str) -> None:
    sub = SUBPACKAGES[dist]
    bad = []
    for path in (ROOT / "packages" / dist / "src").rglob("*.py"):
        for name in _imports(path):
            if name == "covet":
                bad.append(f"{path.relative_to(ROOT)} imports the top-level covet module")
            elif name.startswith("covet."):
                other = name.split(".")[1]
                if other != sub and other not in ALLOWED[sub]:
                    bad.append(f"{path.relative_to(ROOT)} imports {name}")
    assert bad == []
