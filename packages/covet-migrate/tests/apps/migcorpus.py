"""A corpus of models covering every field type, field option and table option covet-orm has.

Written models (first half) exercise combinations a project would write; the generated models
(second half) give every field type each column option: required, nullable, default, unique,
indexed, db_column, choices. Unique and indexed columns skip TEXT/JSON/BLOB kinds, which MariaDB
cannot index without a prefix length.
"""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import uuid
from typing import Any

from covet import orm


class Status(enum.Enum):
    DRAFT = "draft"
    PUBLISHED = "published"


class Priority(enum.IntEnum):
    LOW = 1
    HIGH = 2


def check_positive(value: Any) -> None:
    if value < 0:
        raise ValueError("must be positive")


class Timestamped(orm.Model):
    created = orm.DateTimeField(auto_now_add=True)
    updated = orm.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class Author(Timestamped):
    name = orm.CharField(max_length=120)
    email = orm.EmailField(unique=True)
    homepage = orm.URLField(null=True)
    bio = orm.TextField(default="")

    class Meta:
        ordering = ["name"]
        indexes = [orm.Index(fields=["name", "-created"], name="author_name_created")]


class Book(orm.Model):
    title = orm.CharField(max_length=200, index=True)
    isbn = orm.CharField(max_length=13, unique=True)
    price = orm.DecimalField(max_digits=8, decimal_places=2)
    pages = orm.SmallIntegerField(null=True)
    status = orm.EnumField(Status, default=Status.DRAFT)
    priority = orm.EnumField(Priority, default=Priority.LOW)
    published_on = orm.DateField(null=True)

    class Meta:
        constraints = [
            orm.CheckConstraint(check=orm.Q(price__gte=0), name="book_price_gte_0"),
            orm.UniqueConstraint(fields=["title", "published_on"], name="book_title_pub_uniq"),
        ]


class Tag(orm.Model):
    id = orm.SmallIntegerField(primary_key=True)
    label = orm.CharField(max_length=40, unique=True, db_column="tag_label")


class Account(orm.Model):
    id = orm.UUIDField(primary_key=True, default=uuid.uuid4)
    balance = orm.DecimalField(max_digits=14, decimal_places=4, default=decimal.Decimal("0"))
    opened = orm.DateField(default=dt.date(2020, 1, 1))
    active = orm.BooleanField(default=True)

    class Meta:
        table_name = "bank_account"
        constraints = [
            orm.CheckConstraint(
                check=orm.Q(balance__gte=0) | orm.Q(active=False), name="account_balance_ok"
            )
        ]


class Country(orm.Model):
    code = orm.CharField(max_length=2, primary_key=True)
    name = orm.CharField(max_length=80)


class Event(orm.Model):
    id = orm.AutoField()
    starts = orm.DateTimeField()
    ends = orm.DateTimeField()
    at = orm.TimeField(null=True)
    length = orm.DurationField(null=True)

    class Meta:
        constraints = [
            orm.CheckConstraint(check=orm.Q(ends__gte=orm.F("starts")), name="event_order")
        ]


class Reading(orm.Model):
    sensor = orm.CharField(max_length=32)
    taken = orm.DateTimeField()
    value = orm.FloatField()
    raw = orm.BinaryField(null=True)
    meta = orm.JSONField(null=True)

    class Meta:
        unique_together = ("sensor", "taken")
        indexes = [orm.Index(fields=["-taken"]), orm.Index(fields=["sensor", "value"], unique=True)]


class Counter(orm.Model):
    big = orm.BigIntegerField(default=0, validators=[check_positive])
    small = orm.SmallIntegerField(choices=[(1, "one"), (2, "two")], default=1)

    class Meta:
        unique_together = [("big", "small")]
        constraints = [
            orm.CheckConstraint(check=~orm.Q(small=0) & orm.Q(big__lt=10**12), name="counter_sane"),
            orm.CheckConstraint(check=orm.Q(small__in=[1, 2]), name="counter_small_in"),
        ]


class Document(orm.Model):
    title = orm.CharField(max_length=100)
    body = orm.TextField()
    data = orm.JSONField(default=dict)
    attachment = orm.BinaryField(default=b"")
    checksum = orm.CharField(max_length=64, null=True, unique=True)

    class Meta:
        constraints = [
            orm.CheckConstraint(
                check=orm.Q(checksum__isnull=True) | orm.Q(title__startswith="doc"),
                name="document_named",
            )
        ]


