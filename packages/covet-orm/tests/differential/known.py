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
# Every difference left is deliberate: docs/orm.md "Differences from Django" gives each one.
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

known(
    "d-json-exclude/sqlite",
    "deliberate",
    "docs",
    "exclude() on a JSONField keeps the rows where the key path is missing, the value is not an object or array, or the column is NULL (the exact complement of filter()); Django leaves them out (NOT of an unknown comparison)",
    [
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
        "x:data__a__b=None",
        "x:data__a__b__c=1",
        "x:data__a__in=['1',16]",
        "x:data__a__in=[1,2]",
        "x:data__a__startswith='x'",
        "x:data__b__c='deep'",
        "x:data__b__c='x'",
        "x:data__exact=None",
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
        "x:doc__a__b=None",
        "x:doc__a__b__c=1",
        "x:doc__a__in=['1',16]",
        "x:doc__a__in=[1,2]",
        "x:doc__a__startswith='x'",
        "x:doc__b__c='deep'",
        "x:doc__b__c='x'",
        "x:doc__k'd=3",
    ],
    backends=("sqlite",),
)

known(
    "d-json-exclude/postgres",
    "deliberate",
    "docs",
    "exclude() on a JSONField keeps the rows where the key path is missing, the value is not an object or array, or the column is NULL (the exact complement of filter()); Django leaves them out (NOT of an unknown comparison)",
    [
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
        "x:data__a__b=None",
        "x:data__a__b__c=1",
        "x:data__a__icontains='X%'",
        "x:data__a__in=['1',16]",
        "x:data__a__in=[1,2]",
        "x:data__a__startswith='x'",
        "x:data__b__c='deep'",
        "x:data__b__c='x'",
        "x:data__exact=None",
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
        "x:doc__a__b=None",
        "x:doc__a__b__c=1",
        "x:doc__a__icontains='X%'",
        "x:doc__a__in=['1',16]",
        "x:doc__a__in=[1,2]",
        "x:doc__a__startswith='x'",
        "x:doc__b__c='deep'",
        "x:doc__b__c='x'",
        'x:doc__k"d=2',
        "x:doc__k'd=3",
    ],
    backends=("postgres",),
)

known(
    "d-json-exclude/mysql",
    "deliberate",
    "docs",
    "exclude() on a JSONField keeps the rows where the key path is missing, the value is not an object or array, or the column is NULL (the exact complement of filter()); Django leaves them out (NOT of an unknown comparison)",
    [
        "x:data__a='1'",
        "x:data__a='x%y'",
        "x:data__a=-1",
        "x:data__a=16",
        "x:data__a=None",
        "x:data__a=True",
        "x:data__a=[1,2]",
        "x:data__a=[]",
        "x:data__a={'b': 1}",
        "x:data__a__1__b=2",
        "x:data__a__b=1",
        "x:data__a__b=None",
        "x:data__a__b__c=1",
        "x:data__a__in=['1',16]",
        "x:data__a__startswith='x'",
        "x:data__b__c='deep'",
        "x:data__b__c='x'",
        "x:data__exact=None",
        'x:data__k"d=2',
        "x:data__k'd=3",
        "x:data__list__0__x=1",
        "x:data__ünï='x'",
        "x:doc__a='1'",
        "x:doc__a='x%y'",
        "x:doc__a=-1",
        "x:doc__a=16",
        "x:doc__a=None",
        "x:doc__a=True",
        "x:doc__a=[1,2]",
        "x:doc__a=[]",
        "x:doc__a={'b': 1}",
        "x:doc__a__1__b=2",
        "x:doc__a__b=1",
        "x:doc__a__b=None",
        "x:doc__a__b__c=1",
        "x:doc__a__in=['1',16]",
        "x:doc__a__startswith='x'",
        "x:doc__b__c='deep'",
        "x:doc__b__c='x'",
        'x:doc__k"d=2',
        "x:doc__k'd=3",
    ],
    backends=("mysql",),
)

known(
    "d-json-equality/sqlite",
    "deliberate",
    "docs",
    'JSON values compare as JSON (1 equals 1.0, never "1" or true; objects in any key order), as PostgreSQL\'s jsonb does; Django on SQLite and MariaDB compares the JSON text or MariaDB\'s loose values ("1" matches 1, 1.0 does not); under exclude() the complement rule applies too',
    [
        "f:data__exact={'a': 1}",
        "f:doc__exact={'a': 1}",
        "x:data__exact={'a': 1}",
        "x:doc__exact={'a': 1}",
    ],
    backends=("sqlite",),
)

