"""Row -> object/dict/tuple builders, generated once per column layout.

A builder is plain Python compiled from a template: one dict (or tuple) display per row, a
converter call only for the columns that need one, instances made with ``object.__new__`` and a
``__dict__`` assignment. No per-row loops over columns, no per-row attribute lookups; rows are
unpacked into locals, and common converters are written inline (see ``_columns``).
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Sequence
from itertools import repeat
from typing import TYPE_CHECKING, Any

from covet.orm.sql._values import INLINE

if TYPE_CHECKING:
    from covet.orm.sql.compiler import Selected

Converters = Sequence[tuple[int, Callable[[Any], Any]]]
Builder = Callable[[Sequence[Sequence[Any]]], list[Any]]

_TEMPLATE = """\
def build(rows):
    return [{expr} for {targets} in rows]
"""
#: the instances are made first, in C (``map(object.__new__, repeat(M, n))``), so the loop only
#: unpacks a row and assigns one dict: 2-4% faster on 10,000 rows than new() + append() per row
_MODEL_TEMPLATE = """\
def build(rows{state}):
    out = list(map(new, repeat(M, len(rows))))
    for o, ({targets}) in zip(out, rows):
        o.__dict__ = {{{items}}}
    return out
"""
#: the entry of a stateful builder's objects (``build(rows, state)``): the ``ResultSet`` of
#: their result, written in the dict display rather than by a second loop over the objects
_STATE = "'_state': state"


def _columns(width: int, converters: Converters, ns: dict[str, Any]) -> tuple[str, list[str]]:
    """The loop's unpacking targets (``c0, c1,``) and one expression per column.

    A converter with an inline form (``INLINE``) is written into the expression, so a value that
    needs no conversion (an aware UTC datetime from asyncpg, a float that is a float) costs a
    type test instead of a call, and SQLite's ISO text goes straight to ``fromisoformat``.
    """
    conv = dict(converters)
    cols = []
    for i in range(width):
        fn = conv.get(i)
        if fn is None:
            cols.append(f"c{i}")
            continue
        ns[f"f{i}"] = fn
        template = INLINE.get(fn)
        if template is None:
            cols.append(f"(None if c{i} is None else f{i}(c{i}))")
            continue
        code, names = template
        ns.update(names)
        cols.append(f"(None if c{i} is None else {code.format(v=f'c{i}', f=f'f{i}')})")
    return "".join(f"c{i}, " for i in range(width)), cols


def _compile(source: str, ns: dict[str, Any]) -> Builder:
    exec(compile(source, "<covet.orm hydrator>", "exec"), ns)  # noqa: S102 - generated from names
    builder: Builder = ns["build"]
    return builder


def model_builder(
    model: type, names: Sequence[str], converters: Converters, *, stateful: bool = False
) -> Builder:
    """``build(rows)``; ``stateful``: ``build(rows, state)``, every object holding ``state``."""
    ns: dict[str, Any] = {"new": object.__new__, "M": model, "repeat": repeat}
    targets, cols = _columns(len(names), converters, ns)
    items = [f"{name!r}: {col}" for name, col in zip(names, cols, strict=True)]
    if stateful:
        items.append(_STATE)
    source = _MODEL_TEMPLATE.format(
        targets=targets, items=", ".join(items), state=", state" if stateful else ""
    )
    return _compile(source, ns)


def tuple_builder(width: int, converters: Converters) -> Builder:
    if not converters:
        return _plain_tuples
    ns: dict[str, Any] = {}
    targets, cols = _columns(width, converters, ns)
    return _compile(_TEMPLATE.format(expr="(" + ", ".join(cols) + ",)", targets=targets), ns)


def dict_builder(names: Sequence[str], converters: Converters) -> Builder:
    ns: dict[str, Any] = {}
    targets, cols = _columns(len(names), converters, ns)
    items = ", ".join(f"{name!r}: {col}" for name, col in zip(names, cols, strict=True))
    return _compile(_TEMPLATE.format(expr="{" + items + "}", targets=targets), ns)


def flat_builder(converters: Converters) -> Builder:
    if not converters:
        return _plain_flat
    ns: dict[str, Any] = {}
    targets, cols = _columns(1, converters, ns)
    return _compile(_TEMPLATE.format(expr=cols[0], targets=targets), ns)


def named_builder(names: Sequence[str], converters: Converters) -> Builder:
    """Rows as named tuples (``values_list(named=True)``); odd names become ``_0``, ``_1``."""
    row = namedtuple("Row", names, rename=True)  # type: ignore[misc]
    make = row._make
    tuples = tuple_builder(len(names), converters)

    def build(rows: Sequence[Sequence[Any]]) -> list[Any]:
        return list(map(make, tuples(rows)))

    return build


def _plain_tuples(rows: Sequence[Sequence[Any]]) -> list[Any]:
    if rows and type(rows[0]) is tuple:
        return rows if isinstance(rows, list) else list(rows)
    return [tuple(r) for r in rows]


def _plain_flat(rows: Sequence[Sequence[Any]]) -> list[Any]:
    return [r[0] for r in rows]


def related_builder(model: type, sel: Selected, *, stateful: bool = False) -> Builder:
    """Objects of a ``select_related`` row: the model's own columns, then each related
    instance's, stored on its parent (None when the LEFT JOIN found no row).

    One generated loop makes a row's instances without slicing the row, and one instance per
    related row of the result (by primary key): the 1,000 books of 200 authors share 200
    author instances, as the objects a prefetch or a peer load gives (an instance's nested
    instances are the same for every row that has it, so they are made once too)."""
    ns: dict[str, Any] = {"new": object.__new__, "M": model, "repeat": repeat}
    targets, cols = _columns(len(sel.names), sel.converters, ns)
    related = sel.related
    children: dict[int, list[int]] = {}
    for i, seg in enumerate(related):
        children.setdefault(seg.parent, []).append(i)

    def entries(parent: int) -> list[str]:
        return [f"{related[i].cache!r}: r{i}" for i in children.get(parent, [])]

    def emit(i: int, indent: str) -> list[str]:
        seg = related[i]
        ns[f"R{i}"] = seg.model
        meta = seg.model._meta
        pk = meta.pk.name
        span = range(seg.start, seg.stop)
        items = [f"{sel.names[j].rsplit('__', 1)[1]!r}: {cols[j]}" for j in span]
        if seg.key >= 0:  # the key is the foreign key's column (an inner join matched them)
            key = f"c{seg.key}"
            items.insert(meta.fields.index(meta.pk), f"{pk!r}: {cols[seg.key]}")
        else:
            key = next(f"c{j}" for j in span if sel.names[j].rsplit("__", 1)[1] == pk)
        lines = [
            f"{indent}r{i} = seen{i}.get({key})",
            f"{indent}if r{i} is None and {key} is not None:",
        ]
        for child in children.get(i, []):
            lines += emit(child, indent + "    ")
        lines += [
            f"{indent}    r{i} = seen{i}[{key}] = new(R{i})",
            f"{indent}    r{i}.__dict__ = {{{', '.join(items + entries(i))}}}",
        ]
        return lines

    body = []
    for i in children.get(-1, []):
        body += emit(i, "        ")
    own = [f"{sel.names[j]!r}: {cols[j]}" for j in range(related[0].start)] + entries(-1)
    if stateful:  # the row's own object only: related instances have no result set
        own.append(_STATE)
    source = "\n".join(
        [
            f"def build(rows{', state' if stateful else ''}):",
            *(f"    seen{i} = {{}}" for i in range(len(related))),
            "    out = list(map(new, repeat(M, len(rows))))",
            f"    for o, ({targets}) in zip(out, rows):",
            *body,
            f"        o.__dict__ = {{{', '.join(own)}}}",
            "    return out",
            "",
        ]
    )
    return _compile(source, ns)


Grouped = tuple[list[Any], dict[Any, list[Any]]]
GroupingBuilder = Callable[[Sequence[Sequence[Any]], dict[Any, Any], Any], Grouped]


def grouping_builder(
    model: Any, names: Sequence[str], converters: Converters, key: str, link: str | None
) -> GroupingBuilder:
    """Objects of a prefetch query and their groups by the value of column ``key`` (the
    instance each group belongs to): ``build(rows, parents, state)`` -> ``(objects, {key:
    [objects]})``, every object holding ``state`` (its result set).

    With ``link`` (a reverse foreign key: ``key`` is the field ``author_id``), each object gets
    its parent (``parents[key]``) under ``link``. Without (a many-to-many: ``key`` is the link
    table's column, not stored), one instance per primary key, however many groups it is in."""
    ns: dict[str, Any] = {"new": object.__new__, "M": model, "repeat": repeat}
    targets, cols = _columns(len(names), converters, ns)
    at = list(names).index(key)
    group = [
        "        g = groups.get(k)",
        "        if g is None:",
        "            groups[k] = [o]",
        "        else:",
        "            g.append(o)",
    ]
    if link is None:
        pk = f"c{list(names).index(model._meta.pk.name)}"
        pairs = enumerate(zip(names, cols, strict=True))
        items = ", ".join([*(f"{n!r}: {c}" for i, (n, c) in pairs if i != at), _STATE])
        loop = [
            "    seen = {}",
            f"    for {targets} in rows:",
            f"        o = seen.get({pk})",
            "        if o is None:",
            f"            o = seen[{pk}] = new(M)",
            f"            o.__dict__ = {{{items}}}",
            f"        k = {cols[at]}",
            *group,
            "    return list(seen.values()), groups",
        ]
    else:
        values = [("k" if i == at else c) for i, c in enumerate(cols)]
        items = ", ".join(f"{n!r}: {v}" for n, v in zip(names, values, strict=True))
        loop = [
            "    out = list(map(new, repeat(M, len(rows))))",
            f"    for o, ({targets}) in zip(out, rows):",
            f"        k = {cols[at]}",
            f"        o.__dict__ = {{{items}, {link!r}: parents.get(k), {_STATE}}}",
            *group,
            "    return out, groups",
        ]
    source = "\n".join(["def build(rows, parents, state):", "    groups = {}", *loop, ""])
    exec(compile(source, "<covet.orm hydrator>", "exec"), ns)  # noqa: S102 - generated from names
    build: GroupingBuilder = ns["build"]
    return build
