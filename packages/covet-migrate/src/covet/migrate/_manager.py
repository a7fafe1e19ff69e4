"""``MigrationManager``: the Python API behind ``covet migrate``.

``make``, ``squash``, ``sql`` and ``check`` work offline (files and models only); ``upgrade``,
``downgrade``, ``status``, ``history``, ``check_database`` and ``introspect`` touch the database
and have async twins (``aupgrade``, ...) that run the same plans with the async API.
"""

from __future__ import annotations

import datetime as dt
import importlib
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any, TypeVar

from covet.migrate._autodetector import Autodetector, Questioner
from covet.migrate._exceptions import ConfigurationError, GraphError, InconsistentHistory
from covet.migrate._history import Record
from covet.migrate._introspect import Catalog, compare, expected_catalog, read_catalog
from covet.migrate._loader import Graph, Key, Migration, load_app
from covet.migrate._optimizer import optimize
from covet.migrate._plan import Plan, adrive, drive
from covet.migrate._runner import Runner, Work, plan_work
from covet.migrate._session import async_session, sync_session
from covet.migrate._state import ProjectState
from covet.migrate._writer import slug, write_migration
from covet.migrate.operations.base import Operation
from covet.orm import Model
from covet.orm.sql import ddl

if TYPE_CHECKING:
    from covet.orm import Database

T = TypeVar("T")


@dataclass(frozen=True)
class MigrationStatus:
    app: str
    name: str
    #: ``applied``, ``pending``, ``partial`` (a failed non-atomic migration) or ``missing`` (in
    #: the history, not on disk)
    state: str
    #: the file changed since it was applied (checksum mismatch)
    changed: bool = False
    applied_at: dt.datetime | None = None

    @property
    def label(self) -> str:
        return f"{self.app}:{self.name}"


def _app_label(module: str) -> str:
    parts = module.split(".")
    if len(parts) > 1 and parts[-1] == "models":
        return parts[-2]
    return parts[-1]


