"""An index for a period's head report (the report a new one corrects: ``progress.heads_of_period``,
the latest report or correction of an item and period, admins' corrections left out).

The head was found through the unique index on (item, period, corrects), which holds every
report of the item and period: each report read all the earlier ones of its week, a cost that
grows with every 更正 (thousands of corrections of one week made each report read thousands of
rows). Ordered by id, the head is one step of this index. Only an index is added; no data changes.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-28T23:38:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "index a period's head report"

INDEX = (
    'CREATE INDEX IF NOT EXISTS "ix_progress_report_head" ON "progress_report" '
    "(\"item\", \"period\", \"id\") WHERE \"kind\" <> 'admin'"
)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="closedloop", description=DESCRIPTION)

    async def create_index():
        await engine_finder().run_ddl(INDEX)

    manager.add_raw(create_index)
    return manager
