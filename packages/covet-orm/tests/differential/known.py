"""Every difference from Django the suite expects, each with its reason and its kind.

* ``bug``: covet answers wrongly; ``issue`` names the item of issue 8 §2 (or "new").
* ``missing``: an API Django has and covet-orm does not have yet (issue 8 §3).
* ``deliberate``: covet differs on purpose; docs/orm.md "Differences from Django" says why.

An entry covers the specs it names (exactly: ``specs``) on its ``backends``; each
such test runs as ``xfail(strict=True)``: the difference must show on exactly the entry's
``apis``, and once it is gone the test XPASSes and fails, so the entry must be removed. While a
``bug`` or ``missing`` entry stands, the Hypothesis filter trees leave out its ``avoid`` tags
(constructs that would only find the same bug again).
"""

# ruff: noqa: E501 - one spec (or entry) per line, as long as the query is

from __future__ import annotations

from dataclasses import dataclass

import pytest

ALL = ("sqlite", "postgres", "mysql")
BOTH = ("sync", "async")


@dataclass(frozen=True)
class Known:
    key: str
    kind: str  # bug | missing | deliberate
    issue: str  # "8§2.1" ... "8§3", "new"
    reason: str
    specs: tuple[str, ...]
    backends: tuple[str, ...] = ALL
    apis: tuple[str, ...] = BOTH
    avoid: frozenset[str] = frozenset()

    def matches(self, spec: str, backend: str) -> bool:
        return backend in self.backends and spec in self.specs

    def describe(self) -> str:
        return f"[{self.key}, {self.kind}, issue {self.issue}] {self.reason}"


class KnownDifference(AssertionError):
    """The difference a ``Known`` entry expects (what its xfail waits for)."""


KNOWN: list[Known] = []


def known(
    key: str,
    kind: str,
    issue: str,
    reason: str,
    specs: list[str],
    *,
    backends: tuple[str, ...] = ALL,
    apis: tuple[str, ...] = BOTH,
    avoid: tuple[str, ...] = (),
) -> None:
    assert kind in ("bug", "missing", "deliberate"), kind
    assert all(k.key != key for k in KNOWN), key
    KNOWN.append(Known(key, kind, issue, reason, tuple(specs), backends, apis, frozenset(avoid)))


def entry_for(spec: str, backend: str) -> Known | None:
    found = [k for k in KNOWN if k.matches(spec, backend)]
    if len(found) > 1:
        keys = ", ".join(k.key for k in found)
        raise AssertionError(f"spec {spec!r} on {backend} matches several known entries: {keys}")
    return found[0] if found else None


def marks(spec: str, backend: str) -> list[pytest.MarkDecorator]:
    entry = entry_for(spec, backend)
    if entry is None:
        return []
    return [pytest.mark.xfail(strict=True, raises=KnownDifference, reason=entry.describe())]


def avoided() -> frozenset[str]:
    """Tags the Hypothesis strategies must not generate while their bug is open."""
    return frozenset(t for k in KNOWN if k.kind != "deliberate" for t in k.avoid)


def settle(spec: str, backend: str, differences: dict[str, str]) -> None:
    """Fail with every difference, as expected (``KnownDifference``) or not (AssertionError)."""
    entry = entry_for(spec, backend)
    if not differences:
        return  # an entry's test then XPASSes: strict xfail fails it, naming the entry
    report = "\n".join(differences.values())
    if entry is None:
        raise AssertionError(report)
    if set(differences) != set(entry.apis):
        raise AssertionError(
            f"{report}\n(known entry {entry.key} expects a difference on the "
            f"{'/'.join(entry.apis)} API, found one on {'/'.join(sorted(differences))})"
        )
    raise KnownDifference(f"{entry.describe()}\n{report}")


# ---- the entries ------------------------------------------------------------------------------
known(
    "b1",
    "bug",
    "8§2.1",
    "an empty Q() is not a no-op: Q() | Q(n=1) matches every row, ~Q() and exclude(Q()) match none",
    [
        "exclude_empty_q",
        "q_empty_or",
        "q_idiom_or",
        "q_not_empty",
    ],
    avoid=("empty-q",),
)

known(
    "b2",
    "bug",
    "8§2.2",
    "exclude(n__in=[..., None]) on a NOT NULL column returns no rows (Django: every row not in the list)",
    [
        "x:n__in=[1,None]",
        "x:n__in=[None]",
    ],
    avoid=("in-none",),
)

known(
    "b3/postgres",
    "bug",
    "8§2.3",
    "PostgreSQL types float/Decimal literals in F() arithmetic as the column's integer type (truncated; smallint overflows)",
    [
        "agg_over_annotation",
        "agg_sum_int_times_half",
        "ann_mul_decimal",
        "ann_mul_float",
        "update_f_int_to_float",
    ],
    backends=("postgres",),
)

