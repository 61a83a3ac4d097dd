"""Backfill for the previous migration.

work_item.assigned_on: the day of the first audited update that gave the item a lead unit,
else (no audit trail) the day the item was created, so that an item already assigned keeps a
trajectory starting no later than before plus the time it really had. Items without a lead
unit stay unassigned (null).

Linked item goals (goal.plan_goal) take target, comparator and measure unit from their plan
goal: they are the same indicator, and copies had drifted (≥200 against a plan goal of >200).
"""

import datetime as dt
import json

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-28T16:40:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "backfill assignment days; linked goals follow their plan goal"

ALIGN = (
    'UPDATE "goal" SET "target" = (SELECT p."target" FROM "goal" p WHERE p."id" = "goal"."plan_goal"), '
    '"comparator" = (SELECT p."comparator" FROM "goal" p WHERE p."id" = "goal"."plan_goal"), '
    '"measure_unit" = (SELECT p."measure_unit" FROM "goal" p WHERE p."id" = "goal"."plan_goal") '
    'WHERE "plan_goal" IS NOT NULL'
)


def _day(value) -> dt.date:
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if isinstance(value, dt.datetime):
        # the service's zone (Asia/Shanghai by default): the day people saw
        from closedloop.services.common import local_zone

        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.timezone.utc)
        return value.astimezone(local_zone()).date()
    return value


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="closedloop", description=DESCRIPTION)

    async def backfill():
        db = engine_finder()
        from piccolo.querystring import QueryString

        items = await db.run_querystring(QueryString('SELECT "id", "created_at" FROM "work_item" WHERE "lead_unit" IS NOT NULL'))
        first: dict[int, dt.date] = {}
        events = await db.run_querystring(
            QueryString('SELECT "entity_id", "at", "after" FROM "audit_event" WHERE "entity" = \'item\' AND "action" = \'update\' ORDER BY "at", "id"')
        )
        for e in events:
            after = e["after"]
            if isinstance(after, str):
                try:
                    after = json.loads(after)
                except ValueError:
                    continue
            if isinstance(after, dict) and after.get("lead_unit") and e["entity_id"] not in first:
                first[e["entity_id"]] = _day(e["at"])
        for item in items:
            day = first.get(item["id"]) or _day(item["created_at"])
            await db.run_querystring(QueryString('UPDATE "work_item" SET "assigned_on" = {} WHERE "id" = {}', day, item["id"]))
        await db.run_ddl(ALIGN)

    manager.add_raw(backfill)
    return manager
