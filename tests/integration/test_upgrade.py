"""An upgrade from the previous release keeps every record and the 晾晒 hash chain.

The database is built by the previous release itself: its code and its migrations (the five
of commit ``RELEASE``, taken with ``git archive``) migrate an empty database and load the demo
(``closedloop.demo``: a plan, units, users, weeks of reports, the ladder, ten editions). Then
this checkout's ``closedloop migrate`` applies whatever migrations came after, and the test
checks that nothing was lost or changed (row counts of every table, the values users see) and
that ``closedloop verify`` still finds the hash chain whole.

Each step is a child process (the two releases cannot share one interpreter), on a database
of its own: a SQLite file, or on PostgreSQL a database beside the test database.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import pytest
import pytest_asyncio

from tests.conftest import IS_PG, ROOT

# the last release: main when issue 22 was taken up, with migrations up to 2026-11-27 12:40:01
RELEASE = "4c55d44b69a63e2f8e292177d9fcc275824e9008"
RELEASE_MIGRATIONS = 5

SNAPSHOT = r"""
import asyncio, json, sys
from closedloop.db.migrate import use_closedloop_conf
use_closedloop_conf()
from closedloop.db.tables import ALL_TABLES, Unit

VALUES = {
    "publication": 'SELECT id, cadence, period, edition, content_hash, previous_hash FROM publication ORDER BY id',
    "publication_row": 'SELECT publication, unit, unit_name, rank, score, light FROM publication_row ORDER BY publication, unit',
    "work_item": 'SELECT id, code, stage, lead_unit, deadline, original_deadline, extension_count FROM work_item ORDER BY id',
    "goal": 'SELECT id, item, baseline, target, actual, deadline FROM goal ORDER BY id',
    "progress_value": 'SELECT id, report, goal, value FROM progress_value ORDER BY id',
    "supervision_action": 'SELECT id, item, kind, deadline, response FROM supervision_action ORDER BY id',
    "app_user": 'SELECT id, username, role, unit, password_hash FROM app_user ORDER BY id',
}

async def main():
    names = json.loads(sys.argv[1]) if len(sys.argv) > 1 else [t._meta.tablename for t in ALL_TABLES]
    counts = {}
    for name in names:
        counts[name] = (await Unit.raw(f'SELECT COUNT(*) AS n FROM "{name}"'))[0]["n"]
    values = {k: await Unit.raw(q) for k, q in VALUES.items()}
    print(json.dumps({"counts": counts, "values": values}, default=str, ensure_ascii=False))

asyncio.run(main())
"""

LOAD_DEMO = r"""
import asyncio, datetime, json
from closedloop.db.migrate import use_closedloop_conf
use_closedloop_conf()
from closedloop.db.migrate import migrate
from closedloop.demo import load_demo

async def main():
    applied = await migrate()
    info = await load_demo(datetime.date(2026, 11, 27))
    print(json.dumps({"applied": applied, "loaded": info.loaded, "editions": info.editions}))

asyncio.run(main())
"""


def _release_tree(dest: Path) -> Path:
    have = subprocess.run(["git", "-C", str(ROOT), "cat-file", "-e", f"{RELEASE}^{{commit}}"], capture_output=True)
    if have.returncode != 0:
        pytest.skip(f"the release commit {RELEASE[:7]} is not in this clone (shallow?)")
    dest.mkdir(parents=True)
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", RELEASE, "src", "migrations"], check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
    return dest / "src"


def _run(code_or_args: list[str], url: str, pythonpath: Path | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "CLOSEDLOOP_DATABASE_URL": url, "CLOSEDLOOP_SCHEDULER": "off"}
    env.pop("PICCOLO_CONF", None)
    if pythonpath is not None:
        # ahead of the editable install: the child imports the release's closedloop
        env["PYTHONPATH"] = str(pythonpath)
    else:
        env.pop("PYTHONPATH", None)
    done = subprocess.run([sys.executable, *code_or_args], env=env, capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    return done


@pytest_asyncio.fixture(loop_scope="session")
async def upgrade_db_url(tmp_path, database_url):
    """An empty database of its own for the upgrade."""
    if not IS_PG:
        yield f"sqlite:///{tmp_path / 'upgrade.sqlite3'}"
        return
    import asyncpg

    parsed = urlparse(database_url)
    name = parsed.path.strip("/") + "_upgrade"

    async def admin(statement: str) -> None:
        conn = await asyncpg.connect(database_url)
        try:
            await conn.execute(statement)
        finally:
            await conn.close()

    await admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await admin(f'CREATE DATABASE "{name}"')
    yield urlunparse(parsed._replace(path="/" + name))
    await admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def test_upgrade_from_the_previous_release_keeps_the_demo_data_and_the_hash_chain(tmp_path, upgrade_db_url):
    old_src = _release_tree(tmp_path / "release")
    migrations_then = sorted(p.name for p in (tmp_path / "release" / "migrations").glob("closedloop_*.py"))
    assert len(migrations_then) == RELEASE_MIGRATIONS
    migrations_now = sorted(p.name for p in (ROOT / "migrations").glob("closedloop_*.py"))
    assert migrations_now[:RELEASE_MIGRATIONS] == migrations_then, "a released migration was changed or removed"

    loaded = json.loads(_run(["-c", LOAD_DEMO], upgrade_db_url, old_src).stdout.strip().splitlines()[-1])
    assert loaded["loaded"] and len(loaded["applied"]) == RELEASE_MIGRATIONS and loaded["editions"] >= 9
    before = json.loads(_run(["-c", SNAPSHOT], upgrade_db_url, old_src).stdout.strip().splitlines()[-1])
    assert before["counts"]["publication"] == loaded["editions"] and before["counts"]["progress_value"] > 100

    upgraded = _run(["-m", "closedloop.cli", "migrate"], upgrade_db_url)
    newer = migrations_now[RELEASE_MIGRATIONS:]
    if newer:
        assert f"已应用 {len(newer)} 个迁移" in upgraded.stdout, upgraded.stdout
    else:
        assert "无需迁移" in upgraded.stdout
    assert "无需迁移" in _run(["-m", "closedloop.cli", "migrate"], upgrade_db_url).stdout

    after = json.loads(_run(["-c", SNAPSHOT, json.dumps(sorted(before["counts"]))], upgrade_db_url).stdout.strip().splitlines()[-1])
    assert after["counts"] == before["counts"], "rows were lost or added by the upgrade"
    for table, rows in before["values"].items():
        assert after["values"][table] == rows, f"{table}: values changed by the upgrade"

    verify = _run(["-m", "closedloop.cli", "verify"], upgrade_db_url)
    assert "哈希链完整" in verify.stdout and f"共 {loaded['editions']} 版" in verify.stdout
