"""The scan's set-based SQL lights agree with the domain rules, on both engines.

The domain functions (``domain.lights``) are the rules; ``services.lights.refresh_all``
restates them in SQL for speed. Several hundred goals with random and boundary values are lit
both ways on several days and every goal light, item light and item completion must match.
"""

import datetime as dt
import random

import pytest

from closedloop.db.tables import Goal, Plan, WorkItem
from closedloop.domain.lights import GoalState, Light, goal_light, item_light
from closedloop.domain.trajectory import Milestone, clamp01, completion, completion_percent
from closedloop.services import lights
from tests.factories import PlanFactory, UnitFactory

DAYS = [dt.date(2024, 1, 1), dt.date(2024, 1, 31), dt.date(2024, 3, 14), dt.date(2024, 4, 10), dt.date(2024, 7, 1), dt.date(2024, 12, 31), dt.date(2025, 2, 1)]


def _value(rng: random.Random) -> float | None:
    return rng.choice([None, 0.0, 10.0, 20.0, 30.0, 50.0, 70.0, 100.0, 120.0, round(rng.uniform(-20, 150), 3)])


async def _build(rng: random.Random) -> None:
    unit = await UnitFactory.create()
    plans = [
        (await PlanFactory.create(year=2024)).id,
        (await PlanFactory.create(year=None, issued_on=dt.date(2024, 2, 15))).id,
        (await PlanFactory.create(year=None, issued_on=None)).id,  # starts on its creation day
    ]
    deadlines = [None, dt.date(2024, 1, 1), dt.date(2024, 2, 1), dt.date(2024, 3, 17), dt.date(2024, 4, 10), dt.date(2024, 6, 30), dt.date(2024, 12, 31)]
    items = []
    for n in range(160):
        items.append(
            WorkItem(
                plan=rng.choice(plans), kind="item", code=f"p{n}", title=f"事项{n}", lead_unit=unit.id,
                deadline=rng.choice(deadlines), stage=rng.choice(["drill", "execute", "execute", "close", "review"]),
                last_report_on=rng.choice([None, dt.date(2024, 1, 10), dt.date(2024, 3, 1), dt.date(2024, 6, 20)]),
            )
        )
    rows = await WorkItem.insert(*items).returning(WorkItem.id, WorkItem.plan)
    goals = []
    for r in rows:
        for k in range(rng.choice([0, 1, 1, 2, 3])):
            baseline = rng.choice([None, 0.0, 10.0, 50.0, 100.0])
            target = rng.choice([None, 0.0, 50.0, 100.0, 100.0, 200.0])
            deadline = rng.choice(deadlines + [dt.date(2024, 4, 10)])
            milestones = None
            if rng.random() < 0.1 and deadline:
                milestones = [{"on": "2024-03-01", "value": 40.0}, {"on": "2024-05-01", "value": 60.0}]
            elif rng.random() < 0.05:
                milestones = []
            goals.append(
                Goal(
                    plan=r["plan"], item=r["id"], subject=f"指标{r['id']}-{k}", comparator=rng.choice([">=", ">=", ">", "<=", "<", "=", None]),
                    baseline=baseline, target=target, deadline=deadline, milestones=milestones, actual=_value(rng),
                    actual_on=rng.choice([None, dt.date(2024, 1, 20), dt.date(2024, 3, 14), dt.date(2024, 5, 5), dt.date(2025, 1, 5)]),
                )
            )
    await Goal.insert(*goals)


def _start(plan: dict) -> dt.date:
    if plan["year"]:
        return dt.date(plan["year"], 1, 1)
    if plan["issued_on"]:
        return plan["issued_on"]
    return plan["created_at"].date()


def _state(g: dict, start: dt.date, last_report_on: dt.date | None) -> GoalState:
    return GoalState(
        comparator=g["comparator"], baseline=g["baseline"], target=g["target"], deadline=g["deadline"], actual=g["actual"], start=start,
        milestones=tuple(Milestone(dt.date.fromisoformat(m["on"]), m["value"]) for m in (g["milestones"] or [])),
        last_report_on=max(filter(None, [last_report_on, g["actual_on"]]), default=None), reached_on=g["actual_on"],
    )


@pytest.mark.parametrize("seed", [1, 2])
async def test_sql_lights_equal_the_domain_rules(clean_db, seed):
    rng = random.Random(seed)
    await _build(rng)
    plans = {p["id"]: p for p in await Plan.select()}
    items = await WorkItem.select().where(WorkItem.kind == "item")
    goals = await Goal.select().output(load_json=True)
    by_item: dict[int, list[dict]] = {}
    for g in goals:
        by_item.setdefault(g["item"], []).append(g)
    seen = set()
    for day in DAYS:
        changed = await lights.refresh_all(day)
        assert changed >= 0
        stored_goals = {g["id"]: g["light"] for g in await Goal.select(Goal.id, Goal.light)}
        stored_items = {w["id"]: (w["light"], w["completion"]) for w in await WorkItem.select(WorkItem.id, WorkItem.light, WorkItem.completion)}
        for item in items:
            start = _start(plans[item["plan"]])
            goal_lights, completions = [], []
            for g in by_item.get(item["id"], []):
                expected = goal_light(_state(g, start, item["last_report_on"]), day)
                goal_lights.append(expected)
                assert stored_goals[g["id"]] == (expected.value if expected else None), (day, g)
                seen.add(expected)
                c = completion(g["actual"], g["baseline"], g["target"], g["comparator"])
                if c is not None:
                    completions.append(clamp01(c))
            light = item_light(goal_lights, deadline=item["deadline"], done=item["stage"] in lights.DONE_STAGES, as_of=day)
            assert stored_items[item["id"]] == (light.value if light else None, completion_percent(completions)), (day, item)
    assert seen == {None, *Light}  # every light, and none, occurred


async def test_second_refresh_changes_nothing(clean_db):
    await _build(random.Random(3))
    assert await lights.refresh_all(dt.date(2024, 7, 1)) > 0
    assert await lights.refresh_all(dt.date(2024, 7, 1)) == 0


async def test_write_path_and_scan_agree(clean_db):
    """After a write only that item is refreshed (in Python); the scan must not then change it."""
    await _build(random.Random(4))
    day = dt.date(2024, 3, 14)
    ids = [w["id"] for w in await WorkItem.select(WorkItem.id).where(WorkItem.kind == "item")]
    refreshed = await lights.refresh_items(day, ids)
    assert refreshed.items_changed > 0 and refreshed.goal_lights
    after_write = await Goal.select(Goal.id, Goal.light).order_by(Goal.id)
    assert await lights.refresh_all(day) == 0
    assert await Goal.select(Goal.id, Goal.light).order_by(Goal.id) == after_write
    assert any(g["light"] for g in after_write)
