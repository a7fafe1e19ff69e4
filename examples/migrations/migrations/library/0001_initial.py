"""library: Create model Shelf, Create model Book"""

from covet import orm
from covet.migrate import ops

dependencies = []
initial = True

operations = [
    ops.CreateModel(
        "Shelf",
        fields=[
            ("id", orm.BigAutoField()),
            ("code", orm.CharField(max_length=10, unique=True)),
            ("floor", orm.SmallIntegerField(default=0)),
        ],
        options={
            "table_name": "shelf",
        },
    ),
    ops.CreateModel(
        "Book",
        fields=[
            ("id", orm.BigAutoField()),
            ("name", orm.CharField(max_length=200)),
            ("year", orm.IntegerField(null=True)),
            ("shelf_code", orm.CharField(max_length=10, null=True, index=True)),
        ],
        options={
            "table_name": "book",
        },
    ),
]
