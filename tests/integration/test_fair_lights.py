"""Fair from the first week: trajectories start when an item is assigned, 未下钻 is yellow,
the unit light is in points, plan goals roll up from the item goal that reports them, the
calendar says when a year is not covered."""

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest

from closedloop.db.tables import Goal, Plan, WorkItem, WorkdayOverride
from closedloop.domain.trajectory import expected_value, goal_start
from closedloop.services import items as items_service
from closedloop.services import lights, metrics, plans, progress, publishing, scan, workdays
from closedloop.services.common import Actor, Clock
from closedloop.settings import get_settings
from tests.factories import GoalFactory, PlanFactory, UnitFactory, WorkItemFactory

SH = dt.timezone(dt.timedelta(hours=8))
ADMIN = Actor(id=None, username="admin", role="admin")
SEED = Path(__file__).resolve().parents[2].parent / "shared" / "seed" / "banan-2024-plan.txt"
if not SEED.exists():  # a worktree sits one level deeper than the main checkout
    SEED = Path(__file__).resolve().parents[3].parent / "shared" / "seed" / "banan-2024-plan.txt"


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=SH)


@pytest.fixture
def clock():
    yield Clock
    Clock.fixed = None


async def assign(item_id: int, unit_id: int) -> None:
    row = await WorkItem.select(WorkItem.version).where(WorkItem.id == item_id).first()
    await items_service.update_item(ADMIN, item_id, row["version"], {"lead_unit": unit_id})


@pytest.mark.skipif(not SEED.exists(), reason="the seed plan is not beside the checkout")
async def test_a_fresh_import_with_every_goal_on_its_trajectory_has_no_red_unit(clean_db, clock):
    clock.fixed = at(dt.date(2024, 4, 5))
    result = await plans.import_plan(ADMIN, SEED.read_text(encoding="utf-8"))
    plan_id = result["plan_id"]
    units = [await UnitFactory.create(name=f"单位{n}") for n in range(8)]
    items = await WorkItem.select(WorkItem.id).where((WorkItem.plan == plan_id) & (WorkItem.kind == "item")).order_by(WorkItem.seq)
    clock.fixed = at(dt.date(2024, 4, 8))
    for n, item in enumerate(items):
        await assign(item["id"], units[n % len(units)].id)
    # linked item goals restate the plan goal exactly
    plan_goals = {g["id"]: g for g in await Goal.select().where((Goal.plan == plan_id) & Goal.item.is_null())}
    linked = await Goal.select().where((Goal.plan == plan_id) & Goal.plan_goal.is_not_null())
    assert linked and all(
        (g["target"], g["comparator"], g["measure_unit"]) == (plan_goals[g["plan_goal"]]["target"], plan_goals[g["plan_goal"]]["comparator"], plan_goals[g["plan_goal"]]["measure_unit"])
        for g in linked
    )
    # every goal reports exactly its 序时 value of the cut-off (15 April 09:00)
    plan = await Plan.select().where(Plan.id == plan_id).first()
    assert plan["issued_on"] == dt.date(2024, 4, 3)
    clock.fixed = at(dt.date(2024, 4, 12))
    item_goals = await Goal.select().where((Goal.plan == plan_id) & Goal.item.is_not_null())
    by_item: dict[int, list] = {}
    for g in item_goals:
        value = expected_value(dt.date(2024, 4, 15), start=goal_start(None, plan["issued_on"], dt.date(2024, 4, 8)), deadline=g["deadline"], baseline=g["baseline"], target=g["target"])
        by_item.setdefault(g["item"], []).append((g["id"], round(value, 6)))
    for item_id, values in by_item.items():
        await progress.create_report(ADMIN, item_id, period="2024-W15", narrative="按序时推进", goal_values=values)
    clock.fixed = at(dt.date(2024, 4, 15))
    await scan.scan()
    pub, _ = await publishing.publish("weekly", "2024-W15")
    rows = (await publishing.get_publication(pub["id"]))["rows"]
    assert len(rows) == len(units)
    assert {r["light"] for r in rows} <= {"green", "blue"}, [(r["unit_name"], r["light"], r["behind_points"]) for r in rows]
    assert not any(w["light"] == "red" for w in await WorkItem.select(WorkItem.light).where(WorkItem.plan == plan_id))
    # the plan goals at the top of the edition carry the value of their reporting item goal
    shown = pub["plan_goals"] if isinstance(pub["plan_goals"], list) else (await publishing.get_publication(pub["id"]))["plan_goals"]
    assert len(shown) == len(plan_goals) and all(g["actual"] is not None for g in shown if g["reporting_goal"])
    assert "工作目标进展" in pub["body_md"] and all(g["light"] in ("green", "blue", None) for g in shown)


