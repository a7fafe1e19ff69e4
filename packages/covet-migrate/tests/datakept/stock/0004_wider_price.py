from covet import orm
from covet.migrate import ops

dependencies = [("stock", "0003_bigger_qty")]

operations = [
    ops.AlterField("Item", "price", orm.DecimalField(max_digits=12, decimal_places=4)),
]