class Schedule(orm.Model):
    day = orm.DateField()
    opens = orm.TimeField()
    closes = orm.TimeField()
    note = orm.CharField(max_length=50, null=True, choices=["a", "b"])

    class Meta:
        unique_together = [("day", "opens"), ("day", "closes")]


# -- generated: each field type with each column option ------------------------------------------
KINDS: dict[str, tuple[type[orm.Field[Any]], dict[str, Any], Any, bool]] = {
    # name: (field class, required kwargs, a default, indexable on MariaDB)
    "small": (orm.SmallIntegerField, {}, 7, True),
    "int": (orm.IntegerField, {}, 7, True),
    "big": (orm.BigIntegerField, {}, 7, True),
    "float": (orm.FloatField, {}, 1.5, True),
    "decimal": (
        orm.DecimalField,
        {"max_digits": 12, "decimal_places": 3},
        decimal.Decimal("1.5"),
        True,
    ),
    "bool": (orm.BooleanField, {}, False, True),
    "char": (orm.CharField, {"max_length": 30}, "x", True),
    "email": (orm.EmailField, {}, "a@b.cd", True),
    "url": (orm.URLField, {"max_length": 300}, "https://x.y", True),
    "text": (orm.TextField, {}, "", False),
    "date": (orm.DateField, {}, dt.date(2000, 1, 2), True),
    "datetime": (orm.DateTimeField, {}, dt.datetime(2000, 1, 2, 3, 4, 5, tzinfo=dt.UTC), True),
    "time": (orm.TimeField, {}, dt.time(12, 30), True),
    "duration": (orm.DurationField, {}, dt.timedelta(hours=1), True),
    "uuid": (orm.UUIDField, {}, uuid.UUID(int=1), True),
    "json": (orm.JSONField, {}, [1, 2], False),
    "binary": (orm.BinaryField, {}, b"\x00", False),
    "enum_str": (orm.EnumField, {"enum_type": Status}, Status.DRAFT, True),
    "enum_int": (orm.EnumField, {"enum_type": Priority}, Priority.HIGH, True),
}


def _make(kind: str) -> type[orm.Model]:
    cls, required, default, indexable = KINDS[kind]
    args: tuple[Any, ...] = ()
    base = dict(required)
    if "enum_type" in base:
        args = (base.pop("enum_type"),)
    body: dict[str, Any] = {
        "__module__": __name__,
        "required": cls(*args, **base),
        "nullable": cls(*args, null=True, **base),
        "defaulted": cls(*args, default=default, **base),
        "renamed_column": cls(*args, null=True, db_column=f"col_{kind}", **base),
    }
    if indexable:
        body["uniq"] = cls(*args, null=True, unique=True, **base)
        body["indexed"] = cls(*args, null=True, index=True, **base)
    name = "".join(part.title() for part in kind.split("_")) + "Column"
    return type(name, (orm.Model,), body)


GENERATED = [_make(kind) for kind in KINDS]
for _model in GENERATED:
    globals()[_model.__name__] = _model
del _model


class WideIndex(orm.Model):
    a = orm.IntegerField()
    b = orm.CharField(max_length=20)
    c = orm.DateField(null=True)
    d = orm.BooleanField(default=False)

    class Meta:
        table_name = "wide_index_table_with_a_long_name_for_index_shortening"
        indexes = [
            orm.Index(fields=["a", "b", "c"]),
            orm.Index(fields=["-a", "d"], name="wide_a_desc_d"),
            orm.Index(fields=["b", "c"], unique=True),
        ]
        unique_together = [("a", "d")]


class Keyword(orm.Model):
    # identifiers that are SQL keywords must be quoted everywhere
    order = orm.IntegerField(unique=True)
    select = orm.CharField(max_length=10, db_column="group")
    where = orm.BooleanField(default=False, index=True)

    class Meta:
        table_name = "table"


class Minimal(orm.Model):
    pass


class Profile(Timestamped):
    nickname = orm.CharField(max_length=30, unique=True)
    level = orm.EnumField(Priority, null=True)

    class Meta:
        constraints = [
            orm.CheckConstraint(
                check=orm.Q(nickname__regex=r"^[a-z]+$") | orm.Q(level__isnull=True),
                name="profile_nick",
            )
        ]


