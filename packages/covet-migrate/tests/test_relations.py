"""Relations through migrations: foreign keys, one-to-one, cycles and many-to-many join tables
are written with model labels, created in an order the database accepts, enforced, and leave
no drift; up/down/up at every step of an evolution gives identical catalogs."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import migrelations
import pytest

from covet.migrate import MigrationManager, QuestionNeeded
from covet.orm import Database, IntegrityError


def test_relation_models_round_trip(db: Database, tmp_path: Path) -> None:
    manager = MigrationManager(db, apps=["migrelations"], directory=tmp_path / "migrations")
    (path,) = manager.make()
    source = path.read_text()
    assert 'orm.ForeignKey("migrelations.RelAuthor", on_delete=orm.CASCADE' in source
    assert 'orm.ManyToManyField("migrelations.RelTag", related_name="books")' in source
    # the cycle: RelShelf is created first, its foreign key added once RelBox exists
    assert 'ops.AddField("RelShelf", "favourite", orm.ForeignKey("migrelations.RelBox"' in source
    assert manager.changes() == {}, "make right after make must find nothing"

    assert manager.upgrade() == ["migrelations:0001_initial"]
    assert manager.check_database() == []
    assert manager.changes() == {}
    catalog = manager.introspect()
    tables = {m._meta.table_name for m in migrelations.MODELS} | {"rel_book_tags", "rel_node_links"}
    assert set(catalog) == tables
    assert catalog["rel_book"].foreign_keys == {
        (("author_id",), "rel_author", ("id",), "CASCADE"),
        (("ed",), "rel_author", ("id",), "SET NULL"),
    }
    label_fks = {(("tag_id",), "rel_tag", ("name",), "NO ACTION")}
    assert catalog["rel_label"].foreign_keys == label_fks
    shelf_fks = {(("favourite_id",), "rel_box", ("id",), "NO ACTION")}
    assert catalog["rel_shelf"].foreign_keys == shelf_fks
    assert catalog["rel_book_tags"].foreign_keys == {
        (("relbook_id",), "rel_book", ("id",), "CASCADE"),
        (("reltag_id",), "rel_tag", ("id",), "CASCADE"),
    }
    country = catalog["rel_country"].columns["code"].type
    assert catalog["rel_author"].columns["country_id"].type == country

    # the database enforces them
    p = db.param
    db.execute(f"INSERT INTO rel_author (name) VALUES ({p(1)})", ["a"])
    with pytest.raises(IntegrityError):
        db.execute(f"INSERT INTO rel_book (title, author_id) VALUES ({p(1)}, {p(2)})", ["t", 99])
    with pytest.raises(IntegrityError):  # a one-to-one is unique
        db.execute("INSERT INTO rel_profile (author_id, bio) VALUES (1, ''), (1, '')")

    assert manager.downgrade("zero") == ["migrelations:0001_initial"]
    assert manager.introspect() == {}
    manager.upgrade()
    assert manager.introspect() == catalog


STEPS = {
    "0001_initial": """
        operations = [
            ops.CreateModel("Team", fields=[
                ("id", orm.BigAutoField()),
                ("name", orm.CharField(max_length=20)),
            ]),
            ops.CreateModel("Player", fields=[
                ("id", orm.BigAutoField()),
                ("team", orm.ForeignKey("club.Team", on_delete=orm.SET_NULL, null=True)),
                ("friends", orm.ManyToManyField("self")),
            ]),
        ]
    """,
    "0002_skills": """
        operations = [
            ops.CreateModel("Skill", fields=[("id", orm.BigAutoField())]),
            ops.AddField("Player", "skills", orm.ManyToManyField("club.Skill")),
            ops.AlterField(
                "Player", "team", orm.ForeignKey("club.Team", on_delete=orm.CASCADE, null=True)
            ),
        ]
    """,
    "0003_rename_team": """
        operations = [ops.RenameModel("Team", "Squad")]
    """,
    "0004_rename_skill": """
        operations = [ops.RenameModel("Skill", "Talent"), ops.AlterModelTable("Squad", "squads")]
    """,
    "0005_coach": """
        operations = [
            ops.AddField(
                "Player", "coach",
                orm.ForeignKey("club.Player", on_delete=orm.PROTECT), fill=1,
            ),
            ops.RenameField("Player", "skills", "talents"),
        ]
    """,
    "0006_drop": """
        operations = [ops.RemoveField("Player", "talents"), ops.RemoveField("Player", "friends")]
    """,
}


def _write(folder: Path, steps: dict[str, str]) -> None:
    folder.mkdir(exist_ok=True)
    (folder / "__init__.py").write_text("")
    previous = None
    for name, body in steps.items():
        deps = f"[('club', {previous!r})]" if previous else "[]"
        source = f"from covet import orm\nfrom covet.migrate import ops\ndependencies = {deps}\n"
        (folder / f"{name}.py").write_text(source + textwrap.dedent(body))
        previous = name


def test_relation_evolution(db: Database, tmp_path: Path) -> None:
    _write(tmp_path / "club", STEPS)
    manager = MigrationManager(db, apps={"club": "x"}, directory=tmp_path)
    p = db.param
    catalogs = [manager.introspect()]
    for name in STEPS:
        manager.upgrade(f"club:{name}")
        catalog = manager.introspect()
        assert manager.check_database() == [], name
        manager.downgrade(steps=1)
        assert manager.introspect() == catalogs[-1], name
        manager.upgrade(f"club:{name}")
        assert manager.introspect() == catalog, name
        catalogs.append(catalog)
        if name == "0001_initial":
            assert set(catalog) == {"team", "player", "player_friends"}
            db.execute(f"INSERT INTO team (id, name) VALUES ({p(1)}, {p(2)})", [1, "a"])
            db.execute(f"INSERT INTO player (id, team_id) VALUES ({p(1)}, {p(2)})", [1, 1])
            db.execute(f"INSERT INTO player (id, team_id) VALUES ({p(1)}, {p(2)})", [2, 1])
            db.execute("INSERT INTO player_friends (from_player_id, to_player_id) VALUES (1, 2)")
        elif name == "0002_skills":
            assert catalog["player_skills"].foreign_keys == {
                (("player_id",), "player", ("id",), "CASCADE"),
                (("skill_id",), "skill", ("id",), "CASCADE"),
            }
            assert catalog["player"].foreign_keys == {(("team_id",), "team", ("id",), "CASCADE")}
            db.execute(f"INSERT INTO skill (id) VALUES ({p(1)})", [7])
            db.execute("INSERT INTO player_skills (player_id, skill_id) VALUES (1, 7)")
        elif name == "0003_rename_team":
            assert "team" not in catalog
            assert catalog["player"].foreign_keys == {(("team_id",), "squad", ("id",), "CASCADE")}
        elif name == "0004_rename_skill":
            # the join table's column follows the model's new name
            assert catalog["player_skills"].foreign_keys == {
                (("player_id",), "player", ("id",), "CASCADE"),
                (("talent_id",), "talent", ("id",), "CASCADE"),
            }
            assert catalog["player"].foreign_keys == {(("team_id",), "squads", ("id",), "CASCADE")}
            rows = db.fetch_all("SELECT player_id, talent_id FROM player_skills")
            assert rows == [{"player_id": 1, "talent_id": 7}]
            with pytest.raises(IntegrityError):
                db.execute("INSERT INTO player_skills (player_id, talent_id) VALUES (1, 99)")
        elif name == "0005_coach":
            rows = db.fetch_all("SELECT id, coach_id FROM player ORDER BY id")
            assert rows == [{"id": 1, "coach_id": 1}, {"id": 2, "coach_id": 1}]
            assert "player_talents" in catalog and "player_skills" not in catalog
            assert db.fetch_all("SELECT talent_id FROM player_talents") == [{"talent_id": 7}]
        else:
            assert set(catalog) == {"squads", "player", "talent"}
        assert db.fetch_one("SELECT COUNT(*) AS n FROM player") == {"n": 2}, name
    manager.downgrade("club:zero")
    assert manager.introspect() == {}


RETYPE = {
    "0001_initial": """
        operations = [
            ops.CreateModel("Team", fields=[("id", orm.BigAutoField())]),
            ops.CreateModel("Player", fields=[
                ("id", orm.BigAutoField()),
                ("team", orm.ForeignKey("club.Team", on_delete=orm.CASCADE, null=True)),
                ("mentor", orm.ForeignKey("self", on_delete=orm.SET_NULL, null=True)),
                ("friends", orm.ManyToManyField("self")),
            ]),
            ops.CreateModel("Fan", fields=[
                ("id", orm.BigAutoField()),
                ("teams", orm.ManyToManyField("club.Team")),
            ]),
        ]
    """,
    "0002_team_key": """
        operations = [ops.AlterField("Team", "id", orm.AutoField())]
    """,
    "0003_player_key": """
        operations = [ops.AlterField("Player", "id", orm.AutoField())]
    """,
}


def test_referenced_key_type_change_cascades(db: Database, tmp_path: Path) -> None:
    """A key that foreign keys (and join tables) reference changes type: they follow, with their
    constraints, on every database."""
    _write(tmp_path / "club", RETYPE)
    manager = MigrationManager(db, apps={"club": "x"}, directory=tmp_path)
    catalogs = [manager.introspect()]
    for name in RETYPE:
        manager.upgrade(f"club:{name}")
        catalog = manager.introspect()
        assert manager.check_database() == [], name
        manager.downgrade(steps=1)
        assert manager.introspect() == catalogs[-1], name
        manager.upgrade(f"club:{name}")
        assert manager.introspect() == catalog, name
        catalogs.append(catalog)
        if name == "0001_initial":
            db.execute("INSERT INTO team (id) VALUES (1)")
            db.execute("INSERT INTO player (id, team_id, mentor_id) VALUES (1, 1, NULL)")
            db.execute("INSERT INTO player (id, team_id, mentor_id) VALUES (2, 1, 1)")
            db.execute("INSERT INTO player_friends (from_player_id, to_player_id) VALUES (1, 2)")
            db.execute("INSERT INTO fan (id) VALUES (1)")
            db.execute("INSERT INTO fan_teams (fan_id, team_id) VALUES (1, 1)")

        def retyped(table: str, column: str, now: Any = catalog) -> bool:
            first = catalogs[1][table].columns[column].type
            return bool(now[table].columns[column].type != first)

        # the drift check above compares every column with the state; here: they did change
        team_changed, player_changed = name != "0001_initial", name == "0003_player_key"
        assert retyped("player", "team_id") == team_changed, name
        assert retyped("fan_teams", "team_id") == team_changed, name
        assert retyped("player", "mentor_id") == player_changed, name
        assert retyped("player_friends", "from_player_id") == player_changed, name
        assert retyped("player_friends", "to_player_id") == player_changed, name
        assert not retyped("fan_teams", "fan_id"), name
        assert catalog["player"].foreign_keys == catalogs[1]["player"].foreign_keys, name
        assert catalog["fan_teams"].foreign_keys == catalogs[1]["fan_teams"].foreign_keys, name
        rows = db.fetch_all("SELECT id, team_id, mentor_id FROM player ORDER BY id")
        assert rows == [
            {"id": 1, "team_id": 1, "mentor_id": None},
            {"id": 2, "team_id": 1, "mentor_id": 1},
        ], name
        with pytest.raises(IntegrityError):
            db.execute("INSERT INTO fan_teams (fan_id, team_id) VALUES (1, 99)")
    manager.downgrade("club:zero")
    assert manager.introspect() == {}


def test_not_null_foreign_key_asks_for_an_existing_id(tmp_path: Path) -> None:
    import sys
    import types

    from covet import orm

    module = types.ModuleType("migrel_nn")
    sys.modules["migrel_nn"] = module

    class Owner(orm.Model):
        __module__ = "migrel_nn"

    class Pet(orm.Model):
        __module__ = "migrel_nn"

    module.Owner, module.Pet = Owner, Pet
    db = Database(f"sqlite:///{tmp_path / 'a.db'}", default=False)
    try:
        manager = MigrationManager(db, apps=["migrel_nn"], directory=tmp_path / "m")
        manager.make()

        class Pet2(orm.Model):
            __module__ = "migrel_nn"
            __qualname__ = "Pet"
            owner = orm.ForeignKey(Owner, on_delete=orm.CASCADE)

            class Meta:
                table_name = "pet"

        Pet2.__name__ = "Pet"
        module.Pet = Pet2
        with pytest.raises(QuestionNeeded) as info:
            manager.changes()
        message = str(info.value)
        assert "migrel_nn.Pet.owner is added as NOT NULL" in message
        assert "--default Pet.owner=ID (the primary key of an existing migrel_nn.Owner row)" in (
            message
        )
        import io

        from covet.migrate import Questioner

        out = io.StringIO()
        asked = Questioner(interactive=True, stdin=io.StringIO("\n7\n"), stdout=out)
        (op,) = manager.changes(asked)["migrel_nn"]
        assert op.fill == 7  # an empty answer asks again
        prompt = (
            "migrel_nn.Pet.owner is added as NOT NULL without a default. Value for existing "
            "rows (the primary key of an existing migrel_nn.Owner row, e.g. 1): "
        )
        assert out.getvalue().count(prompt) == 2
        (path,) = manager.make(defaults={"Pet.owner": "1"})
        assert 'ops.AddField("Pet", "owner", orm.ForeignKey("migrel_nn.Owner"' in path.read_text()
        assert "fill=1" in path.read_text()
    finally:
        db.close()
        del sys.modules["migrel_nn"]


DATA = """
    def forwards(models, db):
        Team, Player = models["club.Team"], models["club.Player"]
        team = Team.objects.create(name="red")
        one, two = Player.objects.create(team=team), Player.objects.create(team=team)
        one.friends.add(two)
        assert team.player_set.count() == 2
        assert Player.objects.filter(team__name="red").count() == 2
        assert [p.id for p in one.friends.all()] == [two.id]
        assert Player.objects.select_related("team").get(id=two.id).team.name == "red"

    def backwards(models, db):
        Team, Player = models["club.Team"], models["club.Player"]
        assert Player.objects.filter(friends__isnull=False).count() == 1
        Team.objects.all().delete()  # ON DELETE SET NULL
        assert Player.objects.filter(team__isnull=True).count() == 2
        Player.objects.all().delete()  # their join rows go with them

    operations = [ops.RunPython(forwards, backwards)]
