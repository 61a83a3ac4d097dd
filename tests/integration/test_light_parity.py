"""The scan's set-based SQL lights agree with the domain rules, on both engines.

The domain functions (``domain.lights``, ``domain.trajectory``) are the rules;
``services.lights.refresh_all`` restates them in SQL for speed. Several hundred goals with
random and boundary values (every comparator and none, target equal to baseline, explicit and
derived trajectory starts, items assigned without goals) are lit both ways on several days and
every goal light, item light, light reason and item completion must match. Worlds come from
seeded ``random`` and from hypothesis.
"""

import datetime as dt
import random

import pytest
from hypothesis import given, settings, strategies as st

from closedloop.db.tables import Goal, Plan, Unit, WorkItem
from tests.factories import ITEM_CREATED_AT
from closedloop.domain.lights import GoalState, Light, goal_light, item_light_with_reason, undrilled
from closedloop.domain.trajectory import Milestone, clamp01, completion, completion_percent, goal_start, plan_date
from closedloop.services import lights
from tests.factories import PlanFactory, UnitFactory

DAYS = [dt.date(2024, 1, 1), dt.date(2024, 1, 31), dt.date(2024, 3, 14), dt.date(2024, 4, 10), dt.date(2024, 7, 1), dt.date(2024, 12, 31), dt.date(2025, 2, 1)]


def _value(rng: random.Random) -> float | None:
    return rng.choice([None, 0.0, 10.0, 20.0, 30.0, 50.0, 70.0, 100.0, 120.0, round(rng.uniform(-20, 150), 3)])


ASSIGNED = [None, dt.date(2023, 12, 1), dt.date(2024, 1, 15), dt.date(2024, 3, 1), dt.date(2024, 3, 30), dt.date(2024, 4, 8), dt.date(2024, 6, 20)]
STARTS = [None, None, None, dt.date(2024, 2, 1), dt.date(2024, 5, 1)]


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
                assigned_on=rng.choice(ASSIGNED),
            )
        )
    rows = await WorkItem.insert(*items).returning(WorkItem.id, WorkItem.plan)
    goals = []
    for r in rows:
        for k in range(rng.choice([0, 1, 1, 2, 3])):
            baseline = rng.choice([None, 0.0, 10.0, 50.0, 100.0])
            target = rng.choice([None, 0.0, 50.0, 100.0, 100.0, 200.0, baseline])
            deadline = rng.choice(deadlines + [dt.date(2024, 4, 10)])
            milestones = None
            if rng.random() < 0.1 and deadline:
                milestones = [{"on": "2024-03-01", "value": 40.0}, {"on": "2024-05-01", "value": 60.0}]
            elif rng.random() < 0.05:
                milestones = []
            goals.append(
                Goal(
                    plan=r["plan"], item=r["id"], subject=f"指标{r['id']}-{k}", comparator=rng.choice([">=", ">=", ">", "<=", "<", "=", None]),
                    baseline=baseline, target=target, deadline=deadline, milestones=milestones, actual=rng.choice([_value(rng), target]),
                    start=rng.choice(STARTS),
                    actual_on=rng.choice([None, dt.date(2024, 1, 20), dt.date(2024, 3, 14), dt.date(2024, 5, 5), dt.date(2025, 1, 5)]),
                )
            )
    await Goal.insert(*goals)


def _start(plan: dict, item: dict, goal: dict) -> dt.date:
    day = plan_date(plan["issued_on"], plan["year"], plan["created_at"].astimezone(dt.timezone.utc).date())
    return goal_start(goal["start"], day, item["assigned_on"])


def _state(g: dict, start: dt.date, last_report_on: dt.date | None) -> GoalState:
    return GoalState(
        comparator=g["comparator"], baseline=g["baseline"], target=g["target"], deadline=g["deadline"], actual=g["actual"], start=start,
        milestones=tuple(Milestone(dt.date.fromisoformat(m["on"]), m["value"]) for m in (g["milestones"] or [])),
        last_report_on=max(filter(None, [last_report_on, g["actual_on"]]), default=None), reached_on=g["actual_on"],
    )


