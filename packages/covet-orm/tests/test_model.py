from __future__ import annotations

import datetime as dt

import pytest

from covet.orm import (
    BigAutoField,
    CharField,
    CheckConstraint,
    Database,
    DateTimeField,
    DecimalField,
    EmailField,
    ImproperlyConfigured,
    Index,
    IntegerField,
    IntegrityError,
    Model,
    Q,
    TextField,
    UniqueConstraint,
    URLField,
    ValidationError,
)


class Timestamped(Model):
    created = DateTimeField(auto_now_add=True)
    updated = DateTimeField(auto_now=True)

    class Meta:
        abstract = True
        ordering = ["-id"]


class Product(Timestamped):
    sku = CharField(max_length=8, unique=True)
    name = CharField(max_length=30, index=True)
    price = DecimalField(max_digits=6, decimal_places=2, default=0)
    stock = IntegerField(default=lambda: 5, choices=[0, 5, 10])
    shop = CharField(max_length=10, default="main")
    email = EmailField(null=True)
    site = URLField(null=True)

    class Meta:
        table_name = "test_product"
        indexes = [Index(fields=["shop", "name"])]
        unique_together = ("shop", "name")
        constraints = [
            CheckConstraint(check=Q(stock__gte=0), name="stock_not_negative"),
            UniqueConstraint(fields=["name", "price"], name="name_price_unique"),
        ]


class Note(Model):
    code = CharField(max_length=5, primary_key=True)
    body = TextField(db_column="note_body")

    class Meta:
        table_name = "test_note"


MODELS = [Product, Note]


def test_metadata() -> None:
    meta = Product._meta
    assert [f.name for f in meta.fields] == [
        "id", "created", "updated", "sku", "name", "price", "stock", "shop", "email", "site",
    ]  # fmt: skip
    assert isinstance(meta.pk, BigAutoField)
    assert meta.table_name == "test_product"
    assert meta.ordering == ["-id"]
    assert meta.unique_together == [("shop", "name")]
    assert Product.created is not Timestamped.created  # each subclass owns a copy
    assert Note._meta.pk.name == "code"
    assert Note._meta.get_field("body").column == "note_body"
    assert Product.DoesNotExist is not Note.DoesNotExist
    with pytest.raises(TypeError, match="abstract"):
        Timestamped()
    with pytest.raises(AttributeError, match="abstract"):
        Timestamped.objects.all()


def test_default_table_name() -> None:
    class BlogPost(Model):
        title = CharField()

    assert BlogPost._meta.table_name == "blog_post"


def test_meta_db_must_be_a_database() -> None:
    with pytest.raises(ImproperlyConfigured, match="module-level name"):

        class Bad(Model):
            class Meta:
                db = "sqlite:///x.db"

    with pytest.raises(ImproperlyConfigured, match="unknown option"):

        class Worse(Model):
            class Meta:
                tablename = "x"


def test_meta_db_binds_the_model(tmp_path) -> None:
    other = Database(f"sqlite:///{tmp_path / 'other.db'}", default=False)
    try:

        class Bound(Model):
            name = CharField()

            class Meta:
                db = other

        other.create_tables([Bound])
        Bound.objects.create(name="x")
        assert other.fetch_one('SELECT COUNT(*) AS n FROM "bound"') == {"n": 1}
    finally:
        other.close()


def test_instances_eq_repr_hash_to_dict() -> None:
    a, b = Note(code="x", body="1"), Note(code="x", body="2")
    assert a == b
    assert hash(a) == hash(b)
    assert a != Note(code="y")
    assert repr(a) == "<Note: pk='x'>"
    assert a.to_dict() == {"code": "x", "body": "1"}
    assert Product(sku="s") != Product(sku="s")  # no pk yet: never equal
    with pytest.raises(TypeError, match="unexpected field"):
        Note(code="x", nope=1)
    assert Note(pk="k").code == "k"


def test_full_clean_reports_every_field() -> None:
    p = Product(
        sku="toolongsku", name=None, price="12345.678", stock=3, email="nope", site="ftp://x"
    )
    with pytest.raises(ValidationError) as info:
        p.full_clean()
    errors = info.value.errors
    assert set(errors) == {"sku", "name", "price", "stock", "email", "site"}
    assert "at most 8 characters" in errors["sku"][0]
    assert errors["name"] == ["this field cannot be null"]
    Product(
        sku="ok", name="n", price="12.5", stock=10, email="a@b.co", site="https://x.org"
    ).full_clean()


@pytest.mark.usefixtures("tables")
async def test_save_enforces_max_length_and_constraints(api) -> None:
    with pytest.raises(ValidationError, match="sku"):
        await api(Product.objects, "create", sku="123456789", name="n")
    with pytest.raises(IntegrityError):
        await api(Product.objects, "create", sku="neg", name="n", stock=-1)
    await api(Product.objects, "create", sku="a", name="same", shop="s1")
    with pytest.raises(IntegrityError):
        await api(Product.objects, "create", sku="b", name="same", shop="s1")
    with pytest.raises(IntegrityError):
        await api(Product.objects, "create", sku="a", name="other")


@pytest.mark.usefixtures("tables")
async def test_auto_now_and_defaults(api) -> None:
    before = dt.datetime.now(dt.UTC)
    p = await api(Product.objects, "create", sku="t", name="n")
    assert p.stock == 5
    assert p.shop == "main"
    assert p.created >= before
    assert p.updated >= p.created
    first_updated = p.updated
    p.name = "m"
    await api(p, "save")
    fresh = await api(Product.objects, "get", pk=p.pk)
    assert fresh.updated >= first_updated
    assert fresh.created == p.created.replace(microsecond=p.created.microsecond)


@pytest.mark.usefixtures("tables")
async def test_explicit_primary_key_and_db_column(api) -> None:
    n = await api(Note.objects, "create", code="k1", body="hello")
    assert n.pk == "k1"
    n.body = "changed"
    await api(n, "save")
    assert (await api(Note.objects, "get", pk="k1")).body == "changed"
    with pytest.raises(IntegrityError):
        await api(Note.objects, "create", code="k1", body="dup")


@pytest.mark.usefixtures("tables")
def test_create_tables_is_idempotent(db: Database) -> None:
    db.create_tables(MODELS)
    db.create_tables(MODELS)
    Note.objects.create(code="z", body="b")
    db.create_tables(MODELS)
    assert Note.objects.count() == 1
