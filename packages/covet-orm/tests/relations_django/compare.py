# ruff: noqa: E501 (one case a line reads best)
"""Relation queries run by Django and by covet-orm on the same rows; prints the differences as
JSON (``[]``: none). Run by ``test_relations_django.py`` in a subprocess (Django's settings are
process-wide): ``python compare.py <database URL>``."""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

sys.path.insert(0, str(Path(__file__).parent))


def django_settings(url: str) -> dict[str, Any]:
    scheme = urlsplit(url).scheme
    if scheme == "sqlite":
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": url.removeprefix("sqlite:///")}
    parts = urlsplit(url)
    engine = "postgresql" if scheme.startswith("postgres") else "mysql"
    out: dict[str, Any] = {
        "ENGINE": f"django.db.backends.{engine}", "NAME": parts.path.lstrip("/"),
        "HOST": parts.hostname or "", "PORT": str(parts.port or ""),
        "USER": unquote(parts.username or ""), "PASSWORD": unquote(parts.password or ""),
    }  # fmt: skip
    if engine == "mysql":
        out["OPTIONS"] = {"charset": "utf8mb4"}
    return out


# each case: (name, function of (models, Q, F, Count, Sum, Subquery, OuterRef as Ref), ordered?)
CASES: list[tuple[str, Any, bool]] = [
    ("forward", lambda M, Q, F, C, S, Sq, Ref: M.Bk.objects.filter(auth__name__startswith="a1").values_list("id", flat=True), False),
    ("reverse", lambda M, Q, F, C, S, Sq, Ref: M.Auth.objects.filter(bks__pages__gt=300).values_list("id", flat=True), False),
    ("one_filter", lambda M, Q, F, C, S, Sq, Ref: M.Auth.objects.filter(bks__title="b1", bks__pages__gt=200).values_list("id", flat=True), False),
    ("two_filters", lambda M, Q, F, C, S, Sq, Ref: M.Auth.objects.filter(bks__title="b1").filter(bks__pages__gt=200).values_list("id", flat=True), False),
    ("exclude_many", lambda M, Q, F, C, S, Sq, Ref: M.Auth.objects.exclude(bks__title="b1").values_list("id", flat=True), False),
    ("exclude_many_two", lambda M, Q, F, C, S, Sq, Ref: M.Auth.objects.exclude(bks__title="b1", bks__pages__gt=200).values_list("id", flat=True), False),
    ("exclude_nullable", lambda M, Q, F, C, S, Sq, Ref: M.Bk.objects.exclude(ed__age__gt=40).values_list("id", flat=True), False),
    ("not_q_many", lambda M, Q, F, C, S, Sq, Ref: M.Auth.objects.filter(~Q(bks__title="b1")).values_list("id", flat=True), False),
    ("exclude_or", lambda M, Q, F, C, S, Sq, Ref: M.Auth.objects.exclude(Q(bks__title="b1") | Q(bks__pages__lt=100)).values_list("id", flat=True), False),
    ("exclude_deep", lambda M, Q, F, C, S, Sq, Ref: M.Pub.objects.exclude(auths__bks__title="b1").values_list("id", flat=True), False),
    ("exclude_m2m", lambda M, Q, F, C, S, Sq, Ref: M.Bk.objects.exclude(tags__name="t1").values_list("id", flat=True), False),
    ("isnull_reverse", lambda M, Q, F, C, S, Sq, Ref: M.Auth.objects.filter(bks__isnull=True).values_list("id", flat=True), False),
    ("isnull_m2m", lambda M, Q, F, C, S, Sq, Ref: M.Bk.objects.filter(tags__isnull=True).values_list("id", flat=True), False),
    ("m2m", lambda M, Q, F, C, S, Sq, Ref: M.Bk.objects.filter(tags__name="t1").values_list("id", flat=True), False),
    ("m2m_deep", lambda M, Q, F, C, S, Sq, Ref: M.Pub.objects.filter(auths__bks__tags__name="t2").distinct().values_list("id", flat=True), False),
    ("or_nullable", lambda M, Q, F, C, S, Sq, Ref: M.Bk.objects.filter(Q(ed__name="a3") | Q(pages__lt=100)).values_list("id", flat=True), False),
    ("count", lambda M, Q, F, C, S, Sq, Ref: M.Auth.objects.annotate(n=C("bks")).values_list("id", "n"), False),
    ("count_distinct", lambda M, Q, F, C, S, Sq, Ref: M.Auth.objects.annotate(n=C("bks", distinct=True), t=C("bks__tags")).values_list("id", "n", "t"), False),
    ("having", lambda M, Q, F, C, S, Sq, Ref: M.Auth.objects.annotate(n=C("bks")).filter(n__gt=3).values_list("id", flat=True), False),
    ("sum", lambda M, Q, F, C, S, Sq, Ref: M.Auth.objects.annotate(s=S("bks__pages")).values_list("id", "s"), False),
    ("filter_then_annotate", lambda M, Q, F, C, S, Sq, Ref: M.Auth.objects.filter(bks__pages__gt=200).annotate(n=C("bks")).values_list("id", "n"), False),
    ("annotate_then_filter", lambda M, Q, F, C, S, Sq, Ref: M.Auth.objects.annotate(n=C("bks")).filter(bks__pages__gt=200).values_list("id", "n"), False),
    ("count_m2m", lambda M, Q, F, C, S, Sq, Ref: M.Tag.objects.annotate(n=C("bks")).values_list("id", "n"), False),
    ("order_relation", lambda M, Q, F, C, S, Sq, Ref: M.Auth.objects.filter(pub__isnull=False).order_by("pub", "id").values_list("id", flat=True), True),
    ("order_field", lambda M, Q, F, C, S, Sq, Ref: M.Bk.objects.order_by("auth__name", "-pages", "id").values_list("id", flat=True), True),
    ("values", lambda M, Q, F, C, S, Sq, Ref: M.Bk.objects.values_list("id", "auth__name", "ed__name", "auth__pub__name"), False),
    ("values_reverse", lambda M, Q, F, C, S, Sq, Ref: M.Auth.objects.values_list("id", "bks__title"), False),
    ("f_across", lambda M, Q, F, C, S, Sq, Ref: M.Bk.objects.filter(pages__gt=F("auth__age") * 5).values_list("id", flat=True), False),
    ("group_across", lambda M, Q, F, C, S, Sq, Ref: M.Bk.objects.values("auth__name").annotate(n=C("id")).values_list("auth__name", "n"), False),
    ("in_queryset", lambda M, Q, F, C, S, Sq, Ref: M.Bk.objects.filter(auth__in=M.Auth.objects.filter(age__gt=40)).values_list("id", flat=True), False),
    ("key_in", lambda M, Q, F, C, S, Sq, Ref: M.Bk.objects.filter(auth__id__in=[1, 2]).values_list("id", flat=True), False),
    ("reverse_in", lambda M, Q, F, C, S, Sq, Ref: M.Auth.objects.filter(bks__in=[1, 2, 3]).values_list("id", flat=True), False),
    ("subquery", lambda M, Q, F, C, S, Sq, Ref: M.Auth.objects.annotate(t=Sq(M.Bk.objects.filter(auth=Ref("pk")).order_by("-pages", "id").values("title")[:1])).values_list("id", "t"), False),
    ("count_rows", lambda M, Q, F, C, S, Sq, Ref: [M.Auth.objects.filter(bks__tags__name="t0").count()], False),
]  # fmt: skip


