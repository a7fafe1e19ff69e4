from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import covet.orm
from covet.orm import _exceptions


def test_all_is_sorted_and_complete() -> None:
    assert covet.orm.__all__ == sorted(covet.orm.__all__)
    public = {
        n
        for n in vars(covet.orm)
        if not n.startswith("_") and not isinstance(getattr(covet.orm, n), type(covet.orm))
    }
    assert public - {"annotations"} == set(covet.orm.__all__) - {"__version__"}
    for name in covet.orm.__all__:
        assert hasattr(covet.orm, name)


def test_every_exception_is_exported_under_one_root() -> None:
    errors = [
        v for v in vars(_exceptions).values() if isinstance(v, type) and issubclass(v, Exception)
    ]
    for err in errors:
        assert issubclass(err, covet.orm.ORMError)
        assert err.__name__ in covet.orm.__all__


def test_orm_never_imports_http_or_the_meta_package() -> None:
    code = (
        "import sys, covet.orm, covet.orm.backends.sqlite;"
        "bad = [m for m in sys.modules if m.startswith('covet.http')];"
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
    root = Path(covet.orm.__file__).parent
    for path in root.rglob("*.py"):
        text = path.read_text()
        assert not re.search(
            r"^\s*(from covet import|import covet$|from covet\.http)", text, re.M
        ), path
