"""App 'customers' (referenced by 'orders')."""

from covet import orm


class Customer(orm.Model):
    name = orm.CharField(max_length=40)
