"""Fixed, parameterised statements for the hot paths (every write, every request's token check).

Piccolo's query builder composes each statement in Python on every call; in a profile of a
goal update that cost about 0.7 ms per statement, more than the database took. The statements
here are plain SQL text written once, with Piccolo's ``{}`` placeholders. On PostgreSQL they go
straight to asyncpg with ``$n`` placeholders (converted once and cached), on the transaction's
connection when one is open; on SQLite they go through Piccolo's engine, which keeps its type
adapters (dates, timestamps) and the IMMEDIATE transaction.

Rows come back as plain dicts, as ``Table.select()`` returns them; JSON columns stay text
unless the caller decodes them with :func:`load_json`.
"""

from __future__ import annotations

import asyncio
import json
from functools import lru_cache
from typing import Any, Iterable, overload

from piccolo.engine.postgres import PostgresEngine
from piccolo.querystring import QueryString
from piccolo.table import Table

from closedloop.db.engine import get_engine


@lru_cache(maxsize=512)
def _numbered(sql: str) -> str:
    """``{}`` placeholders → ``$1``, ``$2`` … (PostgreSQL's style)."""
    parts = sql.split("{}")
    out = [parts[0]]
    for n, part in enumerate(parts[1:], start=1):
        out.append(f"${n}{part}")
    return "".join(out)


async def fetch(sql: str, *args: Any) -> list[dict]:
    """Run one statement and return its rows as dicts."""
    db = get_engine()
    if isinstance(db, PostgresEngine):
        tx = db.current_transaction.get()
        if tx is not None:
            rows = await tx.connection.fetch(_numbered(sql), *args)
        elif db.pool is not None:
            async with db.pool.acquire() as con:
                rows = await con.fetch(_numbered(sql), *args)
        else:
            return await db.run_querystring(QueryString(sql, *args))
        return [dict(r) for r in rows]
    return await db.run_querystring(QueryString(sql, *args))


async def fetch_one(sql: str, *args: Any) -> dict | None:
    rows = await fetch(sql, *args)
    return rows[0] if rows else None


async def execute(sql: str, *args: Any) -> None:
    await fetch(sql, *args)


async def gather_reads(*reads):
    """Await independent reads side by side, each on its own pooled connection; one after
    another inside a transaction (whose single connection runs one statement at a time)."""
    if in_transaction():
        return [await r for r in reads]
    return await asyncio.gather(*reads)


def is_postgres() -> bool:
    return isinstance(get_engine(), PostgresEngine)


def in_transaction() -> bool:
    """Whether a transaction is open in this context (statements run inside it)."""
    return get_engine().current_transaction.get() is not None


def is_unique_violation(exc: BaseException) -> bool:
    """PostgreSQL refused a row that a unique index forbids (SQLSTATE 23505)."""
    return getattr(exc, "sqlstate", None) == "23505"


@lru_cache(maxsize=None)
def column_names(table: type[Table]) -> frozenset[str]:
    return frozenset(c._meta.db_column_name for c in table._meta.columns)


@lru_cache(maxsize=None)
def json_columns(table: type[Table]) -> tuple[str, ...]:
    from piccolo.columns.column_types import JSON

    return tuple(c._meta.db_column_name for c in table._meta.columns if isinstance(c, JSON))


@overload
def load_json(table: type[Table], row: dict) -> dict: ...
@overload
def load_json(table: type[Table], row: dict | None) -> dict | None: ...
def load_json(table: type[Table], row: dict | None) -> dict | None:
    """Decode the table's JSON columns in ``row`` (as ``.output(load_json=True)`` does)."""
    if row is None:
        return None
    for name in json_columns(table):
        value = row.get(name)
        if isinstance(value, str):
            row[name] = json.loads(value)
    return row


def dump_json(value: Any) -> str | None:
    """A value for a JSON column parameter (both engines take the JSON text)."""
    return None if value is None else json.dumps(value, ensure_ascii=False)


def columns_list(names: Iterable[str]) -> str:
    return ", ".join(f'"{n}"' for n in names)
