from covet import orm
from covet.migrate import ops

dependencies = [("shop", "0010_raw_sql")]

operations = [
    ops.AlterField("Product", "code", orm.CharField(max_length=30, default="X")),
]
