"""Back up, wipe, restore: row counts and edition hashes come back identical.

Uses the commands docs/operations.md gives: SQLite's online backup, or pg_dump/pg_restore.
"""

import datetime as dt
import shutil
import sqlite3
import subprocess

import pytest

from closedloop.db.engine import get_engine
from closedloop.db.tables import ALL_TABLES, Publication
from closedloop.services import publishing
from closedloop.services.common import Clock
from tests.conftest import IS_PG
from tests.integration.test_scheduler import at, make_units


async def snapshot() -> dict:
    counts = {t._meta.tablename: await t.count() for t in ALL_TABLES}
    hashes = [r["content_hash"] for r in await Publication.select(Publication.content_hash).order_by(Publication.id)]
    return {"counts": counts, "hashes": hashes}


async def test_backup_wipe_restore_round_trip(clean_db, database_url, tmp_path):
    await make_units()
    Clock.fixed = at(dt.date(2024, 6, 19))
    try:
        for period in ("2024-W22", "2024-W23", "2024-W24"):
            await publishing.publish("weekly", period)
    finally:
        Clock.fixed = None
    before = await snapshot()
    assert before["counts"]["publication"] == 3 and before["counts"]["goal"] == 3

    if IS_PG:
        if not shutil.which("pg_dump"):
            pytest.skip("pg_dump is not installed")
        dump = tmp_path / "closedloop.dump"
        subprocess.run(["pg_dump", "--format=custom", f"--file={dump}", database_url], check=True)
        await Publication.raw("DROP SCHEMA public CASCADE")
        await Publication.raw("CREATE SCHEMA public")
        assert not await Publication.table_exists()
        subprocess.run(["pg_restore", "--no-owner", f"--dbname={database_url}", str(dump)], check=True)
    else:
        path = get_engine().path
        backup = tmp_path / "backup.sqlite3"
        with sqlite3.connect(path) as src, sqlite3.connect(backup) as dst:
            src.backup(dst)
        with sqlite3.connect(path) as con:  # wipe
            con.execute("PRAGMA foreign_keys = OFF")
            for t in ALL_TABLES:
                con.execute(f'DELETE FROM "{t._meta.tablename}"')
        assert await Publication.count() == 0
        with sqlite3.connect(backup) as src, sqlite3.connect(path) as dst:
            src.backup(dst)

    after = await snapshot()
    assert after == before
    count, breaks = await publishing.verify_chain()
    assert count == 3 and breaks == []