known(
    "b4/postgres",
    "bug",
    "8§2.4",
    "PostgreSQL stores date(9999,12,31)/datetime.max and date(1,1,1)/datetime.min as +/-infinity: date parts fail or miss, Django cannot read the rows",
    [
        "f:d_n__day=31",
        "f:d_n__month=12",
        "f:d_n__month__lte=2",
        "f:d_n__year=1",
        "f:d_n__year=2024",
        "f:d_n__year=9999",
        "f:d_n__year__gt=2000",
        "f:d_n__year__in=[1970,9999]",
        "f:ts_n__day=1",
        "f:ts_n__day=31",
        "f:ts_n__hour=0",
        "f:ts_n__hour=23",
        "f:ts_n__minute=0",
        "f:ts_n__minute=59",
        "f:ts_n__month=1",
        "f:ts_n__month=12",
        "f:ts_n__second=0",
        "f:ts_n__second=59",
        "f:ts_n__second__gt=58",
        "f:ts_n__year=1",
        "f:ts_n__year=1970",
        "f:ts_n__year=2024",
        "f:ts_n__year=9999",
        "f:ts_n__year__gte=2024",
        "stored_values",
        "x:d_n__day=31",
        "x:d_n__month=12",
        "x:d_n__month__lte=2",
        "x:d_n__year=1",
        "x:d_n__year=2024",
        "x:d_n__year=9999",
        "x:d_n__year__gt=2000",
        "x:d_n__year__in=[1970,9999]",
        "x:ts_n__day=1",
        "x:ts_n__day=31",
        "x:ts_n__hour=0",
        "x:ts_n__hour=23",
        "x:ts_n__minute=0",
        "x:ts_n__minute=59",
        "x:ts_n__month=1",
        "x:ts_n__month=12",
        "x:ts_n__second=0",
        "x:ts_n__second=59",
        "x:ts_n__second__gt=58",
        "x:ts_n__year=1",
        "x:ts_n__year=1970",
        "x:ts_n__year=2024",
        "x:ts_n__year=9999",
        "x:ts_n__year__gte=2024",
    ],
    backends=("postgres",),
)

known(
    "b5/postgres",
    "bug",
    "8§2.5",
    "PostgreSQL __second rounds (59.6 s is 0); Django truncates",
    [
        "f:ts__second=59",
        "x:ts__second=59",
    ],
    backends=("postgres",),
)

known(
    "b6/sqlite",
    "bug",
    "8§2.6",
    "SQLite: date parts of the year-9999 and year-1 values covet stores are NULL",
    [
        "f:ts_n__day=31",
        "f:ts_n__hour=23",
        "f:ts_n__minute=59",
        "f:ts_n__month=12",
        "f:ts_n__second=59",
        "f:ts_n__second__gt=58",
        "f:ts_n__year=9999",
        "f:ts_n__year__gte=2024",
        "x:ts_n__day=31",
        "x:ts_n__hour=23",
        "x:ts_n__minute=59",
        "x:ts_n__month=12",
        "x:ts_n__second=59",
        "x:ts_n__second__gt=58",
        "x:ts_n__year=9999",
        "x:ts_n__year__gte=2024",
    ],
    backends=("sqlite",),
)

known(
    "b7/sqlite+mysql",
    "bug",
    "8§2.7",
    "JSONField(null=True) stores None as the JSON text null on SQLite/MariaDB (isnull and IS NULL miss it); None into a NOT NULL JSONField is refused where Django stores JSON null",
    [
        "f:data__isnull=False",
        "f:data__isnull=True",
        "stored_nulls:data",
        "update_json_null_literal",
        "x:data__exact=None",
        "x:data__isnull=False",
        "x:data__isnull=True",
    ],
    backends=("sqlite", "mysql"),
)

known(
    "b7/postgres",
    "bug",
    "8§2.7",
    "JSONField(null=True) stores None as the JSON text null on SQLite/MariaDB (isnull and IS NULL miss it); None into a NOT NULL JSONField is refused where Django stores JSON null",
    [
        "f:data__exact=None",
    ],
    backends=("postgres",),
)

