"""Migration files and the graph of their dependencies.

A migration is a module in ``<directory>/<app>/`` (``0002_add_email.py``) defining
``dependencies`` (``[("blog", "0001_initial")]``, other apps allowed), ``operations`` and
optionally ``replaces`` (a squashed migration), ``atomic`` and ``initial``. The graph orders them,
finds each app's leaf (two leaves are a conflict: merge them), and resolves squashed migrations
against the history: a squash stands in for the migrations it replaces when all or none of them
are applied.
"""

from __future__ import annotations

import hashlib
import importlib.util
import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from covet.migrate._exceptions import ConflictError, GraphError, MigrationLoadError
from covet.migrate._state import ProjectState
from covet.migrate.operations.base import Operation

Key = tuple[str, str]
NAME = re.compile(r"^(?P<number>\d{4})_(?P<slug>\w+)$")


@dataclass
class Migration:
    app: str
    name: str
    operations: list[Operation] = field(default_factory=list)
    dependencies: list[Key] = field(default_factory=list)
    replaces: list[Key] = field(default_factory=list)
    atomic: bool = True
    initial: bool = False
    path: Path | None = None
    checksum: str = ""

    @property
    def key(self) -> Key:
        return (self.app, self.name)

    @property
    def label(self) -> str:
        return f"{self.app}:{self.name}"

    @property
    def number(self) -> int:
        match = NAME.match(self.name)
        return int(match["number"]) if match else 0


def checksum(source: bytes) -> str:
    """SHA-256 of a migration file, line endings normalised (a checkout on Windows is the same
    file)."""
    return hashlib.sha256(source.replace(b"\r\n", b"\n")).hexdigest()


def load_file(app: str, path: Path) -> Migration:
    name = path.stem
    source = path.read_bytes()
    module_name = f"covet_migrations.{app}.{name}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise MigrationLoadError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        del sys.modules[module_name]
        raise MigrationLoadError(f"{path} failed to import: {type(exc).__name__}: {exc}") from exc
    operations = getattr(module, "operations", None)
    if not isinstance(operations, list) or not all(isinstance(o, Operation) for o in operations):
        raise MigrationLoadError(f"{path} must define operations = [ops.X(...), ...]")
    return Migration(
        app,
        name,
        operations,
        dependencies=[_key(d, path) for d in getattr(module, "dependencies", [])],
        replaces=[_key(d, path) for d in getattr(module, "replaces", [])],
        atomic=bool(getattr(module, "atomic", True)),
        initial=bool(getattr(module, "initial", False)),
        path=path,
        checksum=checksum(source),
    )


def _key(value: Any, path: Path) -> Key:
    if (
        isinstance(value, tuple | list)
        and len(value) == 2
        and all(isinstance(v, str) for v in value)
    ):
        return (value[0], value[1])
    raise MigrationLoadError(f"{path}: dependency {value!r} must be an (app, name) pair")


def load_app(app: str, directory: Path) -> dict[Key, Migration]:
    folder = directory / app
    found: dict[Key, Migration] = {}
    if not folder.is_dir():
        return found
    for path in sorted(folder.glob("*.py")):
        if path.name.startswith(("_", ".")):
            continue
        migration = load_file(app, path)
        found[migration.key] = migration
    return found


