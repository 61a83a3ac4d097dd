"""Test set-up: one database per run, chosen by CLOSEDLOOP_TEST_DATABASE_URL.

Unset: a fresh SQLite file in a new temporary folder. ``postgresql://…``: that database's
``public`` schema is dropped and recreated first, so a crashed earlier run leaves nothing
behind that breaks this one. Migrations are applied once per run.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TEST_URL = os.environ.get("CLOSEDLOOP_TEST_DATABASE_URL") or (
    "sqlite:///" + os.path.join(tempfile.mkdtemp(prefix="closedloop-test-"), "test.sqlite3")
)
os.environ["CLOSEDLOOP_DATABASE_URL"] = TEST_URL
os.environ["PICCOLO_CONF"] = "closedloop.db.piccolo_conf"
os.environ["CLOSEDLOOP_SCHEDULER"] = "off"

import pytest  # noqa: E402
import pytest_asyncio  # noqa: E402

from closedloop.settings import get_settings  # noqa: E402

get_settings(reload=True)

IS_PG = TEST_URL.startswith(("postgresql://", "postgres://"))


@pytest.fixture(scope="session")
def database_url() -> str:
    return TEST_URL


async def _reset_postgres() -> None:
    import asyncpg

    conn = await asyncpg.connect(TEST_URL)
    try:
        await conn.execute("DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public;")
    finally:
        await conn.close()


@pytest_asyncio.fixture(scope="session", loop_scope="session", autouse=True)
async def migrated_database():
    from closedloop.db.engine import close_engine, prepare_engine
    from closedloop.db.migrate import migrate

    if IS_PG:
        await _reset_postgres()
    await migrate()
    await prepare_engine()
    yield
    await close_engine()


@pytest_asyncio.fixture(loop_scope="session")
async def clean_db():
    """Every table emptied before the test."""
    from closedloop.db.engine import get_engine
    from closedloop.db.tables import ALL_TABLES

    db = get_engine()
    names = [t._meta.tablename for t in ALL_TABLES]
    if IS_PG:
        await db.run_ddl("TRUNCATE " + ", ".join(f'"{n}"' for n in names) + " RESTART IDENTITY CASCADE")
    else:
        import sqlite3

        # one connection with foreign keys off, so the order of the deletes does not matter
        con = sqlite3.connect(db.path, timeout=30)
        try:
            con.execute("PRAGMA foreign_keys = OFF")
            with con:
                for n in names:
                    con.execute(f'DELETE FROM "{n}"')
        finally:
            con.close()
    yield


ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"


def _free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


@pytest.fixture(scope="session")
def server(database_url, migrated_database):
    """A real ``closedloop serve`` process on a free loopback port, on the test database."""
    port = _free_port()
    env = {**os.environ, "CLOSEDLOOP_DATABASE_URL": database_url, "CLOSEDLOOP_SCHEDULER": "off", "CLOSEDLOOP_SECRET_KEY": "browser-test-secret"}
    env.pop("PICCOLO_CONF", None)
    ARTIFACTS.mkdir(exist_ok=True)
    log = open(ARTIFACTS / "server.log", "w")
    proc = subprocess.Popen([sys.executable, "-m", "closedloop.cli", "serve", "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError("server exited; see test-artifacts/server.log")
            time.sleep(0.3)
    yield base
    proc.terminate()
    proc.wait(timeout=30)
    log.close()


