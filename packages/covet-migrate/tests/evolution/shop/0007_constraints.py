from covet import orm
from covet.migrate import ops

dependencies = [("shop", "0006_rename_fields")]

operations = [
    ops.AddConstraint(
        "Product", orm.CheckConstraint(check=orm.Q(price__gte=0), name="product_price_ok")
    ),
    ops.AddConstraint(
        "Product", orm.UniqueConstraint(fields=["name", "code"], name="product_name_code")
    ),
    ops.AlterUniqueTogether("Customer", [("email_address", "age")]),
    ops.AddIndex("Customer", orm.Index(fields=["-age"], name="customer_age_desc")),
]
