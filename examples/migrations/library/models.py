"""The library's models as they are today; migrations/library/ records how they got here."""

from covet import orm


class Shelf(orm.Model):
    code = orm.CharField(max_length=10, unique=True)
    floor = orm.SmallIntegerField(default=0)


class Book(orm.Model):
    title = orm.CharField(max_length=200)
    year = orm.IntegerField(null=True)
    shelf_code = orm.CharField(max_length=10, null=True, index=True)
    isbn = orm.CharField(max_length=17)

    class Meta:
        constraints = [orm.CheckConstraint(check=orm.Q(year__gte=1450), name="book_printed")]
