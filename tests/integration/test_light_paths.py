"""Lights as a unit sees them right after a write (services/lights.refresh_items) and after the
scan (refresh_all): the same light and reason on both paths, for the rules the parity tests do
not reach — 未下钻 on an item written to, the thresholds an operator configures.

Written against the survivors of the services mutation run (docs/testing.md, "Services").
"""

import datetime as dt

import pytest

from closedloop.db.tables import Goal, WorkItem
from closedloop.domain.lights import Thresholds
from closedloop.services import items as items_service
from closedloop.services import lights
from closedloop.services.common import Actor, Clock
from tests.factories import GoalFactory, PlanFactory, UnitFactory, WorkItemFactory

SH = dt.timezone(dt.timedelta(hours=8))
ADMIN = Actor(id=None, username="admin", role="admin")


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=SH)


async def _light(item_id: int) -> tuple:
    row = await WorkItem.select(WorkItem.light, WorkItem.light_reason).where(WorkItem.id == item_id).first()
    return row["light"], row["light_reason"]


async def _edit(item_id: int, **values) -> None:
    """The admin edits the item (its lights are recomputed on the write path)."""
    row = await WorkItem.select(WorkItem.version).where(WorkItem.id == item_id).first()
    await items_service.update_item(ADMIN, item_id, row["version"], values)


async def test_an_item_written_to_ten_working_days_after_assignment_without_a_goal_is_yellow_undrilled(clean_db):
    Clock.fixed = at(dt.date(2024, 4, 8))
    plan = await PlanFactory.create(year=2024, issued_on=dt.date(2024, 4, 3))
    unit = await UnitFactory.create()
    item = await WorkItemFactory.create(plan=plan, lead_unit=None, deadline=dt.date(2024, 12, 31))
    await _edit(item.id, lead_unit=unit.id)
    # 9–12 and 15–19 April are nine working days: still green after a write on the 19th
    Clock.fixed = at(dt.date(2024, 4, 19))
    await _edit(item.id, responsible_person="李四")
    assert await _light(item.id) == ("green", None)
    # the tenth, 22 April: a write shows 未下钻 at once, as the scan would
    Clock.fixed = at(dt.date(2024, 4, 22))
    await _edit(item.id, responsible_person="王五")
    assert await _light(item.id) == ("yellow", "未下钻")
    await WorkItem.update({WorkItem.light: None, WorkItem.light_reason: None}).where(WorkItem.id == item.id)
    await lights.refresh_all(dt.date(2024, 4, 22))
    assert await _light(item.id) == ("yellow", "未下钻")


@pytest.mark.parametrize("path", ["write", "scan"])
async def test_the_configured_thresholds_decide_the_light_on_both_paths(clean_db, monkeypatch, path):
    """An operator who sets red at 5 points behind sees red where the default (30) says yellow."""
    Clock.fixed = at(dt.date(2024, 7, 1))
    plan = await PlanFactory.create(year=2024, issued_on=dt.date(2024, 1, 1))
    unit = await UnitFactory.create()
    item = await WorkItemFactory.create(plan=plan, lead_unit=unit, assigned_on=dt.date(2024, 1, 1), deadline=dt.date(2024, 12, 31))
    # half-way through the year the trajectory expects about 50; 38 is ~12 points behind
    goal = await GoalFactory.create(
        plan=plan, item=item.id, baseline=0.0, target=100.0, comparator=">=", deadline=dt.date(2024, 12, 31), actual=38.0, actual_on=dt.date(2024, 6, 28)
    )
    strict = Thresholds(yellow_points=2.0, red_points=5.0)
    for configured, expected in ((Thresholds(), "yellow"), (strict, "red")):
        monkeypatch.setattr(lights, "thresholds", lambda configured=configured: configured)
        if path == "write":
            await _edit(item.id, responsible_person=f"张三{expected}")
        else:
            await lights.refresh_all(dt.date(2024, 7, 1))
        assert (await Goal.select(Goal.light).where(Goal.id == goal.id).first())["light"] == expected
        assert (await _light(item.id))[0] == expected


@pytest.mark.parametrize("path", ["write", "scan"])
async def test_the_configured_due_soon_days_light_an_item_on_both_paths(clean_db, monkeypatch, path):
    """An item without goals, due in a week: green by default (3 days), yellow when the operator
    says due-soon means ten days."""
    Clock.fixed = at(dt.date(2024, 7, 1))
    unit = await UnitFactory.create()
    item = await WorkItemFactory.create(lead_unit=unit, assigned_on=dt.date(2024, 6, 28), deadline=dt.date(2024, 7, 8))
    for configured, expected in ((Thresholds(), "green"), (Thresholds(due_soon_days=10), "yellow")):
        monkeypatch.setattr(lights, "thresholds", lambda configured=configured: configured)
        if path == "write":
            await _edit(item.id, responsible_person=f"张三{expected}")
        else:
            await lights.refresh_all(dt.date(2024, 7, 1))
        assert await _light(item.id) == (expected, None)
