"""library: Add field isbn to Book, Create constraint book_printed on Book"""

from covet import orm
from covet.migrate import ops

dependencies = [("library", "0001_initial")]

operations = [
    ops.AddField("Book", "isbn", orm.CharField(max_length=17), fill=""),
    ops.AddConstraint(
        "Book", orm.CheckConstraint(check=orm.Q(year__gte=1450), name="book_printed")
    ),
]
