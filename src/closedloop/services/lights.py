"""Recompute and store goal and item lights (亮灯) and item completion as of a date."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from piccolo.query.functions.aggregate import Max

from closedloop.db.tables import Goal, Plan, ProgressReport, WorkItem
from closedloop.domain.lights import GoalState, Thresholds, goal_light, item_light
from closedloop.domain.trajectory import Milestone, clamp01, completion
from closedloop.settings import get_settings

DONE_STAGES = ("close", "review", "archived")


def thresholds() -> Thresholds:
    return get_settings().lights


def plan_start(plan: dict) -> dt.date:
    """Where the 序时 trajectory starts: 1 January of the plan year, else its issue date."""
    if plan.get("year"):
        return dt.date(plan["year"], 1, 1)
    if plan.get("issued_on"):
        return plan["issued_on"]
    return plan["created_at"].date()


def _milestones(raw) -> tuple[Milestone, ...]:
    out = []
    for m in raw or []:
        try:
            out.append(Milestone(dt.date.fromisoformat(m["on"]), float(m["value"])))
        except (KeyError, TypeError, ValueError):
            continue
    return tuple(out)


async def refresh(as_of: dt.date, item_ids: list[int] | None = None) -> int:
    """Recompute lights for the given items (all open items when None); returns items changed.

    One query per table reads what is needed; only rows whose light or completion changed
    are written.
    """
    t = thresholds()
    items_q = WorkItem.select(
        WorkItem.id, WorkItem.plan, WorkItem.deadline, WorkItem.stage, WorkItem.light, WorkItem.completion
    ).where(WorkItem.kind == "item")
    if item_ids is not None:
        if not item_ids:
            return 0
        items_q = items_q.where(WorkItem.id.is_in(item_ids))
    items = await items_q
    if not items:
        return 0
    ids = [i["id"] for i in items]
    # only the plans of these items: this runs on every write to an item's records
    plans = {
        p["id"]: p
        for p in await Plan.select(Plan.id, Plan.year, Plan.issued_on, Plan.created_at).where(
            Plan.id.is_in(sorted({i["plan"] for i in items}))
        )
    }
    goals_by_item: dict[int, list[dict]] = defaultdict(list)
    goal_q = Goal.select().where(Goal.item.is_not_null())
    if item_ids is not None:
        goal_q = goal_q.where(Goal.item.is_in(ids))
    for g in await goal_q:
        goals_by_item[g["item"]].append(g)
    last_report: dict[int, dt.date] = {}
    report_q = ProgressReport.select(ProgressReport.item, Max(ProgressReport.reported_on).as_alias("last")).group_by(ProgressReport.item)
    if item_ids is not None:
        report_q = report_q.where(ProgressReport.item.is_in(ids))
    report_rows = await report_q
    for r in report_rows:
        last = r["last"]
        if isinstance(last, str):
            last = dt.date.fromisoformat(last)
        last_report[r["item"]] = last
    changed = 0
    goal_changes: dict[str | None, list[int]] = defaultdict(list)
    item_changes: dict[tuple[str | None, int | None], list[int]] = defaultdict(list)
    for item in items:
        start = plan_start(plans[item["plan"]])
        done = item["stage"] in DONE_STAGES
        lights = []
        completions = []
        for g in goals_by_item.get(item["id"], []):
            state = GoalState(
                comparator=g["comparator"],
                baseline=g["baseline"],
                target=g["target"],
                deadline=g["deadline"],
                actual=g["actual"],
                start=start,
                milestones=_milestones(g["milestones"]),
                last_report_on=max(filter(None, [last_report.get(item["id"]), g["actual_on"]]), default=None),
                reached_on=g["actual_on"],
            )
            light = goal_light(state, as_of, t)
            lights.append(light)
            c = completion(g["actual"], g["baseline"], g["target"], g["comparator"])
            if c is not None:
                completions.append(clamp01(c))
            value = light.value if light else None
            if value != g["light"]:
                goal_changes[value].append(g["id"])
        light = item_light(lights, deadline=item["deadline"], done=done, as_of=as_of, t=t)
        value = light.value if light else None
        pct = round(100 * sum(completions) / len(completions)) if completions else None
        if value != item["light"] or pct != item["completion"]:
            item_changes[(value, pct)].append(item["id"])
            changed += 1
    # one UPDATE per distinct new value, in chunks: a scan of every item stays a handful of statements
    for value, ids_ in goal_changes.items():
        for chunk in _chunks(ids_):
            await Goal.update({Goal.light: value}).where(Goal.id.is_in(chunk))
    for (value, pct), ids_ in item_changes.items():
        for chunk in _chunks(ids_):
            await WorkItem.update({WorkItem.light: value, WorkItem.completion: pct}).where(WorkItem.id.is_in(chunk))
    return changed


def _chunks(ids: list[int], size: int = 5000):
    for i in range(0, len(ids), size):
        yield ids[i : i + size]
