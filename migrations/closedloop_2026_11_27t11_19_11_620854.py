from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import ForeignKey

ID = "2026-11-27T11:19:11:620854"
VERSION = "1.38.0"
DESCRIPTION = "index progress_value.goal for the 晾晒 as-of lookup"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="closedloop", description=DESCRIPTION
    )

    manager.alter_column(
        table_class_name="ProgressValue",
        tablename="progress_value",
        column_name="goal",
        db_column_name="goal",
        params={"index": True},
        old_params={"index": False},
        column_class=ForeignKey,
        old_column_class=ForeignKey,
        schema=None,
    )

    return manager
