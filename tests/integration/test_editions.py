"""Exact editions: an edition computed later — a correction, or an edition caught up after
downtime — gives exactly the rows it gave (or would have given) at its cut-off, whatever
happened after the cut-off; and the rules of the cut-off itself (each period as of its end)."""

import datetime as dt

import pytest

from closedloop.db.tables import Goal, Problem, Publication, PublicationRow, Result
from closedloop.services import metrics, progress, publishing, records, supervision
from closedloop.services.common import Actor, Clock
from closedloop.settings import get_settings
from tests.factories import GoalFactory, PlanFactory, ProblemFactory, ResultFactory, UnitFactory, WorkItemFactory

SH = dt.timezone(dt.timedelta(hours=8))
SUP = Actor(id=None, username="sup", role="supervisor")
ROW_FIELDS = (
    "unit", "unit_name", "rank", "previous_rank", "previous_score", "score", "goal_progress", "behind_points", "problems_resolved",
    "results_verified", "overdue_items", "urges", "extensions", "undrilled_items", "light", "breakdown",
)


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=SH)


@pytest.fixture
def clock():
    yield Clock
    Clock.fixed = None


def lead(unit) -> Actor:
    return Actor(id=None, username=f"lead{unit.id}", role="lead", unit_id=unit.id)


async def world(clock):
    """Three units with goals, reports, a resolved problem, a verified result, a 催办 and an
    item past its deadline with a pending 延期, all before the W10 cut-off (11 March 09:00)."""
    clock.fixed = at(dt.date(2024, 1, 20))
    plan = await PlanFactory.create(year=2024, issued_on=dt.date(2024, 1, 15))
    units, items, goals = [], [], []
    for n, name in enumerate(["甲局", "乙局", "丙局"]):
        unit = await UnitFactory.create(name=name)
        deadline = dt.date(2024, 3, 8) if n == 1 else dt.date(2024, 12, 31)
        item = await WorkItemFactory.create(plan=plan, lead_unit=unit, code=f"{n}是", assigned_on=dt.date(2024, 1, 20), deadline=deadline, original_deadline=deadline, stage="execute")
        milestones = [{"on": "2024-03-31", "value": 50.0}] if n == 2 else None
        goal = await GoalFactory.create(
            plan=plan, item=item.id, baseline=0.0, target=100.0, deadline=dt.date(2024, 12, 31), milestones=milestones,
            created_at=at(dt.date(2024, 1, 20)), updated_at=at(dt.date(2024, 1, 20)),
        )
        units.append(unit), items.append(item), goals.append(goal)
    for day, values in ((dt.date(2024, 3, 1), (20.0, 10.0, 15.0)), (dt.date(2024, 3, 8), (30.0, 12.0, 35.0))):
        clock.fixed = at(day)
        for unit, item, goal, value in zip(units, items, goals, values):
            await progress.create_report(lead(unit), item.id, period=publishing.period_of("weekly", day), narrative="推进中", goal_values=[(goal.id, value)])
    await ProblemFactory.create(item=items[0], status="resolved", resolved_at=at(dt.date(2024, 3, 6)), updated_at=at(dt.date(2024, 3, 6)))
    open_problem = await ProblemFactory.create(item=items[1], status="open")
    verified = await ResultFactory.create(item=items[2], goal=goals[2].id, description="阶段成效")
    unverified = await ResultFactory.create(item=items[0], goal=goals[0].id, description="待核验成效")
    # 丙 also has a short item whose goal shares its deadline: a 延期 approved after the cut-off
    # moves both, and must not move the trajectory the edition saw
    short = await WorkItemFactory.create(plan=plan, lead_unit=units[2], code="3是", assigned_on=dt.date(2024, 1, 20), deadline=dt.date(2024, 3, 20), original_deadline=dt.date(2024, 3, 20), stage="execute")
    await GoalFactory.create(plan=plan, item=short.id, baseline=0.0, target=10.0, deadline=dt.date(2024, 3, 20), created_at=at(dt.date(2024, 1, 20)), updated_at=at(dt.date(2024, 1, 20)))
    clock.fixed = at(dt.date(2024, 3, 5))
    await supervision.urge(SUP, [items[1].id], "请抓紧")
    extension = await supervision.request_extension(lead(units[1]), items[1].id, dt.date(2024, 4, 30), "施工受阻")
    short_extension = await supervision.request_extension(lead(units[2]), short.id, dt.date(2024, 6, 30), "设备未到")
    clock.fixed = at(dt.date(2024, 3, 7))
    await records.verify_result(SUP, verified.id, 1)
    return {
        "plan": plan, "units": units, "items": items, "goals": goals, "open_problem": open_problem, "unverified": unverified,
        "extension": extension, "short_extension": short_extension,
    }