known(
    "b8/sqlite",
    "bug",
    "8§2.8",
    "JSON key lookups do not follow Django: numbers vs booleans vs strings, None, missing keys under exclude(), list/dict values, has_key/has_keys/has_any_keys/contains/contained_by, array indexes",
    [
        "f:data__0=1",
        "f:data__a=1",
        "f:data__a=1.0",
        "f:data__a=None",
        "f:data__a=True",
        "f:data__a=[1,2]",
        "f:data__a=[]",
        "f:data__a={'b': 1}",
        "f:data__a__0=1",
        "f:data__a__1__b=2",
        "f:data__a__b=None",
        "f:data__a__gt='1'",
        "f:data__a__gt=0.5",
        "f:data__a__gt=1",
        "f:data__a__in=[1,2]",
        "f:data__a__isnull=False",
        "f:data__a__isnull=True",
        "f:data__a__lte=2",
        "f:data__contains=[1]",
        "f:data__contains={'a': 1}",
        "f:data__contains={'a': {'b': 1}}",
        "f:data__contains={}",
        "f:data__has_any_keys=['b','zz']",
        "f:data__has_key='a'",
        "f:data__has_key='b'",
        "f:data__has_key='ünï'",
        "f:data__has_keys=['a','b']",
        "f:data__list__0__x=1",
        "f:data__ünï='x'",
        "f:doc__0=1",
        "f:doc__a=1",
        "f:doc__a=1.0",
        "f:doc__a=None",
        "f:doc__a=True",
        "f:doc__a=[1,2]",
        "f:doc__a=[]",
        "f:doc__a={'b': 1}",
        "f:doc__a__0=1",
        "f:doc__a__b=None",
        "f:doc__a__gt='1'",
        "f:doc__a__gt=0.5",
        "f:doc__a__gt=1",
        "f:doc__a__in=[1,2]",
        "f:doc__a__isnull=False",
        "f:doc__a__isnull=True",
        "f:doc__a__lte=2",
        "f:doc__contains=[1]",
        "f:doc__contains={'a': 1}",
        "f:doc__contains={'a': {'b': 1}}",
        "f:doc__contains={}",
        "f:doc__has_any_keys=['b','zz']",
        "f:doc__has_key='a'",
        "f:doc__has_key='b'",
        "f:doc__has_keys=['a','b']",
        "x:data__0=1",
        "x:data__a='1'",
        "x:data__a='x%y'",
        "x:data__a=-1",
        "x:data__a=1",
        "x:data__a=1.0",
        "x:data__a=16",
        "x:data__a=True",
        "x:data__a=[1,2]",
        "x:data__a=[]",
        "x:data__a={'b': 1}",
        "x:data__a__0=1",
        "x:data__a__1__b=2",
        "x:data__a__b=1",
        "x:data__a__b__c=1",
        "x:data__a__gt='1'",
        "x:data__a__gt=0.5",
        "x:data__a__gt=1",
        "x:data__a__icontains='X%'",
        "x:data__a__in=['1',16]",
        "x:data__a__in=[1,2]",
        "x:data__a__isnull=False",
        "x:data__a__isnull=True",
        "x:data__a__lte=2",
        "x:data__a__startswith='x'",
        "x:data__b__c='deep'",
        "x:data__b__c='x'",
        "x:data__contains=[1]",
        "x:data__contains={'a': 1}",
        "x:data__contains={'a': {'b': 1}}",
        "x:data__contains={}",
        "x:data__has_any_keys=['b','zz']",
        "x:data__has_key='a'",
        "x:data__has_key='b'",
        "x:data__has_key='ünï'",
        "x:data__has_keys=['a','b']",
        "x:data__k'd=3",
        "x:data__list__0__x=1",
        "x:data__ünï='x'",
        "x:doc__0=1",
        "x:doc__a='1'",
        "x:doc__a='x%y'",
        "x:doc__a=-1",
        "x:doc__a=1",
        "x:doc__a=1.0",
        "x:doc__a=16",
        "x:doc__a=True",
        "x:doc__a=[1,2]",
        "x:doc__a=[]",
        "x:doc__a={'b': 1}",
        "x:doc__a__0=1",
        "x:doc__a__1__b=2",
        "x:doc__a__b=1",
        "x:doc__a__b__c=1",
        "x:doc__a__gt='1'",
        "x:doc__a__gt=0.5",
        "x:doc__a__gt=1",
        "x:doc__a__icontains='X%'",
        "x:doc__a__in=['1',16]",
        "x:doc__a__in=[1,2]",
        "x:doc__a__isnull=False",
        "x:doc__a__isnull=True",
        "x:doc__a__lte=2",
        "x:doc__a__startswith='x'",
        "x:doc__b__c='deep'",
        "x:doc__b__c='x'",
        "x:doc__contains=[1]",
        "x:doc__contains={'a': 1}",
        "x:doc__contains={'a': {'b': 1}}",
        "x:doc__contains={}",
        "x:doc__has_any_keys=['b','zz']",
        "x:doc__has_key='a'",
        "x:doc__has_key='b'",
        "x:doc__has_keys=['a','b']",
        "x:doc__k'd=3",
    ],
    backends=("sqlite",),
)

