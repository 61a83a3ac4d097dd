"""PostgreSQL files a lead's report of an item's goals with one read and one write statement, the
write only if the item and its goals are still as read (``progress._one_report_pg``). When another
writer changed them in between, the report is filed by the general path under lock: once, with
the value and the lights the later state gives, or refused as that state requires."""

from __future__ import annotations

import asyncio
import contextvars

import pytest

from closedloop.db import sql
from closedloop.domain.errors import Invalid
from closedloop.services import lights, progress
from closedloop.services.common import Actor, Clock
from tests.conftest import IS_PG
from tests.factories import GoalFactory

pytestmark = pytest.mark.skipif(not IS_PG, reason="the two-statement report is PostgreSQL's")

PERIOD = "2024-W23"  # the client fixture's week


def _lead(world) -> Actor:
    return Actor(id=world.users["lead_a"].id, username="lead_a", role="lead", unit_id=world.unit_a.id)


def _between_read_and_write(monkeypatch, write) -> list[int]:
    """Run ``write`` (on its own connection, committed) once, after the report's read and before
    its write; returns a list that counts the general path's item locks."""
    real_columns, real_items = progress._report_column_order, progress._items_for_write
    done: list[bool] = []
    general: list[int] = []

    async def columns():  # the last thing the short path awaits before its write
        if not done:
            done.append(True)
            await asyncio.create_task(write(), context=contextvars.Context())
        return await real_columns()

    async def items_for_write(actor, item_ids):
        general.append(len(item_ids))
        return await real_items(actor, item_ids)

    monkeypatch.setattr(progress, "_report_column_order", columns)
    monkeypatch.setattr(progress, "_items_for_write", items_for_write)
    return general


async def test_a_report_alone_takes_two_statements_and_the_general_path_is_not_used(client, world, monkeypatch):
    general = _between_read_and_write(monkeypatch, lambda: asyncio.sleep(0))
    filed = await progress.create_report(_lead(world), world.item_a.id, period=PERIOD, narrative="本周推进", goal_values=[(world.goal_a.id, 310.0)])
    assert filed["kind"] == "report" and general == []
    assert (await sql.fetch_one("SELECT actual FROM goal WHERE id = {}", world.goal_a.id))["actual"] == 310.0  # type: ignore[index]


async def test_a_goal_changed_between_read_and_write_sends_the_report_down_the_general_path(client, world, monkeypatch):
    other = await GoalFactory.create(plan=world.plan, item=world.item_a.id, baseline=0.0, target=10.0)

    async def admin_sets_a_light():  # any write to one of the item's goals
        await sql.execute("UPDATE goal SET light = 'red' WHERE id = {}", other.id)

    general = _between_read_and_write(monkeypatch, admin_sets_a_light)
    filed = await progress.create_report(_lead(world), world.item_a.id, period=PERIOD, narrative="本周推进", goal_values=[(world.goal_a.id, 310.0)])
    assert general == [1]  # the short path wrote nothing and handed over
    reports = await sql.fetch("SELECT id, kind FROM progress_report WHERE item = {}", world.item_a.id)
    assert [(r["id"], r["kind"]) for r in reports] == [(filed["id"], "report")]
    assert (await sql.fetch_one("SELECT actual FROM goal WHERE id = {}", world.goal_a.id))["actual"] == 310.0  # type: ignore[index]
    events = await sql.fetch("SELECT action FROM audit_event WHERE item = {} ORDER BY id", world.item_a.id)
    assert [e["action"] for e in events] == ["report", "actual"]


async def test_a_report_filed_by_another_in_between_makes_this_one_a_correction_that_needs_a_reason(client, world, monkeypatch):
    lead = _lead(world)
    # reported on today already, lights up to date: a narrative-only report changes neither the
    # item nor its goals, only the unique index on the period's reports tells the two apart
    await sql.execute("UPDATE work_item SET last_report_on = {} WHERE id = {}", Clock.today(), world.item_a.id)
    await lights.refresh(Clock.today(), [world.item_a.id])

    async def colleague_reports():
        await progress.create_reports(lead, PERIOD, [progress.ReportIn(world.item_a.id, "同事先报了", None, [])])

    general = _between_read_and_write(monkeypatch, colleague_reports)
    refusals: list[bool] = []
    real_unique = sql.is_unique_violation
    monkeypatch.setattr(sql, "is_unique_violation", lambda exc: refusals.append(real_unique(exc)) or refusals[-1])
    with pytest.raises(Invalid) as refused:
        await progress.create_report(lead, world.item_a.id, period=PERIOD, narrative="本周推进", goal_values=[])
    assert refusals == [True]  # the index refused the second first report; nothing of it was written
    assert [p.field for p in refused.value.problems] == ["reason"] and general == [1]
    assert [r["narrative"] for r in await sql.fetch("SELECT narrative FROM progress_report WHERE item = {}", world.item_a.id)] == ["同事先报了"]
