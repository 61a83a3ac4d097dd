"""Composite unique keys as unique indexes.

Piccolo's Unique constraint becomes ALTER TABLE ... ADD CONSTRAINT, which SQLite does not
support; a unique index is the same guarantee on both engines. Piccolo runs a manager's raw
steps before its add_table steps, hence a migration of its own after the initial one.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-27T09:35:39:000000"
VERSION = "1.38.0"
DESCRIPTION = "composite unique indexes"


UNIQUE_INDEX_SQL = [
    'CREATE UNIQUE INDEX IF NOT EXISTS "uq_work_item_plan_parent_code" ON "work_item" ("plan", COALESCE("parent", 0), "code")',
    'CREATE UNIQUE INDEX IF NOT EXISTS "uq_item_unit" ON "item_unit" ("item", "unit")',
    'CREATE UNIQUE INDEX IF NOT EXISTS "uq_problem_goal" ON "problem_goal" ("problem", "goal")',
    'CREATE UNIQUE INDEX IF NOT EXISTS "uq_project_problem" ON "project_problem" ("project", "problem")',
    'CREATE UNIQUE INDEX IF NOT EXISTS "uq_project_goal" ON "project_goal" ("project", "goal")',
    'CREATE UNIQUE INDEX IF NOT EXISTS "uq_publication_edition" ON "publication" ("cadence", "period", "edition")',
    'CREATE UNIQUE INDEX IF NOT EXISTS "uq_publication_row_unit" ON "publication_row" ("publication", "unit")',
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="closedloop", description=DESCRIPTION)

    async def add_unique_indexes():
        db = engine_finder()
        for statement in UNIQUE_INDEX_SQL:
            await db.run_ddl(statement)

    manager.add_raw(add_unique_indexes)
    return manager
