from covet import orm
from covet.migrate import ops

dependencies = [("shop", "0001_initial")]

operations = [
    ops.AddField("Product", "weight", orm.FloatField(null=True)),
    ops.AddField("Product", "active", orm.BooleanField(), fill=True),
    ops.AddField("Product", "code", orm.CharField(max_length=10, default="X")),
]
