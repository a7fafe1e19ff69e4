"""The Django side of ``compare.py``: the same tables as ``covet_models.py``."""

from django.db import models


class Pub(models.Model):
    name = models.CharField(max_length=20)

    class Meta:
        db_table = "rd_pub"
        ordering = ["-name"]


class Auth(models.Model):
    name = models.CharField(max_length=20)
    age = models.IntegerField()
    pub = models.ForeignKey(Pub, models.CASCADE, null=True, related_name="auths")

    class Meta:
        db_table = "rd_auth"
        ordering = ["id"]


class Tag(models.Model):
    name = models.CharField(max_length=20)

    class Meta:
        db_table = "rd_tag"
        ordering = ["id"]


class Bk(models.Model):
    title = models.CharField(max_length=20)
    pages = models.IntegerField()
    auth = models.ForeignKey(Auth, models.CASCADE, related_name="bks")
    ed = models.ForeignKey(Auth, models.SET_NULL, null=True, related_name="eds")
    tags = models.ManyToManyField(Tag, related_name="bks", db_table="rd_bk_tags")

    class Meta:
        db_table = "rd_bk"
        ordering = ["id"]