def seed(D: Any) -> None:
    rng = random.Random(3)
    pubs = [D.Pub.objects.create(name=n) for n in ("p1", "p2", "p3")]
    auths = [
        D.Auth.objects.create(name=f"a{i}", age=rng.randint(20, 60), pub=rng.choice([*pubs, None]))
        for i in range(8)
    ]
    tags = [D.Tag.objects.create(name=f"t{i}") for i in range(4)]
    for i in range(20):
        book = D.Bk.objects.create(
            title=f"b{i % 7}", pages=rng.randint(50, 500), auth=rng.choice(auths[:6]),
            ed=rng.choice([*auths, None, None]),
        )  # fmt: skip
        book.tags.set(rng.sample(tags, rng.randint(0, 3)))


def main(url: str) -> None:
    import django
    import pymysql
    from django.conf import settings

    pymysql.install_as_MySQLdb()
    settings.configure(
        DATABASES={"default": django_settings(url)}, INSTALLED_APPS=["djrel"], USE_TZ=True
    )
    django.setup()
    import covet_models as C
    import django.db.models as dm
    from django.db import connection
    from djrel import models as D

    import covet.orm as co

    django_models = [D.Pub, D.Auth, D.Tag, D.Bk]
    db = co.Database(url, default=True)
    try:
        db.drop_tables([C.Pub, C.Auth, C.Tag, C.Bk])
        with connection.schema_editor() as editor:
            for model in django_models:
                editor.create_model(model)
        seed(D)
        connection.close()
        diffs = []
        for name, case, ordered in CASES:
            want = list(case(D, dm.Q, dm.F, dm.Count, dm.Sum, dm.Subquery, dm.OuterRef))
            got = list(case(C, co.Q, co.F, co.Count, co.Sum, co.Subquery, co.OuterRef))
            same = want == got if ordered else sorted(map(repr, want)) == sorted(map(repr, got))
            if not same:
                diffs.append({"case": name, "django": repr(want), "covet": repr(got)})
        print(json.dumps(diffs))
    finally:
        db.drop_tables([C.Pub, C.Auth, C.Tag, C.Bk])
        db.close()


if __name__ == "__main__":
    main(sys.argv[1])
