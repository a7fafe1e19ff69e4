from covet.migrate import ops

dependencies = [("stock", "0009_index_born")]

operations = [
    ops.AlterUniqueTogether("Item", [("title", "qty")]),
]