async def _check_against_domain(days: list[dt.date]) -> set:
    plans = {p["id"]: p for p in await Plan.select()}
    items = await WorkItem.select().where(WorkItem.kind == "item")
    goals = await Goal.select().output(load_json=True)
    by_item: dict[int, list[dict]] = {}
    for g in goals:
        by_item.setdefault(g["item"], []).append(g)
    seen = set()
    for day in days:
        changed = await lights.refresh_all(day)
        assert changed >= 0
        stored_goals = {g["id"]: g["light"] for g in await Goal.select(Goal.id, Goal.light)}
        stored_items = {
            w["id"]: (w["light"], w["light_reason"], w["completion"])
            for w in await WorkItem.select(WorkItem.id, WorkItem.light, WorkItem.light_reason, WorkItem.completion)
        }
        for item in items:
            goal_lights, completions = [], []
            for g in by_item.get(item["id"], []):
                expected = goal_light(_state(g, _start(plans[item["plan"]], item, g), item["last_report_on"]), day)
                goal_lights.append(expected)
                assert stored_goals[g["id"]] == (expected.value if expected else None), (day, g)
                seen.add(expected)
                c = completion(g["actual"], g["baseline"], g["target"], g["comparator"])
                if c is not None:
                    completions.append(clamp01(c))
            lit = item_light_with_reason(
                goal_lights, deadline=item["deadline"], done=item["stage"] in lights.DONE_STAGES, as_of=day,
                is_undrilled=undrilled(item["id"] in by_item, item["assigned_on"], day),
            )
            seen.add(lit.reason)
            assert stored_items[item["id"]] == (lit.light.value if lit.light else None, lit.reason, completion_percent(completions)), (day, item)
    return seen


@pytest.mark.parametrize("seed", [1, 2])
async def test_sql_lights_equal_the_domain_rules(clean_db, seed):
    await _build(random.Random(seed))
    seen = await _check_against_domain(DAYS)
    assert {None, *Light, "未下钻"} <= seen  # every light, none, and the 未下钻 reason occurred


_number = st.one_of(st.none(), st.sampled_from([0.0, 10.0, 50.0, 100.0, 200.0]), st.floats(-50, 250, allow_nan=False).map(lambda x: round(x, 2)))
_day = st.dates(dt.date(2023, 12, 1), dt.date(2025, 1, 31))
_goal = st.fixed_dictionaries({
    "comparator": st.sampled_from([">=", ">", "<=", "<", "=", None]),
    "baseline": _number, "target": _number, "actual": _number, "equal": st.booleans(),
    "deadline": st.one_of(st.none(), _day), "start": st.one_of(st.none(), _day), "actual_on": st.one_of(st.none(), _day),
    "milestones": st.sampled_from([None, [], [{"on": "2024-03-01", "value": 40.0}]]),
})
_item = st.fixed_dictionaries({
    "deadline": st.one_of(st.none(), _day), "assigned_on": st.one_of(st.none(), _day), "last_report_on": st.one_of(st.none(), _day),
    "stage": st.sampled_from(["drill", "execute", "close"]), "goals": st.lists(_goal, max_size=3),
})
_world = st.fixed_dictionaries({
    "issued_on": st.one_of(st.none(), _day), "year": st.sampled_from([None, 2024]), "items": st.lists(_item, min_size=1, max_size=25),
    "days": st.lists(_day, min_size=1, max_size=3),
})


def _worlds(n: int) -> list[dict]:
    """Worlds drawn by hypothesis (collected first: the database work runs in the test's loop)."""
    out: list[dict] = []

    @settings(max_examples=n, database=None, derandomize=True, deadline=None)
    @given(_world)
    def collect(world):
        out.append(world)

    collect()
    return out


async def test_sql_lights_equal_the_domain_rules_on_generated_worlds(clean_db):
    for world in _worlds(25):
        for table in (Goal, WorkItem, Plan, Unit):
            await table.delete(force=True)
        unit = await UnitFactory.create()
        plan = await PlanFactory.create(year=world["year"], issued_on=world["issued_on"])
        for n, spec in enumerate(world["items"]):
            item = (await WorkItem.insert(WorkItem(
                plan=plan.id, kind="item", code=f"h{n}", title=f"事项{n}", lead_unit=unit.id, deadline=spec["deadline"],
                stage=spec["stage"], last_report_on=spec["last_report_on"], assigned_on=spec["assigned_on"],
            )).returning(WorkItem.id))[0]["id"]
            for k, g in enumerate(spec["goals"]):
                target = g["baseline"] if g["equal"] else g["target"]
                await Goal.insert(Goal(
                    plan=plan.id, item=item, subject=f"指标{k}", comparator=g["comparator"], baseline=g["baseline"], target=target,
                    deadline=g["deadline"], start=g["start"], milestones=g["milestones"], actual=g["actual"], actual_on=g["actual_on"],
                ))
        await _check_against_domain(sorted(world["days"]))


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


