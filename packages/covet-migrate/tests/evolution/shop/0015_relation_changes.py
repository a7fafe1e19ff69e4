"""A referenced model renamed (its table follows), ON DELETE changed, and the key of a model a
join table references made smaller (the join table's column follows)."""

from covet import orm
from covet.migrate import ops

dependencies = [("shop", "0014_relations")]

operations = [
    ops.RenameModel("Category", "Section"),
    ops.AlterModelTable("Section", "section"),
    ops.AlterField(
        "Product",
        "category",
        orm.ForeignKey("shop.Section", on_delete=orm.CASCADE, related_name="products"),
    ),
    ops.AlterField("Sticker", "id", orm.AutoField()),
]