class Graph:
    """Migrations as a DAG; parents are dependencies."""

    def __init__(self, migrations: dict[Key, Migration]) -> None:
        self.nodes = dict(migrations)
        self.parents: dict[Key, list[Key]] = {}
        self.children: dict[Key, list[Key]] = {k: [] for k in self.nodes}
        for key, migration in self.nodes.items():
            self.parents[key] = []
            for dep in migration.dependencies:
                if dep not in self.nodes:
                    raise GraphError(
                        f"migration {migration.label} depends on {dep[0]}:{dep[1]}, which does "
                        "not exist (was it deleted or renamed, or is its app not configured?)"
                    )
                self.parents[key].append(dep)
                self.children[dep].append(key)
        self._check_cycles()

    @classmethod
    def resolve(cls, migrations: dict[Key, Migration], applied: Iterable[Key]) -> Graph:
        """The graph after choosing, for each squashed migration, it or what it replaces."""
        done = set(applied)
        nodes = dict(migrations)
        remap: dict[Key, Key] = {}
        for key, migration in migrations.items():
            if not migration.replaces:
                continue
            replaced = migration.replaces
            applied_count = sum(1 for r in replaced if r in done)
            present = [r for r in replaced if r in migrations]
            if key in done or applied_count in (0, len(replaced)):
                for r in present:
                    nodes.pop(r, None)
                for r in replaced:
                    remap[r] = key
            elif len(present) == len(replaced):
                nodes.pop(key)  # partly applied: keep going with the originals
            else:
                missing = ", ".join(f"{a}:{n}" for a, n in replaced if (a, n) not in migrations)
                raise GraphError(
                    f"{migration.label} replaces migrations of which some are applied and "
                    f"some ({missing}) are gone; restore them to finish applying"
                )
        for key, migration in list(nodes.items()):
            deps = [remap.get(d, d) for d in migration.dependencies]
            deps = [d for d in dict.fromkeys(deps) if d != key]
            if deps != migration.dependencies:
                nodes[key] = Migration(**{**migration.__dict__, "dependencies": deps})
        return cls(nodes)

    def _check_cycles(self) -> None:
        state: dict[Key, int] = {}
        for start in sorted(self.nodes):
            stack: list[tuple[Key, int]] = [(start, 0)]
            while stack:
                node, index = stack.pop()
                if index == 0:
                    if state.get(node) == 2:
                        continue
                    state[node] = 1
                parents = self.parents[node]
                if index < len(parents):
                    stack.append((node, index + 1))
                    parent = parents[index]
                    if state.get(parent) == 1:
                        raise GraphError(f"circular dependency through {parent[0]}:{parent[1]}")
                    if state.get(parent) != 2:
                        stack.append((parent, 0))
                else:
                    state[node] = 2

    def leaves(self, app: str) -> list[Key]:
        return sorted(
            k for k in self.nodes if k[0] == app and not any(c[0] == app for c in self.children[k])
        )

    def leaf(self, app: str) -> Key | None:
        leaves = self.leaves(app)
        if len(leaves) > 1:
            names = ", ".join(n for _, n in leaves)
            raise ConflictError(
                f"app {app!r} has {len(leaves)} latest migrations ({names}): they were made on "
                "separate branches. Run 'covet migrate make --merge' to join them"
            )
        return leaves[0] if leaves else None

    def ancestors(self, targets: Iterable[Key]) -> list[Key]:
        """``targets`` and everything they depend on, dependencies first (deterministic)."""
        order: list[Key] = []
        seen: set[Key] = set()

        def visit(key: Key) -> None:
            stack: list[tuple[Key, bool]] = [(key, False)]
            while stack:
                node, expanded = stack.pop()
                if expanded:
                    order.append(node)
                    continue
                if node in seen:
                    continue
                seen.add(node)
                stack.append((node, True))
                for parent in sorted(self.parents[node], reverse=True):
                    if parent not in seen:
                        stack.append((parent, False))

        for target in sorted(targets):
            visit(target)
        return order

    def descendants(self, key: Key) -> set[Key]:
        found: set[Key] = set()
        stack = list(self.children[key])
        while stack:
            node = stack.pop()
            if node not in found:
                found.add(node)
                stack.extend(self.children[node])
        return found

    def order(self) -> list[Key]:
        """Every migration, dependencies first."""
        return self.ancestors(self.nodes)

    def state(self, keys: Iterable[Key], base: ProjectState | None = None) -> ProjectState:
        """The project state after applying ``keys`` (in graph order) to ``base``."""
        wanted = set(keys)
        state = base.clone() if base is not None else ProjectState()
        for key in self.order():
            if key in wanted:
                migration = self.nodes[key]
                for op in migration.operations:
                    op.state_forwards(migration.app, state)
        return state