async def after_the_cut_off(clock, w: dict, day: dt.date) -> None:
    """Everything a busy week after a cut-off brings: reports for the new week, changed
    actuals, verified results, an approved 延期, a 催办, a resolved problem, a new goal, a
    newly assigned unit."""
    clock.fixed = at(day)
    units, items, goals = w["units"], w["items"], w["goals"]
    for unit, item, goal, value in zip(units, items, goals, (90.0, 60.0, 70.0)):
        await progress.create_report(lead(unit), item.id, period=publishing.period_of("weekly", day), narrative="大幅推进", goal_values=[(goal.id, value)])
    admin = Actor(id=None, username="admin", role="admin")
    g = await Goal.select().where(Goal.id == goals[1].id).first()
    await records.update_record(records.GOAL, admin, g["id"], g["version"], {"actual": 100.0})
    # a target, a baseline and a 序时 milestone re-planned after the cut-off
    g = await Goal.select().where(Goal.id == goals[0].id).first()
    await records.update_record(records.GOAL, admin, g["id"], g["version"], {"target": g["target"] * 0.5, "baseline": 5.0})
    g = await Goal.select().where(Goal.id == goals[2].id).first()
    await records.update_record(records.GOAL, admin, g["id"], g["version"], {"milestones": [{"on": "2024-03-31", "value": 5.0}]})
    r = await Result.select().where(Result.id == w["unverified"].id).first()
    await records.verify_result(SUP, r["id"], r["version"])
    for key in ("extension", "short_extension"):
        ext = w[key]
        if ext["status"] == "pending":
            await supervision.decide_extension(SUP, ext["id"], ext["version"], True, None)
            w[key] = {**ext, "status": "approved"}
    await supervision.urge(SUP, [items[0].id, items[2].id], "再催")
    await Problem.update({Problem.status: "resolved", Problem.resolved_at: at(day), Problem.updated_at: at(day)}).where(Problem.id == w["open_problem"].id)
    await GoalFactory.create(plan=w["plan"], item=items[2].id, baseline=0.0, target=10.0, deadline=dt.date(2024, 12, 31), created_at=at(day), updated_at=at(day))
    # a plan imported after the cut-off, its items past their deadline (an old document) and
    # given to units that the edition ranked: nothing of it existed at the cut-off
    late_plan = await PlanFactory.create(year=2024, issued_on=dt.date(2024, 1, 15), created_at=at(day))
    for unit in units:
        await WorkItemFactory.create(plan=late_plan, lead_unit=unit, deadline=dt.date(2018, 12, 31), original_deadline=dt.date(2018, 12, 31), created_at=at(day))
    newcomer = await UnitFactory.create(name=f"新单位{day}")
    await WorkItemFactory.create(plan=w["plan"], lead_unit=newcomer, assigned_on=day, deadline=dt.date(2024, 3, 1), original_deadline=dt.date(2024, 3, 1))


def figures(rows: list[dict]) -> list[dict]:
    return [{k: r[k] for k in ROW_FIELDS} for r in sorted(rows, key=lambda r: r["rank"])]


