"""What every service shares: the acting user, the clock, audit events, optimistic updates."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from piccolo.table import Table

from closedloop.db import sql
from closedloop.db.tables import WorkItem
from closedloop.domain.errors import Conflict, NotFound
from closedloop.settings import get_settings

@dataclass(frozen=True)
class Actor:
    """The user on whose behalf a service runs; ``id`` None is the scheduler. What a role may
    do is asked of ``services.access``, not worked out from ``role`` at the call site."""

    id: int | None
    username: str
    role: str
    unit_id: int | None = None
    display_name: str = ""


SYSTEM = Actor(id=None, username="system", role="system", display_name="系统")


class Clock:
    """Current time; tests and ``--as-of`` replace ``fixed``."""

    fixed: dt.datetime | None = None

    @classmethod
    def now(cls) -> dt.datetime:
        return cls.fixed or dt.datetime.now(dt.timezone.utc)

    @classmethod
    def today(cls) -> dt.date:
        return cls.now().astimezone(local_zone()).date()


def local_zone() -> ZoneInfo:
    """The bureau's time zone (Asia/Shanghai unless configured)."""
    return ZoneInfo(get_settings().timezone)


def jsonable(value: Any) -> Any:
    """Row values made JSON-safe for audit before/after."""
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items() if k not in ("password_hash", "content", "token_hash")}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    return value


def audit_json(value: dict | None) -> str | None:
    """An audit event's ``before`` or ``after`` as stored (JSON text of :func:`jsonable`)."""
    return sql.dump_json(jsonable(value)) if value is not None else None


AUDIT_SQL = (
    'INSERT INTO audit_event ("at", "actor", "actor_name", "action", "entity", "entity_id", "item", "before", "after") '
    "VALUES ({}, {}, {}, {}, {}, {}, {}, {}, {})"
)


async def audit(
    actor: Actor,
    action: str,
    entity: str,
    entity_id: int | None,
    *,
    item_id: int | None = None,
    before: dict | None = None,
    after: dict | None = None,
) -> None:
    """Append an audit event; call inside the transaction of the change it records."""
    await sql.execute(
        AUDIT_SQL,
        Clock.now(),
        actor.id,
        actor.display_name or actor.username,
        action,
        entity,
        entity_id,
        item_id,
        audit_json(before),
        audit_json(after),
    )


@lru_cache(maxsize=64)
def _audit_many_sql(n: int) -> str:
    head, values = AUDIT_SQL.split(" VALUES ")
    return f"{head} VALUES {', '.join([values] * n)}"


@dataclass(frozen=True)
class AuditEntry:
    action: str
    entity: str
    entity_id: int | None
    item_id: int | None = None
    before: dict | None = None
    after: dict | None = None


async def audit_many(actor: Actor, entries: list[AuditEntry]) -> None:
    """Append several audit events in one statement per 500 (their ids in the order given),
    as :func:`audit` would one by one; call inside the transaction of the change."""
    at, name = Clock.now(), actor.display_name or actor.username
    for start in range(0, len(entries), 500):
        chunk = entries[start : start + 500]
        args: list[Any] = []
        for e in chunk:
            args += [at, actor.id, name, e.action, e.entity, e.entity_id, e.item_id, audit_json(e.before), audit_json(e.after)]
        await sql.execute(_audit_many_sql(len(chunk)), *args)


@lru_cache(maxsize=256)
def _update_sql(table: type[Table], names: tuple[str, ...]) -> str:
    sets = [f'"{n}" = {{}}' for n in names] + ['"version" = "version" + 1']
    if "updated_at" in sql.column_names(table):
        sets.append('"updated_at" = {}')
    return f'UPDATE "{table._meta.tablename}" SET {", ".join(sets)} WHERE "id" = {{}} AND "version" = {{}} RETURNING *'


async def versioned_update(table: type[Table], row_id: int, version: int, values: dict, what: str) -> dict:
    """Update one row only if its version is still ``version``; return the new row.

    The version check and the write are one UPDATE, so two clients holding the same
    version cannot both succeed: the second gets Conflict and changes nothing.
    ``values`` maps the table's columns to their new values.
    """
    names = tuple(c._meta.db_column_name for c in values)
    json_cols = sql.json_columns(table)
    args = [sql.dump_json(v) if n in json_cols and not isinstance(v, str) else v for n, v in zip(names, values.values())]
    if "updated_at" in sql.column_names(table):
        args.append(Clock.now())
    row = await sql.fetch_one(_update_sql(table, names), *args, row_id, version)
    if row is not None:
        return row
    current = await sql.fetch_one(f'SELECT "version" FROM "{table._meta.tablename}" WHERE "id" = {{}}', row_id)
    if current is None:
        raise NotFound(f"{what}不存在")
    raise Conflict(
        f"{what}已被他人修改（当前版本 {current['version']}，提交的版本 {version}），请刷新后重试",
        [],
    )


async def item_exists(item_id: int) -> dict:
    row = await WorkItem.select().where((WorkItem.id == item_id) & (WorkItem.kind == "item")).first()
    if row is None:
        raise NotFound("事项不存在")
    return row
