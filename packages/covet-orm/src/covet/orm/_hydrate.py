"""Row -> object/dict/tuple builders, generated once per column layout.

A builder is plain Python compiled from a template: one dict (or tuple) display per row, a
converter call only for the columns that need one, instances made with ``object.__new__`` and a
``__dict__`` assignment. No per-row loops over columns, no per-row attribute lookups.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

Converters = Sequence[tuple[int, Callable[[Any], Any]]]
Builder = Callable[[Sequence[Sequence[Any]]], list[Any]]

_TEMPLATE = """\
def build(rows):
    return [{expr} for r in rows]
"""
_MODEL_TEMPLATE = """\
def build(rows):
    out = []
    append = out.append
    for r in rows:
        o = new(M)
        o.__dict__ = {{{items}}}
        append(o)
    return out
"""


def _columns(width: int, converters: Converters, ns: dict[str, Any]) -> list[str]:
    conv = dict(converters)
    cols = []
    for i in range(width):
        if i in conv:
            ns[f"c{i}"] = conv[i]
            cols.append(f"(None if r[{i}] is None else c{i}(r[{i}]))")
        else:
            cols.append(f"r[{i}]")
    return cols


def _compile(source: str, ns: dict[str, Any]) -> Builder:
    exec(compile(source, "<covet.orm hydrator>", "exec"), ns)  # noqa: S102 - generated from names
    builder: Builder = ns["build"]
    return builder


def model_builder(model: type, names: Sequence[str], converters: Converters) -> Builder:
    ns: dict[str, Any] = {"new": object.__new__, "M": model}
    cols = _columns(len(names), converters, ns)
    items = ", ".join(f"{name!r}: {col}" for name, col in zip(names, cols, strict=True))
    return _compile(_MODEL_TEMPLATE.format(items=items), ns)


def tuple_builder(width: int, converters: Converters) -> Builder:
    if not converters:
        return _plain_tuples
    ns: dict[str, Any] = {}
    cols = _columns(width, converters, ns)
    return _compile(_TEMPLATE.format(expr="(" + ", ".join(cols) + ",)"), ns)


def dict_builder(names: Sequence[str], converters: Converters) -> Builder:
    ns: dict[str, Any] = {}
    cols = _columns(len(names), converters, ns)
    items = ", ".join(f"{name!r}: {col}" for name, col in zip(names, cols, strict=True))
    return _compile(_TEMPLATE.format(expr="{" + items + "}"), ns)


def flat_builder(converters: Converters) -> Builder:
    if not converters:
        return _plain_flat
    ns: dict[str, Any] = {}
    cols = _columns(1, converters, ns)
    return _compile(_TEMPLATE.format(expr=cols[0]), ns)


def _plain_tuples(rows: Sequence[Sequence[Any]]) -> list[Any]:
    if rows and type(rows[0]) is tuple:
        return rows if isinstance(rows, list) else list(rows)
    return [tuple(r) for r in rows]


def _plain_flat(rows: Sequence[Sequence[Any]]) -> list[Any]:
    return [r[0] for r in rows]
