"""Steps that hand-written migrations need on one database only (the loader skips this module:
its name starts with "_").

Most data steps are plain SQL that SQLite and PostgreSQL both run (`ops.RunSQL`). A few things
exist on PostgreSQL alone, such as the sequence behind an id column and the names of its
constraints: a table renamed or filled with explicit ids needs them seen to there, and SQLite has
nothing to do."""

from __future__ import annotations

from typing import Any

from tortoise.migrations import operations as ops
from tortoise.migrations.schema_editor.base import BaseSchemaEditor
from tortoise.migrations.schema_generator.state import State


class RunSQLOn(ops.RunSQL):
    """`ops.RunSQL` run only where the database is `dialect` ("postgres", "sqlite"); elsewhere
    it does nothing, both ways."""

    def __init__(self, dialect: str, sql: Any, reverse_sql: Any = None) -> None:
        super().__init__(sql, reverse_sql)
        self.dialect = dialect

    def describe(self) -> str:
        return f"Run SQL on {self.dialect} only"

    def _applies(self, state_editor: BaseSchemaEditor | None) -> bool:
        return state_editor is not None and state_editor.client.capabilities.dialect == self.dialect

    async def database_forward(
        self, app_label: str, old_state: State, new_state: State, state_editor: BaseSchemaEditor | None = None
    ) -> None:
        if self._applies(state_editor):
            await super().database_forward(app_label, old_state, new_state, state_editor)

    async def database_backward(
        self, app_label: str, old_state: State, new_state: State, state_editor: BaseSchemaEditor | None = None
    ) -> None:
        if self._applies(state_editor):
            await super().database_backward(app_label, old_state, new_state, state_editor)


class AddColumn(ops.AddField):
    """`ops.AddField`, undone on SQLite in place (its unique index dropped, then `ALTER TABLE ...
    DROP COLUMN`) instead of by Tortoise's copy of the whole table, whose drop of the old table
    fails as soon as rows of other tables refer to it (units, people)."""

    async def database_backward(
        self, app_label: str, old_state: State, new_state: State, state_editor: BaseSchemaEditor | None = None
    ) -> None:
        if state_editor is None or state_editor.client.capabilities.dialect != "sqlite":
            await super().database_backward(app_label, old_state, new_state, state_editor)
            return
        model = old_state.apps.get_model(f"{app_label}.{self.model_name}")
        table, column = model._meta.db_table, model._meta.fields_db_projection[self.name]
        _, indexes = await state_editor.client.execute_query(f'PRAGMA index_list("{table}")')
        for index in indexes:
            _, columns = await state_editor.client.execute_query(f'PRAGMA index_info("{index["name"]}")')
            if [c["name"] for c in columns] == [column] and not index["name"].startswith("sqlite_"):
                await state_editor.client.execute_script(f'DROP INDEX "{index["name"]}"')
        await state_editor.client.execute_script(f'ALTER TABLE "{table}" DROP COLUMN "{column}"')
