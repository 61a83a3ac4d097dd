"""Recompute and store goal and item lights (亮灯) and item completion as of a date.

Two paths, one set of rules:

- ``refresh_items`` — after a write to an item's records: reads that item's goals with two
  fixed statements and applies ``domain.lights`` in Python, the rules' reference
  implementation.
- ``refresh_all`` — the scan over every item: set-based SQL (one UPDATE of goal lights, one of
  item lights and completion) that writes only rows whose value changes. The SQL restates the
  domain rules for goals on the linear 序时 trajectory; goals with milestones (piecewise
  trajectories) are few and are computed in Python. ``tests/integration/test_light_parity.py``
  holds the SQL to the domain functions on both engines.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache

from closedloop.db import sql
from closedloop.domain.lights import UNDRILLED, GoalState, Light, Thresholds, goal_light, item_light_with_reason, last_undrilled_assignment
from closedloop.domain.stages import DONE_STAGES
from closedloop.domain.trajectory import Milestone, clamp01, completion, completion_percent, goal_start, plan_date
from closedloop.services import workdays
from closedloop.settings import get_settings



def thresholds() -> Thresholds:
    return get_settings().lights


def plan_day(plan: dict) -> dt.date:
    """The plan's own date (``domain.trajectory.plan_date``) from a row with its columns."""
    created = plan["created_at"]
    if isinstance(created, str):
        created = dt.datetime.fromisoformat(created)
    return plan_date(_date(plan.get("issued_on")), plan.get("year"), created.astimezone(dt.timezone.utc).date())


def start_of(row: dict) -> dt.date:
    """A goal's trajectory start from a row with the plan's columns, the item's assigned_on
    and the goal's own ``start`` (as ``goal_start``)."""
    return goal_start(_date(row.get("goal_start")), plan_day(row), _date(row.get("assigned_on")))


async def drill_threshold(as_of: dt.date, t: Thresholds) -> dt.date:
    """Items assigned on or before this day and still without a goal are 未下钻 on ``as_of``."""
    return last_undrilled_assignment(as_of, t, await workdays.overrides())


def _milestones(raw) -> tuple[Milestone, ...]:
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            return ()
    out = []
    for m in raw or []:
        try:
            out.append(Milestone(dt.date.fromisoformat(m["on"]), float(m["value"])))
        except (KeyError, TypeError, ValueError):
            continue
    return tuple(out)


def _date(value) -> dt.date | None:
    """SQLite hands back computed dates (MAX over a column) as text."""
    if isinstance(value, str):
        return dt.date.fromisoformat(value[:10])
    if isinstance(value, dt.datetime):
        return value.date()
    return value


@dataclass
class Refreshed:
    items_changed: int = 0
    goal_lights: dict[int, str | None] = field(default_factory=dict)  # goals whose light changed


async def refresh(as_of: dt.date, item_ids: list[int] | None = None) -> int:
    """Recompute lights for the given items (every item when None); returns items changed."""
    if item_ids is None:
        return await refresh_all(as_of)
    return (await refresh_items(as_of, item_ids)).items_changed


# ---------------------------------------------------------------------------
# A few items, after a write: the domain functions in Python


@lru_cache(maxsize=64)
def _in_list(n: int) -> str:
    return ", ".join(["{}"] * n)


ITEMS_WITH_GOALS = (
    "SELECT w.id, w.plan, w.deadline, w.stage, w.light, w.light_reason, w.completion, w.last_report_on, w.assigned_on, "
    "p.year, p.issued_on, p.created_at, g.id AS goal_id, g.comparator AS goal_comparator, "
    "g.baseline AS goal_baseline, g.target AS goal_target, g.deadline AS goal_deadline, g.start AS goal_start, "
    "g.milestones AS goal_milestones, g.actual AS goal_actual, g.actual_on AS goal_actual_on, g.light AS goal_light "
    "FROM work_item w JOIN plan p ON p.id = w.plan LEFT JOIN goal g ON g.item = w.id "
    "WHERE w.kind = 'item' AND w.id IN ({ids}) ORDER BY w.id, g.id"
)
GOAL_KEYS = ("id", "comparator", "baseline", "target", "deadline", "start", "milestones", "actual", "actual_on", "light")


