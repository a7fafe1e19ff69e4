"""Models with every kind of relation covet-orm has, for the relation tests of covet.migrate:
foreign keys (to a non-integer key, to a unique field, to 'self', without a constraint, each
ON DELETE), a one-to-one, a cycle, many-to-many relations with a made join table (also to
'self') and with an explicit ``through`` model."""

from __future__ import annotations

from covet import orm


class Country(orm.Model):
    code = orm.CharField(max_length=2, primary_key=True)
    name = orm.CharField(max_length=50)


class Author(orm.Model):
    name = orm.CharField(max_length=50)
    country = orm.ForeignKey(Country, on_delete=orm.PROTECT, null=True, related_name="authors")


class Tag(orm.Model):
    name = orm.CharField(max_length=20, unique=True)


class Book(orm.Model):
    title = orm.CharField(max_length=100)
    author = orm.ForeignKey(Author, on_delete=orm.CASCADE, related_name="books")
    editor = orm.ForeignKey(
        "Author", on_delete=orm.SET_NULL, null=True, related_name="edited", db_column="ed"
    )
    tags = orm.ManyToManyField(Tag, related_name="books")

    class Meta:
        unique_together = [("author", "title")]


class Profile(orm.Model):
    author = orm.OneToOneField(Author, on_delete=orm.CASCADE)
    bio = orm.TextField(default="")


class Node(orm.Model):
    parent = orm.ForeignKey("self", on_delete=orm.SET_NULL, null=True, related_name="children")
    links = orm.ManyToManyField("self", related_name="linked_from")


class Shelf(orm.Model):
    favourite = orm.ForeignKey(
        "migrelations.Box", on_delete=orm.DO_NOTHING, null=True, related_name="+"
    )


class Box(orm.Model):
    shelf = orm.ForeignKey(Shelf, on_delete=orm.CASCADE, related_name="boxes")


class Label(orm.Model):
    tag = orm.ForeignKey(Tag, on_delete=orm.RESTRICT, to_field="name", related_name="labels")
    loose = orm.ForeignKey(
        Author, on_delete=orm.DO_NOTHING, db_constraint=False, null=True, related_name="+"
    )


class Person(orm.Model):
    name = orm.CharField(max_length=50)


class Group(orm.Model):
    members = orm.ManyToManyField(Person, through="migrelations.Membership", related_name="groups")


class Membership(orm.Model):
    person = orm.ForeignKey(Person, on_delete=orm.CASCADE, related_name="memberships")
    group = orm.ForeignKey(Group, on_delete=orm.CASCADE, related_name="memberships")
    role = orm.CharField(max_length=20, default="member")


MODELS = [Country, Author, Tag, Book, Profile, Node, Shelf, Box, Label, Person, Group, Membership]
