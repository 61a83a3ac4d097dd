"""An index for a project's reported progress as of an instant (the ledger rule applied to
projects: ``services/values.value_as_of_sql(of="project")``).

The goal rows of ``progress_value`` have had ``ix_progress_value_ledger``; the project rows had
none, so every lookup of a project's latest period read the whole table: 45 s to build one
unit's Excel template at city scale (2,000,000 values), and a scan per project of an upload.
Only an index is added; no data changes.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-28T20:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "index the project rows of the report ledger"

INDEX = (
    'CREATE INDEX IF NOT EXISTS "ix_progress_value_project_ledger" ON "progress_value" '
    '("project", "period_end", "recorded_at", "id") WHERE "project" IS NOT NULL'
)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="closedloop", description=DESCRIPTION)

    async def create_index():
        await engine_finder().run_ddl(INDEX)

    manager.add_raw(create_index)
    return manager
