from covet.migrate import ops

dependencies = [("shop", "0008_removals")]

operations = [
    ops.RenameModel("Customer", "Client"),
    ops.AlterModelTable("Product", "catalog_product"),
]
