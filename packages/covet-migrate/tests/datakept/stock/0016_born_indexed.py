from covet import orm
from covet.migrate import ops

dependencies = [("stock", "0015_code_text")]

operations = [
    ops.AlterField("Article", "born", orm.DateField(null=True, index=True)),
]
