from covet import orm
from covet.migrate import ops

dependencies = [("stock", "0012_flag_nullable")]

operations = [
    ops.AddField("Article", "extra", orm.TextField(null=True)),
]
