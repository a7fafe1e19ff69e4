from covet import orm
from covet.migrate import ops

dependencies = [("stock", "0001_initial")]

operations = [
    ops.AlterField("Item", "label", orm.CharField(max_length=60)),
]