class MigrationManager:
    """Migrations of ``apps`` (module names, or ``{label: module}``) for ``db``, kept in
    ``directory/<app label>/``."""

    def __init__(
        self,
        db: Database,
        apps: Sequence[str | ModuleType] | Mapping[str, str | ModuleType],
        directory: str | Path = "migrations",
        *,
        progress: Callable[[str], None] | None = None,
        lock_timeout: float = 300.0,
        ignore_tables: Iterable[str] = (),
    ) -> None:
        self.db = db
        #: tables made outside the models (by RunSQL, by hand) that drift checks leave alone
        self.ignore_tables = set(ignore_tables)
        if isinstance(apps, Mapping):
            pairs = [(label, m if isinstance(m, str) else m.__name__) for label, m in apps.items()]
        else:
            names = [m if isinstance(m, str) else m.__name__ for m in apps]
            pairs = [(_app_label(n), n) for n in names]
        if not pairs:
            raise ConfigurationError("no apps: pass apps=['myproject.models', ...]")
        self.apps: dict[str, str] = {}
        for label, module in pairs:
            if label in self.apps:
                raise ConfigurationError(
                    f"two apps have the label {label!r} ({self.apps[label]}, {module}); "
                    "pass apps={label: module} to name them"
                )
            self.apps[label] = module
        self.directory = Path(directory)
        self.progress = progress or (lambda text: None)
        self.lock_timeout = lock_timeout
        #: notes from the last make() (possible renames that were not taken)
        self.notes: list[str] = []

    # -- models and files -------------------------------------------------------------------------
    def models(self) -> dict[str, list[type[Model]]]:
        """The concrete models of each app, in definition order."""
        out: dict[str, list[type[Model]]] = {}
        for label, module in self.apps.items():
            try:
                importlib.import_module(module)
            except ImportError as exc:
                raise ConfigurationError(f"cannot import the app module {module!r}: {exc}") from exc
            found: dict[tuple[str, str], type[Model]] = {}
            for m in _subclasses(Model):
                meta = m.__dict__.get("_meta")  # absent when the class body was refused
                if (
                    meta is None
                    or meta.abstract
                    or not (m.__module__ == module or m.__module__.startswith(module + "."))
                ):
                    continue
                key = (m.__module__, m.__name__)
                # a class defined twice (a reloaded module, a notebook): the one the module's
                # name is bound to, else the newest
                bound = getattr(sys.modules.get(m.__module__), m.__name__, None)
                if key not in found or bound is m or found[key] is not bound:
                    found[key] = m
            out[label] = list(found.values())
        return out

    def model_state(self) -> ProjectState:
        return ProjectState.from_models(self.models())

    def migrations(self) -> dict[Key, Migration]:
        found: dict[Key, Migration] = {}
        for label in self.apps:
            found.update(load_app(label, self.directory))
        return found

    def graph(self, applied: Iterable[Key] = ()) -> Graph:
        return Graph.resolve(self.migrations(), applied)

    def migration_state(self) -> ProjectState:
        """The state the migrations on disk describe (all of them applied)."""
        graph = self.graph()
        return graph.state(graph.nodes)

    # -- offline ----------------------------------------------------------------------------------
    def changes(self, questioner: Questioner | None = None) -> dict[str, list[Operation]]:
        """The operations ``make`` would write, per app."""
        graph = self.graph()
        for app in self.apps:
            graph.leaf(app)
        target = self.model_state()
        _check_names(target)
        detector = Autodetector(graph.state(graph.nodes), target, questioner)
        changes = detector.changes(list(self.apps))
        self.notes = detector.notes
        return changes

    def make(
        self,
        name: str | None = None,
        *,
        app: str | None = None,
        empty: bool = False,
        merge: bool = False,
        renames: Mapping[str, str] | None = None,
        defaults: Mapping[str, Any] | None = None,
        questioner: Questioner | None = None,
    ) -> list[Path]:
        """Write migration files for the model changes (or an empty / merge migration); returns
        the paths written (none when nothing changed)."""
        questioner = questioner or Questioner(renames, defaults)
        graph = self.graph()
        if merge:
            return self._merge(graph, name)
        if empty:
            label = app or self.single_app("--empty")
            return [self._write(graph, label, [], name or "custom")]
        changes = self.changes(questioner)
        if app is not None:
            changes = {a: ops for a, ops in changes.items() if a == app}
        # an app whose new migration references another app's tables is written after it, and
        # depends on that app's latest migration (the one written now, if any)
        owners = {m.table_name: m.app for m in self.model_state().models.values()}
        needs = {a: _referenced_apps(ops, owners) - {a} for a, ops in changes.items()}
        written: dict[str, Key] = {}
        paths = []
        for a in _app_order(list(changes), needs):
            cross = set()
            for other in sorted(needs[a]):
                key = written.get(other) or graph.leaf(other)
                if key is not None:
                    cross.add(key)
            path = self._write(graph, a, changes[a], name, cross=cross)
            written[a] = (a, path.stem)
            paths.append(path)
        return paths

    def single_app(self, flag: str) -> str:
        """The only app's label; ``flag`` names what needs one when there are several."""
        if len(self.apps) != 1:
            raise ConfigurationError(f"{flag} needs --app (apps: {', '.join(self.apps)})")
        return next(iter(self.apps))

    def _write(
        self,
        graph: Graph,
        app: str,
        ops: list[Operation],
        name: str | None,
        *,
        dependencies: list[Key] | None = None,
        replaces: list[Key] | None = None,
        cross: set[Key] | None = None,
    ) -> Path:
        folder = self.directory / app
        folder.mkdir(parents=True, exist_ok=True)
        for init in (self.directory / "__init__.py", folder / "__init__.py"):
            if not init.exists():
                init.write_text("")
        numbers = [m.number for (a, _), m in self.migrations().items() if a == app]
        number = max(numbers, default=0) + 1
        leaf = graph.leaf(app) if dependencies is None else None
        deps = dependencies if dependencies is not None else ([leaf] if leaf else [])
        deps += sorted((cross or set()) - set(deps))
        initial = not numbers and dependencies is None
        label = slug(name) if name else ("initial" if initial else _auto_name(ops))
        path = folder / f"{number:04d}_{label}.py"
        header = f"{app}: {', '.join(op.describe() for op in ops) or 'no operations'}"
        header = header if len(header) < 90 else header[:86] + "..."
        path.write_text(
            write_migration(ops, deps, replaces=replaces, initial=initial, header=header),
            encoding="utf-8",
        )
        return path

    def _merge(self, graph: Graph, name: str | None) -> list[Path]:
        paths = []
        for app in self.apps:
            leaves = graph.leaves(app)
            if len(leaves) > 1:
                label = name or "merge_" + "_".join(n.split("_")[0] for _, n in leaves)
                paths.append(self._write(graph, app, [], label, dependencies=list(leaves)))
        return paths

    def squash(
        self, app: str, end: str, *, start: str | None = None, name: str | None = None
    ) -> Path:
        """One migration with the operations of ``start``..``end`` of ``app`` and
        ``replaces`` naming them; the originals can be deleted once every database has
        applied it."""
        graph = self.graph()
        order = [k for k in graph.order() if k[0] == app]
        end_key = self.resolve(graph, end, app=app)
        start_key = self.resolve(graph, start, app=app) if start else order[0]
        if end_key is None or start_key is None:
            raise GraphError("squash needs a migration, not 'zero'")
        chosen = order[order.index(start_key) : order.index(end_key) + 1]
        ops: list[Operation] = []
        deps: list[Key] = []
        replaces: list[Key] = []
        for key in chosen:
            migration = graph.nodes[key]
            replaces += migration.replaces or [key]
            ops += migration.operations
            deps += [d for d in migration.dependencies if d not in chosen and d not in deps]
        ops = optimize(app, ops)
        label = name or f"squashed_{chosen[-1][1].split('_')[0]}"
        return self._write(graph, app, ops, label, dependencies=deps, replaces=replaces)

    def resolve(self, graph: Graph, target: str | None, *, app: str | None = None) -> Key | None:
        """``app:name``, ``name`` or a number prefix (``0003``) -> a key; ``zero`` -> None."""
        if target is None:
            raise GraphError("no target")
        label, sep, name = target.rpartition(":")
        if not sep:
            label = app or ""
        if name == "zero":
            return None
        candidates = [
            k
            for k in graph.nodes
            if (not label or k[0] == label)
            and (
                k[1] == name
                or k[1].startswith(name + "_")
                or (name.isdigit() and k[1].startswith(name))
            )
        ]
        if len(candidates) != 1:
            known = ", ".join(f"{a}:{n}" for a, n in sorted(graph.nodes)) or "none"
            what = "matches several migrations" if candidates else "matches no migration"
            raise GraphError(f"target {target!r} {what}; migrations: {known}")
        return candidates[0]

    def sql(self, target: str | None = None, *, backwards: bool = False) -> str:
        """The SQL ``up`` runs on an empty database to reach ``target`` (every migration by
        default), or ``down`` runs from the last migration back to it, without a database."""
        graph = self.graph()
        leaves = [k for app in self.apps for k in graph.leaves(app)]
        if backwards:
            key = self.resolve(graph, target) if target else None
            keep = set(graph.ancestors([key])) if key else set()
            keys = [k for k in reversed(graph.order()) if k not in keep]
        else:
            key = self.resolve(graph, target) if target else None
            keys = graph.ancestors([key] if key else leaves)
        lines: list[str] = []
        dialect = self.db.dialect
        atomic_db = dialect.supports_ddl_transactions
        for work in plan_work(graph, keys, backwards=backwards, dialect=dialect):
            m = work.migration
            lines.append(f"-- {'unapply' if backwards else 'apply'} {m.label}")
            wrap = atomic_db and m.atomic and dialect.name == "postgresql"
            if wrap:
                lines.append("BEGIN;")
            for op, steps in work.steps:
                lines.append(f"-- {op.describe()}")
                for step in steps:
                    lines += step.sql_lines()
            if wrap:
                lines.append("COMMIT;")
            lines.append("")
        return "\n".join(lines)

    def check(self) -> list[str]:
        """Offline problems: model changes without a migration, branch conflicts."""
        problems = []
        try:
            changes = self.changes(_Detecting())
        except GraphError as exc:
            return [str(exc)]
        for app, ops in changes.items():
            described = "; ".join(op.describe() for op in ops)
            problems.append(f"{app}: model changes without a migration: {described}")
        return problems

    # -- against the database --------------------------------------------------------------------
    def _run(self, plan: Plan[T]) -> T:
        with sync_session(self.db, self.progress) as session:
            return drive(plan, session)

    async def _arun(self, plan: Plan[T]) -> T:
        async with async_session(self.db, self.progress) as session:
            return await adrive(plan, session)

    def history(self) -> list[Record]:
        """Rows of ``covet_migrations``, oldest first."""
        return self._run(Runner(self.db).read_history())

    async def ahistory(self) -> list[Record]:
        return await self._arun(Runner(self.db).read_history())

    def status(self) -> list[MigrationStatus]:
        return self._status(self.history())

    async def astatus(self) -> list[MigrationStatus]:
        return self._status(await self.ahistory())

    def _status(self, records: list[Record]) -> list[MigrationStatus]:
        by_key = {r.key: r for r in records}
        applied = [r.key for r in records if r.complete]
        graph = self.graph(applied)
        out = []
        for key in graph.order():
            m = graph.nodes[key]
            record = by_key.get(key)
            if record is None and m.replaces and all(r in by_key for r in m.replaces):
                record = by_key[m.replaces[-1]]
            if record is None:
                out.append(MigrationStatus(m.app, m.name, "pending"))
                continue
            state = "applied" if record.complete else "partial"
            changed = record.key == key and record.checksum != m.checksum
            out.append(MigrationStatus(m.app, m.name, state, changed, record.applied_at))
        known = set(graph.nodes) | {r for m in graph.nodes.values() for r in m.replaces}
        for record in records:
            if record.key not in known and record.app in self.apps:
                out.append(
                    MigrationStatus(record.app, record.name, "missing", False, record.applied_at)
                )
        return out

    def upgrade(
        self, target: str | None = None, *, fake: bool = False, fake_initial: bool = False
    ) -> list[str]:
        """Apply migrations up to ``target`` (all by default); returns their labels.

        ``fake`` records them without running anything; ``fake_initial`` does so only for
        initial migrations whose tables all exist already (adopting a database made by
        ``create_tables`` or by hand)."""
        runner = Runner(self.db, lock_timeout=self.lock_timeout)
        plan = runner.run(self._choose_up(target), fake=fake, fake_initial=fake_initial)
        return self._run(plan)

    async def aupgrade(
        self, target: str | None = None, *, fake: bool = False, fake_initial: bool = False
    ) -> list[str]:
        runner = Runner(self.db, lock_timeout=self.lock_timeout)
        plan = runner.run(self._choose_up(target), fake=fake, fake_initial=fake_initial)
        return await self._arun(plan)

    def downgrade(
        self, target: str | None = None, *, steps: int | None = None, fake: bool = False
    ) -> list[str]:
        """Unapply migrations after ``target`` (``app:zero`` for all of an app), or the last
        ``steps`` (1 by default); returns their labels."""
        runner = Runner(self.db, lock_timeout=self.lock_timeout)
        return self._run(runner.run(self._choose_down(target, steps), fake=fake))

    async def adowngrade(
        self, target: str | None = None, *, steps: int | None = None, fake: bool = False
    ) -> list[str]:
        runner = Runner(self.db, lock_timeout=self.lock_timeout)
        return await self._arun(runner.run(self._choose_down(target, steps), fake=fake))

    def _applied(self, records: list[Record]) -> tuple[Graph, set[Key]]:
        done = {r.key for r in records if r.complete}
        graph = self.graph(done)
        applied = {k for k in graph.nodes if k in done}
        for key, m in graph.nodes.items():
            if m.replaces and all(r in done for r in m.replaces):
                applied.add(key)
        for key in applied:
            for parent in graph.parents[key]:
                if parent not in applied:
                    raise InconsistentHistory(
                        f"{key[0]}:{key[1]} is applied but its dependency {parent[0]}:{parent[1]} "
                        "is not; apply it with 'covet migrate fake' if the database has it"
                    )
        return graph, applied

    def _choose_up(self, target: str | None) -> Callable[[list[Record]], list[Work]]:
        def choose(records: list[Record]) -> list[Work]:
            graph, applied = self._applied(records)
            for app in self.apps:
                graph.leaf(app)
            changed = [
                f"{r.app}:{r.name}"
                for r in records
                if r.key in graph.nodes and r.checksum != graph.nodes[r.key].checksum
            ]
            if changed:
                self.progress(
                    f"warning: applied migration(s) edited since they ran (checksum "
                    f"mismatch): {', '.join(changed)}"
                )
            if target is None:
                targets = [k for app in self.apps for k in graph.leaves(app)]
            else:
                key = self.resolve(graph, target)
                if key is None:
                    raise GraphError("'zero' is a target for down, not up")
                targets = [key]
            keys = [k for k in graph.ancestors(targets) if k not in applied]
            return plan_work(graph, keys, backwards=False, dialect=self.db.dialect)

        return choose

    def _choose_down(
        self, target: str | None, steps: int | None
    ) -> Callable[[list[Record]], list[Work]]:
        def choose(records: list[Record]) -> list[Work]:
            graph, applied = self._applied(records)
            applied |= {r.key for r in records if r.progress is not None and r.progress < 0}
            ordered = [k for k in graph.order() if k in applied]
            if target is None:
                undo = ordered[-(steps or 1) :] if steps != 0 else []
            else:
                key = self.resolve(graph, target)
                if key is None:
                    label = target.rpartition(":")[0] or self.single_app("'zero'")
                    roots = [k for k in graph.nodes if k[0] == label]
                    doomed = set(roots).union(*(graph.descendants(k) for k in roots))
                else:  # the target's later migrations in its app, and what depends on them
                    later = [c for c in graph.children[key] if c[0] == key[0]]
                    doomed = set(later).union(*(graph.descendants(c) for c in later))
                undo = [k for k in ordered if k in doomed]
            return plan_work(graph, list(reversed(undo)), backwards=True, dialect=self.db.dialect)

        return choose

    def introspect(self) -> Catalog:
        """The live schema (tables, columns, uniques, checks, indexes), history table aside."""
        return self._run(read_catalog(self.db.dialect))

    async def aintrospect(self) -> Catalog:
        return await self._arun(read_catalog(self.db.dialect))

    def expected(self, records: list[Record]) -> Catalog:
        graph, applied = self._applied(records)
        return expected_catalog(graph.state(applied), self.db.dialect)

    def check_database(self) -> list[str]:
        """Drift between the applied migrations and the live catalog (empty: none)."""
        records = self.history()
        return self._drift(records, self.introspect())

    async def acheck_database(self) -> list[str]:
        records = await self.ahistory()
        return self._drift(records, await self.aintrospect())

    def _drift(self, records: list[Record], actual: Catalog) -> list[str]:
        problems = [
            f"{r.app}:{r.name} is partly applied (step {abs(r.progress)})"
            for r in records
            if r.progress is not None
        ]
        files = self.migrations()
        problems += [
            f"{r.app}:{r.name} was edited after it was applied (checksum mismatch)"
            for r in records
            if r.key in files and files[r.key].checksum != r.checksum
        ]
        for name in self.ignore_tables:
            actual.pop(name, None)
        return problems + compare(self.expected(records), actual)