async def test_a_goal_assigned_with_its_baseline_is_green_that_day(clean_db, clock):
    clock.fixed = at(dt.date(2024, 4, 8))
    plan = await PlanFactory.create(year=2024, issued_on=dt.date(2024, 1, 10))
    unit = await UnitFactory.create()
    item = await WorkItemFactory.create(plan=plan, lead_unit=None, assigned_on=None)
    goal = await GoalFactory.create(plan=plan, item=item.id, baseline=280.0, target=330.0, actual=280.0, deadline=dt.date(2024, 12, 31))
    await assign(item.id, unit.id)
    assert (await WorkItem.select(WorkItem.assigned_on).where(WorkItem.id == item.id).first())["assigned_on"] == dt.date(2024, 4, 8)
    assert (await Goal.select(Goal.light).where(Goal.id == goal.id).first())["light"] == "green"
    # from 1 January it would have been 27 points behind: yellow
    await Goal.update({Goal.start: dt.date(2024, 1, 1)}).where(Goal.id == goal.id)
    await lights.refresh_all(dt.date(2024, 4, 8))
    assert (await Goal.select(Goal.light).where(Goal.id == goal.id).first())["light"] == "yellow"


async def test_an_item_without_a_goal_ten_working_days_after_assignment_is_yellow_undrilled(clean_db, clock, database_url):
    clock.fixed = at(dt.date(2024, 4, 8))
    plan = await PlanFactory.create(year=2024, issued_on=dt.date(2024, 4, 3))
    unit = await UnitFactory.create()
    item = await WorkItemFactory.create(plan=plan, lead_unit=None, deadline=dt.date(2024, 12, 31))
    await assign(item.id, unit.id)
    clock.fixed = None
    env = {**os.environ, "CLOSEDLOOP_DATABASE_URL": database_url}

    def scan_on(day: str) -> str:
        out = subprocess.run([sys.executable, "-m", "closedloop.cli", "scan", "--as-of", day], env=env, capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, out.stderr
        return out.stdout

    # 9–12 April and 15–19 April are nine working days; 22 April is the tenth
    assert "扫描完成" in scan_on("2024-04-19")
    row = await WorkItem.select(WorkItem.light, WorkItem.light_reason).where(WorkItem.id == item.id).first()
    assert (row["light"], row["light_reason"]) == ("green", None)
    scan_on("2024-04-22")
    row = await WorkItem.select(WorkItem.light, WorkItem.light_reason).where(WorkItem.id == item.id).first()
    assert (row["light"], row["light_reason"]) == ("yellow", "未下钻")
    # the edition of that week counts it, and the unit is yellow
    clock.fixed = at(dt.date(2024, 4, 29))
    pub, _ = await publishing.publish("weekly", "2024-W17")
    (r,) = (await publishing.get_publication(pub["id"]))["rows"]
    assert r["undrilled_items"] == 1 and r["light"] == "yellow"
    # a goal ends it
    await GoalFactory.create(plan=plan, item=item.id, created_at=at(dt.date(2024, 4, 29)))
    await lights.refresh_all(dt.date(2024, 4, 29))
    assert (await WorkItem.select(WorkItem.light_reason).where(WorkItem.id == item.id).first())["light_reason"] is None


def test_scan_as_of_rejects_a_malformed_date(database_url):
    env = {**os.environ, "CLOSEDLOOP_DATABASE_URL": database_url}
    out = subprocess.run([sys.executable, "-m", "closedloop.cli", "scan", "--as-of", "2024-13-01"], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 1 and "YYYY-MM-DD" in out.stderr


async def test_a_plan_goal_takes_the_value_of_the_item_goal_chosen_to_report_it(clean_db, clock):
    clock.fixed = at(dt.date(2024, 6, 1))
    plan = await PlanFactory.create(year=2024, issued_on=dt.date(2024, 4, 3))
    target = await GoalFactory.create(plan=plan, item=None, subject="高新技术企业", comparator=">", target=330.0, created_at=at(dt.date(2024, 4, 3)))
    values = []
    for n, actual in enumerate((300.0, 331.0)):
        item = await WorkItemFactory.create(plan=plan, assigned_on=dt.date(2024, 4, 8))
        g = await GoalFactory.create(
            plan=plan, item=item.id, plan_goal=target.id, comparator=">", target=330.0, baseline=280.0, seq=n, actual=actual,
            created_at=at(dt.date(2024, 4, 8)), updated_at=at(dt.date(2024, 4, 8)),
        )
        values.append(g)
    cut = metrics.Cut(at=at(dt.date(2024, 6, 1), 9), day=dt.date(2024, 6, 1), since=at(dt.date(2024, 5, 1), 9))
    (first,) = await metrics.plan_goals_as_of(cut, get_settings().lights)
    assert (first["actual"], first["reporting_goal"]) == (300.0, values[0].id)  # the first by default
    await Goal.update({Goal.reports_plan_goal: True}).where(Goal.id == values[1].id)
    (chosen,) = await metrics.plan_goals_as_of(cut, get_settings().lights)
    assert (chosen["actual"], chosen["light"], chosen["completion"]) == (331.0, "blue", 1.0)
    # and as of a day before those goals existed there is nothing to show
    early = metrics.Cut(at=at(dt.date(2024, 4, 5), 9), day=dt.date(2024, 4, 5), since=at(dt.date(2024, 4, 1), 9))
    (before,) = await metrics.plan_goals_as_of(early, get_settings().lights)
    assert before["actual"] is None and before["light"] is None


async def test_the_calendar_says_when_a_year_is_not_covered_and_takes_the_admins_days(client, clock):
    from closedloop.domain.workdays import covered, is_workday

    year = next(y for y in range(2026, 2100) if not covered(y))
    today = dt.date(year, 1, 5)
    assert any(f"{year}年" in w for w in await workdays.warnings(today))
    await workdays.set_day(ADMIN, dt.date(year, 1, 1), False, "元旦")
    assert not any(f"{year}年的" in w for w in await workdays.warnings(today))
    overrides = await workdays.overrides()
    assert not is_workday(dt.date(year, 1, 1), overrides) or dt.date(year, 1, 1).weekday() >= 5
    clock.fixed = at(today)
    report = await scan.scan()
    assert any(f"{year + 1}年" in w for w in report.warnings) or covered(year + 1)
    assert await WorkdayOverride.count() == 1



async def test_the_admin_chooses_the_reporting_goal_through_the_api(client, world):
    plan, early = world.plan, at(dt.date(2024, 4, 8))
    target = await GoalFactory.create(plan=plan, item=None, subject="高新技术企业", comparator=">", target=330.0, created_at=early, updated_at=early)
    first = await GoalFactory.create(plan=plan, item=world.item_a.id, plan_goal=target.id, comparator=">", target=330.0, baseline=280.0, actual=300.0, created_at=early, updated_at=early)
    second = await GoalFactory.create(plan=plan, item=world.item_b.id, plan_goal=target.id, comparator=">", target=330.0, baseline=280.0, actual=320.0, seq=1, created_at=early, updated_at=early)
    url = f"/api/v1/plans/{plan.id}/goal-progress"
    (shown,) = [g for g in (await client.get(url)).json() if g["id"] == target.id]  # public, no login
    assert (shown["actual"], shown["reporting_goal"]) == (300.0, first.id)
    r = await client.put(f"/api/v1/plan-goals/{target.id}/reporter", json={"goal_id": second.id}, headers=world.headers["lead_a"])
    assert r.status_code == 403
    r = await client.put(f"/api/v1/plan-goals/{target.id}/reporter", json={"goal_id": world.goal_a.id}, headers=world.headers["admin"])
    assert r.status_code == 422 and "goal_id" in r.text
    r = await client.put(f"/api/v1/plan-goals/{target.id}/reporter", json={"goal_id": second.id}, headers=world.headers["admin"])
    assert r.status_code == 200
    (shown,) = [g for g in (await client.get(url)).json() if g["id"] == target.id]
    assert (shown["actual"], shown["reporting_goal"], shown["completion"]) == (320.0, second.id, 0.8)
    # as of a day before the item goals existed there was no value yet
    (then,) = [g for g in (await client.get(url, params={"as_of": "2024-04-05"})).json() if g["id"] == target.id]
    assert then["actual"] is None


async def test_start_up_logs_a_year_the_calendar_does_not_cover(clean_db, clock, caplog):
    import logging

    from closedloop.app import _calendar_warnings
    from closedloop.domain.workdays import covered

    year = next(y for y in range(2026, 2100) if not covered(y))
    clock.fixed = at(dt.date(year, 3, 2))
    with caplog.at_level(logging.WARNING, logger="closedloop"):
        await _calendar_warnings()
    assert any(f"{year}年的法定节假日和调休安排尚未收录" in r.getMessage() for r in caplog.records)