def goal_state(g: dict, start: dt.date, last_report_on: dt.date | None) -> GoalState:
    actual_on = _date(g["actual_on"])
    return GoalState(
        comparator=g["comparator"],
        baseline=g["baseline"],
        target=g["target"],
        deadline=_date(g["deadline"]),
        actual=g["actual"],
        start=start,
        milestones=_milestones(g["milestones"]),
        last_report_on=max(filter(None, [last_report_on, actual_on]), default=None),
        reached_on=actual_on,
    )


@dataclass
class Changes:
    """What :func:`compute` found to write: goals by their new light, items by their new
    (light, light reason, completion)."""

    goals: dict[str | None, list[int]] = field(default_factory=lambda: defaultdict(list))
    items: dict[tuple[str | None, str | None, int | None], list[int]] = field(default_factory=lambda: defaultdict(list))
    refreshed: Refreshed = field(default_factory=Refreshed)


def group_rows(rows: list[dict]) -> tuple[dict[int, dict], dict[int, list[dict]]]:
    """Rows of :data:`ITEMS_WITH_GOALS` (an item's columns with one of its goals each) → the
    items and, per item, its goals (keys of :data:`GOAL_KEYS`)."""
    items: dict[int, dict] = {}
    goals_by_item: dict[int, list[dict]] = defaultdict(list)
    for r in rows:
        items.setdefault(r["id"], r)
        if r["goal_id"] is not None:
            goals_by_item[r["id"]].append({k: r[f"goal_{k}"] for k in GOAL_KEYS})
    return items, goals_by_item


def compute(as_of: dt.date, items: dict[int, dict], goals_by_item: dict[int, list[dict]], drill: dt.date | None, t: Thresholds) -> Changes:
    """The lights of these items and their goals by the domain rules, and which differ from
    the stored ones (``items``: the columns of :data:`ITEMS_WITH_GOALS`; ``drill``: the last
    undrilled assignment day, needed only when an item has no goal). No database: a writer
    that already holds the rows (a lead's report) computes from them."""
    out = Changes()
    for item in items.values():
        lights: list[Light | None] = []
        completions = []
        for g in goals_by_item.get(item["id"], []):
            start = start_of({**item, "goal_start": g["start"]})
            light = goal_light(goal_state(g, start, _date(item["last_report_on"])), as_of, t)
            lights.append(light)
            c = completion(g["actual"], g["baseline"], g["target"], g["comparator"])
            if c is not None:
                completions.append(clamp01(c))
            value = light.value if light else None
            if value != g["light"]:
                out.goals[value].append(g["id"])
                out.refreshed.goal_lights[g["id"]] = value
        done = item["stage"] in DONE_STAGES
        assigned = _date(item["assigned_on"])
        is_undrilled = drill is not None and item["id"] not in goals_by_item and assigned is not None and assigned <= drill
        lit = item_light_with_reason(lights, deadline=_date(item["deadline"]), done=done, as_of=as_of, t=t, is_undrilled=is_undrilled)
        value = lit.light.value if lit.light else None
        pct = completion_percent(completions)
        if value != item["light"] or pct != item["completion"] or lit.reason != item["light_reason"]:
            out.items[(value, lit.reason, pct)].append(item["id"])
            out.refreshed.items_changed += 1
    return out


async def refresh_items(as_of: dt.date, item_ids: list[int]) -> Refreshed:
    """Recompute the lights of these items and their goals; write only what changed."""
    ids = sorted(set(item_ids))
    if not ids:
        return Refreshed()
    t = thresholds()
    # one statement: the items with their plan's start and their goals
    items, goals_by_item = group_rows(await sql.fetch(ITEMS_WITH_GOALS.format(ids=_in_list(len(ids))), *ids))
    drill = await drill_threshold(as_of, t) if any(i not in goals_by_item for i in items) else None
    changes = compute(as_of, items, goals_by_item, drill, t)
    await _write_goal_lights(changes.goals)
    for (value, reason, pct), iids in changes.items.items():
        for chunk in _chunks(iids):
            await sql.execute(
                f"UPDATE work_item SET light = {{}}, light_reason = {{}}, completion = {{}} WHERE id IN ({_in_list(len(chunk))})",
                value, reason, pct, *chunk,
            )
    return changes.refreshed


