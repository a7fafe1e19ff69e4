from covet import orm
from covet.migrate import ops

dependencies = [("stock", "0011_rename_model")]

operations = [
    ops.AlterField("Article", "flag", orm.BooleanField(null=True)),
]
