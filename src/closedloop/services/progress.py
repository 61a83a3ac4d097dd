"""进度填报: the report ledger. One call records the narrative, the goals' values and the
projects' progress for one item and period.

The rules (issue 13, "reports are a ledger, not a scratchpad"):

- A report is for a period (``domain.periods``: 2026-W48, 2026-11, 2026-Q4). A period that has
  not started yet is refused (422 on ``period``); a period already over when the report is filed
  is a 补报, allowed and marked ``late``.
- At most one report per item and period. Another report for the same period is a 更正
  (``kind`` correction): it must carry a ``reason`` (422 on ``reason`` otherwise) and names the
  report it ``corrects`` (the latest of that period). Both stay readable; for each goal the later
  filed value of a period supersedes the earlier one (the ledger rule, ``domain/ledger.py``).
  A unique index holds "one first report, one correction of each report" even under concurrent
  writers.
- ``reported_on`` is the filing day from the clock; it cannot be typed, so that no value can be
  slipped in before a past cut-off: what counts "as of" an instant is when a value was filed
  (``recorded_at``).
- ``goal.actual`` is the goal's ledger value as of now (``services/values.py``), recomputed after
  every write; a 补报 for an earlier period never rewinds it. A project's progress moves only when
  the report is the project's latest period, by the same rule.
- An admin's direct correction of a goal's actual (``record_admin_value``) is an entry too:
  ``kind`` admin, with who, when, the period and a reason.

Everything is validated before anything is written, and the writes share one transaction.
Reports are never updated afterwards.
"""

from __future__ import annotations

import datetime as dt

from closedloop.db import sql
from closedloop.db.engine import write_tx
from closedloop.db.tables import Goal, ProgressReport, ProgressValue, Project
from closedloop.domain import periods
from closedloop.domain.errors import Invalid, Issue
from closedloop.services import lights, values
from closedloop.services import access
from closedloop.services.access import item_for_write
from closedloop.services.common import Actor, Clock, audit, item_exists

KIND_NAMES = {"report": "填报", "correction": "更正", "admin": "管理员更正"}


def parse_period(text: str, today: dt.date, problems: list[Issue]) -> periods.Period | None:
    """The report's period, or None with the problem added (unparseable, or not started yet)."""
    try:
        p = periods.parse(text, today=today)
    except periods.PeriodError as e:
        problems.append(Issue("invalid", str(e), "period"))
        return None
    if p.start > today:
        problems.append(Issue("future_period", f"{p.title}尚未开始，不能提前填报", "period"))
        return None
    return p


async def _lock_item(item_id: int) -> None:
    """Serialise reports of one item on PostgreSQL (SQLite's IMMEDIATE transaction already does):
    the "is there a report for this period?" read and the insert must not interleave."""
    if sql.is_postgres():
        await sql.execute("SELECT id FROM work_item WHERE id = {} FOR UPDATE", item_id)


async def _head_of_period(item_id: int, period: str) -> dict | None:
    """The latest report (or correction) of the item for the period: the one a new report corrects."""
    return await sql.fetch_one(
        "SELECT id, kind FROM progress_report WHERE item = {} AND period = {} AND kind <> 'admin' ORDER BY id DESC LIMIT 1",
        item_id, period,
    )


async def create_report(
    actor: Actor,
    item_id: int,
    *,
    period: str,
    narrative: str,
    reason: str | None = None,
    goal_values: list[tuple[int, float]] = (),  # type: ignore[assignment]
    project_values: list[tuple[int, int]] = (),  # type: ignore[assignment]
) -> dict:
    problems: list[Issue] = []
    today = Clock.today()
    p = parse_period(period, today, problems)
    if not (narrative or "").strip():
        problems.append(Issue("required", "进展情况不能为空", "narrative"))
    reason = (reason or "").strip() or None
    for n, (_pid, progress) in enumerate(project_values):
        if not 0 <= progress <= 100:
            problems.append(Issue("out_of_range", "项目进度必须在 0 到 100 之间", f"projects[{n}].progress"))
    goal_ids = [g for g, _ in goal_values]
    project_ids = [p_ for p_, _ in project_values]
    if len(set(goal_ids)) != len(goal_ids):
        problems.append(Issue("duplicate", "同一目标在一次填报中只能出现一次", "goals"))
    if len(set(project_ids)) != len(project_ids):
        problems.append(Issue("duplicate", "同一项目在一次填报中只能出现一次", "projects"))
    async with write_tx():
        item = await item_for_write(actor, item_id)
        await _lock_item(item_id)
        goals = {g["id"]: g for g in await Goal.select().where(Goal.id.is_in(goal_ids) & (Goal.item == item_id))} if goal_ids else {}
        projects = (
            {x["id"]: x for x in await Project.select().where(Project.id.is_in(project_ids) & (Project.item == item_id))}
            if project_ids
            else {}
        )
        for n, gid in enumerate(goal_ids):
            if gid not in goals:
                problems.append(Issue("not_on_item", f"目标 {gid} 不属于该事项", f"goals[{n}].goal_id"))
            else:
                access.check_unit(actor, access.owner_unit(goals[gid], item), "只能填报本单位负责的目标")
        for n, pid in enumerate(project_ids):
            if pid not in projects:
                problems.append(Issue("not_on_item", f"项目 {pid} 不属于该事项", f"projects[{n}].project_id"))
            else:
                access.check_unit(actor, access.owner_unit(projects[pid], item), "只能填报本单位负责的项目")
        head = await _head_of_period(item_id, p.key) if p else None
        if head is not None and reason is None:
            problems.append(
                Issue("correction_needs_reason", f"{p.title}已报送，再次报送即为更正，须填写更正理由", "reason")  # type: ignore[union-attr]
            )
        if problems:
            raise Invalid(problems[0].message, problems)
        assert p is not None
        now = Clock.now()
        kind = "correction" if head else "report"
        report = (
            await ProgressReport.insert(
                ProgressReport(
                    item=item_id, period=p.key, period_end=p.end, reported_on=today, narrative=narrative.strip(),
                    reporter=actor.id, kind=kind, late=p.end < today, reason=reason,
                    corrects=head["id"] if head else None, created_at=now,
                )
            ).returning(*ProgressReport.all_columns())
        )[0]
        rows = [ProgressValue(report=report["id"], goal=g, value=v, reported_on=today, period_end=p.end, recorded_at=now) for g, v in goal_values]
        rows += [
            ProgressValue(report=report["id"], project=x, value=float(v), reported_on=today, period_end=p.end, recorded_at=now)
            for x, v in project_values
        ]
        if rows:
            await ProgressValue.insert(*rows)
        # the staleness rule reads the latest filing day; it never moves backwards
        await sql.execute(
            "UPDATE work_item SET last_report_on = {} WHERE id = {} AND (last_report_on IS NULL OR last_report_on < {})",
            today, item_id, today,
        )
        changed = await values.refresh_actuals(goal_ids)
        await _apply_project_progress(report["id"], project_values, now)
        full = _read(report, goal_values, project_values)
        await audit(actor, "report" if kind == "report" else "correct_report", "progress_report", report["id"], item_id=item_id, after=full)
        for c in changed:
            await audit(
                actor, "actual", "goal", c.goal, item_id=item_id,
                before={"actual": c.before}, after={"actual": c.after, "period": p.key, "report": report["id"]},
            )
        await lights.refresh(today, [item_id])
    return full


