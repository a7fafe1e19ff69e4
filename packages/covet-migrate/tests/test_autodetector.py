"""The autodetector and the writer, offline: what each model change becomes, renames never
guessed, one-off defaults asked for, and written files that load back to the same state."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest

from covet import orm
from covet.migrate import Autodetector, ModelState, ProjectState, Questioner, QuestionNeeded
from covet.migrate._loader import load_file
from covet.migrate._state import field_key
from covet.migrate._writer import write_migration
from covet.migrate.operations import (
    AddConstraint,
    AddField,
    AddIndex,
    AlterField,
    AlterModelTable,
    AlterUniqueTogether,
    CreateModel,
    DeleteModel,
    RemoveConstraint,
    RemoveField,
    RemoveIndex,
    RenameField,
    RenameModel,
)


def state(*models: ModelState) -> ProjectState:
    out = ProjectState()
    for model in models:
        out.add(model)
    return out


def author(**changes: Any) -> ModelState:
    fields = changes.pop(
        "fields",
        [
            ("id", orm.BigAutoField()),
            ("name", orm.CharField(max_length=50)),
            ("age", orm.IntegerField(null=True)),
        ],
    )
    return ModelState("blog", changes.pop("name", "Author"), fields, **changes)


def detect(before: ProjectState, after: ProjectState, **kw: Any) -> list[Any]:
    return Autodetector(before, after, Questioner(**kw)).app_changes("blog")


def kinds(ops: list[Any]) -> list[str]:
    return [type(op).__name__ for op in ops]


def test_create_and_delete_models() -> None:
    ops = detect(state(), state(author()))
    assert kinds(ops) == ["CreateModel"]
    assert isinstance(ops[0], CreateModel) and ops[0].options == {"table_name": "author"}
    assert kinds(detect(state(author()), state())) == ["DeleteModel"]
    assert detect(state(author()), state(author())) == []


def test_field_changes() -> None:
    base = author()
    wider = author(
        fields=[
            ("id", orm.BigAutoField()),
            ("name", orm.CharField(max_length=80)),
            ("email", orm.EmailField(null=True)),
        ]
    )
    ops = detect(state(base), state(wider))
    assert kinds(ops) == ["RemoveField", "AddField", "AlterField"]
    assert [getattr(op, "name", None) for op in ops] == ["age", "email", "name"]


def test_not_null_without_default_needs_a_value() -> None:
    base = author()
    more = author(fields=[*base.fields.items(), ("score", orm.IntegerField())])
    with pytest.raises(QuestionNeeded, match=r"--default Author.score=VALUE"):
        detect(state(base), state(more))
    (op,) = detect(state(base), state(more), defaults={"Author.score": "7"})
    assert isinstance(op, AddField) and op.fill == 7
    # a default on the field is enough
    defaulted = author(fields=[*base.fields.items(), ("score", orm.IntegerField(default=1))])
    (op,) = detect(state(base), state(defaulted))
    assert isinstance(op, AddField) and op.fill is orm._fields.NOT_PROVIDED  # type: ignore[attr-defined]
    # making a column NOT NULL asks too
    strict = author(
        fields=[
            ("id", orm.BigAutoField()),
            ("name", orm.CharField(max_length=50)),
            ("age", orm.IntegerField()),
        ]
    )
    with pytest.raises(QuestionNeeded, match="becomes NOT NULL"):
        detect(state(base), state(strict))
    (op,) = detect(state(base), state(strict), defaults={"blog:Author.age": "0"})
    assert isinstance(op, AlterField) and op.fill == 0


def test_renames_are_asked_never_guessed() -> None:
    base = author()
    renamed = author(
        fields=[
            ("id", orm.BigAutoField()),
            ("full_name", orm.CharField(max_length=50)),
            ("age", orm.IntegerField(null=True)),
        ]
    )
    with pytest.raises(QuestionNeeded, match=r"pass --rename Author\.name=full_name"):
        detect(state(base), state(renamed))
    questioner = Questioner(defaults={"Author.full_name": "''"})
    detector = Autodetector(state(base), state(renamed), questioner)
    assert kinds(detector.app_changes("blog")) == ["RemoveField", "AddField"]
    assert detector.notes == [
        "blog.Author.name removed and full_name added; if it was a rename, "
        "pass --rename Author.name=full_name"
    ]
    ops = detect(state(base), state(renamed), renames={"Author.name": "full_name"})
    assert kinds(ops) == ["RenameField"]
    # at a terminal, the question is asked
    out = io.StringIO()
    questioner = Questioner(interactive=True, stdin=io.StringIO("y\n"), stdout=out)
    ops = Autodetector(state(base), state(renamed), questioner).app_changes("blog")
    assert kinds(ops) == ["RenameField"]
    assert "Was the field blog.Author.name renamed to full_name? [y/N]" in out.getvalue()
    # models
    writer = author(name="Writer")
    assert kinds(detect(state(base), state(writer))) == ["CreateModel", "DeleteModel"]
    ops = detect(state(base), state(writer), renames={"Author": "Writer"})
    assert kinds(ops) == ["RenameModel"]
    assert isinstance(ops[0], RenameModel)
    assert writer.table_name == "writer"


def test_table_options() -> None:
    base = author(
        indexes=[orm.Index(fields=["name"], name="by_name")],
        constraints=[orm.CheckConstraint(check=orm.Q(age__gte=0), name="age_ok")],
    )
    changed = author(
        table_name="writers",
        indexes=[orm.Index(fields=["-age"])],
        unique_together=[("name", "age")],
        constraints=[
            orm.CheckConstraint(check=orm.Q(age__gte=1), name="age_ok"),
            orm.UniqueConstraint(fields=["name"], name="one_name"),
        ],
    )
    ops = detect(state(base), state(changed))
    assert kinds(ops) == [
        "AlterModelTable", "RemoveConstraint", "RemoveIndex", "AlterUniqueTogether",
        "AddIndex", "AddConstraint", "AddConstraint",
    ]  # fmt: skip
    assert isinstance(ops[0], AlterModelTable) and ops[0].table_name == "writers"
    assert isinstance(ops[1], RemoveConstraint) and ops[1].name == "age_ok"
    assert isinstance(ops[2], RemoveIndex) and ops[2].name == "by_name"
    assert isinstance(ops[3], AlterUniqueTogether)
    assert isinstance(ops[4], AddIndex) and ops[4].index.fields == ["-age"]
    assert isinstance(ops[5], AddConstraint)
    # equal Q trees, however they were spelled, are no change
    same = author(
        indexes=[orm.Index(fields=["name"], name="by_name")],
        constraints=[orm.CheckConstraint(check=orm.Q(orm.Q(age__gte=0)), name="age_ok")],
    )
    assert detect(state(base), state(same)) == []


def test_removing_an_indexed_field_drops_the_index_first() -> None:
    base = author(indexes=[orm.Index(fields=["age", "name"])], unique_together=[("name", "age")])
    smaller = author(fields=[("id", orm.BigAutoField()), ("name", orm.CharField(max_length=50))])
    ops = detect(state(base), state(smaller))
    assert kinds(ops) == ["RemoveIndex", "AlterUniqueTogether", "RemoveField"]
    assert isinstance(ops[0], RemoveIndex) and ops[0].fields == ["age", "name"]


def test_written_migrations_load_back(tmp_path: Path) -> None:
    import migcorpus

    target = ProjectState.from_models({"migcorpus": migcorpus.MODELS})
    ops = Autodetector(ProjectState(), target).app_changes("migcorpus")
    path = tmp_path / "0001_initial.py"
    path.write_text(write_migration(ops, [], initial=True, header="corpus"))
    migration = load_file("migcorpus", path)
    assert migration.initial and migration.dependencies == []
    rebuilt = ProjectState()
    for op in migration.operations:
        op.state_forwards("migcorpus", rebuilt)
    assert set(rebuilt.models) == set(target.models)
    for key, model in target.models.items():
        again = rebuilt.models[key]
        assert again.options_key() == model.options_key()
        assert {n: field_key(f) for n, f in again.fields.items()} == {
            n: field_key(f) for n, f in model.fields.items()
        }
    assert Autodetector(rebuilt, target).app_changes("migcorpus") == []


def test_unwritable_values_are_refused() -> None:
    from covet.migrate._writer import SerializationError

    op = AddField("Author", "x", orm.IntegerField(default=lambda: 1))
    with pytest.raises(SerializationError, match="not importable"):
        write_migration([op], [])
    assert isinstance(op, AddField)
    assert not isinstance(op, DeleteModel | RemoveField | RenameField)


def test_tables_are_created_after_the_tables_they_reference() -> None:
    import migrefs

    def model(name: str, *refs: str) -> ModelState:
        fields: list[tuple[str, Any]] = [("id", orm.BigAutoField())]
        fields += [(f"to_{r}", migrefs.RefField(r, null=True)) for r in refs]
        return ModelState("blog", name, fields)

    # Post -> Author, Comment -> Post: defined in the "wrong" order
    after = state(model("Comment", "post"), model("Post", "author"), model("Author"))
    ops = detect(state(), after)
    assert [op.name for op in ops] == ["Author", "Post", "Comment"]
    assert [op.name for op in detect(after, state())] == ["Comment", "Post", "Author"]
    # a cycle: one foreign key waits for an AddField after both tables exist, and so does the
    # index that names it
    egg = model("Egg", "hen")
    egg = egg.clone(indexes=[orm.Index(fields=["to_hen"], name="egg_hen")])
    cycle = state(egg, model("Hen", "egg"))
    ops = detect(state(), cycle)
    assert kinds(ops) == ["CreateModel", "CreateModel", "AddField", "AddIndex"]
    assert detect(cycle, cycle) == []
    assert isinstance(ops[2], AddField) and (ops[2].model_name, ops[2].name) == ("Egg", "to_hen")
    assert [name for name, _ in ops[0].fields] == ["id"]  # type: ignore[attr-defined]


def test_squash_folds_changes_into_create_model() -> None:
    from covet.migrate._optimizer import optimize
    from covet.migrate.operations import RunSQL

    fields = [("id", orm.BigAutoField()), ("a", orm.IntegerField(null=True))]
    ops = optimize(
        "blog",
        [
            CreateModel("Thing", fields),
            AddField("Thing", "b", orm.CharField(max_length=5, null=True)),
            CreateModel("Other", fields),
            RenameField("thing", "a", "c"),
            AlterField("Thing", "b", orm.CharField(max_length=9, null=True)),
            AddIndex("Thing", orm.Index(fields=["c"], name="thing_c")),
            RemoveField("Other", "a"),
            DeleteModel("Other"),
            RunSQL("SELECT 1"),
            AddField("Thing", "d", orm.IntegerField(null=True)),
        ],
    )
    assert kinds(ops) == ["CreateModel", "RunSQL", "AddField"]
    create = ops[0]
    assert isinstance(create, CreateModel)
    assert [n for n, _ in create.fields] == ["id", "c", "b"]
    assert dict(create.fields)["b"].max_length == 9  # type: ignore[attr-defined]
    assert [i.name for i in create.options["indexes"]] == ["thing_c"]


def test_a_refused_model_class_is_not_collected(tmp_path: Path) -> None:
    import sys
    import types

    from covet.migrate import MigrationManager

    module = types.ModuleType("migrefused")
    sys.modules["migrefused"] = module
    try:
        exec(
            "from covet import orm\n"
            "class Good(orm.Model):\n    n = orm.IntegerField()\n"
            "try:\n"
            "    class Bad(orm.Model):\n        class Meta:\n            ordering = ['nope']\n"
            "except orm.ImproperlyConfigured as error:\n"
            "    kept = error  # its traceback keeps the half-made class alive\n",
            module.__dict__,
        )
        db = orm.Database("sqlite:///:memory:", default=False)
        manager = MigrationManager(db, apps=["migrefused"], directory=tmp_path)
        assert [m.__name__ for m in manager.models()["migrefused"]] == ["Good"]
        db.close()
    finally:
        del sys.modules["migrefused"]
