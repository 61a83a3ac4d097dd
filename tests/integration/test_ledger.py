"""Reports are a ledger, not a scratchpad: one report per item and period, 更正 with a reason, 补报
marked late, the latest period winning, and every value kept with who, when and which period."""

import datetime as dt

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from closedloop.db import sql
from closedloop.db.tables import AuditEvent, Goal, ProgressReport, ProgressValue, Project
from closedloop.domain import ledger
from closedloop.services import values
from closedloop.services.common import Clock
from tests.factories import GoalFactory, WorkItemFactory

T0 = dt.datetime(2024, 6, 3, 2, 0, tzinfo=dt.timezone.utc)  # the client fixture's clock: Monday of 2024-W23


def at(minutes: int) -> None:
    Clock.fixed = T0 + dt.timedelta(minutes=minutes)


async def report(client, world, period, value, *, reason=None, who="lead_a", goal=None):
    body = {"period": period, "narrative": f"{period} 进展", "goals": [{"goal_id": (goal or world.goal_a).id, "value": value}]}
    if reason is not None:
        body["reason"] = reason
    return await client.post(f"/api/v1/items/{world.item_a.id}/reports", json=body, headers=world.headers[who])


async def actual(goal_id: int):
    return (await Goal.select(Goal.actual).where(Goal.id == goal_id).first())["actual"]


async def test_a_second_report_for_a_period_is_a_correction_that_needs_a_reason(client, world):
    first = await report(client, world, "2024-W23", 305)
    assert first.status_code == 201 and first.json()["kind"] == "report" and first.json()["late"] is False
    at(30)
    again = await report(client, world, "2024-W23", 304)
    assert again.status_code == 422
    assert [p["field"] for p in again.json()["error"]["problems"]] == ["reason"]
    assert await ProgressReport.count() == 1 and await actual(world.goal_a.id) == 305
    fixed = await report(client, world, "2024-W23", 304, reason="统计口径有误，更正")
    assert fixed.status_code == 201
    assert fixed.json()["kind"] == "correction" and fixed.json()["corrects_id"] == first.json()["id"]
    assert await actual(world.goal_a.id) == 304
    listed = (await client.get(f"/api/v1/items/{world.item_a.id}/reports", headers=world.headers["supervisor"])).json()
    assert [(r["kind"], r["superseded"], r["goals"][0]["value"]) for r in listed] == [("correction", False, 304.0), ("report", True, 305.0)]
    history = (await client.get(f"/api/v1/goals/{world.goal_a.id}/values", headers=world.headers["supervisor"])).json()
    assert [(v["value"], v["kind"], v["current"], v["superseded"], v["reason"]) for v in history] == [
        (305.0, "report", False, True, None),
        (304.0, "correction", True, False, "统计口径有误，更正"),
    ]
    assert history[0]["recorded_by_name"] == world.users["lead_a"].display_name


async def test_a_report_for_a_future_period_is_refused_naming_the_period(client, world):
    r = await report(client, world, "2024-W24", 310)
    assert r.status_code == 422
    problem = r.json()["error"]["problems"][0]
    assert problem["field"] == "period" and "尚未开始" in problem["message"]
    assert await ProgressReport.count() == 0 and await actual(world.goal_a.id) is None
    monthly = await client.post(
        f"/api/v1/items/{world.item_a.id}/reports", json={"period": "2024-07", "narrative": "x"}, headers=world.headers["lead_a"]
    )
    assert monthly.status_code == 422 and monthly.json()["error"]["problems"][0]["field"] == "period"


async def test_a_late_report_is_marked_late_and_does_not_rewind_the_actual(client, world):
    """The issue's case: W15 said 305; a 补报 for W14 (303) filed afterwards must not set it back."""
    w15 = await report(client, world, "2024-W15", 305)
    assert w15.status_code == 201 and w15.json()["late"] is True  # W15 was over on 3 June
    at(10)
    w14 = await report(client, world, "2024-W14", 303)
    assert w14.status_code == 201 and w14.json()["late"] is True
    assert await actual(world.goal_a.id) == 305
    at(20)
    current = await report(client, world, "2024-W23", 306)
    assert current.json()["late"] is False and await actual(world.goal_a.id) == 306
    goal = (await client.get(f"/api/v1/goals/{world.goal_a.id}", headers=world.headers["lead_a"])).json()
    assert goal["actual"] == 306 and goal["actual_on"] == "2024-06-03"


async def test_the_filing_day_cannot_be_typed(client, world):
    r = await client.post(
        f"/api/v1/items/{world.item_a.id}/reports",
        json={"period": "2024-W20", "narrative": "补报", "reported_on": "2024-05-17"},
        headers=world.headers["lead_a"],
    )
    assert r.status_code == 400 and "reported_on" in r.text
    ok = await report(client, world, "2024-W20", 300)
    assert ok.json()["reported_on"] == "2024-06-03" and ok.json()["period_end"] == "2024-05-19"


async def test_the_value_as_of_an_instant_counts_only_what_was_filed_by_then(client, world):
    """A 补报 filed after a cut-off cannot change what the goal was at that cut-off."""
    await report(client, world, "2024-W22", 300)
    cutoff = T0 + dt.timedelta(minutes=5)
    at(60)
    await report(client, world, "2024-W22", 312, reason="漏报一家企业")
    g = world.goal_a.id
    assert (await values.values_as_of([g], cutoff))[g]["value"] == 300
    assert (await values.values_as_of([g], Clock.now()))[g]["value"] == 312
    assert await values.values_as_of([g], T0 - dt.timedelta(seconds=1)) == {}
    # the one SQL fragment other queries use (e.g. the 晾晒 metrics) gives the same
    row = await sql.fetch_one(f"SELECT {values.value_as_of_sql('{}', '{}')} AS v", g, cutoff)
    assert row["v"] == 300
    day = await sql.fetch_one(f"SELECT {values.value_as_of_sql('{}', '{}')} AS v", g, values.end_of_day(dt.date(2024, 6, 2)))
    assert day["v"] is None