known(
    "b8/postgres",
    "bug",
    "8§2.8",
    "JSON key lookups do not follow Django: numbers vs booleans vs strings, None, missing keys under exclude(), list/dict values, has_key/has_keys/has_any_keys/contains/contained_by, array indexes",
    [
        "f:data__0=1",
        "f:data__a='1'",
        "f:data__a=1",
        "f:data__a=1.0",
        "f:data__a=None",
        "f:data__a__b=None",
        "f:data__a__in=['1',16]",
        "f:data__a__in=[1,2]",
        "f:data__a__isnull=False",
        "f:data__a__isnull=True",
        "f:data__contained_by=[1,2,3]",
        "f:data__contained_by={'a': 1, 'b': 2}",
        "f:data__contains=[1]",
        "f:data__contains={'a': 1}",
        "f:data__contains={'a': {'b': 1}}",
        "f:data__contains={}",
        "f:data__has_any_keys=['b','zz']",
        "f:data__has_key='a'",
        "f:data__has_key='b'",
        "f:data__has_key='k\"d'",
        "f:data__has_key='ünï'",
        "f:data__has_keys=['a','b']",
        "f:doc__0=1",
        "f:doc__a='1'",
        "f:doc__a=1",
        "f:doc__a=1.0",
        "f:doc__a=None",
        "f:doc__a__b=None",
        "f:doc__a__in=['1',16]",
        "f:doc__a__in=[1,2]",
        "f:doc__a__isnull=False",
        "f:doc__a__isnull=True",
        "f:doc__contained_by=[1,2,3]",
        "f:doc__contained_by={'a': 1, 'b': 2}",
        "f:doc__contains=[1]",
        "f:doc__contains={'a': 1}",
        "f:doc__contains={'a': {'b': 1}}",
        "f:doc__contains={}",
        "f:doc__has_any_keys=['b','zz']",
        "f:doc__has_key='a'",
        "f:doc__has_key='b'",
        "f:doc__has_key='k\"d'",
        "f:doc__has_keys=['a','b']",
        "x:data__0=1",
        "x:data__a='1'",
        "x:data__a='x%y'",
        "x:data__a=-1",
        "x:data__a=1",
        "x:data__a=1.0",
        "x:data__a=16",
        "x:data__a=True",
        "x:data__a=[1,2]",
        "x:data__a=[]",
        "x:data__a={'b': 1}",
        "x:data__a__0=1",
        "x:data__a__1__b=2",
        "x:data__a__b=1",
        "x:data__a__b__c=1",
        "x:data__a__gt='1'",
        "x:data__a__gt=0.5",
        "x:data__a__gt=1",
        "x:data__a__icontains='X%'",
        "x:data__a__in=['1',16]",
        "x:data__a__in=[1,2]",
        "x:data__a__isnull=False",
        "x:data__a__isnull=True",
        "x:data__a__lte=2",
        "x:data__a__startswith='x'",
        "x:data__b__c='deep'",
        "x:data__b__c='x'",
        "x:data__contained_by=[1,2,3]",
        "x:data__contained_by={'a': 1, 'b': 2}",
        "x:data__contains=[1]",
        "x:data__contains={'a': 1}",
        "x:data__contains={'a': {'b': 1}}",
        "x:data__contains={}",
        "x:data__has_any_keys=['b','zz']",
        "x:data__has_key='a'",
        "x:data__has_key='b'",
        "x:data__has_key='k\"d'",
        "x:data__has_key='ünï'",
        "x:data__has_keys=['a','b']",
        'x:data__k"d=2',
        "x:data__k'd=3",
        "x:data__list__0__x=1",
        "x:data__ünï='x'",
        "x:doc__0=1",
        "x:doc__a='1'",
        "x:doc__a='x%y'",
        "x:doc__a=-1",
        "x:doc__a=1",
        "x:doc__a=1.0",
        "x:doc__a=16",
        "x:doc__a=True",
        "x:doc__a=[1,2]",
        "x:doc__a=[]",
        "x:doc__a={'b': 1}",
        "x:doc__a__0=1",
        "x:doc__a__1__b=2",
        "x:doc__a__b=1",
        "x:doc__a__b__c=1",
        "x:doc__a__gt='1'",
        "x:doc__a__gt=0.5",
        "x:doc__a__gt=1",
        "x:doc__a__icontains='X%'",
        "x:doc__a__in=['1',16]",
        "x:doc__a__in=[1,2]",
        "x:doc__a__isnull=False",
        "x:doc__a__isnull=True",
        "x:doc__a__lte=2",
        "x:doc__a__startswith='x'",
        "x:doc__b__c='deep'",
        "x:doc__b__c='x'",
        "x:doc__contained_by=[1,2,3]",
        "x:doc__contained_by={'a': 1, 'b': 2}",
        "x:doc__contains=[1]",
        "x:doc__contains={'a': 1}",
        "x:doc__contains={'a': {'b': 1}}",
        "x:doc__contains={}",
        "x:doc__has_any_keys=['b','zz']",
        "x:doc__has_key='a'",
        "x:doc__has_key='b'",
        "x:doc__has_key='k\"d'",
        "x:doc__has_keys=['a','b']",
        'x:doc__k"d=2',
        "x:doc__k'd=3",
    ],
    backends=("postgres",),
)

