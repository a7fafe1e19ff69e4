"""A stand-in for relation fields: a BIGINT column that is a foreign key (``references()``).

covet-orm has no ForeignKey yet; this field uses the hook relation fields will implement, so
the tests show foreign-key columns, ON DELETE changes and target changes going through
migrations on every database."""

from __future__ import annotations

from typing import Any

from covet import orm
from covet.orm.sql.ddl import ForeignKeySpec


class RefField(orm.BigIntegerField):
    def __init__(
        self, to: str, *, on_delete: str = "CASCADE", to_column: str = "id", **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.to, self.on_delete, self.to_column = to, on_delete, to_column

    def references(self) -> ForeignKeySpec:
        return ForeignKeySpec(self.to, self.to_column, self.on_delete)