async def test_a_lead_cannot_set_an_actual_directly(client, world):
    h = world.headers["lead_a"]
    r = await client.patch(f"/api/v1/goals/{world.goal_a.id}", json={"version": 1, "actual": 330}, headers=h)
    assert r.status_code == 403 and "进度填报" in r.json()["error"]["message"]
    r = await client.post(f"/api/v1/items/{world.item_a.id}/goals", json={"subject": "新指标", "actual": 5}, headers=h)
    assert r.status_code == 403
    stored = await Goal.select(Goal.actual, Goal.version).where(Goal.id == world.goal_a.id).first()
    assert stored == {"actual": None, "version": 1}
    assert await ProgressValue.count() == 0


async def test_an_admin_correction_is_a_dated_value_that_supersedes_the_current_one(client, world):
    await report(client, world, "2024-W23", 305)
    at(30)
    version = (await client.get(f"/api/v1/goals/{world.goal_a.id}", headers=world.headers["admin"])).json()["version"]
    r = await client.patch(f"/api/v1/goals/{world.goal_a.id}", json={"version": version, "actual": 301}, headers=world.headers["admin"])
    assert r.status_code == 200 and r.json()["actual"] == 301
    history = (await client.get(f"/api/v1/goals/{world.goal_a.id}/values", headers=world.headers["lead_a"])).json()
    assert [(v["value"], v["kind"], v["period"], v["current"]) for v in history] == [
        (305.0, "report", "2024-W23", False),
        (301.0, "admin", "2024-W23", True),
    ]
    assert history[1]["recorded_by_name"] == world.users["admin"].display_name
    # a later report of the unit moves it on again; the admin's value stays in the history
    at(60)
    await report(client, world, "2024-W23", 307, reason="复核后更正")
    assert await actual(world.goal_a.id) == 307
    audit = await AuditEvent.select(AuditEvent.action).where((AuditEvent.entity == "goal") & (AuditEvent.entity_id == world.goal_a.id))
    assert [a["action"] for a in audit] == ["actual", "correct", "actual"]


async def test_a_late_project_progress_does_not_rewind_the_project(client, world):
    h = world.headers["lead_a"]
    url = f"/api/v1/items/{world.item_a.id}/reports"
    await client.post(url, json={"period": "2024-W22", "narrative": "x", "projects": [{"project_id": world.project_a.id, "progress": 60}]}, headers=h)
    at(5)
    await client.post(url, json={"period": "2024-W21", "narrative": "补报", "projects": [{"project_id": world.project_a.id, "progress": 40}]}, headers=h)
    assert (await Project.select(Project.progress).where(Project.id == world.project_a.id).first())["progress"] == 60


async def test_one_first_report_per_item_and_period_is_held_by_the_database(client, world):
    """The unique index is the backstop of the check in the service (two writers at once)."""
    import pytest

    from tests.conftest import integrity_errors

    await report(client, world, "2024-W23", 305)
    with pytest.raises(integrity_errors()):
        await ProgressReport(item=world.item_a.id, period="2024-W23", period_end=dt.date(2024, 6, 9), reported_on=dt.date(2024, 6, 3), narrative="重复").save()
    assert await ProgressReport.count() == 1


periods_and_values = st.lists(st.tuples(st.floats(0, 1000, allow_nan=False, width=32), st.integers(0, 2)), min_size=1, max_size=5)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(reports=periods_and_values, rnd=st.randoms())
async def test_any_interleaving_of_reports_gives_the_actual_of_period_order(client, world, reports, rnd):
    """Reports for periods P1 < P2 < … (each with 0–2 corrections) filed in any order: the goal's
    actual is what filing them in period order gives — the last period's last correction — and the
    SQL as-of lookup agrees with the domain rule at every instant in between."""
    item = await WorkItemFactory.create(plan=world.plan, lead_unit=world.unit_a)
    goal = await GoalFactory.create(plan=world.plan, item=item.id, baseline=0.0, target=1000.0)
    week0 = 10  # 2024-W10 … W14: all over on 3 June
    queues = [[float(v) + k for k in range(n + 1)] for v, n in reports]
    expected = queues[-1][-1]
    minute, instants = 0, []
    while any(queues):
        i = rnd.choice([i for i, q in enumerate(queues) if q])
        value = queues[i].pop(0)
        minute += 1
        at(minute)
        first = await ProgressReport.exists().where((ProgressReport.item == item.id) & (ProgressReport.period == f"2024-W{week0 + i}"))
        body = {"period": f"2024-W{week0 + i}", "narrative": "x", "goals": [{"goal_id": goal.id, "value": value}]}
        if first:
            body["reason"] = "更正"
        r = await client.post(f"/api/v1/items/{item.id}/reports", json=body, headers=world.headers["lead_a"])
        assert r.status_code == 201, r.text
        instants.append(Clock.now())
    assert await actual(goal.id) == expected
    rows = await values.history(goal.id)
    entries = [ledger.Entry(r["value"], r["period_end"], r["recorded_at"], r["id"]) for r in rows]
    for instant in instants:
        sql_value = (await values.values_as_of([goal.id], instant))[goal.id]["value"]
        assert sql_value == ledger.value_as_of(entries, instant)
    at(0)
