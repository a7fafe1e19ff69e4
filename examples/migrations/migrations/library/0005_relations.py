"""library: Create model Author, Add field shelf to Book, Add field authors to Book"""

from covet import orm
from covet.migrate import ops

dependencies = [("library", "0004_normalise_isbn")]

operations = [
    ops.CreateModel(
        "Author",
        fields=[
            ("id", orm.BigAutoField()),
            ("name", orm.CharField(max_length=100)),
        ],
        options={
            "table_name": "author",
        },
    ),
    ops.AddField(
        "Book",
        "shelf",
        orm.ForeignKey("library.Shelf", on_delete=orm.SET_NULL, null=True, related_name="books"),
    ),
    ops.AddField("Book", "authors", orm.ManyToManyField("library.Author", related_name="books")),
]