def _chunks(ids: list[int], size: int = 5000):
    for i in range(0, len(ids), size):
        yield ids[i : i + size]


async def _write_goal_lights(changes: dict[str | None, list[int]], *, skip_locked: bool = False) -> None:
    """One UPDATE per new light value (in chunks of ids); on PostgreSQL every goal is locked
    first, in id order, or (the scan: ``skip_locked``) the goals another transaction holds are
    left to it (see "Locks" above)."""
    if sql.is_postgres():
        rows = sorted((gid, value) for value, gids in changes.items() for gid in gids)
        lock = "FOR UPDATE OF g SKIP LOCKED" if skip_locked else "ORDER BY g.id FOR UPDATE OF g"
        if rows:
            await sql.execute(
                "UPDATE goal SET light = l.light FROM (SELECT g.id, c.light FROM goal g JOIN unnest({}::integer[], {}::text[]) AS c(id, light) "
                f"ON c.id = g.id {lock}) l WHERE goal.id = l.id",
                [r[0] for r in rows], [r[1] for r in rows],
            )
        return
    for value, gids in changes.items():
        for chunk in _chunks(gids):
            await sql.execute(f"UPDATE goal SET light = {{}} WHERE id IN ({_in_list(len(chunk))})", value, *chunk)


# ---------------------------------------------------------------------------
# Every item: set-based SQL

_DIALECTS = {
    "postgres": {
        "day": "CAST({} AS DATE)",
        "num": "CAST({} AS DOUBLE PRECISION)",
        "days": "({a} - {b})",
        "plan_day": "COALESCE(p.issued_on, make_date(p.year, 1, 1), CAST((p.created_at AT TIME ZONE 'UTC') AS DATE))",
        "max": "GREATEST",
        "min": "LEAST",
        "round6": "ROUND(CAST({x} AS NUMERIC), 6)",
        "floor_int": "CAST(FLOOR({x}) AS INTEGER)",
        "differs": "IS DISTINCT FROM",
        "linear": "(g.milestones IS NULL OR CAST(g.milestones AS TEXT) IN ('[]', 'null'))",
    },
    "sqlite": {
        "day": "{}",
        "num": "{}",
        "days": "(julianday({a}) - julianday({b}))",
        "plan_day": "COALESCE(p.issued_on, CASE WHEN p.year IS NOT NULL THEN printf('%04d-01-01', p.year) END, date(p.created_at))",
        "max": "MAX",
        "min": "MIN",
        "round6": "ROUND({x}, 6)",
        "floor_int": "CAST({x} AS INTEGER)",  # the values are never negative
        "differs": "IS NOT",
        "linear": "(g.milestones IS NULL OR g.milestones IN ('[]', 'null'))",
    },
}


def start_sql(dialect: str) -> str:
    """domain.trajectory.goal_start over ``g`` (goal), ``w`` (item) and ``p`` (plan)."""
    plan_day = _DIALECTS[dialect]["plan_day"]
    return f"COALESCE(g.start, CASE WHEN w.assigned_on > {plan_day} THEN w.assigned_on ELSE {plan_day} END)"


def comparator_sql(g: str = "g") -> str:
    """domain.trajectory.effective_comparator."""
    return (
        f"(CASE WHEN {g}.comparator IN ('>=', '>', '<=', '<', '=') THEN {g}.comparator "
        f"WHEN {g}.target < COALESCE({g}.baseline, 0.0) THEN '<=' ELSE '>=' END)"
    )


