"""Engine choice from ``CLOSEDLOOP_DATABASE_URL`` and the write-transaction helper.

SQLite (the default) is a file with WAL and a busy timeout; a transaction that will
write is opened IMMEDIATE so that concurrent writers queue instead of failing with
"database is locked". PostgreSQL is used when the URL starts with ``postgresql://``.
"""

from __future__ import annotations

import contextlib
from typing import AsyncIterator

from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, TransactionType

from closedloop.db import piccolo_conf
from closedloop.db.engine_factory import SQLITE_BUSY_TIMEOUT_S, make_engine, sqlite_path  # noqa: F401  (re-exported)


def get_engine() -> Engine:
    """The engine every table uses (read from piccolo_conf on every call: the benchmarks
    point it at another database)."""
    return piccolo_conf.DB


@contextlib.asynccontextmanager
async def write_tx() -> AsyncIterator[None]:
    """A transaction that will write: IMMEDIATE on SQLite, plain on PostgreSQL.

    Nested use joins the outer transaction.
    """
    db = get_engine()
    if db.current_transaction.get() is not None:
        yield
        return
    if isinstance(db, SQLiteEngine):
        async with db.transaction(transaction_type=TransactionType.immediate):
            yield
    else:
        async with db.transaction():
            yield


async def prepare_engine() -> None:
    """Per-process start-up: WAL on SQLite, a connection pool on PostgreSQL."""
    db = get_engine()
    if isinstance(db, SQLiteEngine):
        await db.run_ddl("PRAGMA journal_mode=WAL")
    elif isinstance(db, PostgresEngine) and db.pool is None:
        await db.start_connection_pool(min_size=1, max_size=10, reset=keep_session)


async def keep_session(connection) -> None:
    """Returning a connection to the pool: asyncpg still rolls back any open transaction
    first; its default reset query (RESET ALL, UNLISTEN, CLOSE ALL, advisory unlocks) is
    skipped because closedloop never changes session state, and it cost a round trip on
    every request."""


async def close_engine() -> None:
    db = get_engine()
    if isinstance(db, PostgresEngine) and db.pool is not None:
        await db.close_connection_pool()
        db.pool = None