async def _apply_project_progress(report_id: int, project_values: list[tuple[int, int]], now: dt.datetime) -> None:
    """A project's progress follows its latest reported period, as a goal's actual does."""
    for pid, progress in project_values:
        winner = await sql.fetch_one(f"SELECT {values.value_as_of_sql('{}', '{}', 'report', of='project')} AS report", pid, now)
        if winner and winner["report"] == report_id:
            await Project.update(
                {Project.progress: progress, Project.version: Project.version + 1, Project.updated_at: now}
            ).where(Project.id == pid)


def _read(report: dict, goal_values, project_values) -> dict:
    return {
        **report,
        "goals": [{"goal_id": g, "value": v} for g, v in goal_values],
        "projects": [{"project_id": x, "progress": v} for x, v in project_values],
    }


async def record_admin_value(actor: Actor, goal: dict, value: float, *, on: dt.date | None = None, reason: str | None = None) -> list[values.Changed]:
    """An admin's direct correction of a goal's actual, as a ledger entry (call inside the
    caller's transaction, after the goal's version check).

    The entry stands for the period of ``on`` (weekly) when given; otherwise for the period of the
    goal's current value, so that it supersedes exactly that value, or this week when the goal
    has none yet."""
    today = Clock.today()
    now = Clock.now()
    if on is not None:
        if on > today:
            raise Invalid("实际值的日期不能晚于今天", [Issue("future", "实际值的日期不能晚于今天", "actual_on")])
        p = periods.containing("weekly", on)
        key, end = p.key, p.end
    else:
        current = (await values.values_as_of([goal["id"]], now)).get(goal["id"])
        if current is not None:
            row = await sql.fetch_one("SELECT r.period, r.period_end FROM progress_value v JOIN progress_report r ON r.id = v.report WHERE v.id = {}", current["entry"])
            key, end = row["period"], values.as_date(row["period_end"])  # type: ignore[index]
        else:
            p = periods.containing("weekly", today)
            key, end = p.key, p.end
    report = (
        await ProgressReport.insert(
            ProgressReport(
                item=goal["item"], period=key, period_end=end, reported_on=today,
                narrative=(reason or "").strip() or "管理员直接更正目标实际值", reporter=actor.id, kind="admin",
                late=False, reason=(reason or "").strip() or None, created_at=now,
            )
        ).returning(ProgressReport.id)
    )[0]
    await ProgressValue.insert(ProgressValue(report=report["id"], goal=goal["id"], value=value, reported_on=today, period_end=end, recorded_at=now))
    return await values.refresh_actuals([goal["id"]], bump=False)


async def list_reports(item_id: int) -> list[dict]:
    """The item's reports, newest first, each with its values, whether it is a 补报 (``late``) and
    whether a later 更正 superseded it."""
    await item_exists(item_id)
    reports = await ProgressReport.select().where(ProgressReport.item == item_id).order_by(ProgressReport.id, ascending=False)
    ids = [r["id"] for r in reports]
    vals: dict[int, dict] = {i: {"goals": [], "projects": []} for i in ids}
    if ids:
        for v in await ProgressValue.select().where(ProgressValue.report.is_in(ids)).order_by(ProgressValue.id):
            if v["goal"] is not None:
                vals[v["report"]]["goals"].append({"goal_id": v["goal"], "value": v["value"]})
            else:
                vals[v["report"]]["projects"].append({"project_id": v["project"], "progress": int(v["value"])})
    corrected = {r["corrects"] for r in reports if r["corrects"]}
    return [
        {**r, **vals[r["id"]], "superseded": r["id"] in corrected, "kind_name": KIND_NAMES.get(r["kind"], r["kind"])}
        for r in reports
    ]
