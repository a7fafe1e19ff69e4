"""One version for every distribution, and every == pin between them agrees."""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def load(name: str):  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def test_repository_versions_agree() -> None:
    check = load("check_versions")
    assert check.problems() == []


def test_installed_versions_agree() -> None:
    import covet
    import covet.auth
    import covet.http
    import covet.middleware
    import covet.migrate
    import covet.orm

    versions = {
        m.__name__: m.__version__
        for m in (covet, covet.auth, covet.http, covet.middleware, covet.migrate, covet.orm)
    }
    assert len(set(versions.values())) == 1, versions


@pytest.fixture
def repo_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copytree(
        ROOT / "packages", tmp_path / "packages", ignore=shutil.ignore_patterns("tests")
    )
    bump = load("bump_version")
    check = load("check_versions")
    for module in (bump, check):
        monkeypatch.setattr(module, "PACKAGES", tmp_path / "packages")
    return tmp_path


def test_bump_moves_every_version_and_pin_together(repo_copy: Path) -> None:
    bump, check = sys.modules["bump_version"], sys.modules["check_versions"]
    bump.bump("9.8.7")
    assert check.problems() == []
    meta = (repo_copy / "packages" / "covet" / "pyproject.toml").read_text()
    assert '"covet-orm==9.8.7"' in meta and "0.2.0" not in meta
    about = repo_copy / "packages" / "covet-orm" / "src" / "covet" / "orm" / "__about__.py"
    assert about.read_text().strip() == '__version__ = "9.8.7"'


def test_check_catches_a_disagreeing_pin(repo_copy: Path) -> None:
    check = sys.modules["check_versions"]
    meta = repo_copy / "packages" / "covet" / "pyproject.toml"
    meta.write_text(meta.read_text().replace('"covet-orm==0.2.0"', '"covet-orm==0.1.9"', 1))
    assert any("covet-orm==0.1.9" in line for line in check.problems())


def test_check_catches_a_disagreeing_version(repo_copy: Path) -> None:
    check = sys.modules["check_versions"]
    about = repo_copy / "packages" / "covet-http" / "src" / "covet" / "http" / "__about__.py"
    about.write_text('__version__ = "0.2.1"\n')
    assert any("disagree" in line for line in check.problems())


def test_bump_refuses_a_non_release_version(repo_copy: Path) -> None:
    with pytest.raises(SystemExit):
        sys.modules["bump_version"].bump("latest")
