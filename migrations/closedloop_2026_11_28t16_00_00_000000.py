"""login_throttle: failed-login counters in the database (shared by every worker process).

A new, empty table: nothing existing changes.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Integer, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.indexes import IndexMethod

ID = "2026-11-28T16:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "login_throttle"


def _params(**kw) -> dict:
    base = {
        "null": False,
        "primary_key": False,
        "unique": False,
        "index": False,
        "index_method": IndexMethod.btree,
        "choices": None,
        "db_column_name": None,
        "secret": False,
    }
    return {**base, **kw}


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="closedloop", description=DESCRIPTION)
    manager.add_table(class_name="LoginThrottle", tablename="login_throttle", schema=None, columns=None)
    for name, cls, params in (
        ("key", Varchar, _params(length=300, default="", unique=True)),
        ("failures", Integer, _params(default=0)),
        ("first_at", Timestamptz, _params(default=TimestamptzNow())),
        ("blocked_until", Timestamptz, _params(default=None, null=True)),
    ):
        manager.add_column(
            table_class_name="LoginThrottle",
            tablename="login_throttle",
            column_name=name,
            db_column_name=name,
            column_class_name=cls.__name__,
            column_class=cls,
            params=params,
            schema=None,
        )
    return manager