async def test_a_correction_computed_later_gives_the_rows_of_the_cut_off(clean_db, clock):
    w = await world(clock)
    clock.fixed = at(dt.date(2024, 3, 11))
    first, _ = await publishing.publish("weekly", "2024-W10")
    original = (await publishing.get_publication(first["id"]))["rows"]
    by_name = {r["unit_name"]: r for r in original}
    # what the cut-off saw: 乙's item past its original deadline with a 延期 still pending, one
    # 催办 in the week, 甲's problem and 丙's result
    assert by_name["乙局"]["overdue_items"] == 1 and by_name["乙局"]["urges"] == 1 and by_name["乙局"]["extensions"] == 0
    assert by_name["乙局"]["light"] == "red"
    assert by_name["甲局"]["problems_resolved"] == 1 and by_name["丙局"]["results_verified"] == 1

    await after_the_cut_off(clock, w, dt.date(2024, 3, 12))
    fixed = await publishing.correct(SUP, first["id"], "复核")
    corrected = (await publishing.get_publication(fixed["id"]))["rows"]
    assert figures(corrected) == figures(original)
    assert fixed["plan_goals"] == first["plan_goals"] or fixed["plan_goals"] == (await publishing.get_publication(first["id"]))["plan_goals"]
    # and the world did change: today's edition of the next week sees it
    clock.fixed = at(dt.date(2024, 3, 18))
    w11, _ = await publishing.publish("weekly", "2024-W11")
    later = {r["unit_name"]: r for r in (await publishing.get_publication(w11["id"]))["rows"]}
    assert later["乙局"]["extensions"] == 1 and later["甲局"]["results_verified"] == 1 and later["甲局"]["urges"] == 1
    assert later["甲局"]["score"] != by_name["甲局"]["score"] and len(later) == 4


async def test_a_caught_up_edition_equals_the_one_its_cut_off_would_have_given(clean_db, clock):
    w = await world(clock)
    clock.fixed = at(dt.date(2024, 3, 11))
    await publishing.publish("weekly", "2024-W10")
    # the W11 figures at its cut-off (18 March 09:00), computed then but not published: the
    # service goes down
    clock.fixed = at(dt.date(2024, 3, 18), 9)
    cutoff = publishing.cutoff_of("weekly", "2024-W11")
    cut = metrics.Cut(at=cutoff, day=cutoff.astimezone(SH).date(), since=publishing.cutoff_of("weekly", "2024-W10"))
    then = await metrics.compute_metrics(cut, get_settings().lights)
    await after_the_cut_off(clock, w, dt.date(2024, 3, 19))
    await after_the_cut_off(clock, w, dt.date(2024, 3, 26))
    clock.fixed = at(dt.date(2024, 3, 27))
    done = await publishing.publish_due("weekly")
    assert [p["period"] for p in done] == ["2024-W11", "2024-W12"]
    assert await metrics.compute_metrics(cut, get_settings().lights) == then
    rows = await PublicationRow.select().where(PublicationRow.publication == done[0]["id"])
    assert sorted((r["unit"], r["goal_progress"], r["urges"], r["overdue_items"]) for r in rows) == sorted(
        (m.unit_id, round(m.goal_progress, 6), m.urges, m.overdue_items) for m in then
    )


async def test_reported_values_count_only_once_recorded_by_the_cut_off(clean_db, clock):
    """A value filed after the cut-off, even for a week before it (a 更正 of week 10), does not
    change the edition."""
    w = await world(clock)
    clock.fixed = at(dt.date(2024, 3, 12))
    unit, item, goal = w["units"][0], w["items"][0], w["goals"][0]
    await progress.create_report(lead(unit), item.id, period="2024-W10", narrative="更正", reason="漏报一批企业", goal_values=[(goal.id, 100.0)])
    w10, _ = await publishing.publish("weekly", "2024-W10")
    row = next(r for r in (await publishing.get_publication(w10["id"]))["rows"] if r["unit"] == unit.id)
    # 甲 stood at 30 of 100 on 11 March (its trajectory runs from the item's assignment on 20
    # January, after the plan's issue, to 31 December); the 补报 of 100, filed on the 12th, is
    # not in the edition
    expected = (dt.date(2024, 3, 11) - dt.date(2024, 1, 20)).days / (dt.date(2024, 12, 31) - dt.date(2024, 1, 20)).days
    assert row["behind_points"] == pytest.approx((expected - 0.30) * 100, abs=1e-4)


