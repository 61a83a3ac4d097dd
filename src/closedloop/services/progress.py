"""进度填报: one call records the narrative and updates goal actuals and project progress.

Everything is validated before anything is written, and the writes share one transaction:
a report that fails halfway leaves nothing changed. Reports are never updated afterwards.
"""

from __future__ import annotations

import datetime as dt

from closedloop.db import sql
from closedloop.db.engine import write_tx
from closedloop.db.tables import Goal, ProgressReport, ProgressValue, Project
from closedloop.domain import periods
from closedloop.domain.errors import Forbidden, Invalid, Problem as Issue
from closedloop.services import lights
from closedloop.services.common import Actor, Clock, audit, item_exists, item_for_write


async def create_report(
    actor: Actor,
    item_id: int,
    *,
    period: str,
    narrative: str,
    reported_on: dt.date | None = None,
    goal_values: list[tuple[int, float]] = (),  # type: ignore[assignment]
    project_values: list[tuple[int, int]] = (),  # type: ignore[assignment]
) -> dict:
    problems: list[Issue] = []
    today = Clock.today()
    try:
        period = periods.parse(period, today=today).key  # stored in the key form whatever was typed
    except periods.PeriodError as e:
        problems.append(Issue("invalid", str(e), "period"))
    if not (narrative or "").strip():
        problems.append(Issue("required", "进展情况不能为空", "narrative"))
    reported_on = reported_on or today
    if reported_on > today:
        problems.append(Issue("future", "填报日期不能晚于今天", "reported_on"))
    for n, (_pid, progress) in enumerate(project_values):
        if not 0 <= progress <= 100:
            problems.append(Issue("out_of_range", "项目进度必须在 0 到 100 之间", f"projects[{n}].progress"))
    goal_ids = [g for g, _ in goal_values]
    project_ids = [p for p, _ in project_values]
    if len(set(goal_ids)) != len(goal_ids):
        problems.append(Issue("duplicate", "同一目标在一次填报中只能出现一次", "goals"))
    if len(set(project_ids)) != len(project_ids):
        problems.append(Issue("duplicate", "同一项目在一次填报中只能出现一次", "projects"))
    async with write_tx():
        item = await item_for_write(actor, item_id)
        goals = {g["id"]: g for g in await Goal.select().where(Goal.id.is_in(goal_ids) & (Goal.item == item_id))} if goal_ids else {}
        projects = (
            {p["id"]: p for p in await Project.select().where(Project.id.is_in(project_ids) & (Project.item == item_id))}
            if project_ids
            else {}
        )
        for n, gid in enumerate(goal_ids):
            if gid not in goals:
                problems.append(Issue("not_on_item", f"目标 {gid} 不属于该事项", f"goals[{n}].goal_id"))
            elif actor.is_lead and (goals[gid]["unit"] or item["lead_unit"]) != actor.unit_id:
                raise Forbidden("只能填报本单位负责的目标")
        for n, pid in enumerate(project_ids):
            if pid not in projects:
                problems.append(Issue("not_on_item", f"项目 {pid} 不属于该事项", f"projects[{n}].project_id"))
            elif actor.is_lead and (projects[pid]["unit"] or item["lead_unit"]) != actor.unit_id:
                raise Forbidden("只能填报本单位负责的项目")
        if problems:
            raise Invalid(problems[0].message, problems)
        now = Clock.now()
        report = (
            await ProgressReport.insert(
                ProgressReport(item=item_id, period=period, reported_on=reported_on, narrative=narrative.strip(), reporter=actor.id, created_at=now)
            ).returning(*ProgressReport.all_columns())
        )[0]
        values = [ProgressValue(report=report["id"], goal=g, value=v, reported_on=reported_on) for g, v in goal_values]
        values += [ProgressValue(report=report["id"], project=p, value=float(v), reported_on=reported_on) for p, v in project_values]
        if values:
            await ProgressValue.insert(*values)
        # a back-dated report does not move the latest report date backwards
        await sql.execute(
            "UPDATE work_item SET last_report_on = {} WHERE id = {} AND (last_report_on IS NULL OR last_report_on < {})",
            reported_on, item_id, reported_on,
        )
        for gid, value in goal_values:
            await Goal.update(
                {Goal.actual: value, Goal.actual_on: reported_on, Goal.version: Goal.version + 1, Goal.updated_at: now}
            ).where(Goal.id == gid)
        for pid, progress in project_values:
            await Project.update(
                {Project.progress: progress, Project.version: Project.version + 1, Project.updated_at: now}
            ).where(Project.id == pid)
        full = {**report, "goals": [{"goal_id": g, "value": v} for g, v in goal_values], "projects": [{"project_id": p, "progress": v} for p, v in project_values]}
        await audit(actor, "report", "progress_report", report["id"], item_id=item_id, after=full)
        await lights.refresh(today, [item_id])
    return full


async def list_reports(item_id: int) -> list[dict]:
    await item_exists(item_id)
    reports = await ProgressReport.select().where(ProgressReport.item == item_id).order_by(ProgressReport.id, ascending=False)
    ids = [r["id"] for r in reports]
    values: dict[int, dict] = {i: {"goals": [], "projects": []} for i in ids}
    if ids:
        for v in await ProgressValue.select().where(ProgressValue.report.is_in(ids)):
            if v["goal"] is not None:
                values[v["report"]]["goals"].append({"goal_id": v["goal"], "value": v["value"]})
            else:
                values[v["report"]]["projects"].append({"project_id": v["project"], "progress": int(v["value"])})
    return [{**r, **values[r["id"]]} for r in reports]
