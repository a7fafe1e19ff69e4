"""Loading relations: ``prefetch_related``, ``Prefetch``, the fetch modes and ``afetch``.

Every way of loading a relation for a list of instances is one generator operation,
``load_op`` (one query per relation, ``IN`` batches under the parameter limit), driven by the
sync loop or the async one. ``prefetch_op`` chains it level by level (``"books__tags"``); the
lazy access of an unloaded relation in sync code runs it for the instance's whole result set
(fetch mode ``"peers"``, the default), for the instance alone (``"one"``) or refuses
(``"raise"``: ``N1QueryError``). Async code never loads lazily: ``await obj.afetch("author")``.
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from covet.orm._database import Op, _portal
from covet.orm._exceptions import FieldError, N1QueryError
from covet.orm._related import ForeignKey, Relation, relation_of
from covet.orm.backends.base import loop_running

if TYPE_CHECKING:
    from covet.orm._model import Model
    from covet.orm._query import QuerySet
    from covet.orm.sql.dialect import Dialect

FETCH_MODES = ("peers", "one", "raise")
_global_mode = "peers"
_KEY = "_prefetch_key"


def set_fetch_mode(mode: str) -> None:
    """The fetch mode of every model without ``Meta.fetch_mode`` and every QuerySet without
    ``.fetch_mode(...)``: ``"peers"`` (default), ``"one"`` or ``"raise"``."""
    global _global_mode
    _global_mode = check_mode(mode)


def get_fetch_mode() -> str:
    return _global_mode


def check_mode(mode: str) -> str:
    if mode not in FETCH_MODES:
        raise ValueError(f"fetch mode is one of {', '.join(map(repr, FETCH_MODES))}, not {mode!r}")
    return mode


class ResultSet:
    """What instances of one query result share: each other (peers, held weakly: an
    instance holding its result set strongly would make every result a reference cycle for
    the garbage collector) and the fetch mode."""

    __slots__ = ("_refs", "mode")

    def __init__(self, peers: list[Any], mode: str | None) -> None:
        self._refs = list(map(weakref.ref, peers))
        self.mode = mode

    def hold(self, peers: list[Any]) -> None:
        """The peers, once the objects that hold this result set (a stateful builder's) exist."""
        self._refs = list(map(weakref.ref, peers))

    @property
    def peers(self) -> list[Any]:
        return [obj for ref in self._refs if (obj := ref()) is not None]


class Prefetch:
    """``prefetch_related(Prefetch("books", queryset=Book.objects.filter(...),
    to_attr="recent_books"))``: the related objects from your QuerySet, optionally stored as a
    list under ``to_attr`` instead of the related manager's cache."""

    def __init__(
        self, lookup: str, queryset: QuerySet[Any] | None = None, to_attr: str | None = None
    ) -> None:
        self.lookup, self.queryset, self.to_attr = lookup, queryset, to_attr
        if queryset is not None:
            q = queryset._query
            if q.sliced:
                raise ValueError("Prefetch(queryset=...) cannot be sliced")
            if queryset._kind != "model":
                raise ValueError("Prefetch(queryset=...) must return model instances")

    def __repr__(self) -> str:
        return f"Prefetch({self.lookup!r})"


def _chunks(keys: list[Any], dialect: Dialect) -> list[list[Any]]:
    size = max(dialect.max_params - 256, 1)
    return [keys[i : i + size] for i in range(0, len(keys), size)] if keys else []


def load_op(
    instances: Sequence[Model],
    rel: Relation,
    dialect: Dialect,
    queryset: QuerySet[Any] | None = None,
    to_attr: str | None = None,
) -> Op[list[Any]]:
    """Fetch ``rel`` for every instance (one query per batch of keys) and store it on them;
    returns the related objects."""
    from covet.orm._query import QuerySet

    if queryset is not None and queryset.model is not rel.related:
        raise ValueError(
            f"Prefetch({rel.name!r}, queryset=...) needs a QuerySet of {rel.related.__name__}, "
            f"not of {queryset.model.__name__}"
        )
    qs: QuerySet[Any] = queryset if queryset is not None else QuerySet(rel.related)
    field = rel.field
    found: list[Any] = []
    if isinstance(field, ForeignKey) and not rel.reverse:  # book.author
        attname, tattr = field.name, field.target_field.name
        keys = list(
            dict.fromkeys(k for i in instances if (k := i.__dict__.get(attname)) is not None)
        )
        by_key: dict[Any, Any] = {}
        for chunk in _chunks(keys, dialect):
            rows = yield from _among(qs, tattr, chunk)._fetch_op(dialect)
            by_key.update((r.__dict__[tattr], r) for r in rows)
        back = rel.other.accessor if field.one_to_one and rel.other is not None else None
        for inst in instances:
            key = inst.__dict__.get(attname)
            obj = by_key.get(key) if key is not None else None
            if to_attr:
                setattr(inst, to_attr, obj)
            elif key is None or obj is not None:
                inst.__dict__[rel.name] = obj
            if back and obj is not None:
                obj.__dict__[back] = inst
        return list(by_key.values())
    groups: dict[Any, list[Any]] = {}
    if isinstance(field, ForeignKey):  # author.books, user.profile
        attname, tattr = field.name, field.target_field.name
        keys = list(dict.fromkeys(k for i in instances if (k := i.__dict__.get(tattr)) is not None))
        by_pk = {i.__dict__.get(tattr): i for i in instances}
        link = field.relation_name  # each book gets its author
        for chunk in _chunks(keys, dialect):
            sub = _among(qs, attname, chunk)
            rows, grouped = yield from _grouped_op(sub, attname, dialect, by_pk, link)
            groups.update(grouped)
            found.extend(rows)
        _store(instances, rel, groups, tattr, to_attr)
        return found
    # many-to-many, either side: one query joining the link table, whose column (the key of
    # the instance each row belongs to) is selected too, as Django does
    from covet.orm.expressions import F

    back = rel.back()
    pk = rel.model._meta.pk.name
    keys = list(dict.fromkeys(k for i in instances if (k := i.__dict__.get(pk)) is not None))
    for chunk in _chunks(keys, dialect):
        sub = _among(qs, back, chunk).annotate(**{_KEY: F(back)})
        rows, grouped = yield from _grouped_op(sub, _KEY, dialect, {}, None)
        groups.update(grouped)
        found.extend(rows)
    _store(instances, rel, groups, pk, to_attr)
    return found


def _among(qs: QuerySet[Any], path: str, keys: list[Any]) -> QuerySet[Any]:
    """``qs.filter(<path>__in=keys)`` for keys read from loaded instances: values of the
    column already, so they skip ``filter()``'s checks and conversions."""
    from covet.orm.expressions.lookups import KeysIn

    if qs._query.combined is not None:  # filter() says what is not supported
        return qs.filter(**{f"{path}__in": keys})
    narrowed = qs._clone()
    q = narrowed._query
    lhs, _ = q.scope(filtering=True).walk(path.split("__"))
    q.where.append(KeysIn(lhs, keys))
    return narrowed


def _grouped_op(
    qs: QuerySet[Any], key: str, dialect: Dialect, parents: dict[Any, Any], link: str | None
) -> Op[tuple[list[Any], dict[Any, list[Any]]]]:
    """The objects of a prefetch query and their groups by ``key``; with ``link``, each holds
    its parent (``parents[key]``) under that name (see ``grouping_builder``)."""
    from covet.orm._database import Stmt
    from covet.orm._hydrate import grouping_builder

    sel = qs._compiled(dialect)
    if sel.related:  # Prefetch(queryset=...select_related(...)): the general path
        objs = yield from qs._fetch_op(dialect)
        groups: dict[Any, list[Any]] = {}
        for obj in objs:
            d = obj.__dict__
            value = d.pop(key) if link is None else d[key]
            if link is not None:
                d[link] = parents.get(value)
            groups.setdefault(value, []).append(obj)
        return objs, groups
    model = qs.model
    cache = model._meta.cache
    convs = tuple((i, id(c)) for i, c in sel.converters)
    ident = ("grouped", key, link, tuple(sel.names), convs)
    build = cache.get(ident)
    if build is None:
        build = cache[ident] = grouping_builder(model, sel.names, sel.converters, key, link)
    rows = yield Stmt("fetch_all", sel.sql, sel.params)
    state = ResultSet([], qs._query.fetch_mode)
    objs, groups = build(rows, parents, state)
    if objs:
        q = qs._query
        if q.prefetch:
            yield from prefetch_op(objs, q.prefetch, dialect)
        state.hold(objs)
    return objs, groups


def _store(
    instances: Sequence[Model], rel: Relation, groups: dict[Any, list[Any]], key: str,
    to_attr: str | None,
) -> None:  # fmt: skip
    """Give each instance its group (by its ``key`` value): under ``to_attr``, as the one
    object of a reverse one-to-one, else as its related manager's rows."""
    accessor = rel.accessor
    assert accessor is not None
    for inst in instances:
        d = inst.__dict__
        objs = groups.get(d.get(key))
        if objs is None:
            objs = []
        if to_attr:
            setattr(inst, to_attr, objs)
        elif rel.single_reverse:
            d[accessor] = objs[0] if objs else None
        else:
            cache = d.get("_prefetched")
            if cache is None:
                cache = d["_prefetched"] = {}
            cache[accessor] = objs


def normalize(lookups: Sequence[str | Prefetch]) -> list[Prefetch]:
    out = []
    for item in lookups:
        if isinstance(item, str):
            item = Prefetch(item)
        elif not isinstance(item, Prefetch):
            raise TypeError(f"prefetch_related() takes names or Prefetch(...), not {item!r}")
        out.append(item)
    return out


def check_path(model: type[Model], path: str) -> None:
    """Raise ``FieldError`` now for a prefetch path that names no relation."""
    for name in path.split("__"):
        rel = relation_of(model, name)
        model = rel.related


def prefetch_op(instances: list[Any], lookups: Sequence[Prefetch], dialect: Dialect) -> Op[None]:
    """``prefetch_related``: one query per relation and level, whatever the number of rows."""
    done: dict[str, list[Any]] = {}
    for lookup in lookups:
        parts = lookup.lookup.split("__")
        objs: list[Any] = instances
        for i, name in enumerate(parts):
            if not objs:
                break
            prefix = "__".join(parts[: i + 1])
            last = i == len(parts) - 1
            if prefix in done and not (last and (lookup.queryset is not None or lookup.to_attr)):
                objs = done[prefix]
                continue
            rel = relation_of(type(objs[0]), name)
            cached = _cached(objs, rel)
            if cached is not None and not last:
                objs = cached
            else:
                objs = yield from load_op(
                    objs, rel, dialect,
                    lookup.queryset if last else None, lookup.to_attr if last else None,
                )  # fmt: skip
            done[prefix] = objs
    return None


def _cached(objs: list[Any], rel: Relation) -> list[Any] | None:
    """The related objects when every instance has them already (select_related)."""
    if rel.multiple or rel.reverse:
        return None
    out = []
    for o in objs:
        if rel.name not in o.__dict__:
            return None
        value = o.__dict__[rel.name]
        if value is not None:
            out.append(value)
    return out


# -- lazy access ------------------------------------------------------------------------------
def lazy_load(instance: Model, rel: Relation) -> None:
    """An unloaded relation was read: load it as the fetch mode says, or raise."""
    model = type(instance)
    name = rel.accessor or rel.name
    if loop_running() and not _portal():
        raise N1QueryError(
            f"{model.__name__}.{name} is not loaded, and async code does no hidden queries: "
            f"load it with select_related({name!r}) or prefetch_related({name!r}) on the "
            f"QuerySet, or explicitly with `await obj.afetch({name!r})`"
        )
    state = instance.__dict__.get("_state")
    mode = _mode(model, state)
    if mode == "raise":
        raise N1QueryError(
            f"{model.__name__}.{name} is not loaded and fetch mode is 'raise': add "
            f"select_related({name!r}) or prefetch_related({name!r}) to the QuerySet (or call "
            f"obj.fetch({name!r}))"
        )
    peers = [instance]
    if mode == "peers" and state is not None:
        peers = [p for p in state.peers if _unloaded(p, rel) or p is instance]
    db = model._meta.database
    db.run(load_op(peers, rel, db.dialect), f"{model.__name__}.{name}")


def _unloaded(obj: Model, rel: Relation) -> bool:
    if rel.reverse:
        return rel.accessor not in obj.__dict__
    return rel.name not in obj.__dict__


def _mode(model: type[Model], state: ResultSet | None) -> str:
    if state is not None and state.mode is not None:
        return state.mode
    return model._meta.fetch_mode or _global_mode


def fetch_relation_op(instance: Model, name: str) -> Op[None]:
    """``obj.fetch(name)`` / ``await obj.afetch(name)``: load ``name`` for this instance and its
    unloaded peers (one query)."""
    rel = _relation_by_accessor(type(instance), name)
    state = instance.__dict__.get("_state")
    peers = [instance]
    if state is not None and _mode(type(instance), state) != "one":
        peers = [p for p in state.peers if _unloaded(p, rel) or p is instance]
    db = type(instance)._meta.database
    yield from load_op(peers, rel, db.dialect)


def _relation_by_accessor(model: type[Model], name: str) -> Relation:
    for rel in model._meta.relations.values():
        if (rel.accessor or rel.name) == name:
            return rel
    for rel in model._meta.related_objects:
        if rel.accessor == name:
            return rel
    raise FieldError(f"{model.__name__} has no relation {name!r}")