known(
    "d-json-equality/mysql",
    "deliberate",
    "docs",
    'JSON values compare as JSON (1 equals 1.0, never "1" or true; objects in any key order), as PostgreSQL\'s jsonb does; Django on SQLite and MariaDB compares the JSON text or MariaDB\'s loose values ("1" matches 1, 1.0 does not); under exclude() the complement rule applies too',
    [
        "f:data__a='1'",
        "f:data__a=1",
        "f:data__a=1.0",
        "f:data__a__0=1",
        "f:data__a__in=['1',16]",
        "f:data__a__in=[1,2]",
        "f:data__exact={'a': 1}",
        "f:doc__a='1'",
        "f:doc__a=1",
        "f:doc__a=1.0",
        "f:doc__a__0=1",
        "f:doc__a__in=['1',16]",
        "f:doc__a__in=[1,2]",
        "f:doc__exact={'a': 1}",
        "x:data__a=1",
        "x:data__a=1.0",
        "x:data__a__0=1",
        "x:data__a__in=[1,2]",
        "x:data__exact={'a': 1}",
        "x:doc__a=1",
        "x:doc__a=1.0",
        "x:doc__a__0=1",
        "x:doc__a__in=[1,2]",
        "x:doc__exact={'a': 1}",
    ],
    backends=("mysql",),
)

known(
    "d-json-order/sqlite",
    "deliberate",
    "docs",
    "JSON gt/gte/lt/lte match values of the same JSON type only (numbers with numbers, strings with strings); Django gives each database's own cross-type order (objects and arrays above numbers on PostgreSQL, text above numbers on SQLite), which differ from one database to the next",
    [
        "f:data__a__gt='1'",
        "f:data__a__gt=0.5",
        "f:data__a__gt=1",
        "f:doc__a__gt='1'",
        "f:doc__a__gt=0.5",
        "f:doc__a__gt=1",
        "x:data__a__gt='1'",
        "x:data__a__gt=0.5",
        "x:data__a__gt=1",
        "x:data__a__lte=2",
        "x:doc__a__gt='1'",
        "x:doc__a__gt=0.5",
        "x:doc__a__gt=1",
        "x:doc__a__lte=2",
    ],
    backends=("sqlite",),
)

known(
    "d-json-order/postgres",
    "deliberate",
    "docs",
    "JSON gt/gte/lt/lte match values of the same JSON type only (numbers with numbers, strings with strings); Django gives each database's own cross-type order (objects and arrays above numbers on PostgreSQL, text above numbers on SQLite), which differ from one database to the next",
    [
        "f:data__a__gt='1'",
        "f:data__a__gt=0.5",
        "f:data__a__gt=1",
        "f:data__a__lte=2",
        "f:doc__a__gt='1'",
        "f:doc__a__gt=0.5",
        "f:doc__a__gt=1",
        "f:doc__a__lte=2",
        "x:data__a__gt='1'",
        "x:data__a__gt=0.5",
        "x:data__a__gt=1",
        "x:data__a__lte=2",
        "x:doc__a__gt='1'",
        "x:doc__a__gt=0.5",
        "x:doc__a__gt=1",
        "x:doc__a__lte=2",
    ],
    backends=("postgres",),
)

known(
    "d-json-order/mysql",
    "deliberate",
    "docs",
    "JSON gt/gte/lt/lte match values of the same JSON type only (numbers with numbers, strings with strings); Django gives each database's own cross-type order (objects and arrays above numbers on PostgreSQL, text above numbers on SQLite), which differ from one database to the next",
    [
        "f:data__a__gt='1'",
        "f:data__a__gt=0.5",
        "f:data__a__lte=2",
        "f:doc__a__gt='1'",
        "f:doc__a__gt=0.5",
        "f:doc__a__lte=2",
        "x:data__a__gt='1'",
        "x:data__a__gt=0.5",
        "x:data__a__gt=1",
        "x:data__a__lte=2",
        "x:doc__a__gt='1'",
        "x:doc__a__gt=0.5",
        "x:doc__a__gt=1",
        "x:doc__a__lte=2",
    ],
    backends=("mysql",),
)

