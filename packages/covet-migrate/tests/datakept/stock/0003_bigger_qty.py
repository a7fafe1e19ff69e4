from covet import orm
from covet.migrate import ops

dependencies = [("stock", "0002_longer_label")]

operations = [
    ops.AlterField("Item", "qty", orm.BigIntegerField()),
]