known(
    "b8/mysql",
    "bug",
    "8§2.8",
    "JSON key lookups do not follow Django: numbers vs booleans vs strings, None, missing keys under exclude(), list/dict values, has_key/has_keys/has_any_keys/contains/contained_by, array indexes",
    [
        "f:data__0=1",
        "f:data__a=None",
        "f:data__a__0=1",
        "f:data__a__1__b=2",
        "f:data__a__b=None",
        "f:data__a__gt=0.5",
        "f:data__contained_by=[1,2,3]",
        "f:data__contained_by={'a': 1, 'b': 2}",
        "f:data__contains=[1]",
        "f:data__contains={'a': 1}",
        "f:data__contains={'a': {'b': 1}}",
        "f:data__contains={}",
        "f:data__has_any_keys=['b','zz']",
        "f:data__has_key='a'",
        "f:data__has_key='b'",
        "f:data__has_key='k\"d'",
        "f:data__has_key='ünï'",
        "f:data__has_keys=['a','b']",
        "f:data__list__0__x=1",
        "f:data__ünï='x'",
        "f:doc__0=1",
        "f:doc__a=None",
        "f:doc__a__0=1",
        "f:doc__a__b=None",
        "f:doc__a__gt=0.5",
        "f:doc__contained_by=[1,2,3]",
        "f:doc__contained_by={'a': 1, 'b': 2}",
        "f:doc__contains=[1]",
        "f:doc__contains={'a': 1}",
        "f:doc__contains={'a': {'b': 1}}",
        "f:doc__contains={}",
        "f:doc__has_any_keys=['b','zz']",
        "f:doc__has_key='a'",
        "f:doc__has_key='b'",
        "f:doc__has_key='k\"d'",
        "f:doc__has_keys=['a','b']",
        "x:data__0=1",
        "x:data__a='1'",
        "x:data__a='x%y'",
        "x:data__a=-1",
        "x:data__a=1",
        "x:data__a=1.0",
        "x:data__a=16",
        "x:data__a=None",
        "x:data__a=True",
        "x:data__a=[1,2]",
        "x:data__a=[]",
        "x:data__a={'b': 1}",
        "x:data__a__0=1",
        "x:data__a__1__b=2",
        "x:data__a__b=1",
        "x:data__a__b__c=1",
        "x:data__a__gt='1'",
        "x:data__a__gt=0.5",
        "x:data__a__gt=1",
        "x:data__a__icontains='X%'",
        "x:data__a__in=['1',16]",
        "x:data__a__in=[1,2]",
        "x:data__a__lte=2",
        "x:data__a__startswith='x'",
        "x:data__b__c='deep'",
        "x:data__b__c='x'",
        "x:data__contained_by=[1,2,3]",
        "x:data__contained_by={'a': 1, 'b': 2}",
        "x:data__contains=[1]",
        "x:data__contains={'a': 1}",
        "x:data__contains={'a': {'b': 1}}",
        "x:data__contains={}",
        "x:data__has_any_keys=['b','zz']",
        "x:data__has_key='a'",
        "x:data__has_key='b'",
        "x:data__has_key='k\"d'",
        "x:data__has_key='ünï'",
        "x:data__has_keys=['a','b']",
        'x:data__k"d=2',
        "x:data__k'd=3",
        "x:data__list__0__x=1",
        "x:data__ünï='x'",
        "x:doc__0=1",
        "x:doc__a='1'",
        "x:doc__a='x%y'",
        "x:doc__a=-1",
        "x:doc__a=1",
        "x:doc__a=1.0",
        "x:doc__a=16",
        "x:doc__a=None",
        "x:doc__a=True",
        "x:doc__a=[1,2]",
        "x:doc__a=[]",
        "x:doc__a={'b': 1}",
        "x:doc__a__0=1",
        "x:doc__a__1__b=2",
        "x:doc__a__b=1",
        "x:doc__a__b__c=1",
        "x:doc__a__gt='1'",
        "x:doc__a__gt=0.5",
        "x:doc__a__gt=1",
        "x:doc__a__icontains='X%'",
        "x:doc__a__in=['1',16]",
        "x:doc__a__in=[1,2]",
        "x:doc__a__lte=2",
        "x:doc__a__startswith='x'",
        "x:doc__b__c='deep'",
        "x:doc__b__c='x'",
        "x:doc__contained_by=[1,2,3]",
        "x:doc__contained_by={'a': 1, 'b': 2}",
        "x:doc__contains=[1]",
        "x:doc__contains={'a': 1}",
        "x:doc__contains={'a': {'b': 1}}",
        "x:doc__contains={}",
        "x:doc__has_any_keys=['b','zz']",
        "x:doc__has_key='a'",
        "x:doc__has_key='b'",
        "x:doc__has_key='k\"d'",
        "x:doc__has_keys=['a','b']",
        'x:doc__k"d=2',
        "x:doc__k'd=3",
    ],
    backends=("mysql",),
)

