from covet import orm
from covet.migrate import ops

dependencies = []
initial = True

operations = [
    ops.CreateModel(
        "Product",
        fields=[
            ("id", orm.BigAutoField()),
            ("name", orm.CharField(max_length=50)),
            ("price", orm.DecimalField(max_digits=8, decimal_places=2)),
            ("stock", orm.IntegerField()),
            ("sku", orm.CharField(max_length=20, unique=True)),
            ("note", orm.CharField(max_length=100, null=True)),
        ],
        options={"indexes": [orm.Index(fields=["name"], name="product_by_name")]},
    ),
    ops.CreateModel(
        "Customer",
        fields=[
            ("id", orm.BigAutoField()),
            ("email", orm.CharField(max_length=100)),
            ("age", orm.SmallIntegerField(null=True)),
        ],
    ),
]
