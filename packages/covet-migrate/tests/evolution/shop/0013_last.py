from covet import orm
from covet.migrate import ops

dependencies = [("shop", "0012_data")]

operations = [
    ops.AlterField("Client", "id", orm.AutoField()),
    ops.DeleteModel("Client"),
    ops.AddField("Product", "ref", orm.UUIDField(null=True)),
]
