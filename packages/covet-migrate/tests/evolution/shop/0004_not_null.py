from covet import orm
from covet.migrate import ops

dependencies = [("shop", "0003_alter_types")]

operations = [
    ops.AlterField("Customer", "age", orm.SmallIntegerField(), fill=0),
    ops.AlterField("Product", "note", orm.CharField(max_length=100), fill=""),
]
