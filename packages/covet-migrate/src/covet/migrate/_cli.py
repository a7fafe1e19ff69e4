"""``covet migrate ...`` (and ``python -m covet.migrate ...``).

Configuration: ``--app module:attribute`` names a ``covet.orm.Database`` (the models are the
module's, or ``--models``) or a ``MigrationManager``; without it, ``[tool.covet.migrate]`` in
``pyproject.toml`` (searched upwards from the working directory) gives ``app``, ``models``,
``directory``, ``lock_timeout`` and ``ignore_tables``.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import inspect
import os
import sys
import time
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from covet.migrate._autodetector import Questioner, parse_value
from covet.migrate._exceptions import ConfigurationError, MigrationError
from covet.migrate._manager import MigrationManager
from covet.migrate.operations import RunPython
from covet.orm import Database, ORMError

COMMANDS = ("make", "up", "down", "status", "history", "sql", "check", "squash", "fake")
USAGE = """\
usage: covet migrate <command> [options]

commands:
  make      write migrations for model changes (--name, --empty, --merge, --rename, --default)
  up        apply migrations (all, or up to a target such as blog:0003)
  down      unapply migrations (the last one, --steps N, or back to a target; app:zero)
  status    list migrations: applied, pending, partly applied, edited since applied
  history   the covet_migrations table, oldest first
  sql       print the SQL 'up' would run (offline), or 'down' with --backwards
  check     exit 1 if models have changes without a migration (--database: or drift)
  squash    fold an app's migrations into one that replaces them
  fake      record migrations as applied without running them (adopting a database)

