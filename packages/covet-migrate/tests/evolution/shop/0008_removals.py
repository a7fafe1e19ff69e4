from covet.migrate import ops

dependencies = [("shop", "0007_constraints")]

operations = [
    ops.RemoveConstraint("Product", "product_name_code"),
    ops.RemoveIndex("Product", "product_by_name"),
    ops.AlterUniqueTogether("Customer", []),
    ops.RemoveField("Product", "weight"),
]