async def test_a_unit_with_an_overdue_item_is_red_whatever_its_goals(clean_db, clock):
    await world(clock)
    clock.fixed = at(dt.date(2024, 3, 11))
    pub, _ = await publishing.publish("weekly", "2024-W10")
    rows = {r["unit_name"]: r for r in (await publishing.get_publication(pub["id"]))["rows"]}
    # 乙 is within 10 points of its trajectory (a green goal), but its item passed its deadline
    # of 8 March: red, and 5 points off its score
    assert 0 < rows["乙局"]["behind_points"] < 10
    assert rows["乙局"]["overdue_items"] == 1 and rows["乙局"]["light"] == "red"
    assert rows["乙局"]["breakdown"]["overdue_penalty"] == -5.0


@pytest.mark.parametrize(
    "cadence, period, cutoff, label",
    [
        ("weekly", "2024-W10", dt.datetime(2024, 3, 11, 9, tzinfo=SH), "2024年第10周（3月4日—3月10日）"),
        ("monthly", "2024-05", dt.datetime(2024, 6, 1, 9, tzinfo=SH), "2024年5月"),
        ("quarterly", "2024-Q2", dt.datetime(2024, 7, 1, 9, tzinfo=SH), "2024年第二季度"),
        ("quarterly", "2024-Q4", dt.datetime(2025, 1, 1, 9, tzinfo=SH), "2024年第四季度"),
    ],
)
def test_every_period_is_ranked_as_of_its_end(cadence, period, cutoff, label):
    assert publishing.cutoff_of(cadence, period) == cutoff
    assert publishing.period_label(cadence, period) == label
    # the day before the cut-off is the period's last day: the label names the data it ranks
    from closedloop.domain.periods import parse_key

    assert parse_key(cadence, period).end == (cutoff - dt.timedelta(days=1)).date()
    assert publishing.latest_due_period(cadence, cutoff) == period
    assert publishing.latest_due_period(cadence, cutoff - dt.timedelta(minutes=1)) == publishing.previous_period(cadence, period)


async def test_a_quarterly_edition_reads_the_whole_quarter(clean_db, clock):
    w = await world(clock)
    clock.fixed = at(dt.date(2024, 6, 28))
    unit, item, goal = w["units"][0], w["items"][0], w["goals"][0]
    await progress.create_report(lead(unit), item.id, period="2024-W26", narrative="季末冲刺", goal_values=[(goal.id, 100.0)])
    clock.fixed = at(dt.date(2024, 7, 2))
    q2, _ = await publishing.publish("quarterly", "2024-Q2")
    row = next(r for r in (await publishing.get_publication(q2["id"]))["rows"] if r["unit"] == unit.id)
    assert q2["title"] == "2024年第二季度工作晾晒"
    assert row["light"] == "blue"  # the value of 28 June is in the edition of Q2
    assert await Publication.count() == 1


async def test_a_goal_that_took_a_deleted_goals_id_is_not_read_through_its_history(clean_db, clock):
    """SQLite gives the highest id again after a delete: the audit events of the deleted goal
    are not the definition of the new one at an earlier cut-off."""
    from closedloop.db.tables import AuditEvent

    clock.fixed = at(dt.date(2024, 3, 1))
    plan = await PlanFactory.create(year=2024, issued_on=dt.date(2024, 1, 15))
    item = await WorkItemFactory.create(plan=plan, stage="execute")
    old = await GoalFactory.create(plan=plan, item=item.id, baseline=0.0, target=5.0, created_at=at(dt.date(2024, 3, 1)), updated_at=at(dt.date(2024, 3, 1)))
    cut = metrics.Cut(at=at(dt.date(2024, 3, 4), 9), day=dt.date(2024, 3, 4), since=at(dt.date(2024, 2, 26), 9))
    clock.fixed = at(dt.date(2024, 3, 5))
    admin = Actor(id=None, username="admin", role="admin")
    await records.update_record(records.GOAL, admin, old.id, 1, {"target": 6.0})
    await records.delete_record(records.GOAL, admin, old.id, 2)
    assert await AuditEvent.count().where((AuditEvent.entity == "goal") & (AuditEvent.entity_id == old.id)) >= 2
    clock.fixed = at(dt.date(2024, 3, 6))
    await GoalFactory.create(id=old.id, plan=plan, item=None, baseline=0.0, target=2.0, created_at=at(dt.date(2024, 3, 6)), updated_at=at(dt.date(2024, 3, 6)))
    assert await metrics.goal_definitions_as_of([old.id], cut) == {}