async def test_the_metrics_read_each_goal_as_the_domain_would_at_the_cut_off(clean_db):
    """The 晾晒's goal figures as of a cut-off — each goal's value (the ledger's), start and
    trajectory, and its points — recomputed here from the raw rows by the domain."""
    from closedloop.db.tables import ProgressReport, ProgressValue
    from closedloop.domain.lights import behind_points
    from closedloop.domain.scoring import goal_progress_of
    from closedloop.services import metrics

    sh = dt.timezone(dt.timedelta(hours=8))
    rng = random.Random(7)
    for world in _worlds(10):
        for table in (ProgressValue, ProgressReport, Goal, WorkItem, Plan, Unit):
            await table.delete(force=True)
        units = [await UnitFactory.create() for _ in range(3)]
        plan = await PlanFactory.create(year=world["year"], issued_on=world["issued_on"])
        cut_day = sorted(world["days"])[0]
        cut_at = dt.datetime.combine(cut_day, dt.time(9), tzinfo=sh)
        moments = [cut_at - dt.timedelta(days=3), cut_at - dt.timedelta(minutes=1), cut_at, cut_at + dt.timedelta(minutes=1), cut_at + dt.timedelta(days=2)]
        expected: dict[int, list[float]] = {}
        serial: dict[int, int] = {}
        for n, spec in enumerate(world["items"]):
            unit = rng.choice(units)
            assigned = spec["assigned_on"]
            item = (await WorkItem.insert(WorkItem(
                plan=plan.id, kind="item", code=f"m{n}", title=f"事项{n}", lead_unit=unit.id, deadline=spec["deadline"], assigned_on=assigned,
                created_at=ITEM_CREATED_AT,  # the item exists before every moment of the scenario
            )).returning(WorkItem.id))[0]["id"]
            for k, g in enumerate(spec["goals"]):
                target = g["baseline"] if g["equal"] else g["target"]
                created, updated = sorted(rng.sample(moments, 2))
                goal = (await Goal.insert(Goal(
                    plan=plan.id, item=item, subject=f"指标{k}", comparator=g["comparator"], baseline=g["baseline"], target=target,
                    deadline=g["deadline"], start=g["start"], milestones=g["milestones"], actual=g["actual"], created_at=created, updated_at=updated,
                )).returning(Goal.id))[0]["id"]
                reports = []
                for _ in range(rng.choice([0, 1, 2, 3])):
                    recorded = rng.choice(moments)
                    period_end = recorded.date() - dt.timedelta(days=rng.choice([-3, 0, 5, 12]))
                    value = round(rng.uniform(-10, 250), 2)
                    serial[item] = serial.get(item, 0) + 1
                    rid = (await ProgressReport.insert(ProgressReport(
                        item=item, period=f"2024-W{serial[item]:02d}", reported_on=recorded.date(), narrative="x", created_at=recorded,
                    )).returning(ProgressReport.id))[0]["id"]
                    vid = (await ProgressValue.insert(ProgressValue(
                        report=rid, goal=goal, value=value, reported_on=recorded.date(), period_end=period_end, recorded_at=recorded,
                    )).returning(ProgressValue.id))[0]["id"]
                    reports.append((period_end, recorded, vid, value))
                # the rule, from the rows: the ledger's value as of the cut-off (the latest period
                # among the values recorded by then), else the goal's own actual if written by then
                known = sorted((r for r in reports if r[1] <= cut_at), key=lambda r: (r[0], r[1], r[2]))
                value = known[-1][3] if known else (g["actual"] if updated <= cut_at else None)
                counts = target is not None and g["deadline"] is not None and created <= cut_at and (assigned is None or assigned < cut_day)
                if counts:
                    start = goal_start(g["start"], plan_date(plan.issued_on, plan.year, plan.created_at.astimezone(dt.timezone.utc).date()), assigned)
                    state = GoalState(
                        comparator=g["comparator"], baseline=g["baseline"], target=target, deadline=g["deadline"], actual=value, start=start,
                        milestones=tuple(Milestone(dt.date.fromisoformat(m["on"]), m["value"]) for m in (g["milestones"] or [])),
                    )
                    expected.setdefault(unit.id, []).append(behind_points(state, cut_day))
        cut = metrics.Cut(at=cut_at, day=cut_day, since=cut_at - dt.timedelta(days=7))
        got = await metrics.goal_behinds(cut, lights.thresholds())
        assert set(got) == set(expected), (world, cut_day)
        for unit, values in expected.items():
            assert sorted(got[unit]) == pytest.approx(sorted(values), abs=1e-5), (world, cut_day, unit)
        # and the sums the editions use are those of the same points
        sums = await metrics.goal_sums(cut, lights.thresholds())
        for unit, values in expected.items():
            n, behind, progress = sums[unit]
            assert n == len(values) and behind == pytest.approx(sum(values), abs=1e-4)
            assert progress == pytest.approx(sum(goal_progress_of(v) for v in values), abs=1e-6)
