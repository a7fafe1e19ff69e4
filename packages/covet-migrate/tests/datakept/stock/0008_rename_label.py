from covet.migrate import ops

dependencies = [("stock", "0007_check_qty")]

operations = [
    ops.RenameField("Item", "label", "title"),
]
