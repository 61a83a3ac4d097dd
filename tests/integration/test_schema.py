"""The migrated schema matches the table classes, on whichever engine the run uses."""

import os
import sqlite3
import subprocess
import sys

import pytest
from piccolo.apps.migrations.commands.new import AutoMigrationManager

from closedloop.db.constraints import UNIQUE_INDEXES
from closedloop.db.piccolo_app import APP_CONFIG, migrations_folder
from closedloop.db.tables import ALL_TABLES, ItemUnit, Unit, WorkItem
from tests.conftest import IS_PG, integrity_errors
from tests.factories import FACTORIES, ItemUnitFactory, WorkItemFactory


async def db_columns(tablename: str) -> dict[str, bool]:
    """column name → nullable, read from the database itself."""
    if IS_PG:
        rows = await Unit.raw(
            "SELECT column_name, is_nullable FROM information_schema.columns "
            "WHERE table_schema = 'public' AND table_name = {}",
            tablename,
        )
        return {r["column_name"]: r["is_nullable"] == "YES" for r in rows}
    rows = await Unit.raw(f'PRAGMA table_info("{tablename}")')
    return {r["name"]: (not r["notnull"] and not r["pk"]) for r in rows}


async def db_index_names() -> set[str]:
    if IS_PG:
        rows = await Unit.raw("SELECT indexname AS name FROM pg_indexes WHERE schemaname = 'public'")
    else:
        rows = await Unit.raw("SELECT name FROM sqlite_master WHERE type = 'index'")
    return {r["name"] for r in rows}


async def test_migrations_describe_the_table_classes():
    statements = await AutoMigrationManager().get_alter_statements(APP_CONFIG)
    changes = [s for s in statements if s.statements]
    assert changes == [], "table classes changed without a migration: " + str(changes)


@pytest.mark.parametrize("table", ALL_TABLES, ids=lambda t: t._meta.tablename)
async def test_database_columns_match_table_class(table):
    in_db = await db_columns(table._meta.tablename)
    expected = {c._meta.db_column_name: c._meta.null for c in table._meta.columns}
    assert in_db == expected


async def test_composite_unique_keys_exist_and_hold(clean_db):
    assert set(UNIQUE_INDEXES) <= await db_index_names()
    link = await ItemUnitFactory.create()
    with pytest.raises(integrity_errors()):
        await ItemUnit(item=link.item, unit=link.unit).save()
    assert await ItemUnit.count() == 1


async def test_foreign_keys_refuse_deleting_history(clean_db):
    item = await WorkItemFactory.create()
    with pytest.raises(integrity_errors()):
        await Unit.delete().where(Unit.id == item.lead_unit)
    assert await WorkItem.count() == 1


async def test_every_table_has_a_working_factory(clean_db):
    assert set(FACTORIES) == set(ALL_TABLES)
    for table, factory in FACTORIES.items():
        row = await factory.create()
        assert await table.exists().where(table.id == row.id)


def test_migrate_command_creates_everything_then_is_a_noop(tmp_path):
    url = f"sqlite:///{tmp_path}/cli.sqlite3"
    env = {**os.environ, "CLOSEDLOOP_DATABASE_URL": url}
    env.pop("PICCOLO_CONF", None)
    first = subprocess.run([sys.executable, "-m", "closedloop.cli", "migrate"], env=env, capture_output=True, text=True)
    assert first.returncode == 0, first.stderr
    migrations = len([p for p in migrations_folder().glob("*.py") if p.name != "__init__.py"])
    assert f"已应用 {migrations} 个迁移" in first.stdout
    second = subprocess.run([sys.executable, "-m", "closedloop.cli", "migrate"], env=env, capture_output=True, text=True)
    assert second.returncode == 0 and "无需迁移" in second.stdout
    con = sqlite3.connect(tmp_path / "cli.sqlite3")
    names = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {t._meta.tablename for t in ALL_TABLES} <= names
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