known(
    "b9",
    "bug",
    "8§2.9",
    "DecimalField lookup values are rounded to decimal_places before comparing",
    [
        "f:dec__exact=D(1.49999)",
        "f:dec__exact=D(1.5000001)",
        "f:dec_n__exact=D(-0.00005)",
        "x:dec__exact=D(1.49999)",
        "x:dec__exact=D(1.5000001)",
        "x:dec_n__exact=D(-0.00005)",
    ],
)

known(
    "b10/sqlite",
    "bug",
    "8§2.10",
    "output types of expressions and aggregates come from the first operand (Avg of decimals is a float, Sum of booleans a bool, int*float an int)",
    [
        "agg_avg_dec",
        "agg_avg_dec_n",
        "agg_sum_bool",
        "agg_sum_int_times_float",
        "agg_sum_int_times_half",
        "ann_mul_decimal",
    ],
    backends=("sqlite",),
)

known(
    "b10/postgres",
    "bug",
    "8§2.10",
    "output types of expressions and aggregates come from the first operand (Avg of decimals is a float, Sum of booleans a bool, int*float an int)",
    [
        "agg_avg_dec",
        "agg_avg_dec_n",
        "agg_sum_int_times_float",
    ],
    backends=("postgres",),
)

known(
    "b10/mysql",
    "bug",
    "8§2.10",
    "output types of expressions and aggregates come from the first operand (Avg of decimals is a float, Sum of booleans a bool, int*float an int)",
    [
        "agg_avg_dec",
        "agg_avg_dec_n",
        "agg_sum_bool",
        "agg_sum_int_times_float",
        "agg_sum_int_times_half",
    ],
    backends=("mysql",),
)

known(
    "b11",
    "bug",
    "8§2.11",
    "values().annotate().values() loses the GROUP BY; annotate(Count).values() groups per group instead of per row",
    [
        "group_annotate_then_values",
        "group_then_values_n",
    ],
)

known(
    "b12/sqlite",
    "bug",
    "8§2.12",
    "exists() on an aggregate-filtered query drops the GROUP BY (SQLite: HAVING on a non-aggregate query)",
    [
        "group_exists",
        "group_exists_none",
    ],
    backends=("sqlite",),
)

known(
    "b13",
    "bug",
    "8§2.13",
    "callables in get_or_create defaults are not called",
    [
        "get_or_create_callable",
    ],
)

known(
    "b14/sqlite+postgres",
    "bug",
    "8§2.14",
    "F() inside __in / __range is bound as a value",
    [
        "f_in_list",
        "f_range",
    ],
    backends=("sqlite", "postgres"),
)

known(
    "b14/mysql",
    "bug",
    "8§2.14",
    "F() inside __in / __range is bound as a value",
    [
        "f_in_list",
    ],
    backends=("mysql",),
)

known(
    "b15",
    "bug",
    "8§2.15",
    "last()/order_by() after a slice reorder silently instead of raising TypeError",
    [
        "slice_then_last",
        "slice_then_order",
    ],
)

known(
    "b16/sqlite",
    "bug",
    "8§2.16",
    "annotate(Value(3)) on PostgreSQL, aggregate(x=F(...)) accepted, Avg(datetime) a float, aggregate over an aggregate annotation, F('n') / 2 a Decimal on MariaDB",
    [
        "agg_avg_datetime",
        "agg_not_aggregate",
        "agg_over_aggregate_annotation",
    ],
    backends=("sqlite",),
)

known(
    "b16/postgres",
    "bug",
    "8§2.16",
    "annotate(Value(3)) on PostgreSQL, aggregate(x=F(...)) accepted, Avg(datetime) a float, aggregate over an aggregate annotation, F('n') / 2 a Decimal on MariaDB",
    [
        "agg_not_aggregate",
        "agg_over_aggregate_annotation",
        "ann_value_int",
    ],
    backends=("postgres",),
)

known(
    "b16/mysql",
    "bug",
    "8§2.16",
    "annotate(Value(3)) on PostgreSQL, aggregate(x=F(...)) accepted, Avg(datetime) a float, aggregate over an aggregate annotation, F('n') / 2 a Decimal on MariaDB",
    [
        "agg_avg_datetime",
        "agg_not_aggregate",
        "agg_over_aggregate_annotation",
        "ann_div_int",
    ],
    backends=("mysql",),
)

known(
    "b17/sqlite",
    "bug",
    "8§2.17",
    "lookup values are not converted to the field's type as Django converts them ('5', 1.9, flag=1, a datetime for a DateField, pk='5')",
    [
        "f:n__exact=1.9",
        "get_pk_garbage",
        "x:n__exact=1.9",
    ],
    backends=("sqlite",),
)

