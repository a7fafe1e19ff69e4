"""App 'orders' references the 'customers' app's table (cross-app dependency test)."""

from migrefs import RefField

from covet import orm


class Order(orm.Model):
    customer = RefField("customer", null=True)
    total = orm.IntegerField(default=0)