def reached_sql(actual: str, g: str = "g") -> str:
    """domain.trajectory.reached: 1 = 1 when ``actual`` satisfies the goal."""
    c, target = comparator_sql(g), f"{g}.target"
    return (
        f"({actual} IS NOT NULL AND {target} IS NOT NULL AND ("
        f"({c} = '>=' AND {actual} >= {target}) OR ({c} = '>' AND {actual} > {target}) OR "
        f"({c} = '<=' AND {actual} <= {target}) OR ({c} = '<' AND {actual} < {target}) OR "
        f"({c} = '=' AND ABS({actual} - {target}) < 1e-9)))"
    )


def completion_sql(actual: str, g: str = "g") -> str:
    """domain.trajectory.completion for a non-null ``actual`` (unclamped)."""
    base = f"COALESCE({g}.baseline, 0.0)"
    gap = f"({g}.target - {base})"
    return (
        f"(CASE WHEN ABS({gap}) < 1e-12 THEN (CASE WHEN {reached_sql(actual, g)} THEN 1.0 ELSE 0.0 END) "
        f"WHEN {comparator_sql(g)} = '=' THEN 1.0 - ABS({actual} - {g}.target) / ABS({gap}) "
        f"ELSE ({actual} - {base}) / {gap} END)"
    )


def behind_sql(dialect: str, actual: str, day: str = "k.day") -> str:
    """domain.lights.behind_points for a linear goal ``g`` (of item ``w``, plan ``p``) whose
    value is ``actual`` (null: at its baseline), on ``day``; null without target or deadline
    is left to the caller."""
    d = _DIALECTS[dialect]
    days = lambda a, b: d["days"].format(a=a, b=b)  # noqa: E731
    base = "COALESCE(g.baseline, 0.0)"
    start = start_sql(dialect)
    # domain.trajectory.expected_completion without milestones
    expected = (
        f"CASE WHEN ABS(g.target - {base}) < 1e-12 THEN (CASE WHEN {day} >= g.deadline THEN 1.0 ELSE 0.0 END) "
        f"WHEN {day} <= {start} THEN 0.0 WHEN {day} >= g.deadline THEN 1.0 "
        f"ELSE {d['max']}(0.0, {d['min']}(1.0, ({base} + (g.target - {base}) * {days(day, start)} / {days('g.deadline', start)} - {base}) / (g.target - {base}))) END"
    )
    done = completion_sql(f"COALESCE({actual}, {base})")
    return d["round6"].format(x=f"(({expected}) - {d['min']}({done}, 1.0)) * 100.0")


@lru_cache(maxsize=4)
def goal_lights_sql(dialect: str) -> str:
    """Every linear goal's light as of a day; parameters: day, red, yellow, due-soon days,
    stale days, ahead points."""
    d = _DIALECTS[dialect]
    days = lambda a, b: d["days"].format(a=a, b=b)  # noqa: E731
    behind = behind_sql(dialect, "g.actual")
    start = start_sql(dialect)
    stale_since = (
        "CASE WHEN w.last_report_on IS NULL THEN g.actual_on WHEN g.actual_on IS NULL THEN w.last_report_on "
        "WHEN w.last_report_on > g.actual_on THEN w.last_report_on ELSE g.actual_on END"
    )
    return f"""
SELECT q.id AS id, CASE
  WHEN q.target IS NULL OR q.deadline IS NULL THEN NULL
  WHEN q.reached = 1 THEN CASE WHEN COALESCE(q.actual_on, q.day) <= q.deadline THEN 'blue' ELSE 'green' END
  WHEN q.day > q.deadline THEN 'red'
  WHEN q.behind > q.red THEN 'red'
  WHEN q.behind >= q.yellow THEN 'yellow'
  WHEN {days('q.deadline', 'q.day')} <= q.due THEN 'yellow'
  WHEN {days('q.day', 'COALESCE(q.stale_since, q.start)')} > q.stale THEN 'yellow'
  WHEN -q.behind >= q.ahead THEN 'blue'
  ELSE 'green' END AS light
FROM (
  SELECT g.id, g.target, g.deadline, g.actual_on, k.day, k.red, k.yellow, k.due, k.stale, k.ahead,
         {start} AS start, {stale_since} AS stale_since,
         CASE WHEN {reached_sql('g.actual')} THEN 1 ELSE 0 END AS reached,
         CASE WHEN g.target IS NULL OR g.deadline IS NULL THEN NULL ELSE {behind} END AS behind
  FROM goal g
  JOIN work_item w ON w.id = g.item
  JOIN plan p ON p.id = w.plan
  CROSS JOIN (SELECT {d['day']} AS day, {d['num']} AS red, {d['num']} AS yellow, {d['num']} AS due,
                     {d['num']} AS stale, {d['num']} AS ahead) k
  WHERE w.kind = 'item' AND {d['linear']}
) q"""