class _Detecting(Questioner):
    """Answers nothing: ``check`` only needs to know that there are changes."""

    def fill(self, app: str, model: str, name: str, field: Any, why: str) -> Any:
        return None


def _check_names(state: ProjectState) -> None:
    """Identifiers past 63 bytes are cut short by PostgreSQL (64 by MariaDB): refuse them."""
    for m in state.models.values():
        names = [m.table_name, *(f.column for f in m.fields.values())]
        names += [
            f.db_table or f"{m.table_name}_{n}"
            for n, f in m.many_to_many.items()
            if f.through_ref is None  # the join table made for the relation
        ]
        names += [i.name for i in m.indexes if i.name] + [c.name for c in m.constraints]
        for name in names:
            if len(name.encode()) > ddl.MAX_NAME:
                raise ConfigurationError(
                    f"{m.label}: the name {name!r} is longer than {ddl.MAX_NAME} bytes, which "
                    "PostgreSQL would silently cut short; choose a shorter one"
                )


def _subclasses(cls: type[Model]) -> list[type[Model]]:
    out: list[type[Model]] = []
    stack = list(reversed(cls.__subclasses__()))
    while stack:
        sub = stack.pop()
        out.append(sub)
        stack.extend(reversed(sub.__subclasses__()))
    return out