known(
    "b17/postgres",
    "bug",
    "8§2.17",
    "lookup values are not converted to the field's type as Django converts them ('5', 1.9, flag=1, a datetime for a DateField, pk='5')",
    [
        "f:f__exact='1.5'",
        "f:flag__exact=0",
        "f:flag__exact=1",
        "f:n__exact='16'",
        "f:n__exact='5'",
        "f:n__gt='3'",
        "f:n__in=['1','2']",
        "get_pk_garbage",
        "get_pk_str",
        "x:f__exact='1.5'",
        "x:flag__exact=0",
        "x:flag__exact=1",
        "x:n__exact='16'",
        "x:n__exact='5'",
        "x:n__gt='3'",
        "x:n__in=['1','2']",
    ],
    backends=("postgres",),
)

known(
    "b17/mysql",
    "bug",
    "8§2.17",
    "lookup values are not converted to the field's type as Django converts them ('5', 1.9, flag=1, a datetime for a DateField, pk='5')",
    [
        "f:d__exact=2024-01-01T05:00:00+00:00",
        "f:n__exact=1.9",
        "get_pk_garbage",
        "x:d__exact=2024-01-01T05:00:00+00:00",
        "x:n__exact=1.9",
    ],
    backends=("mysql",),
)

known(
    "b18",
    "bug",
    "8§2.18",
    "raw Python errors escape (UUID regex ValueError, filter(5) AttributeError)",
    [
        "f:uid__regex='^0a'",
        "filter_positional_int",
        "x:uid__regex='^0a'",
    ],
)

known(
    "b20/sqlite",
    "bug",
    "8§2.20",
    "SQLite: JSON keys containing a double quote match nothing",
    [
        'x:data__k"d=2',
        'x:doc__k"d=2',
    ],
    backends=("sqlite",),
)

known(
    "missing",
    "missing",
    "8§3",
    "an API Django has and covet-orm does not have yet",
    [
        "agg_default_kw",
        "agg_filter_kw",
        "agg_stddev",
        "agg_variance",
        "alias_filter",
        "ann_mod",
        "ann_neg",
        "ann_pow",
        "contains_obj",
        "d_week",
        "dates_month",
        "datetimes_year",
        "delete_filtered",
        "delete_instance",
        "difference",
        "distinct_on_field",
        "earliest",
        "fn_agg_coalesce",
        "fn_case",
        "fn_cast_str",
        "fn_coalesce",
        "fn_concat",
        "fn_expression_wrapper",
        "fn_extract_year",
        "fn_filter_lower",
        "fn_greatest",
        "fn_lag",
        "fn_least",
        "fn_length",
        "fn_lower",
        "fn_rank_partition",
        "fn_row_number",
        "fn_sum_over_partition",
        "fn_trunc_month",
        "fn_upper",
        "intersection",
        "iterator_chunks",
        "latest",
        "none",
        "none_count",
        "order_nulls_first",
        "order_nulls_last",
        "order_random_count",
        "order_reverse",
        "q_xor",
        "qs_and",
        "qs_or",
        "t_hour_transform",
        "ts_date_transform",
        "ts_iso_year",
        "ts_quarter",
        "ts_time_transform",
        "ts_week_day",
        "union",
        "update_or_create_create_defaults",
        "values_expression",
        "values_list_named",
        "values_transform",
    ],
)

known(
    "missing-index",
    "missing",
    "8§3",
    "qs[n] past the end raises DoesNotExist, not IndexError (async callers slice and index the list themselves)",
    [
        "index_past_end",
    ],
    apis=("sync",),
)

known(
    "new-pg-ilike-sigma/postgres",
    "bug",
    "new",
    "PostgreSQL i-lookups use ILIKE, which lowercases: final sigma ς never matches Σ; Django compares UPPER() of both sides",
    [
        "f:body__icontains='ΣΟΦΟΣ'",
        "f:body__icontains='οδυσσευς'",
        "f:name_n__icontains='σοφος'",
        "f:name_n__iendswith='σοφος'",
        "f:name_n__istartswith='σοφος'",
        "x:body__icontains='ΣΟΦΟΣ'",
        "x:body__icontains='οδυσσευς'",
        "x:name_n__icontains='σοφος'",
        "x:name_n__iendswith='σοφος'",
        "x:name_n__istartswith='σοφος'",
    ],
    backends=("postgres",),
)

known(
    "new-in-bulk-unique",
    "bug",
    "new",
    "in_bulk(field_name=) accepts a non-unique field (Django raises ValueError); duplicates overwrite each other silently",
    [
        "in_bulk_field",
    ],
)

known(
    "new-decimal-precision",
    "bug",
    "new",
    "a DecimalField with max_digits > 28 raises decimal.InvalidOperation on insert (quantize under the default 28-digit context)",
    [
        "bulk_create_extremes",
    ],
)

