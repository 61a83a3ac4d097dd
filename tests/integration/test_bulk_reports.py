"""Many items' reports filed in one call (``progress.create_reports``, the Excel 台账's path) write
exactly what the same reports filed one by one (``progress.create_report``) write: the reports,
the ledger values, the goals' actuals, the projects' progress, the items' lights and filing day,
and the audit trail; and a refusal of any one writes nothing."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from closedloop.db import sql
from closedloop.db.tables import AuditEvent, ProgressReport, ProgressValue
from closedloop.domain.errors import Forbidden, Invalid
from closedloop.services import progress
from closedloop.services.auth import actor_from_user
from closedloop.services.common import Clock
from tests.factories import GoalFactory, ProjectFactory, WorkItemFactory


async def _twins(world, n: int = 4) -> tuple[list[dict], list[dict]]:
    """Two identical sets of ``n`` items of unit A, each with a goal in 家, one in % with
    milestones (the piecewise trajectory) and a project."""
    sets = []
    for _ in range(2):
        items = []
        for k in range(n):
            item = await WorkItemFactory.create(plan=world.plan, lead_unit=world.unit_a, stage="execute", deadline=dt.date(2024, 12, 31))
            g1 = await GoalFactory.create(plan=world.plan, item=item.id, baseline=10.0, target=110.0)
            g2 = await GoalFactory.create(plan=world.plan, item=item.id, measure_unit="%", baseline=60.0, target=90.0,
                                          milestones=[{"on": "2024-06-30", "value": 75.0}])
            pr = await ProjectFactory.create(item=item, unit=world.unit_a.id)
            items.append({"item": item.id, "goals": [g1.id, g2.id], "project": pr.id, "k": k})
        sets.append(items)
    return sets[0], sets[1]


def _report(t: dict, value: float, *, reason: str | None = None, projects: bool = True) -> progress.ReportIn:
    return progress.ReportIn(
        t["item"], f"第{t['k']}项：本周推进", reason,
        [(t["goals"][0], value + t["k"]), (t["goals"][1], 70.0 + t["k"])], [(t["project"], 40 + t["k"])] if projects else [],
    )


async def _state(t: dict) -> dict:
    """Everything the reports of one item wrote, with its own ids replaced by positions."""
    goal_at = {g: n for n, g in enumerate(t["goals"])}
    reports = await sql.fetch("SELECT * FROM progress_report WHERE item = {} ORDER BY id", t["item"])
    report_at = {r["id"]: n for n, r in enumerate(reports)}
    values = await sql.fetch(
        "SELECT v.* FROM progress_value v JOIN progress_report r ON r.id = v.report WHERE r.item = {} ORDER BY v.id", t["item"]
    )
    goals = await sql.fetch("SELECT actual, actual_on, light, version FROM goal WHERE item = {} ORDER BY id", t["item"])
    project = await sql.fetch_one("SELECT progress, version FROM project WHERE id = {}", t["project"])
    item = await sql.fetch_one("SELECT last_report_on, light, light_reason, completion, version FROM work_item WHERE id = {}", t["item"])
    audit = await sql.fetch("SELECT action, entity, entity_id, before, after, at, actor FROM audit_event WHERE item = {} ORDER BY id", t["item"])

    def ids_out(row: dict) -> dict:
        row = {k: v for k, v in row.items() if k not in ("id", "item")}
        if row.get("corrects") is not None:
            row["corrects"] = report_at[row["corrects"]]
        for key in ("report",):
            if row.get(key) is not None:
                row[key] = report_at[row[key]]
        if row.get("goal") is not None:
            row["goal"] = goal_at[row["goal"]]
        if row.get("project") is not None:
            row["project"] = "project"
        return row

    def event(e: dict) -> dict:
        after = json.loads(e["after"]) if isinstance(e["after"], str) else e["after"]
        before = json.loads(e["before"]) if isinstance(e["before"], str) else e["before"]
        if e["entity"] == "progress_report":
            e["entity_id"] = report_at[e["entity_id"]]
            after = ids_out(after)
            after["goals"] = [{**g, "goal_id": goal_at[g["goal_id"]]} for g in after["goals"]]
            after["projects"] = [{**x, "project_id": "project"} for x in after["projects"]]
        elif e["entity"] == "goal":
            e["entity_id"] = goal_at[e["entity_id"]]
            after = {**after, "report": report_at[after["report"]]}
        return {**e, "before": before, "after": after}

    return {
        "reports": [ids_out(r) for r in reports],
        "values": [ids_out(v) for v in values],
        "goals": goals,
        "project": project,
        "item": item,
        "audit": [event(e) for e in audit],
    }


@pytest.mark.parametrize("projects", [True, False], ids=["goals and a project", "goals only"])
async def test_a_bulk_call_writes_exactly_what_reports_filed_one_by_one_write(client, world, projects):
    """With goals only, a report filed alone takes PostgreSQL's short path (one read and one
    write statement): it must write what the general path writes, to the order of the audit's keys."""
    lead = actor_from_user(dict(await sql.fetch_one("SELECT * FROM app_user WHERE username = 'lead_a'")))
    one_by_one, bulk = await _twins(world)
    # round 1: first reports of this week; round 2: corrections of it; round 3: a 补报 of last week
    rounds = [("2024-W23", 20.0, None), ("2024-W23", 35.0, "更正：漏报两家企业"), ("2024-W22", 15.0, None)]
    for minutes, (period, value, reason) in enumerate(rounds):
        Clock.fixed = dt.datetime(2024, 6, 3, 2, 0, tzinfo=dt.timezone.utc) + dt.timedelta(minutes=10 * minutes)
        for t in one_by_one:
            r = _report(t, value, reason=reason, projects=projects)
            await progress.create_report(lead, r.item_id, period=period, narrative=r.narrative, reason=r.reason,
                                         goal_values=r.goal_values, project_values=r.project_values)
        filed = await progress.create_reports(lead, period, [_report(t, value, reason=reason, projects=projects) for t in bulk])
        assert [f["item"] for f in filed] == [t["item"] for t in bulk]
    for single, many in zip(one_by_one, bulk, strict=True):
        expected, got = await _state(single), await _state(many)
        assert len(expected["reports"]) == 3 and len(expected["audit"]) >= 3
        assert [r["kind"] for r in expected["reports"]] == ["report", "correction", "report"]
        assert got == expected
        assert [list(e["after"]) for e in got["audit"]] == [list(e["after"]) for e in expected["audit"]]


