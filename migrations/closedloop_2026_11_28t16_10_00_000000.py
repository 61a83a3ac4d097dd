"""work_item.withdrawn_at / withdrawn_reason: 撤销 (withdrawal) of an item that has history.

An item with reports, records or stage transitions cannot be deleted from a plan; it is
withdrawn with a reason instead and leaves rankings from the next edition on. Both columns are
null for every existing item: nothing existing changes meaning (no item was withdrawn before).
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Text, Timestamptz
from piccolo.columns.indexes import IndexMethod

ID = "2026-11-28T16:10:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "work_item.withdrawn_at and withdrawn_reason"


def _column(name: str, cls_name: str, cls) -> dict:
    return dict(
        column_name=name,
        db_column_name=name,
        column_class_name=cls_name,
        column_class=cls,
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
    manager.add_column(table_class_name="WorkItem", tablename="work_item", **_column("withdrawn_at", "Timestamptz", Timestamptz))
    manager.add_column(table_class_name="WorkItem", tablename="work_item", **_column("withdrawn_reason", "Text", Text))
    return manager
