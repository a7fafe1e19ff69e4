from covet import orm
from covet.migrate import ops

dependencies = []

operations = [
    ops.CreateModel(
        "Item",
        fields=[
            ("id", orm.BigAutoField()),
            ("label", orm.CharField(max_length=20)),
            ("qty", orm.IntegerField()),
            ("price", orm.DecimalField(max_digits=8, decimal_places=2)),
            ("flag", orm.BooleanField(default=False)),
            ("born", orm.DateField(null=True)),
            ("code", orm.CharField(max_length=5, null=True)),
        ],
    ),
]