async def test_one_refused_report_means_none_is_written(client, world):
    lead = actor_from_user(dict(await sql.fetch_one("SELECT * FROM app_user WHERE username = 'lead_a'")))
    _, items = await _twins(world, 3)
    Clock.fixed = dt.datetime(2024, 6, 3, 2, 0, tzinfo=dt.timezone.utc)
    before = (await ProgressReport.count(), await ProgressValue.count(), await AuditEvent.count())
    reports = [_report(t, 20.0) for t in items]
    reports[1].narrative = " "
    reports.append(progress.ReportIn(world.item_b.id, "别人的事项", None, [(world.goal_b.id, 1.0)]))
    try:
        await progress.create_reports(lead, "2024-W23", reports)
        raise AssertionError("refused")
    except progress.ReportsRefused as exc:
        assert sorted(exc.errors) == [1, 3]
        assert isinstance(exc.errors[1], Invalid) and [p.field for p in exc.errors[1].problems] == ["narrative"]
        assert isinstance(exc.errors[3], Forbidden)
    assert (await ProgressReport.count(), await ProgressValue.count(), await AuditEvent.count()) == before
    goals = await sql.fetch("SELECT actual FROM goal WHERE item = {}", items[0]["item"])
    assert [g["actual"] for g in goals] == [None, None]