@lru_cache(maxsize=4)
def item_lights_sql(dialect: str) -> str:
    """Every item's light, light reason and completion from its goals' stored lights;
    parameters: day, due-soon days, the last undrilled assignment day."""
    d = _DIALECTS[dialect]
    days = lambda a, b: d["days"].format(a=a, b=b)  # noqa: E731
    clamped = f"{d['max']}(0.0, {d['min']}(1.0, {completion_sql('g.actual')}))"
    undrilled = "(a.item IS NULL AND w.assigned_on IS NOT NULL AND w.assigned_on <= k.drill)"
    own = (
        f"CASE WHEN w.deadline IS NULL THEN -1 WHEN k.day > w.deadline THEN 3 "
        f"WHEN {days('w.deadline', 'k.day')} <= k.due THEN 2 WHEN COALESCE(a.lit, 0) = 0 THEN 1 ELSE -1 END"
    )
    sev = f"{d['max']}(COALESCE(a.sev, -1), {own}, CASE WHEN {undrilled} THEN 2 ELSE -1 END)"
    done = ", ".join(f"'{s}'" for s in DONE_STAGES)
    return f"""
SELECT q.id, q.completion,
  CASE WHEN q.done = 1 THEN CASE WHEN q.nonblue = 0 THEN 'blue' ELSE 'green' END
  ELSE CASE q.sev WHEN 0 THEN 'blue' WHEN 1 THEN 'green' WHEN 2 THEN 'yellow' WHEN 3 THEN 'red' END END AS light,
  CASE WHEN q.done = 0 AND q.undrilled = 1 AND q.sev = 2 THEN '{UNDRILLED}' END AS light_reason
FROM (
SELECT w.id AS id,
  CASE WHEN w.stage IN ({done}) THEN 1 ELSE 0 END AS done,
  COALESCE(a.nonblue, 0) AS nonblue,
  {sev} AS sev,
  CASE WHEN {undrilled} THEN 1 ELSE 0 END AS undrilled,
  CASE WHEN a.done IS NULL THEN NULL ELSE {d['floor_int'].format(x='100.0 * a.done + 0.5')} END AS completion
FROM work_item w
CROSS JOIN (SELECT {d['day']} AS day, {d['num']} AS due, {d['day']} AS drill) k
LEFT JOIN (
  SELECT g.item AS item,
         MAX(CASE g.light WHEN 'blue' THEN 0 WHEN 'green' THEN 1 WHEN 'yellow' THEN 2 WHEN 'red' THEN 3 END) AS sev,
         COUNT(g.light) AS lit,
         SUM(CASE WHEN g.light IS NOT NULL AND g.light <> 'blue' THEN 1 ELSE 0 END) AS nonblue,
         AVG(CASE WHEN g.actual IS NULL OR g.target IS NULL THEN NULL ELSE {clamped} END) AS done
  FROM goal g WHERE g.item IS NOT NULL GROUP BY g.item
) a ON a.item = w.id
WHERE w.kind = 'item'
) q"""


# Locks (PostgreSQL). A report locks its items, then all their goals, each in id order
# (``progress.LOCK_GOALS_OF_ITEMS_PG``), so reports never wait for each other in a cycle. The
# scan never waits at all: each of its statements skips the rows another transaction holds
# (``FOR UPDATE SKIP LOCKED``) and commits on its own. A row held is being written by a report (or
# an edit) that recomputes the lights of its items as of today itself; the next scan sees it
# anyway. A scan statement that waited for locks in the planner's order deadlocked with 台账
# uploads; one that waited in id order queued behind every upload in turn (428 s for one scan on
# Monday morning) and made the uploads behind it wait for the whole statement.