class Ledger(orm.Model):
    id = orm.BigAutoField()
    amount = orm.DecimalField(max_digits=20, decimal_places=0)
    memo = orm.CharField(max_length=255, default="")
    posted = orm.DateTimeField(auto_now_add=True, index=True)

    class Meta:
        constraints = [
            orm.CheckConstraint(check=orm.Q(amount__range=(-(10**15), 10**15)), name="ledger_range")
        ]


class Setting(orm.Model):
    key = orm.CharField(max_length=50, primary_key=True)
    value = orm.JSONField()
    secret = orm.BooleanField(default=False)


class Slot(orm.Model):
    day = orm.IntegerField(choices=list(range(7)))
    hour = orm.SmallIntegerField()
    capacity = orm.IntegerField(default=1)

    class Meta:
        unique_together = [("day", "hour")]
        constraints = [
            orm.CheckConstraint(check=orm.Q(hour__gte=0, hour__lt=24), name="slot_hour"),
            orm.CheckConstraint(check=orm.Q(capacity__gt=0), name="slot_capacity"),
        ]


class Snapshot(orm.Model):
    taken = orm.DateTimeField(primary_key=True)
    payload = orm.BinaryField()


class Note(orm.Model):
    heading = orm.CharField(max_length=80, index=True)
    text = orm.TextField(null=True)
    pinned = orm.BooleanField(default=False)


class Rating(orm.Model):
    stars = orm.SmallIntegerField(validators=[check_positive])
    comment = orm.CharField(max_length=140, default="")

    class Meta:
        constraints = [
            orm.CheckConstraint(
                check=orm.Q(stars__gte=1) & orm.Q(stars__lte=5), name="rating_stars"
            )
        ]


class Membership(orm.Model):
    group = orm.CharField(max_length=20)
    member = orm.CharField(max_length=20)
    role = orm.CharField(max_length=10, default="member")
    since = orm.DateField(null=True)

    class Meta:
        unique_together = [("group", "member", "role")]
        constraints = [
            orm.UniqueConstraint(fields=["member", "since"], name="membership_member_since")
        ]


class Archived(Timestamped):
    reason = orm.CharField(max_length=40, null=True)

    class Meta:
        abstract = True


class ArchivedPost(Archived):
    slug = orm.CharField(max_length=50, unique=True)
    words = orm.IntegerField(default=0)


# relations: foreign keys (each ON DELETE, to 'self', to a unique non-key field, to a
# DATETIME key, without a constraint), a one-to-one, a made join table, a ``through`` model
class Publisher(orm.Model):
    name = orm.CharField(max_length=60, unique=True)
    country = orm.CharField(max_length=2, default="")


class Writer(orm.Model):
    name = orm.CharField(max_length=60)
    publisher = orm.ForeignKey(Publisher, on_delete=orm.PROTECT, null=True, related_name="writers")
    mentor = orm.ForeignKey("self", on_delete=orm.SET_NULL, null=True, related_name="mentees")
    notes = orm.ManyToManyField(Note, related_name="writers")


class Manuscript(orm.Model):
    title = orm.CharField(max_length=100)
    writer = orm.ForeignKey(Writer, on_delete=orm.CASCADE, related_name="manuscripts")
    imprint = orm.ForeignKey(
        Publisher, on_delete=orm.RESTRICT, to_field="name", db_column="pub", related_name="+"
    )
    snapshot = orm.OneToOneField(
        Snapshot, on_delete=orm.SET_NULL, null=True, related_name="manuscript"
    )
    slot = orm.ForeignKey(
        Slot, on_delete=orm.DO_NOTHING, db_constraint=False, db_index=False, null=True,
        related_name="+",
    )  # fmt: skip
    reviewers = orm.ManyToManyField(Writer, through="migcorpus.Review", related_name="reviewed")

    class Meta:
        unique_together = [("writer", "title")]
        indexes = [orm.Index(fields=["writer", "-title"], name="manuscript_writer_title")]


class Review(orm.Model):
    manuscript = orm.ForeignKey(Manuscript, on_delete=orm.CASCADE, related_name="reviews")
    reviewer = orm.ForeignKey(Writer, on_delete=orm.CASCADE, related_name="reviews")
    score = orm.SmallIntegerField(default=0)

    class Meta:
        constraints = [orm.UniqueConstraint(fields=["manuscript", "reviewer"], name="review_once")]


MODELS = [
    m
    for m in list(globals().values())
    if isinstance(m, type)
    and issubclass(m, orm.Model)
    and m is not orm.Model
    and not m._meta.abstract
]
