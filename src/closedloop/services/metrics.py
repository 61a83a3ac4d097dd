"""The 晾晒 metrics of every unit as of a cut-off, and the plan goals as of a cut-off.

Everything here reads the data as it stood at the cut-off, so that an edition computed later
(a correction, a caught-up edition after downtime) gives exactly the figures it gave at the
time when nothing dated before the cut-off changed:

- goal values: ``goal_value_as_of_sql`` — the one place that says what a goal's value was at
  a moment (see its docstring);
- goals and items: only those that existed (created_at) and were assigned (assigned_on before the
  cut-off day) by then (``ITEM_COUNTED``, ``COUNTED``); the plan goals (工作目标) are all listed, a
  plan goal added after the cut-off with no value as of it;
- problems resolved (resolved_at), results verified (verified_at), 延期 approved
  (decided_at), 催办 received (created_at, within the period), items overdue (the original
  deadline, and whether the item was struck off by the cut-off from its stage moves).

Points behind the trajectory are ``domain.lights.behind_points``: for linear goals not written
since the cut-off (nearly all of a city's goals) restated in SQL and summed per unit there
(``services.lights.behind_sql``, held to the domain by the parity tests); goals with
milestones and goals written since the cut-off are computed by the domain in Python. The counts
are one set-based statement.

A goal's definition (target, baseline, comparator, deadline, milestones, start) is read as of
the cut-off from the audit log: a goal written after the cut-off takes, field by field, the value
from before its first audited change after it — a correction, an approved 目标调整申请, an
approved 延期 moving its deadline (``goal_definitions_as_of``). Left as it is: an item's lead unit and
original deadline are read as they are now.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from dataclasses import dataclass

from closedloop.db import sql
from closedloop.db.tables import Goal
from closedloop.services import values
from closedloop.domain.lights import GoalState, Light, Thresholds, behind_points, goal_light, last_undrilled_assignment
from closedloop.domain.scoring import UnitMetrics, goal_progress_of, unit_goal_figures_from_sums
from closedloop.domain.stages import DONE_STAGES
from closedloop.domain.trajectory import clamp01, completion
from closedloop.services import workdays
from closedloop.services.lights import _DIALECTS, _date, _milestones, behind_sql, plan_day, start_of



def _pg() -> bool:
    return sql.is_postgres()


def cut_params_sql() -> str:
    """A one-row table ``k`` of the cut-off: day, ts (the cut-off instant), since (the
    previous cut-off), drill (the last undrilled assignment day). Parameters in that order."""
    if _pg():
        return "(SELECT CAST({} AS DATE) AS day, CAST({} AS TIMESTAMPTZ) AS ts, CAST({} AS TIMESTAMPTZ) AS since, CAST({} AS DATE) AS drill)"
    return "(SELECT {} AS day, {} AS ts, {} AS since, {} AS drill)"


def goal_value_as_of_sql(goal: str = "g", ts: str = "k.ts") -> str:
    """THE as-of lookup of the 晾晒: the SQL expression of goal ``goal``'s value at instant ``ts``.

    The goal value ledger's value as of then (``services.values.value_as_of_sql``: among the
    values recorded by then, the latest period's); for a goal with no ledger value by then, its
    own actual when the goal row was last written by then (an actual from before the ledger);
    else null (the goal stands at its baseline).
    """
    return (
        f"COALESCE({values.value_as_of_sql(f'{goal}.id', ts)}, "
        f"CASE WHEN {goal}.updated_at <= {ts} THEN {goal}.actual END)"
    )


GOALS_SQL = """
SELECT COALESCE(g.unit, w.lead_unit) AS unit, g.id, g.comparator, g.baseline, g.target, g.deadline,
       g.start AS goal_start, g.milestones, w.assigned_on, p.issued_on, p.year, p.created_at,
       CASE WHEN g.updated_at > k.ts THEN 1 ELSE 0 END AS changed_since,
       {value} AS actual
