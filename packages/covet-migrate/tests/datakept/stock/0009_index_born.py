from covet import orm
from covet.migrate import ops

dependencies = [("stock", "0008_rename_label")]

operations = [
    ops.AddIndex("Item", orm.Index(fields=["born", "-qty"], name="item_born_qty")),
]
