"""Fill work_item.last_report_on and progress_value.reported_on from the existing reports,
and index progress_value by (goal, reported_on, report, value) for the 晾晒 as-of lookup."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-27T12:40:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "backfill report dates; as-of index"

STATEMENTS = [
    'UPDATE "work_item" SET "last_report_on" = (SELECT MAX(r."reported_on") FROM "progress_report" r WHERE r."item" = "work_item"."id")',
    'UPDATE "progress_value" SET "reported_on" = (SELECT r."reported_on" FROM "progress_report" r WHERE r."id" = "progress_value"."report")',
    # value included: the lookup is answered from the index alone
    'CREATE INDEX IF NOT EXISTS "ix_progress_value_goal_as_of" ON "progress_value" ("goal", "reported_on", "report", "value")',
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="closedloop", description=DESCRIPTION)

    async def backfill():
        db = engine_finder()
        for statement in STATEMENTS:
            await db.run_ddl(statement)

    manager.add_raw(backfill)
    return manager
