from covet.migrate import ops

dependencies = [("stock", "0010_together")]

operations = [
    ops.RenameModel("Item", "Article"),
]