def _goal_lights_update(name: str) -> str:
    d = _DIALECTS[name]
    # materialised: inlined, the light expression was evaluated twice per row (once for the
    # comparison, once for the SET), a second of the city-scale scan
    if name == "postgres":  # only the rows no one else holds (see "Locks" above)
        return (
            f"WITH c AS MATERIALIZED ({goal_lights_sql(name)}), "
            f"l AS (SELECT g.id, c.light FROM goal g JOIN c ON c.id = g.id WHERE g.light {d['differs']} c.light FOR UPDATE OF g SKIP LOCKED) "
            "UPDATE goal SET light = l.light FROM l WHERE goal.id = l.id"
        )
    return (
        f"WITH c AS MATERIALIZED ({goal_lights_sql(name)}) "
        f"UPDATE goal SET light = c.light FROM c WHERE goal.id = c.id AND goal.light {d['differs']} c.light"
    )


def _item_lights_update(name: str) -> str:
    d = _DIALECTS[name]
    if name == "postgres":  # only the rows no one else holds (see "Locks" above)
        differs = f"(w.light {d['differs']} c.light OR w.completion {d['differs']} c.completion OR w.light_reason {d['differs']} c.light_reason)"
        return (
            f"WITH c AS MATERIALIZED ({item_lights_sql(name)}), "
            f"l AS (SELECT w.id, c.light, c.light_reason, c.completion FROM work_item w JOIN c ON c.id = w.id WHERE {differs} "
            "FOR UPDATE OF w SKIP LOCKED) "
            "UPDATE work_item SET light = l.light, light_reason = l.light_reason, completion = l.completion FROM l "
            "WHERE work_item.id = l.id RETURNING work_item.id"
        )
    return (
        f"WITH c AS MATERIALIZED ({item_lights_sql(name)}) "
        "UPDATE work_item SET light = c.light, light_reason = c.light_reason, completion = c.completion FROM c "
        f"WHERE work_item.id = c.id AND (work_item.light {d['differs']} c.light OR work_item.completion {d['differs']} c.completion "
        f"OR work_item.light_reason {d['differs']} c.light_reason) "
        "RETURNING work_item.id"
    )


async def refresh_all(as_of: dt.date) -> int:
    """The scan's refresh of every item: returns the number of items whose light or
    completion changed. Each statement commits on its own (no transaction spans the scan) and
    never waits for a row another writer holds (see "Locks" above)."""
    t = thresholds()
    name = "postgres" if sql.is_postgres() else "sqlite"
    d = _DIALECTS[name]
    await sql.execute(
        _goal_lights_update(name),
        as_of, float(t.red_points), float(t.yellow_points), float(t.due_soon_days), float(t.stale_days), float(t.ahead_points),
    )
    await _refresh_piecewise_goals(as_of, t, d)
    changed = await sql.fetch(_item_lights_update(name), as_of, float(t.due_soon_days), await drill_threshold(as_of, t))
    return len(changed)


async def _refresh_piecewise_goals(as_of: dt.date, t: Thresholds, d: dict) -> None:
    """Goals with milestones follow a piecewise trajectory: computed by the domain in Python."""
    rows = await sql.fetch(
        "SELECT g.id, g.item, g.comparator, g.baseline, g.target, g.deadline, g.start AS goal_start, g.milestones, g.actual, g.actual_on, "
        "g.light, w.last_report_on, w.assigned_on, p.year, p.issued_on, p.created_at "
        "FROM goal g JOIN work_item w ON w.id = g.item JOIN plan p ON p.id = w.plan "
        f"WHERE w.kind = 'item' AND NOT {d['linear']}"
    )
    changes: dict[str | None, list[int]] = defaultdict(list)
    for g in rows:
        light = goal_light(goal_state(g, start_of(g), _date(g["last_report_on"])), as_of, t)
        value = light.value if light else None
        if value != g["light"]:
            changes[value].append(g["id"])
    await _write_goal_lights(changes, skip_locked=True)
