from covet import orm
from covet.migrate import ops

dependencies = [("shop", "0004_not_null")]

operations = [
    ops.AlterField("Customer", "email", orm.CharField(max_length=100, unique=True)),
    ops.AlterField("Product", "sku", orm.CharField(max_length=20)),
    ops.AlterField("Product", "weight", orm.FloatField(null=True, index=True)),
]
