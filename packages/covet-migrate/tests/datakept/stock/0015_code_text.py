from covet import orm
from covet.migrate import ops

dependencies = [("stock", "0014_qty_back")]

operations = [
    ops.AlterField("Article", "code", orm.TextField()),
]
