"""Relations: a self-referencing category tree, a NOT NULL foreign key added to a table with rows
(filled with the key of a row made first), stickers through a join table."""

from covet import orm
from covet.migrate import ops


def general(models, db):
    models["shop.Category"].objects.create(id=1, name="general")


def no_categories(models, db):
    models["shop.Category"].objects.all().delete()


dependencies = [("shop", "0013_last")]

operations = [
    ops.CreateModel(
        "Category",
        fields=[
            ("id", orm.BigAutoField()),
            ("name", orm.CharField(max_length=40, unique=True)),
            (
                "parent",
                orm.ForeignKey(
                    "shop.Category", on_delete=orm.CASCADE, null=True, related_name="children"
                ),
            ),
        ],
        options={"table_name": "category"},
    ),
    ops.CreateModel(
        "Sticker",
        fields=[("id", orm.BigAutoField()), ("label", orm.CharField(max_length=20))],
        options={"table_name": "sticker"},
    ),
    ops.RunPython(general, no_categories),
    ops.AddField(
        "Product",
        "category",
        orm.ForeignKey("shop.Category", on_delete=orm.PROTECT, related_name="products"),
        fill=1,
    ),
    ops.AddField("Product", "tags", orm.ManyToManyField("shop.Sticker", related_name="products")),
]
