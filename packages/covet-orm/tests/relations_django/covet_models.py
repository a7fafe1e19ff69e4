"""The covet side of ``compare.py``."""

from covet import orm


class Pub(orm.Model):
    name = orm.CharField(max_length=20)

    class Meta:
        table_name = "rd_pub"
        ordering = ["-name"]


class Auth(orm.Model):
    name = orm.CharField(max_length=20)
    age = orm.IntegerField()
    pub = orm.ForeignKey(Pub, on_delete=orm.CASCADE, null=True, related_name="auths")

    class Meta:
        table_name = "rd_auth"
        ordering = ["id"]


class Tag(orm.Model):
    name = orm.CharField(max_length=20)

    class Meta:
        table_name = "rd_tag"
        ordering = ["id"]


class Bk(orm.Model):
    title = orm.CharField(max_length=20)
    pages = orm.IntegerField()
    auth = orm.ForeignKey(Auth, on_delete=orm.CASCADE, related_name="bks")
    ed = orm.ForeignKey(Auth, on_delete=orm.SET_NULL, null=True, related_name="eds")
    tags = orm.ManyToManyField(Tag, related_name="bks", db_table="rd_bk_tags")

    class Meta:
        table_name = "rd_bk"
        ordering = ["id"]
