from __future__ import annotations

import importlib
import subprocess
import sys
from importlib.metadata import EntryPoint

import pytest

import covet
from covet import _cli


def test_all_is_sorted_and_complete() -> None:
    assert covet.__all__ == sorted(covet.__all__)
    assert set(covet.__all__) == set(covet._EXPORTS) | {"__version__"}


@pytest.mark.parametrize("name", sorted(covet._EXPORTS))
def test_every_export_resolves_to_the_sub_package_object(name: str) -> None:
    module_name, _ = covet._EXPORTS[name]
    assert getattr(covet, name) is getattr(importlib.import_module(module_name), name)


def test_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        covet.Nope  # noqa: B018


def test_missing_distribution_gives_install_advice(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(covet._EXPORTS, "Ghost", ("covet.ghost", "covet-ghost"))
    with pytest.raises(ImportError, match="pip install covet-ghost"):
        covet.Ghost  # noqa: B018


def test_import_is_lazy() -> None:
    code = "import sys, covet; print('covet.http' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_cli_help_lists_installed_commands(capsys: pytest.CaptureFixture[str]) -> None:
    assert _cli.main(["--help"]) == 0
    out = capsys.readouterr().out
    assert "run" in out and "routes" in out


def test_cli_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert _cli.main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"covet {covet.__version__}"


def test_cli_unknown_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert _cli.main(["frobnicate"]) == 2
    assert "unknown command 'frobnicate'" in capsys.readouterr().err


def test_cli_dispatches_to_entry_point(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[list[str]] = []

    def fake_command(argv: list[str]) -> int:
        """Pretend command."""
        seen.append(argv)
        return 3

    module = type(sys)("fake_covet_cmd")
    module.command = fake_command  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "fake_covet_cmd", module)
    ep = EntryPoint("fake", "fake_covet_cmd:command", _cli.ENTRY_POINT_GROUP)
    monkeypatch.setattr(_cli, "_commands", lambda: {"fake": ep})
    assert _cli.main(["fake", "--x", "1"]) == 3
    assert seen == [["--x", "1"]]


def test_broken_plugin_does_not_hide_the_others(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    good = EntryPoint("good", "covet._cli:main", _cli.ENTRY_POINT_GROUP)
    bad = EntryPoint("bad", "no_such_module_xyz:main", _cli.ENTRY_POINT_GROUP)
    monkeypatch.setattr(_cli, "_commands", lambda: {"bad": bad, "good": good})
    assert _cli.main([]) == 0
    out = capsys.readouterr().out
    assert "failed to load" in out and "good" in out
