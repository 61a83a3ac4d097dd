"""check_explanation and edition_review: the cockpit's explained data checks and its internal
note on each 晾晒 edition.

Two new, empty tables: nothing existing changes.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.base import OnDelete, OnUpdate
from piccolo.columns.column_types import JSON, ForeignKey, Serial, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.indexes import IndexMethod
from piccolo.table import Table

ID = "2026-11-28T17:15:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "check_explanation, edition_review"


def _ref(name: str, tablename: str) -> type[Table]:
    """A stand-in for a referenced table, as Piccolo's generated migrations write them."""
    return type(name, (Table,), {"id": Serial(null=False, primary_key=True, db_column_name="id")}, tablename=tablename)


WorkItem = _ref("WorkItem", "work_item")
User = _ref("User", "app_user")
Publication = _ref("Publication", "publication")


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


def _fk(table: type[Table], *, null: bool, unique: bool = False) -> dict:
    return _params(
        references=table, on_delete=OnDelete.restrict, on_update=OnUpdate.cascade, target_column=None,
        null=null, unique=unique, **({"default": None} if null else {}),
    )


TABLES = {
    ("CheckExplanation", "check_explanation"): (
        ("check_key", Varchar, _params(length=120, default="", unique=True)),
        ("kind", Varchar, _params(length=24, default="")),
        ("item", ForeignKey, _fk(WorkItem, null=True)),
        ("note", Text, _params(default="")),
        ("explained_by", ForeignKey, _fk(User, null=True)),
        ("explained_at", Timestamptz, _params(default=TimestamptzNow())),
    ),
    ("EditionReview", "edition_review"): (
        ("publication", ForeignKey, _fk(Publication, null=False, unique=True)),
        ("open_checks", JSON, _params(default="{}")),
        ("light_counts", JSON, _params(default="{}")),
        ("created_at", Timestamptz, _params(default=TimestamptzNow())),
    ),
}


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="closedloop", description=DESCRIPTION)
    for (class_name, tablename), columns in TABLES.items():
        manager.add_table(class_name=class_name, tablename=tablename, schema=None, columns=None)
        for name, cls, params in columns:
            manager.add_column(
                table_class_name=class_name, tablename=tablename, column_name=name, db_column_name=name,
                column_class_name=cls.__name__, column_class=cls, params=params, schema=None,
            )
    return manager