known(
    "d-sqlite-like-case/sqlite",
    "deliberate",
    "docs",
    "on SQLite Django's contains/startswith/endswith ignore ASCII case (LIKE); covet's are case-sensitive as on PostgreSQL and MariaDB",
    [
        "f:name__contains='ALPHA'",
        "f:name__contains='alpha'",
        "f:name__endswith='ALPHA'",
        "f:name__endswith='alpha'",
        "f:name__startswith='ALPHA'",
        "f:name__startswith='alpha'",
        "f:name_n__contains='a'",
        "f:name_n__contains='alpha'",
        "f:name_n__endswith='a'",
        "f:name_n__endswith='alpha'",
        "f:name_n__startswith='a'",
        "f:name_n__startswith='alpha'",
        "x:name__contains='ALPHA'",
        "x:name__contains='alpha'",
        "x:name__endswith='ALPHA'",
        "x:name__endswith='alpha'",
        "x:name__startswith='ALPHA'",
        "x:name__startswith='alpha'",
        "x:name_n__contains='a'",
        "x:name_n__contains='alpha'",
        "x:name_n__endswith='a'",
        "x:name_n__endswith='alpha'",
        "x:name_n__startswith='a'",
        "x:name_n__startswith='alpha'",
    ],
    backends=("sqlite",),
)

known(
    "d-mysql-collation/mysql",
    "deliberate",
    "docs",
    "on MariaDB Django's i-lookups follow the column collation (case-sensitive under covet's utf8mb4_bin); covet's lower both sides, so they ignore case on every collation",
    [
        "f:body__icontains='İSTANBUL'",
        "f:email__iexact='A@EXAMPLE.COM'",
        "f:name__icontains='ALPHA'",
        "f:name__icontains='alpha'",
        "f:name__icontains='ÜNÏ'",
        "f:name__icontains='ünï'",
        "f:name__iendswith='ALPHA'",
        "f:name__iendswith='alpha'",
        "f:name__iendswith='ÜNÏ'",
        "f:name__iendswith='ünï'",
        "f:name__iexact='ALPHA'",
        "f:name__iexact='alpha'",
        "f:name__iexact='ÜNÏ'",
        "f:name__iexact='ünï'",
        "f:name__iregex='^[a-c]'",
        "f:name__iregex='^alpha$'",
        "f:name__iregex='ÜNÏ'",
        "f:name__istartswith='ALPHA'",
        "f:name__istartswith='alpha'",
        "f:name__istartswith='ÜNÏ'",
        "f:name__istartswith='ünï'",
        "f:name_n__icontains='a'",
        "f:name_n__icontains='alpha'",
        "f:name_n__icontains='ÜNÏ'",
        "f:name_n__iendswith='a'",
        "f:name_n__iendswith='alpha'",
        "f:name_n__iendswith='ÜNÏ'",
        "f:name_n__iexact='alpha'",
        "f:name_n__iexact='ÜNÏ'",
        "f:name_n__istartswith='a'",
        "f:name_n__istartswith='alpha'",
        "f:name_n__istartswith='ÜNÏ'",
        "x:body__icontains='İSTANBUL'",
        "x:email__iexact='A@EXAMPLE.COM'",
        "x:name__icontains='ALPHA'",
        "x:name__icontains='alpha'",
        "x:name__icontains='ÜNÏ'",
        "x:name__icontains='ünï'",
        "x:name__iendswith='ALPHA'",
        "x:name__iendswith='alpha'",
        "x:name__iendswith='ÜNÏ'",
        "x:name__iendswith='ünï'",
        "x:name__iexact='ALPHA'",
        "x:name__iexact='alpha'",
        "x:name__iexact='ÜNÏ'",
        "x:name__iexact='ünï'",
        "x:name__iregex='^[a-c]'",
        "x:name__iregex='^alpha$'",
        "x:name__iregex='ÜNÏ'",
        "x:name__istartswith='ALPHA'",
        "x:name__istartswith='alpha'",
        "x:name__istartswith='ÜNÏ'",
        "x:name__istartswith='ünï'",
        "x:name_n__icontains='a'",
        "x:name_n__icontains='alpha'",
        "x:name_n__icontains='ÜNÏ'",
        "x:name_n__iendswith='a'",
        "x:name_n__iendswith='alpha'",
        "x:name_n__iendswith='ÜNÏ'",
        "x:name_n__iexact='alpha'",
        "x:name_n__iexact='ÜNÏ'",
        "x:name_n__istartswith='a'",
        "x:name_n__istartswith='alpha'",
        "x:name_n__istartswith='ÜNÏ'",
    ],
    backends=("mysql",),
)

known(
    "d-exclude-null-arith",
    "deliberate",
    "docs",
    "exclude() with F() arithmetic keeps rows where an operand is NULL (the rows filter() drops); Django drops them from both",
    [
        "f_exclude_arith",
    ],
)

known(
    "d-max-length",
    "deliberate",
    "docs",
    "covet checks CharField max_length before SQL on every backend (ValidationError); Django lets SQLite store the long string and PostgreSQL/MariaDB raise DataError",
    [
        "update_too_long",
    ],
)
