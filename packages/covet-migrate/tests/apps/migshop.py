"""The models the migrations in tests/evolution/shop end at."""

from covet import orm


class Product(orm.Model):
    name = orm.CharField(max_length=120)
    price = orm.DecimalField(max_digits=12, decimal_places=3)
    stock = orm.BigIntegerField()
    sku = orm.CharField(max_length=20)
    description = orm.CharField(max_length=100)
    active = orm.BooleanField()
    code = orm.CharField(max_length=30, default="X")
    ref = orm.UUIDField(null=True)
    category = orm.ForeignKey("migshop.Section", on_delete=orm.CASCADE, related_name="products")
    tags = orm.ManyToManyField("migshop.Sticker", related_name="products")

    class Meta:
        table_name = "catalog_product"
        constraints = [orm.CheckConstraint(check=orm.Q(price__gte=0), name="product_price_ok")]


class Section(orm.Model):
    name = orm.CharField(max_length=40, unique=True)
    parent = orm.ForeignKey("self", on_delete=orm.CASCADE, null=True, related_name="children")

    class Meta:
        table_name = "section"


class Sticker(orm.Model):
    id = orm.AutoField()
    label = orm.CharField(max_length=20)
