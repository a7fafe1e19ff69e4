"""The library's models as they are today; migrations/library/ records how they got here."""

from covet import orm


class Shelf(orm.Model):
    code = orm.CharField(max_length=10, unique=True)
    floor = orm.SmallIntegerField(default=0)


class Author(orm.Model):
    name = orm.CharField(max_length=100)


class Book(orm.Model):
    title = orm.CharField(max_length=200)
    year = orm.IntegerField(null=True)
    shelf_code = orm.CharField(max_length=10, null=True, index=True)
    isbn = orm.CharField(max_length=17)
    shelf = orm.ForeignKey(Shelf, on_delete=orm.SET_NULL, null=True, related_name="books")
    authors = orm.ManyToManyField(Author, related_name="books")

    class Meta:
        constraints = [orm.CheckConstraint(check=orm.Q(year__gte=1450), name="book_printed")]
