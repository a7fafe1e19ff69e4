from covet.migrate import ops

dependencies = [("shop", "0005_unique_index")]

operations = [
    ops.RenameField("Product", "note", "description"),
    ops.RenameField("Customer", "email", "email_address"),
]
