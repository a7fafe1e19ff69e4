from covet import orm
from covet.migrate import ops

dependencies = [("stock", "0005_code_not_null")]

operations = [
    ops.AlterField("Item", "label", orm.CharField(max_length=60, unique=True)),
]