Configuration: --app module:db (a covet.orm.Database, or a MigrationManager), or
[tool.covet.migrate] app = "module:db" in pyproject.toml. See docs/migrations.md.
"""


def load_config(start: Path) -> tuple[dict[str, Any], Path]:
    """``[tool.covet.migrate]`` of the nearest pyproject.toml, and the folder it is in."""
    for folder in [start, *start.parents]:
        path = folder / "pyproject.toml"
        if path.is_file():
            with path.open("rb") as f:
                data = tomllib.load(f)
            section = data.get("tool", {}).get("covet", {}).get("migrate")
            if section is not None:
                if not isinstance(section, dict):
                    raise ConfigurationError(f"{path}: [tool.covet.migrate] must be a table")
                return section, folder
    return {}, start


def _import(target: str, base: Path) -> Any:
    module_name, _, attribute = target.partition(":")
    if not module_name or not attribute:
        raise ConfigurationError(f"expected module:attribute, got {target!r}")
    if str(base) not in sys.path:
        sys.path.insert(0, str(base))
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        raise ConfigurationError(f"cannot import {module_name!r} (from {base}): {exc}") from exc
    value: Any = module
    for part in attribute.split("."):
        try:
            value = getattr(value, part)
        except AttributeError:
            raise ConfigurationError(f"{module_name!r} has no attribute {attribute!r}") from None
    return value


def build_manager(args: argparse.Namespace) -> MigrationManager:
    config, base = load_config(Path.cwd())
    target = args.app or config.get("app") or os.environ.get("COVET_MIGRATE_APP")
    if not target:
        raise ConfigurationError(
            'no database configured: pass --app module:db, or set app = "module:db" under '
            "[tool.covet.migrate] in pyproject.toml"
        )
    base = Path.cwd() if args.app else base
    value = _import(target, base)
    if isinstance(value, MigrationManager):
        manager = value
    elif isinstance(value, Database):
        models = args.models.split(",") if args.models else config.get("models")
        if isinstance(models, str):
            models = [models]
        directory = args.directory or config.get("directory") or "migrations"
        manager = MigrationManager(
            value,
            apps=list(models or [target.partition(":")[0]]),
            directory=base / directory,
            ignore_tables=config.get("ignore_tables", ()),
        )
    else:
        raise ConfigurationError(
            f"{target} is a {type(value).__name__}, not a covet.orm.Database or MigrationManager"
        )
    if args.directory and isinstance(value, MigrationManager):
        manager.directory = Path(args.directory)
    timeout = args.lock_timeout or config.get("lock_timeout")
    if timeout is not None:
        manager.lock_timeout = float(timeout)
    manager.progress = _say
    return manager


def _say(text: str) -> None:
    print(text, flush=True)


def _pairs(values: list[str] | None, flag: str) -> dict[str, str]:
    out = {}
    for value in values or []:
        key, sep, answer = value.partition("=")
        if not sep or not key:
            raise ConfigurationError(f"{flag} expects OLD=NEW, got {value!r}")
        out[key.strip()] = answer.strip()
    return out


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="covet migrate", add_help=True)
    p.add_argument("command", choices=COMMANDS)
    p.add_argument("target", nargs="?", help="app:name, name, a number (0003) or app:zero")
    p.add_argument("extra", nargs="?", help="squash: the last migration to fold in")
    p.add_argument("--app", help="module:attribute of the Database (or a MigrationManager)")
    p.add_argument("--models", help="comma-separated model modules (default: the --app module)")
    p.add_argument("--directory", help="where migrations live (default: migrations)")
    p.add_argument("--lock-timeout", type=float, help="seconds to wait for the deploy lock")
    p.add_argument("--name", help="make/squash: the migration's name")
    p.add_argument("--label", help="make --empty / squash: the app label")
    p.add_argument("--empty", action="store_true", help="make: an empty migration to fill in")
    p.add_argument("--merge", action="store_true", help="make: join an app's leaf migrations")
    p.add_argument(
        "--rename", action="append", metavar="OLD=NEW", help="make: Model=New or Model.old=new"
    )
    p.add_argument(
        "--default",
        action="append",
        metavar="MODEL.FIELD=VALUE",
        help="make: value for existing rows",
    )
    p.add_argument("--no-input", action="store_true", help="make: never prompt")
    p.add_argument("--steps", type=int, help="down: how many migrations to unapply")
    p.add_argument("--fake", action="store_true", help="up/down: record without running SQL")
    p.add_argument(
        "--fake-initial", action="store_true", help="up: fake initial migrations whose tables exist"
    )
    p.add_argument("--backwards", action="store_true", help="sql: the SQL of 'down'")
    p.add_argument("--database", action="store_true", help="check: compare with the live database")
    return p


def _needs_async(manager: MigrationManager) -> bool:
    for migration in manager.migrations().values():
        for op in migration.operations:
            if isinstance(op, RunPython) and any(
                inspect.iscoroutinefunction(fn) for fn in (op.code, op.reverse_code) if fn
            ):
                return True
    return False


def run(argv: Sequence[str]) -> int:
    args = parser().parse_args(list(argv))
    manager = build_manager(args)
    command = args.command
    started = time.monotonic()
    if command == "make":
        interactive = not args.no_input and sys.stdin.isatty()
        defaults = {k: parse_value(v) for k, v in _pairs(args.default, "--default").items()}
        questioner = Questioner(_pairs(args.rename, "--rename"), defaults, interactive=interactive)
        paths = manager.make(
            args.name or args.target,
            app=args.label,
            empty=args.empty,
            merge=args.merge,
            questioner=questioner,
        )
        for note in manager.notes:
            print(f"note: {note}")
        if not paths:
            print("No changes detected.")
        for path in paths:
            print(f"Created {path}")
        return 0
    if command == "sql":
        print(manager.sql(args.target, backwards=args.backwards))
        return 0
    if command == "squash":
        if not args.target:
            raise ConfigurationError(
                "squash needs the last migration: covet migrate squash blog:0004"
            )
        label = args.label or args.target.rpartition(":")[0] or None
        if label is None:
            label = manager.single_app("squash")
        start = args.extra and args.target
        end = args.extra or args.target
        path = manager.squash(label, end, start=start, name=args.name)
        print(f"Created {path}")
        return 0
    if command == "check":
        problems = manager.check()
        if args.database:
            problems += manager.check_database()
        for problem in problems:
            print(problem)
        if problems:
            return 1
        print(
            "No changes: models, migrations"
            + (" and database" if args.database else "")
            + " agree."
        )
        return 0
    if command == "status":
        for s in manager.status():
            mark = {"applied": "[X]", "pending": "[ ]", "partial": "[~]", "missing": "[?]"}[s.state]
            note = " (edited since applied)" if s.changed else ""
            note += " (in the history, no file)" if s.state == "missing" else ""
            note += " (partly applied: run up to resume)" if s.state == "partial" else ""
            print(f"{mark} {s.label}{note}")
        return 0
    if command == "history":
        for r in manager.history():
            state = "" if r.complete else f"  partial: step {r.progress}"
            when = f"{r.applied_at:%Y-%m-%d %H:%M:%S}"
            took = f"{r.duration * 1000:.0f} ms"
            print(f"{when}  {r.app}:{r.name}  {took}  sha256 {r.checksum[:12]}{state}")
        return 0
    use_async = _needs_async(manager)
    if command in ("up", "fake"):
        fake = args.fake or command == "fake"
        if use_async:
            done = asyncio.run(
                manager.aupgrade(args.target, fake=fake, fake_initial=args.fake_initial)
            )
        else:
            done = manager.upgrade(args.target, fake=fake, fake_initial=args.fake_initial)
    else:
        if use_async:
            done = asyncio.run(manager.adowngrade(args.target, steps=args.steps, fake=args.fake))
        else:
            done = manager.downgrade(args.target, steps=args.steps, fake=args.fake)
    if done:
        print(f"Done: {len(done)} migration(s) in {time.monotonic() - started:.2f}s")
    return 0


def migrate_command(argv: Sequence[str]) -> int:
    """Schema migrations: covet migrate make|up|down|status|history|sql|check|squash|fake."""
    args = list(argv)
    if not args or args[0] in ("-h", "--help", "help"):
        print(USAGE)
        return 0 if args else 2
    try:
        return run(args)
    except (MigrationError, ORMError) as exc:
        print(f"covet migrate: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("covet migrate: interrupted", file=sys.stderr)
        return 130
