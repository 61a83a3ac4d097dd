"""Test set-up: one database per run, chosen by CLOSEDLOOP_TEST_DATABASE_URL.

Unset: a fresh SQLite file in a new temporary folder. ``postgresql://…``: that database's
``public`` schema is dropped and recreated first, so a crashed earlier run leaves nothing
behind that breaks this one. Migrations are applied once per run.

No test reads the calendar: a test that needs "today" fixes ``Clock`` (and the server and
scheduler processes the tests start run with a fixed clock too, see ``cli_command``), so the
suite passes with the machine's clock at any instant (``docs/testing.md``: the faketime runs).
State that would outlive a test (the fixed clock here; the server processes' memory) is reset
or isolated, so the tests pass in any order (pytest-randomly).
"""

from __future__ import annotations

import datetime as dt
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

from hypothesis import settings as hypothesis_settings  # noqa: E402

# No per-example deadline: on a busy shared machine (or a mutation run, where the code goes
# through mutmut's trampolines) one slow example would fail a property test that holds.
hypothesis_settings.register_profile("closedloop", deadline=None)
hypothesis_settings.load_profile("closedloop")

IS_PG = TEST_URL.startswith(("postgresql://", "postgres://"))


def integrity_errors() -> tuple[type[Exception], ...]:
    """What the drivers raise when the database refuses a write by a constraint (a unique key,
    a foreign key): asserting these, not any Exception, so a bug elsewhere does not pass."""
    import sqlite3

    from asyncpg.exceptions import IntegrityConstraintViolationError

    return (sqlite3.IntegrityError, IntegrityConstraintViolationError)


ROOT = Path(__file__).resolve().parents[1]
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")

# The instant a server process started by the tests may take as "now" (Monday 4 November
# 2024, 10:00 in Shanghai): late in the plan year, so a goal still at its baseline is red.
SERVER_NOW = dt.datetime(2024, 11, 4, 2, 0, tzinfo=dt.timezone.utc)


def shared_dir() -> Path:
    """The project's shared documents: ``../shared`` beside the checkout, or the nearest
    ``shared/`` above it (a git worktree); CLOSEDLOOP_SHARED overrides both."""
    if os.environ.get("CLOSEDLOOP_SHARED"):
        return Path(os.environ["CLOSEDLOOP_SHARED"])
    return next((p / "shared" for p in ROOT.parents if (p / "shared").is_dir()), ROOT.parent / "shared")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """In CI a test skipped for want of ../shared fails instead: CI always has it, so its
    absence there is a fault, not a reason to run fewer tests."""
    report = yield
    if IN_CI and report.skipped and isinstance(report.longrepr, tuple) and "shared" in str(report.longrepr[2]):
        report.outcome = "failed"
        report.longrepr = f"skipped in CI for want of ../shared: {report.longrepr[2]}"
    return report


def require_shared(relative: str) -> Path:
    """A file under ../shared; without it the test is skipped, except in CI (CI=true), where
    it fails: CI always has shared/ beside the clone, so a missing file there is a fault."""
    path = shared_dir() / relative
    if not path.exists():
        message = f"{path} is missing (../shared is not beside the checkout)"
        if IN_CI:
            pytest.fail(message + "; CI must have it", pytrace=False)
        pytest.skip(message)
    return path


def cli_command(*args: str, now: dt.datetime | None = None) -> list[str]:
    """``python -m closedloop.cli ARGS``, with the child's ``Clock`` fixed at ``now`` when given,
    so a server or scheduler process the tests start does not read the machine's clock."""
    if now is None:
        return [sys.executable, "-m", "closedloop.cli", *args]
    code = (
        "import datetime, sys\n"
        "from closedloop.services.common import Clock\n"
        "Clock.fixed = datetime.datetime.fromisoformat(sys.argv[1])\n"
        "from closedloop.cli import main\n"
        "sys.exit(main(sys.argv[2:]))\n"
    )
    return [sys.executable, "-c", code, now.isoformat(), *args]


@pytest.fixture(autouse=True)
def _isolated_process_state():
    """The clock one test fixed does not reach the next. (Failed logins are counted in the
    database, table login_throttle, which ``clean_db`` empties with the rest.)"""
    from closedloop.services.common import Clock

    yield
    Clock.fixed = None


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


@pytest.fixture(autouse=True)
def _database(request):
    """Every test but the unit tests (plain values, no database) runs on the migrated
    database; unit tests alone (the mutation runs) do not pay for a migration."""
    if "unit" not in Path(str(request.node.fspath)).relative_to(ROOT).parts[1:2]:
        request.getfixturevalue("migrated_database")


@pytest_asyncio.fixture(scope="session", loop_scope="session")
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
async def clean_db(migrated_database):
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


# CLOSEDLOOP_TEST_ARTIFACTS gives each of two runs side by side (.ci/run) its own folder
ARTIFACTS = Path(os.environ.get("CLOSEDLOOP_TEST_ARTIFACTS") or ROOT / "test-artifacts")


def _free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


@pytest.fixture(scope="module")
def server(database_url, migrated_database, request):
    """A real ``closedloop serve`` process on a free loopback port, on the test database, its
    clock fixed at the module's ``SERVER_CLOCK`` if it sets one.

    One process per test module, not per run: the server keeps state in memory (the failed
    logins per client address), and schemathesis's bad logins would lock the browser tests
    out with 429 if they shared a process.
    """
    port = _free_port()
    env = {**os.environ, "CLOSEDLOOP_DATABASE_URL": database_url, "CLOSEDLOOP_SCHEDULER": "off", "CLOSEDLOOP_SECRET_KEY": "browser-test-secret"}
    env.pop("PICCOLO_CONF", None)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    log = open(ARTIFACTS / f"server-{request.module.__name__.rsplit('.', 1)[-1]}.log", "w")
    # a module fixes the server's clock with SERVER_CLOCK = SERVER_NOW (every browser module
    # must, tests/browser/conftest.py); a module without one runs it on the machine's clock
    now = getattr(request.module, "SERVER_CLOCK", None)
    proc = subprocess.Popen(cli_command("serve", "--port", str(port), now=now), env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError(f"server exited; see {log.name}")
            time.sleep(0.3)
    yield base
    proc.terminate()
    proc.wait(timeout=30)
    log.close()