FROM goal g
JOIN work_item w ON w.id = g.item
JOIN plan p ON p.id = w.plan
CROSS JOIN {cut} k
WHERE {counted} AND (NOT {linear} OR g.updated_at > k.ts)
"""

# the items an edition counts (one home for the COUNTS_SQL below and the goals): created by the
# cut-off (a plan imported later adds nothing to an earlier edition, nor to its 更正), not
# withdrawn by then, with a lead unit assigned before its day
ITEM_COUNTED = (
    "w.kind = 'item' AND w.lead_unit IS NOT NULL AND w.created_at <= k.ts AND (w.withdrawn_at IS NULL OR w.withdrawn_at > k.ts)"
)
# the goals an edition counts: created by the cut-off, of counted items
COUNTED = f"{ITEM_COUNTED} AND (w.assigned_on IS NULL OR w.assigned_on < k.day) AND g.created_at <= k.ts"

# linear goals not written since the cut-off: their points in SQL (``services.lights.behind_sql``)
LINEAR_SQL = """
WITH k AS {cut},
gv AS MATERIALIZED (
  SELECT g.id, {value} AS actual
  FROM goal g JOIN work_item w ON w.id = g.item CROSS JOIN k
  WHERE {counted} AND g.target IS NOT NULL AND g.deadline IS NOT NULL AND {linear} AND g.updated_at <= k.ts
),
b AS MATERIALIZED (
  SELECT COALESCE(g.unit, w.lead_unit) AS unit, {behind} AS behind
  FROM gv JOIN goal g ON g.id = gv.id JOIN work_item w ON w.id = g.item JOIN plan p ON p.id = w.plan CROSS JOIN k
)
"""
LINEAR_SUMS = (
    "SELECT unit, COUNT(*) AS n, SUM(behind) AS sb, "
    "SUM(CASE WHEN behind <= 0 THEN 1.0 WHEN behind >= 100 THEN 0.0 ELSE 1.0 - behind / 100.0 END) AS sp FROM b GROUP BY unit"
)
LINEAR_ROWS = "SELECT unit, behind FROM b"

DEFINITION = ("target", "baseline", "comparator", "deadline", "milestones", "start")


async def goal_definitions_as_of(goal_ids: list[int], cut: Cut) -> dict[int, dict]:
    """For goals written after the cut-off: their definition as it stood at the cut-off. Each
    field takes the value from before its first audited change after the cut-off: a goal's own
    audited change (an admin's correction, an approved 目标调整申请) carries the whole row before
    it; an approved 延期 records the goals whose deadline it moved and the deadline before."""
    wanted = set(goal_ids)
    out: dict[int, dict] = {}
    if not wanted:
        return out
    ts = cut.at.astimezone(dt.timezone.utc)
    ids = sorted(wanted)
    for i in range(0, len(ids), 500):
        chunk = ids[i : i + 500]
        marks = ", ".join(["{}"] * len(chunk))
        # an event older than the goal is of another goal that had its id (SQLite reuses the
        # highest id after a delete): it says nothing of this one
        born = {r["id"]: _utc(r["created_at"]) for r in await Goal.select(Goal.id, Goal.created_at).where(Goal.id.is_in(chunk))}
        rows = await sql.fetch(
            "SELECT entity, entity_id, action, before, at FROM audit_event WHERE at > {} AND before IS NOT NULL "
            f"AND ((entity = 'goal' AND entity_id IN ({marks})) OR action = 'extend_goal_deadlines') ORDER BY at, id",
            ts if _pg() else ts.isoformat(" "), *chunk,
        )
        for r in rows:
            before = json.loads(r["before"]) if isinstance(r["before"], str) else r["before"]
            if not isinstance(before, dict):
                continue
            when = _utc(r["at"])
            if r["action"] == "extend_goal_deadlines":
                for gid in before.get("goal_ids") or []:
                    if gid in born and when >= born[gid]:
                        out.setdefault(gid, {}).setdefault("deadline", before.get("deadline"))
                continue
            if r["entity_id"] not in born or when < born[r["entity_id"]]:
                continue
            fields = out.setdefault(r["entity_id"], {})
            for k in DEFINITION:
                if k in before:
                    fields.setdefault(k, before[k])
    return out


def _utc(value: dt.datetime | str) -> dt.datetime:
    """A timestamp as read back raw (a string on SQLite), in UTC."""
    when = dt.datetime.fromisoformat(value) if isinstance(value, str) else value
    return when.replace(tzinfo=dt.timezone.utc) if when.tzinfo is None else when.astimezone(dt.timezone.utc)


def _as_of_definition(g: dict, definition: dict | None) -> dict:
    if not definition:
        return g
    g = dict(g)
    for k, v in definition.items():
        if k == "start":
            g["goal_start"] = _date(v)
        elif k == "deadline":
            g["deadline"] = _date(v)
        else:
            g[k] = v
    return g


COUNTS_SQL = """
WITH k AS {cut},
units AS (
  SELECT DISTINCT w.lead_unit AS unit FROM work_item w, k
  WHERE {item_counted} AND (w.assigned_on IS NULL OR w.assigned_on < k.day)
),
pr AS (
  SELECT COALESCE(pb.unit, w.lead_unit) AS unit, COUNT(*) AS n
  FROM problem pb JOIN work_item w ON w.id = pb.item, k
  -- resolved by the cut-off, and not reopened by then (a reopening later leaves updated_at after it)
  WHERE pb.resolved_at <= k.ts AND (pb.status IN ('resolved', 'verified') OR pb.updated_at > k.ts)
  GROUP BY COALESCE(pb.unit, w.lead_unit)
),
rv AS (
  SELECT COALESCE(rs.unit, w.lead_unit) AS unit, COUNT(*) AS n
  FROM result rs JOIN work_item w ON w.id = rs.item, k
  WHERE rs.verified_at <= k.ts
  GROUP BY COALESCE(rs.unit, w.lead_unit)
),
last_move AS (
  SELECT t.item AS item, MAX(t.id) AS id FROM stage_transition t, k WHERE t.created_at <= k.ts GROUP BY t.item
),
struck AS (
  SELECT m.item FROM last_move m JOIN stage_transition t ON t.id = m.id WHERE t.to_stage IN ({done})
),
od AS (
  SELECT w.lead_unit AS unit, COUNT(*) AS n
  FROM work_item w CROSS JOIN k LEFT JOIN struck s ON s.item = w.id
  WHERE {item_counted} AND (w.assigned_on IS NULL OR w.assigned_on < k.day)
    AND COALESCE(w.original_deadline, w.deadline) < k.day AND s.item IS NULL
  GROUP BY w.lead_unit
),
ud AS (
  SELECT w.lead_unit AS unit, COUNT(*) AS n
  FROM work_item w, k
  WHERE {item_counted} AND w.assigned_on <= k.drill AND w.assigned_on < k.day
    AND NOT EXISTS (SELECT 1 FROM goal g WHERE g.item = w.id AND g.created_at <= k.ts)
  GROUP BY w.lead_unit
),
ex AS (
  SELECT w.lead_unit AS unit, COUNT(*) AS n
  FROM extension_request e JOIN work_item w ON w.id = e.item, k
  WHERE e.status = 'approved' AND e.decided_at <= k.ts AND w.lead_unit IS NOT NULL
  GROUP BY w.lead_unit
),
ur AS (
  SELECT COALESCE(a.unit, w.lead_unit) AS unit, COUNT(*) AS n
  FROM supervision_action a JOIN work_item w ON w.id = a.item, k
  WHERE a.kind = 'urge' AND a.created_at > k.since AND a.created_at <= k.ts
  GROUP BY COALESCE(a.unit, w.lead_unit)
)
SELECT u.id AS unit_id, u.name AS unit_name,
       COALESCE(pr.n, 0) AS problems_resolved, COALESCE(rv.n, 0) AS results_verified,
       COALESCE(od.n, 0) AS overdue_items, COALESCE(ur.n, 0) AS urges,
       COALESCE(ex.n, 0) AS extensions, COALESCE(ud.n, 0) AS undrilled_items
FROM units JOIN unit u ON u.id = units.unit
LEFT JOIN pr ON pr.unit = u.id LEFT JOIN rv ON rv.unit = u.id LEFT JOIN od ON od.unit = u.id
LEFT JOIN ur ON ur.unit = u.id LEFT JOIN ex ON ex.unit = u.id LEFT JOIN ud ON ud.unit = u.id
"""


@dataclass(frozen=True)
class Cut:
    """A cut-off: the instant, its local day and the previous cut-off (the period's start)."""

    at: dt.datetime
    day: dt.date
    since: dt.datetime


async def _params(cut: Cut, t: Thresholds) -> list:
    drill = last_undrilled_assignment(cut.day, t, await workdays.overrides())
    if _pg():
        return [cut.day, cut.at.astimezone(dt.timezone.utc), cut.since.astimezone(dt.timezone.utc), drill]
    # SQLite keeps dates and timestamps as ISO text
    return [cut.day.isoformat(), cut.at.astimezone(dt.timezone.utc).isoformat(" "), cut.since.astimezone(dt.timezone.utc).isoformat(" "), drill.isoformat()]


def goal_state_as_of(g: dict) -> GoalState:
    return GoalState(
        comparator=g["comparator"], baseline=g["baseline"], target=g["target"], deadline=_date(g["deadline"]),
        actual=g["actual"], start=start_of(g), milestones=_milestones(g["milestones"]),
    )


def _dialect() -> str:
    return "postgres" if _pg() else "sqlite"


async def _python_goal_behinds(cut: Cut, t: Thresholds) -> dict[int, list[float]]:
    """Goals with milestones, and goals written since the cut-off (their definition then comes
    from the audit log): points by ``domain.lights.behind_points``, per unit."""
    linear = _DIALECTS[_dialect()]["linear"]
    text = GOALS_SQL.format(value=goal_value_as_of_sql(), cut=cut_params_sql(), counted=COUNTED, linear=linear)
    rows = await sql.fetch(text, *(await _params(cut, t)))
    definitions = await goal_definitions_as_of([g["id"] for g in rows if g["changed_since"]], cut)
    out: dict[int, list[float]] = defaultdict(list)
    for g in rows:
        g = _as_of_definition(g, definitions.get(g["id"]))
        if g["target"] is None or g["deadline"] is None:
            continue
        behind = behind_points(goal_state_as_of(g), cut.day)
        if behind is not None:
            out[g["unit"]].append(behind)
    return out


def _linear_sql(select: str) -> str:
    d = _dialect()
    return LINEAR_SQL.format(
        cut=cut_params_sql(), value=goal_value_as_of_sql(), counted=COUNTED, linear=_DIALECTS[d]["linear"], behind=behind_sql(d, "gv.actual"),
    ) + select


async def goal_behinds(cut: Cut, t: Thresholds) -> dict[int, list[float]]:
    """Per unit: the points each of its goals is behind its trajectory at the cut-off (the
    parity tests read this; the editions use the sums of ``goal_sums``)."""
    out = await _python_goal_behinds(cut, t)
    for r in await sql.fetch(_linear_sql(LINEAR_ROWS), *(await _params(cut, t))):
        out[r["unit"]].append(float(r["behind"]))
    return out


async def goal_sums(cut: Cut, t: Thresholds) -> dict[int, tuple[int, float, float]]:
    """Per unit: (goals, sum of points behind, sum of goal-progress shares) at the cut-off —
    the linear goals summed in SQL (a city's goals never pass through Python), the rest here."""
    sums: dict[int, list] = defaultdict(lambda: [0, 0.0, 0.0])
    for r in await sql.fetch(_linear_sql(LINEAR_SUMS), *(await _params(cut, t))):
        sums[r["unit"]] = [int(r["n"]), float(r["sb"]), float(r["sp"])]
    for unit, behinds in (await _python_goal_behinds(cut, t)).items():
        s = sums[unit]
        s[0] += len(behinds)
        s[1] += sum(behinds)
        s[2] += sum(goal_progress_of(b) for b in behinds)
    return {u: (n, sb, sp) for u, (n, sb, sp) in sums.items()}


def statements() -> list[str]:
    """The statements an edition's metrics run, in order (the benchmark times them bare);
    they all take ``cut_parameters``."""
    linear = _DIALECTS[_dialect()]["linear"]
    return [
        _linear_sql(LINEAR_SUMS),
        GOALS_SQL.format(value=goal_value_as_of_sql(), cut=cut_params_sql(), counted=COUNTED, linear=linear),
        COUNTS_SQL.format(cut=cut_params_sql(), done=", ".join(f"'{s}'" for s in DONE_STAGES), item_counted=ITEM_COUNTED),
    ]


async def cut_parameters(cut: Cut, t: Thresholds) -> list:
    return await _params(cut, t)


async def compute_metrics(cut: Cut, t: Thresholds) -> list[UnitMetrics]:
    """Every ranked unit's metrics as of the cut-off."""
    sums = await goal_sums(cut, t)
    rows = await sql.fetch(COUNTS_SQL.format(cut=cut_params_sql(), done=", ".join(f"'{s}'" for s in DONE_STAGES), item_counted=ITEM_COUNTED), *(await _params(cut, t)))
    out = []
    for r in rows:
        progress, behind = unit_goal_figures_from_sums(*sums.get(r["unit_id"], (0, 0.0, 0.0)))
        out.append(
            UnitMetrics(
                unit_id=r["unit_id"], unit_name=r["unit_name"], goal_progress=progress,
                problems_resolved=int(r["problems_resolved"]), results_verified=int(r["results_verified"]),
                overdue_items=int(r["overdue_items"]), urges=int(r["urges"]), behind_points=behind,
                extensions=int(r["extensions"]), undrilled_items=int(r["undrilled_items"]),
            )
        )
    return out


# ---------------------------------------------------------------------------
# Plan goals (工作目标) as of a moment

PLAN_GOALS_SQL = """
SELECT pg.id, pg.plan, pg.seq, pg.subject, pg.measure_unit, pg.comparator, pg.target, pg.deadline,
       p.issued_on, p.year, p.created_at, p.title AS plan_title,
       r.id AS reporter, r.baseline AS baseline, {value} AS actual,
       CASE WHEN pg.updated_at > k.ts THEN 1 ELSE 0 END AS changed_since
FROM goal pg
JOIN plan p ON p.id = pg.plan
CROSS JOIN {cut} k
LEFT JOIN goal r ON r.id = (
  SELECT c.id FROM goal c WHERE c.plan_goal = pg.id AND c.created_at <= k.ts
  ORDER BY c.reports_plan_goal DESC, c.seq, c.id LIMIT 1)
WHERE pg.item IS NULL {where}
ORDER BY pg.plan, pg.seq, pg.id
"""


async def plan_goals_as_of(cut: Cut, t: Thresholds, plan_id: int | None = None) -> list[dict]:
    """Each plan goal with its actual as of the cut-off (the value of the linked item goal that
    reports it: the one marked, else the first), completion and light by the goal rules."""
    where = "AND pg.plan = {}" if plan_id is not None else ""
    args = await _params(cut, t)
    if plan_id is not None:
        args.append(plan_id)
    rows = await sql.fetch(PLAN_GOALS_SQL.format(value=goal_value_as_of_sql("r"), cut=cut_params_sql(), where=where), *args)
    definitions = await goal_definitions_as_of([g["id"] for g in rows if g["changed_since"]], cut)
    out = []
    for g in rows:
        # the plan goal's own definition as of the cut-off (its baseline is the reporter's)
        g = _as_of_definition(g, {k: v for k, v in (definitions.get(g["id"]) or {}).items() if k != "baseline"})
        start = plan_day(g)
        # staleness is an item's rule (its reports); a plan goal is judged on its value alone
        state = GoalState(
            comparator=g["comparator"], baseline=g["baseline"], target=g["target"], deadline=_date(g["deadline"]),
            actual=g["actual"], start=start, last_report_on=cut.day,
        )
        light = goal_light(state, cut.day, t) if g["reporter"] is not None else None
        done = completion(g["actual"], g["baseline"], g["target"], g["comparator"])
        out.append(
            {
                "id": g["id"], "plan": g["plan"], "plan_title": g["plan_title"], "subject": g["subject"],
                "comparator": g["comparator"], "target": g["target"], "measure_unit": g["measure_unit"],
                "actual": g["actual"], "reporting_goal": g["reporter"],
                "completion": None if done is None else round(clamp01(done), 6),
                "light": light.value if isinstance(light, Light) else None,
            }
        )
    return out


def plan_goals_json(goals: list[dict]) -> str:
    return json.dumps(goals, ensure_ascii=False, sort_keys=True)
