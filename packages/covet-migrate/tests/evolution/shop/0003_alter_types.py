from covet import orm
from covet.migrate import ops

dependencies = [("shop", "0002_add_fields")]

operations = [
    ops.AlterField("Product", "name", orm.CharField(max_length=120)),
    ops.AlterField("Product", "stock", orm.BigIntegerField()),
    ops.AlterField("Product", "price", orm.DecimalField(max_digits=12, decimal_places=3)),
]