known(
    "d-json-scalar-index/postgres",
    "deliberate",
    "docs",
    "an array index into a top-level JSON scalar (data__0 on the value 1) finds nothing on PostgreSQL; Django uses jsonb's -> operator, which treats a top-level scalar as a one-element array",
    [
        "f:data__0=1",
        "f:doc__0=1",
    ],
    backends=("postgres",),
)

known(
    "d-json-sqlite-containment/sqlite",
    "deliberate",
    "docs",
    "contains / contained_by on a JSONField work on SQLite with PostgreSQL's semantics; Django raises NotSupportedError there",
    [
        "f:data__contained_by=[1,2,3]",
        "f:data__contained_by={'a': 1, 'b': 2}",
        "f:data__contains=[1]",
        "f:data__contains={'a': 1}",
        "f:data__contains={'a': {'b': 1}}",
        "f:data__contains={}",
        "f:doc__contained_by=[1,2,3]",
        "f:doc__contained_by={'a': 1, 'b': 2}",
        "f:doc__contains=[1]",
        "f:doc__contains={'a': 1}",
        "f:doc__contains={'a': {'b': 1}}",
        "f:doc__contains={}",
        "x:data__contained_by=[1,2,3]",
        "x:data__contained_by={'a': 1, 'b': 2}",
        "x:data__contains=[1]",
        "x:data__contains={'a': 1}",
        "x:data__contains={'a': {'b': 1}}",
        "x:data__contains={}",
        "x:doc__contained_by=[1,2,3]",
        "x:doc__contained_by={'a': 1, 'b': 2}",
        "x:doc__contains=[1]",
        "x:doc__contains={'a': 1}",
        "x:doc__contains={'a': {'b': 1}}",
        "x:doc__contains={}",
    ],
    backends=("sqlite",),
)

known(
    "d-json-sqlite-quote/sqlite",
    "deliberate",
    "docs",
    "SQLite: JSON keys holding a double quote (k\"d) are found; Django's quoted path label never matches them",
    [
        "f:data__has_key='k\"d'",
        'f:data__k"d=2',
        "f:doc__has_key='k\"d'",
        'f:doc__k"d=2',
        "x:data__has_key='k\"d'",
        'x:data__k"d=2',
        "x:doc__has_key='k\"d'",
        'x:doc__k"d=2',
    ],
    backends=("sqlite",),
)

known(
    "d-sqlite-unicode-case/sqlite",
    "deliberate",
    "docs",
    "SQLite: iexact/icontains/istartswith/iendswith fold every letter (ÜNÏ finds ünï, final sigma, ß), as on PostgreSQL; Django's SQLite LIKE/UPPER fold ASCII letters only",
    [
        "f:name_n__icontains='σοφος'",
        "x:name_n__icontains='σοφος'",
        "f:name_n__istartswith='σοφος'",
        "x:name_n__istartswith='σοφος'",
        "f:name_n__iendswith='σοφος'",
        "x:name_n__iendswith='σοφος'",
        "f:body__icontains='οδυσσευς'",
        "x:body__icontains='οδυσσευς'",
        "f:body__icontains='ΣΟΦΟΣ'",
        "f:name__icontains='STRASSE'",
        "f:name__icontains='ÜNÏ'",
        "f:name__icontains='ünï'",
        "f:name__iendswith='STRASSE'",
        "f:name__iendswith='ÜNÏ'",
        "f:name__iendswith='ünï'",
        "f:name__iexact='ÜNÏ'",
        "f:name__iexact='ünï'",
        "f:name__istartswith='ÜNÏ'",
        "f:name__istartswith='ünï'",
        "f:name_n__icontains='ÜNÏ'",
        "f:name_n__iendswith='ÜNÏ'",
        "f:name_n__iexact='ÜNÏ'",
        "f:name_n__iexact='σοφος'",
        "f:name_n__istartswith='ÜNÏ'",
        "x:body__icontains='ΣΟΦΟΣ'",
        "x:data__a__icontains='X%'",
        "x:doc__a__icontains='X%'",
        "x:name__icontains='STRASSE'",
        "x:name__icontains='ÜNÏ'",
        "x:name__icontains='ünï'",
        "x:name__iendswith='STRASSE'",
        "x:name__iendswith='ÜNÏ'",
        "x:name__iendswith='ünï'",
        "x:name__iexact='ÜNÏ'",
        "x:name__iexact='ünï'",
        "x:name__istartswith='ÜNÏ'",
        "x:name__istartswith='ünï'",
        "x:name_n__icontains='ÜNÏ'",
        "x:name_n__iendswith='ÜNÏ'",
        "x:name_n__iexact='ÜNÏ'",
        "x:name_n__iexact='σοφος'",
        "x:name_n__istartswith='ÜNÏ'",
    ],
    backends=("sqlite",),
)