def _referenced_apps(ops: list[Operation], owners: dict[str, str]) -> set[str]:
    """Apps owning the models that fields added or changed by ``ops`` reference (``owners``:
    table name -> app)."""
    from covet.migrate._autodetector import field_dependencies

    found = set()
    tables = {table: (app, "") for table, app in owners.items()}
    for op in ops:
        fields = list(getattr(op, "fields", []))
        if hasattr(op, "field"):
            fields.append(("", op.field))
        for _, field in fields:
            found |= {app for app, _ in field_dependencies(field, "", tables) if app}
    return found


def _app_order(apps: list[str], needs: dict[str, set[str]]) -> list[str]:
    order: list[str] = []
    remaining = list(apps)
    while remaining:
        ready = [a for a in remaining if not (needs[a] & set(remaining)) - {a}]
        pick = ready[0] if ready else remaining[0]  # a cycle between apps: as listed
        remaining.remove(pick)
        order.append(pick)
    return order


def _auto_name(ops: list[Operation]) -> str:
    parts = []
    for op in ops:
        kind = type(op).__name__
        model = str(getattr(op, "model_name", getattr(op, "name", "")) or "").lower()
        field = getattr(op, "name", "") if hasattr(op, "model_name") else ""
        short = {
            "CreateModel": f"create_{model}", "DeleteModel": f"delete_{model}",
            "AddField": f"add_{model}_{field}", "RemoveField": f"remove_{model}_{field}",
            "AlterField": f"alter_{model}_{field}", "RunPython": "data", "RunSQL": "sql",
            "RenameField": f"rename_{model}_{getattr(op, 'old_name', '')}",
            "RenameModel": f"rename_{str(getattr(op, 'old_name', '')).lower()}",
            "AddIndex": f"index_{model}", "RemoveIndex": f"remove_index_{model}",
            "AddConstraint": f"constraint_{model}",
            "RemoveConstraint": f"remove_constraint_{model}",
            "AlterUniqueTogether": f"unique_together_{model}",
        }.get(kind, slug(kind))  # fmt: skip
        parts.append(short)
    name = "_and_".join(dict.fromkeys(parts))
    if len(parts) > 3 or len(name) > 50:
        return "auto_" + dt.datetime.now(dt.UTC).strftime("%Y%m%d_%H%M")
    return slug(name)