"""

ASYNC_DATA = """
    async def forwards(models, db):
        Team, Player = models["club.Team"], models["club.Player"]
        team = await Team.objects.acreate(name="red")
        one = await Player.objects.acreate(team=team)
        two = await Player.objects.acreate(team=team)
        await one.friends.aadd(two)
        assert await team.player_set.acount() == 2

    async def backwards(models, db):
        Team, Player = models["club.Team"], models["club.Player"]
        assert await Player.objects.filter(friends__isnull=False).acount() == 1
        await Team.objects.all().adelete()
        await Player.objects.all().adelete()

    operations = [ops.RunPython(forwards, backwards)]
"""


def test_run_python_gets_historical_relations(db: Database, tmp_path: Path) -> None:
    _write(tmp_path / "club", {"0001_initial": STEPS["0001_initial"], "0002_data": DATA})
    manager = MigrationManager(db, apps={"club": "x"}, directory=tmp_path)
    manager.upgrade()
    assert db.fetch_one("SELECT COUNT(*) AS n FROM player_friends") == {"n": 1}
    manager.downgrade(steps=1)
    assert db.fetch_one("SELECT COUNT(*) AS n FROM player") == {"n": 0}
    assert db.fetch_one("SELECT COUNT(*) AS n FROM player_friends") == {"n": 0}


async def test_async_run_python_gets_historical_relations(tmp_path: Path) -> None:
    _write(tmp_path / "club", {"0001_initial": STEPS["0001_initial"], "0002_data": ASYNC_DATA})
    db = Database(f"sqlite:///{tmp_path / 'a.db'}", default=False)
    try:
        manager = MigrationManager(db, apps={"club": "x"}, directory=tmp_path)
        await manager.aupgrade()
        assert await db.afetch_one("SELECT COUNT(*) AS n FROM player_friends") == {"n": 1}
        await manager.adowngrade(steps=1)
        assert await db.afetch_one("SELECT COUNT(*) AS n FROM player") == {"n": 0}
        assert await db.afetch_one("SELECT COUNT(*) AS n FROM player_friends") == {"n": 0}
    finally:
        await db.aclose()


def test_relation_to_another_app_depends_on_its_migration(tmp_path: Path) -> None:
    import sys
    import types

    from covet import orm

    modules = {}
    for name in ("migrel_people", "migrel_posts"):
        modules[name] = sys.modules[name] = types.ModuleType(name)

    class Person(orm.Model):
        __module__ = "migrel_people"

    class Post(orm.Model):
        __module__ = "migrel_posts"
        by = orm.ForeignKey(Person, on_delete=orm.CASCADE)

    db = Database(f"sqlite:///{tmp_path / 'a.db'}", default=False)
    try:
        # listed after the app it needs: still written after it, and depending on it
        manager = MigrationManager(
            db, apps=["migrel_posts", "migrel_people"], directory=tmp_path / "m"
        )
        paths = manager.make()
        assert [p.parent.name for p in paths] == ["migrel_people", "migrel_posts"]
        posts = paths[1].read_text()
        assert 'dependencies = [("migrel_people", "0001_initial")]' in posts
        assert 'orm.ForeignKey("migrel_people.Person", on_delete=orm.CASCADE)' in posts
        manager.upgrade()
        assert manager.check_database() == []
        assert manager.changes() == {}
    finally:
        db.close()
        for name in modules:
            del sys.modules[name]


def test_squash_keeps_relations_and_the_renames_they_name(tmp_path: Path) -> None:
    _write(tmp_path / "club", STEPS)
    dbs = [Database(f"sqlite:///{tmp_path / f'{n}.db'}", default=False) for n in "ab"]
    try:
        original = MigrationManager(dbs[0], apps={"club": "x"}, directory=tmp_path)
        original.upgrade()
        squashed_file = original.squash("club", "0006_drop")
        source = squashed_file.read_text()
        assert 'ops.RenameModel("Team", "Squad")' in source  # Player.team names club.Team
        for name in STEPS:
            (tmp_path / "club" / f"{name}.py").unlink()
        squashed = MigrationManager(dbs[1], apps={"club": "x"}, directory=tmp_path)
        squashed.upgrade()
        assert squashed.check_database() == []
        assert squashed.introspect() == original.introspect()
    finally:
        for db in dbs:
            db.close()


def test_autodetector_sees_relation_changes() -> None:
    from covet import orm
    from covet.migrate import Autodetector, ProjectState, ops

    class Author(orm.Model):
        __module__ = "migrel_v1"

    class Tag(orm.Model):
        __module__ = "migrel_v1"

    class Book(orm.Model):
        __module__ = "migrel_v1"
        author = orm.ForeignKey(Author, on_delete=orm.CASCADE)
        tags = orm.ManyToManyField(Tag)

    v1 = ProjectState.from_models({"lib": [Author, Tag, Book]})

    class Author2(orm.Model):
        __module__ = "migrel_v2"
        __qualname__ = "Author"

        class Meta:
            table_name = "author"

    class Tag2(orm.Model):
        __module__ = "migrel_v2"
        __qualname__ = "Tag"

        class Meta:
            table_name = "tag"

    class Book2(orm.Model):
        __module__ = "migrel_v2"
        __qualname__ = "Book"
        author = orm.ForeignKey(Author2, on_delete=orm.SET_NULL, null=True)
        labels = orm.ManyToManyField(Tag2)
        editor = orm.ForeignKey(Tag2, on_delete=orm.CASCADE, null=True, related_name="+")

        class Meta:
            table_name = "book"

    for model in (Author2, Tag2, Book2):
        model.__name__ = model.__qualname__
    v2 = ProjectState.from_models({"lib": [Author2, Tag2, Book2]})
    # the same state again: nothing to do
    assert (
        Autodetector(v1, ProjectState.from_models({"lib": [Author, Tag, Book]})).changes(["lib"])
        == {}
    )
    detector = Autodetector(v1, v2)
    changes = detector.changes(["lib"])["lib"]
    assert [type(op) for op in changes] == [
        ops.RemoveField, ops.AddField, ops.AddField, ops.AlterField
    ]  # fmt: skip
    removed, added_editor, added_labels, altered = changes
    assert (removed.model_name, removed.name) == ("Book", "tags")
    assert added_labels.name == "labels" and isinstance(added_labels.field, orm.ManyToManyField)
    assert added_labels.field.to == "lib.Tag"
    assert added_editor.name == "editor" and added_editor.field.to == "lib.Tag"
    assert altered.name == "author" and altered.field.on_delete is orm.SET_NULL
    # the removed and added many-to-many relations may be a rename: make says how to answer
    assert any("--rename Book.tags=labels" in note for note in detector.notes)


def test_switching_a_join_table_to_a_through_model_is_refused() -> None:
    """Its rows would stay in the old table: make refuses and says what to write instead."""
    from covet import orm
    from covet.migrate import Autodetector, MigrationError, ProjectState

    class Tag(orm.Model):
        __module__ = "migrel_switch_v1"

    class Post(orm.Model):
        __module__ = "migrel_switch_v1"
        tags = orm.ManyToManyField(Tag)

    v1 = ProjectState.from_models({"sw": [Tag, Post]})

    class Tag2(orm.Model):
        __module__ = "migrel_switch_v2"
        __qualname__ = "Tag"

        class Meta:
            table_name = "tag"

    class Post2(orm.Model):
        __module__ = "migrel_switch_v2"
        __qualname__ = "Post"
        tags = orm.ManyToManyField(Tag2, through="Tagging")

        class Meta:
            table_name = "post"

    class Tagging(orm.Model):
        __module__ = "migrel_switch_v2"
        post = orm.ForeignKey(Post2, on_delete=orm.CASCADE)
        tag = orm.ForeignKey(Tag2, on_delete=orm.CASCADE)
        weight = orm.IntegerField(default=0)

    for model in (Tag2, Post2):
        model.__name__ = model.__qualname__
    v2 = ProjectState.from_models({"sw": [Tag2, Post2, Tagging]})
    with pytest.raises(MigrationError, match=r"sw\.Post\.tags switches .* through= .*RunPython"):
        Autodetector(v1, v2).changes(["sw"])


RENAME_SOURCE = {
    "0001_initial": """
        operations = [
            ops.CreateModel("Tag", fields=[("id", orm.BigAutoField())]),
            ops.CreateModel("Post", fields=[
                ("id", orm.BigAutoField()),
                ("tags", orm.ManyToManyField("club.Tag")),
                ("links", orm.ManyToManyField("self")),
            ]),
        ]
    """,
    "0002_rename": """
        operations = [ops.RenameModel("Post", "Article")]
    """,
}


def test_renaming_a_model_renames_its_join_tables(db: Database, tmp_path: Path) -> None:
    _write(tmp_path / "club", RENAME_SOURCE)
    manager = MigrationManager(db, apps={"club": "x"}, directory=tmp_path)
    manager.upgrade("club:0001_initial")
    db.execute("INSERT INTO tag (id) VALUES (1)")
    db.execute("INSERT INTO post (id) VALUES (1), (2)")
    db.execute("INSERT INTO post_tags (post_id, tag_id) VALUES (1, 1)")
    db.execute("INSERT INTO post_links (from_post_id, to_post_id) VALUES (1, 2)")
    before = manager.introspect()
    manager.upgrade()
    catalog = manager.introspect()
    assert manager.check_database() == []
    assert set(catalog) == {"tag", "article", "article_tags", "article_links"}
    assert catalog["article_tags"].foreign_keys == {
        (("article_id",), "article", ("id",), "CASCADE"),
        (("tag_id",), "tag", ("id",), "CASCADE"),
    }
    links = db.fetch_all("SELECT from_article_id, to_article_id FROM article_links")
    assert links == [{"from_article_id": 1, "to_article_id": 2}]
    assert db.fetch_all("SELECT article_id FROM article_tags") == [{"article_id": 1}]
    manager.downgrade(steps=1)
    assert manager.introspect() == before
    assert db.fetch_all("SELECT post_id FROM post_tags") == [{"post_id": 1}]


def test_a_relation_to_a_model_outside_the_apps_is_refused(tmp_path: Path) -> None:
    import sys
    import types

    from covet import orm
    from covet.migrate import MigrationError

    sys.modules["migrel_inside"] = types.ModuleType("migrel_inside")

    class Outside(orm.Model):
        __module__ = "migrel_outside"

    class Inside(orm.Model):
        __module__ = "migrel_inside"
        other = orm.ForeignKey(Outside, on_delete=orm.CASCADE)

    db = Database(f"sqlite:///{tmp_path / 'a.db'}", default=False)
    try:
        manager = MigrationManager(db, apps=["migrel_inside"], directory=tmp_path / "m")
        with pytest.raises(
            MigrationError, match=r"migrel_outside\.Outside, which is in no migrated"
        ):
            manager.make()
    finally:
        db.close()
        del sys.modules["migrel_inside"]