known(
    "d-mysql-collation/mysql",
    "deliberate",
    "docs",
    "on MariaDB Django's i-lookups follow the column collation (case-sensitive under covet's utf8mb4_bin); covet's lower both sides, so they ignore case on every collation",
    [
        "f:name_n__icontains='σοφος'",
        "x:name_n__icontains='σοφος'",
        "f:name_n__istartswith='σοφος'",
        "x:name_n__istartswith='σοφος'",
        "f:name_n__iendswith='σοφος'",
        "x:name_n__iendswith='σοφος'",
        "f:body__icontains='οδυσσευς'",
        "x:body__icontains='οδυσσευς'",
        "f:body__icontains='İSTANBUL'",
        "f:body__icontains='ΣΟΦΟΣ'",
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
        "f:name_n__iexact='σοφος'",
        "f:name_n__istartswith='a'",
        "f:name_n__istartswith='alpha'",
        "f:name_n__istartswith='ÜNÏ'",
        "x:body__icontains='İSTANBUL'",
        "x:body__icontains='ΣΟΦΟΣ'",
        "x:data__a__icontains='X%'",
        "x:doc__a__icontains='X%'",
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
        "x:name_n__iexact='σοφος'",
        "x:name_n__istartswith='a'",
        "x:name_n__istartswith='alpha'",
        "x:name_n__istartswith='ÜNÏ'",
    ],
    backends=("mysql",),
)

known(
    "d-int-float",
    "deliberate",
    "docs",
    "n=1.9 on an integer field matches nothing (no integer equals 1.9); Django truncates the value to 1",
    [
        "f:n__exact=1.9",
        "x:n__exact=1.9",
    ],
)

known(
    "d-sum-bool/postgres+mysql",
    "deliberate",
    "docs",
    "Sum of a BooleanField is the number of true values, an int, on every database; Django raises on PostgreSQL (no sum(boolean)) and returns a Decimal on MariaDB",
    [
        "agg_sum_bool",
    ],
    backends=(
        "postgres",
        "mysql",
    ),
)

known(
    "d-avg-temporal",
    "deliberate",
    "docs",
    "Avg of a date or datetime is a FieldError before any SQL; Django gets a meaningless number or a database error",
    [
        "agg_avg_datetime",
    ],
)

known(
    "d-mysql-double/mysql",
    "deliberate",
    "docs",
    "MariaDB: Avg and StdDev of integers keep double precision (12.578947...), the value the other databases give; Django returns MariaDB's 4-place DECIMAL (12.5789)",
    [
        "rel:aggregate_across",
        "agg_avg_big",
        "agg_avg_n",
        "agg_avg_n_n",
        "agg_avg_small",
        "agg_stddev",
    ],
    backends=("mysql",),
)

known(
    "d-duration-arith/sqlite+mysql",
    "deliberate",
    "docs",
    "date and duration arithmetic in SQL (F('dur') + timedelta) runs on PostgreSQL only; on SQLite and MariaDB covet raises NotSupportedError (durations are stored as microseconds, datetimes as text on SQLite)",
    [
        "ann_dur_plus",
    ],
    backends=(
        "sqlite",
        "mysql",
    ),
)

known(
    "d-delete-label",
    "deliberate",
    "docs",
    'delete() counts by "package.Model" (covet has no app registry); Django by "app_label.Model" - the counts agree',
    [
        "delete_filtered",
        "delete_instance",
    ],
)

known(
    "d-sqlite-wide-decimal/sqlite",
    "deliberate",
    "docs",
    "SQLite: a decimal SQLite cannot store exactly (over 15 significant digits) is refused with DataError; Django stores a rounded value",
    [
        "bulk_create_extremes",
    ],
    backends=("sqlite",),
)
