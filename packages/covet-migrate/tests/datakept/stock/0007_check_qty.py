from covet import orm
from covet.migrate import ops

dependencies = [("stock", "0006_unique_label")]

operations = [
    ops.AddConstraint("Item", orm.CheckConstraint(check=orm.Q(qty__gte=0), name="item_qty_ok")),
]
