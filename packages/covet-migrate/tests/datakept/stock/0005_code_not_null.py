from covet import orm
from covet.migrate import ops

dependencies = [("stock", "0004_wider_price")]

operations = [
    ops.AlterField("Item", "code", orm.CharField(max_length=5), fill="?"),
]
