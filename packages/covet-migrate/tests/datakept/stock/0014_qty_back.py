from covet import orm
from covet.migrate import ops

dependencies = [("stock", "0013_add_extra")]

operations = [
    ops.AlterField("Article", "qty", orm.IntegerField()),
]
