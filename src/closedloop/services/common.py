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
from closedloop.db.tables import ItemUnit, WorkItem
from closedloop.domain.errors import Conflict, Forbidden, NotFound
from closedloop.settings import get_settings

ROLES = ("admin", "supervisor", "lead")


@dataclass(frozen=True)
class Actor:
    """The user on whose behalf a service runs; ``id`` None is the scheduler."""

    id: int | None
    username: str
    role: str
    unit_id: int | None = None
    display_name: str = ""

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def is_supervisor(self) -> bool:
        return self.role == "supervisor"

    @property
    def is_lead(self) -> bool:
        return self.role == "lead"


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
        sql.dump_json(jsonable(before)) if before is not None else None,
        sql.dump_json(jsonable(after)) if after is not None else None,
    )


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


def lead_scope(unit_id: int | None):
    """WHERE clause: items whose lead or cooperating unit is ``unit_id``."""
    return (WorkItem.lead_unit == unit_id) | WorkItem.id.is_in(
        ItemUnit.select(ItemUnit.item).where(ItemUnit.unit == unit_id)
    )


# The lead_scope() condition as SQL text for fixed statements: the item aliased ``w`` is led
# or co-operated on by a unit (the two parameters, both the unit's id).
LEAD_SCOPE_SQL = "(w.lead_unit = {} OR EXISTS (SELECT 1 FROM item_unit iu WHERE iu.item = w.id AND iu.unit = {}))"
ITEM_FOR_LEAD_SQL = f"SELECT w.* FROM work_item w WHERE w.id = {{}} AND w.kind = 'item' AND {LEAD_SCOPE_SQL}"


ARCHIVED = "archived"


def ensure_open(actor: Actor, item: dict) -> None:
    """After 归档 nothing of an item changes except by an admin (whose every write is audited)."""
    if item.get("stage") == ARCHIVED and not actor.is_admin:
        raise Conflict("事项已归档，只有管理员可以修改", [])


async def item_for_write(actor: Actor, item_id: int) -> dict:
    """Read an item the actor may change, in one query that carries the unit check.

    Admins may change any item; leads only items of their unit (lead or cooperating), and not
    once it is archived; supervisors change supervision data, not unit data, through their own
    services.
    """
    if actor.is_lead:
        row = await sql.fetch_one(ITEM_FOR_LEAD_SQL, item_id, actor.unit_id, actor.unit_id)
    elif actor.is_admin:
        row = await sql.fetch_one("SELECT * FROM work_item WHERE id = {} AND kind = 'item'", item_id)
    else:
        raise Forbidden("督查室不直接修改单位填报的数据")
    if row is None:
        if await WorkItem.exists().where((WorkItem.id == item_id) & (WorkItem.kind == "item")):
            raise Forbidden("只能修改本单位牵头或配合的事项")
        raise NotFound("事项不存在")
    ensure_open(actor, row)
    return row


async def item_exists(item_id: int) -> dict:
    row = await WorkItem.select().where((WorkItem.id == item_id) & (WorkItem.kind == "item")).first()
    if row is None:
        raise NotFound("事项不存在")
    return row
