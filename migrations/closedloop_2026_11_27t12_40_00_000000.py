"""Denormalised dates for the set-based scan and the 晾晒 as-of lookup.

work_item.last_report_on: the latest progress report of the item (the staleness rule of the
lights). progress_value.reported_on: its report's date, with a (goal, reported_on, report, value)
index so that "a goal's latest value as of a cut-off" is one index step. The next migration
fills them from the existing reports (a manager runs its raw steps before its add_column steps).
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Date
from piccolo.columns.indexes import IndexMethod

ID = "2026-11-27T12:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "work_item.last_report_on, progress_value.reported_on and the as-of index"

def _date_column(name: str) -> dict:
    return dict(
        column_name=name,
        db_column_name=name,
        column_class_name="Date",
        column_class=Date,
        params={
            "default": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="closedloop", description=DESCRIPTION)
    manager.add_column(table_class_name="WorkItem", tablename="work_item", **_date_column("last_report_on"))
    manager.add_column(table_class_name="ProgressValue", tablename="progress_value", **_date_column("reported_on"))
    return manager
