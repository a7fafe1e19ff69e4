"""Models with every kind of relation covet-orm has, for the relation tests of covet.migrate:
foreign keys (to a non-integer key, to a unique field, to 'self', without a constraint, each
ON DELETE), a one-to-one, a cycle, many-to-many relations with a made join table (also to
'self') and with an explicit ``through`` model."""

from __future__ import annotations

from covet import orm


class RelCountry(orm.Model):
    code = orm.CharField(max_length=2, primary_key=True)
    name = orm.CharField(max_length=50)


class RelAuthor(orm.Model):
    name = orm.CharField(max_length=50)
    country = orm.ForeignKey(RelCountry, on_delete=orm.PROTECT, null=True, related_name="authors")


class RelTag(orm.Model):
    name = orm.CharField(max_length=20, unique=True)


class RelBook(orm.Model):
    title = orm.CharField(max_length=100)
    author = orm.ForeignKey(RelAuthor, on_delete=orm.CASCADE, related_name="books")
    editor = orm.ForeignKey(
        "RelAuthor", on_delete=orm.SET_NULL, null=True, related_name="edited", db_column="ed"
    )
    tags = orm.ManyToManyField(RelTag, related_name="books")

    class Meta:
        unique_together = [("author", "title")]


class RelProfile(orm.Model):
    author = orm.OneToOneField(RelAuthor, on_delete=orm.CASCADE)
    bio = orm.TextField(default="")


class RelNode(orm.Model):
    parent = orm.ForeignKey("self", on_delete=orm.SET_NULL, null=True, related_name="children")
    links = orm.ManyToManyField("self", related_name="linked_from")


class RelShelf(orm.Model):
    favourite = orm.ForeignKey(
        "migrelations.RelBox", on_delete=orm.DO_NOTHING, null=True, related_name="+"
    )


class RelBox(orm.Model):
    shelf = orm.ForeignKey(RelShelf, on_delete=orm.CASCADE, related_name="boxes")


class RelLabel(orm.Model):
    tag = orm.ForeignKey(RelTag, on_delete=orm.RESTRICT, to_field="name", related_name="labels")
    loose = orm.ForeignKey(
        RelAuthor, on_delete=orm.DO_NOTHING, db_constraint=False, null=True, related_name="+"
    )


class RelPerson(orm.Model):
    name = orm.CharField(max_length=50)


class RelGroup(orm.Model):
    members = orm.ManyToManyField(
        RelPerson, through="migrelations.RelMembership", related_name="groups"
    )


class RelMembership(orm.Model):
    person = orm.ForeignKey(RelPerson, on_delete=orm.CASCADE, related_name="memberships")
    group = orm.ForeignKey(RelGroup, on_delete=orm.CASCADE, related_name="memberships")
    role = orm.CharField(max_length=20, default="member")


MODELS = [
    RelCountry,
    RelAuthor,
    RelTag,
    RelBook,
    RelProfile,
    RelNode,
    RelShelf,
    RelBox,
    RelLabel,
    RelPerson,
    RelGroup,
    RelMembership,
]
