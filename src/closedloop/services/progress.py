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

Everything is validated before anything is written, and the writes share one transaction (on
PostgreSQL a report of goals alone is written by one statement: ``_one_report_pg``). Reports are
never updated afterwards.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from closedloop.db import sql
from closedloop.db.engine import write_tx
from closedloop.db.tables import ProgressReport, ProgressValue
from closedloop.domain import ledger, periods
from closedloop.domain.errors import DomainError, Forbidden, Invalid, Issue, NotFound
from closedloop.services import access, lights, values
from closedloop.services.access import LEAD_SCOPE_SQL, ensure_data_open
from closedloop.services.common import Actor, AuditEntry, Clock, audit_json, audit_many, item_exists

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


@dataclass
class ReportIn:
    """One item's report in a :func:`create_reports` call."""

    item_id: int
    narrative: str
    reason: str | None = None
    goal_values: list[tuple[int, float]] = field(default_factory=list)
    project_values: list[tuple[int, int]] = field(default_factory=list)


class ReportsRefused(Exception):
    """Some reports of a :func:`create_reports` call were refused; nothing was written.
    ``errors`` maps each refused report's index to its domain error (what
    :func:`create_report` would raise for it alone)."""

    def __init__(self, errors: dict[int, DomainError]) -> None:
        super().__init__(next(iter(errors.values())).message)
        self.errors = errors


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
    """File one item's report for ``period`` (see the module docstring for the rules)."""
    try:
        return (await create_reports(actor, period, [ReportIn(item_id, narrative, reason, list(goal_values), list(project_values))]))[0]
    except ReportsRefused as exc:
        raise exc.errors[0] from None


@lru_cache(maxsize=64)
def _in(n: int) -> str:
    return ", ".join(["{}"] * n)


def _chunks(ids: list, size: int = 1000):
    for i in range(0, len(ids), size):
        yield ids[i : i + size]


def _may_report(actor: Actor) -> None:
    if not (access.is_lead(actor) or access.is_admin(actor)):
        raise Forbidden("督查室不直接修改单位填报的数据")


def _item_verdict(actor: Actor, row: dict | None) -> dict | DomainError:
    """The item (read with ``_in_scope``, the lead scope's answer) if the actor may report on
    it, else why not (``access.item_for_write``'s rules)."""
    if row is None:
        return NotFound("事项不存在")
    in_scope = row.pop("_in_scope")
    if access.is_lead(actor) and not in_scope:
        return Forbidden("只能修改本单位牵头或配合的事项")
    try:
        ensure_data_open(actor, row)
    except DomainError as exc:
        return exc
    return row


# PostgreSQL: the lock order of every report (see "Locks" in services/lights, which the scan
# keeps by never waiting): items first, then all their goals, each in id order, before any goal
# is written. A report that locked its items and then updated their goals in whatever order its
# statements took them could wait on a goal the scan held while the scan waited on one of the
# report's: a deadlock (seen on Monday morning).
LOCK_GOALS_OF_ITEMS_PG = "SELECT id FROM goal WHERE item = ANY({}::integer[]) ORDER BY id FOR UPDATE"


async def _items_for_write(actor: Actor, item_ids: list[int]) -> dict[int, dict | DomainError]:
    """``access.item_for_write`` for many items in one statement, which on PostgreSQL also
    locks them, and then their goals (SQLite's IMMEDIATE transaction already serialises
    writers): the "is there a report for this period?" read and the insert must not interleave
    with another writer's."""
    _may_report(actor)
    out: dict[int, dict | DomainError] = {}
    lock = " FOR UPDATE OF w" if sql.is_postgres() else ""
    ids = sorted(set(item_ids))
    for chunk in _chunks(ids):  # in id order: two writers lock in the same order
        rows = await sql.fetch(
            f"SELECT w.*, {LEAD_SCOPE_SQL} AS _in_scope FROM work_item w WHERE w.kind = 'item' AND w.id IN ({_in(len(chunk))}) "
            f"ORDER BY w.id{lock}",
            actor.unit_id, actor.unit_id, *chunk,
        )
        for row in rows:
            out[row["id"]] = _item_verdict(actor, row)
    if lock:
        await sql.execute(LOCK_GOALS_OF_ITEMS_PG, ids)
    for i in item_ids:
        out.setdefault(i, NotFound("事项不存在"))
    return out


def _heads_sql(n: int) -> str:
    """Each of ``n`` items' head of a period (parameters: the period key, then the item ids):
    its latest report or correction of the period, the one a new report corrects (an admin's
    correction of a value is not a report of the unit's)."""
    # per item, a MAX without GROUP BY: one step of ix_progress_report_head, however many
    # corrections the period has (grouped, PostgreSQL read every report of the item and period)
    return (
        "SELECT h.id, h.item FROM (SELECT w.id AS item, (SELECT MAX(r.id) FROM progress_report r "
        f"WHERE r.item = w.id AND r.period = {{}} AND r.kind <> 'admin') AS id FROM work_item w WHERE w.id IN ({_in(n)})) h "
        "WHERE h.id IS NOT NULL"
    )


async def heads_of_period(item_ids: list[int], period: str) -> dict[int, int]:
    """item id → the id of its head report for ``period`` (items with none are left out)."""
    out: dict[int, int] = {}
    for chunk in _chunks(sorted(set(item_ids))):
        for r in await sql.fetch(_heads_sql(len(chunk)), period, *chunk):
            out[r["item"]] = r["id"]
    return out


async def _records_and_heads(goal_ids: list[int], project_ids: list[int], item_ids: list[int], period: str | None) -> tuple[dict, dict, dict]:
    """The goals and projects named (id, item, unit) and, per item, its latest report (or
    correction) of the period — the one a new report corrects — in one statement (read after
    the items are locked, so that a concurrent writer's report is seen)."""
    goals: dict[int, dict] = {}
    projects: dict[int, dict] = {}
    heads: dict[int, int] = {}
    g, x, i = sorted(set(goal_ids)), sorted(set(project_ids)), sorted(set(item_ids)) if period else []
    parts: list[str] = []
    args: list[Any] = []
    if g:
        parts.append(f"SELECT 'goal' AS t, id, item, unit FROM goal WHERE id IN ({_in(len(g))})")
        args += g
    if x:
        parts.append(f"SELECT 'project' AS t, id, item, unit FROM project WHERE id IN ({_in(len(x))})")
        args += x
    if i:
        parts.append(f"SELECT 'head' AS t, id, item, NULL AS unit FROM ({_heads_sql(len(i))}) h")
        args += [period, *i]
    if parts:
        for r in await sql.fetch(" UNION ALL ".join(parts), *args):
            kind = r.pop("t")
            if kind == "head":
                heads[r["item"]] = r["id"]
            else:
                (goals if kind == "goal" else projects)[r["id"]] = r
    return goals, projects, heads


def _own_problems(r: ReportIn) -> list[Issue]:
    """What is wrong with one report on its face (before reading anything)."""
    problems: list[Issue] = []
    if not (r.narrative or "").strip():
        problems.append(Issue("required", "进展情况不能为空", "narrative"))
    for n, (_pid, progress) in enumerate(r.project_values):
        if not 0 <= progress <= 100:
            problems.append(Issue("out_of_range", "项目进度必须在 0 到 100 之间", f"projects[{n}].progress"))
    goal_ids = [g for g, _ in r.goal_values]
    project_ids = [p_ for p_, _ in r.project_values]
    if len(set(goal_ids)) != len(goal_ids):
        problems.append(Issue("duplicate", "同一目标在一次填报中只能出现一次", "goals"))
    if len(set(project_ids)) != len(project_ids):
        problems.append(Issue("duplicate", "同一项目在一次填报中只能出现一次", "projects"))
    return problems


def _refusal(actor: Actor, p: periods.Period | None, r: ReportIn, item: dict | DomainError, goals: dict[int, dict],
             projects: dict[int, dict], heads: dict[int, int], problems: list[Issue]) -> DomainError | None:
    """Why one report of a call is refused (None: it may be filed), from the rows read under
    lock: the item's verdict first, then its goals' and projects' units, then the problems
    (``problems`` holds those found on the report's face; more are added)."""
    if isinstance(item, DomainError):
        return item
    try:
        for k, (gid, _v) in enumerate(r.goal_values):
            g = goals.get(gid)
            if g is None or g["item"] != r.item_id:
                problems.append(Issue("not_on_item", f"目标 {gid} 不属于该事项", f"goals[{k}].goal_id"))
            else:
                access.check_unit(actor, access.owner_unit(g, item), "只能填报本单位负责的目标")
        for k, (pid, _v) in enumerate(r.project_values):
            x = projects.get(pid)
            if x is None or x["item"] != r.item_id:
                problems.append(Issue("not_on_item", f"项目 {pid} 不属于该事项", f"projects[{k}].project_id"))
            else:
                access.check_unit(actor, access.owner_unit(x, item), "只能填报本单位负责的项目")
    except Forbidden as exc:
        return exc
    if r.item_id in heads and r.reason is None:
        problems.append(
            Issue("correction_needs_reason", f"{p.title}已报送，再次报送即为更正，须填写更正理由", "reason")  # type: ignore[union-attr]
        )
    if problems:
        return Invalid(problems[0].message, problems)
    return None


async def create_reports(actor: Actor, period: str, reports: list[ReportIn]) -> list[dict]:
    """File the reports of several items for one period, all or nothing, in one transaction
    (the caller's, when one is open), with a fixed number of statements whatever their number:
    a 500-row Excel 台账 is one call. Each report follows every rule of a report filed alone
    (the module docstring); if any is refused, :class:`ReportsRefused` says why for each and
    nothing is written. Returns each report as :func:`create_report` does, in the order given."""
    if len({r.item_id for r in reports}) != len(reports):
        raise ValueError("one report per item in a call")
    today = Clock.today()
    period_problems: list[Issue] = []
    p = parse_period(period, today, period_problems)
    problems: dict[int, list[Issue]] = {}
    for n, r in enumerate(reports):
        r.reason = (r.reason or "").strip() or None
        problems[n] = list(period_problems) + _own_problems(r)
    errors: dict[int, DomainError] = {}
    if len(reports) == 1 and not reports[0].project_values and sql.is_postgres() and not sql.in_transaction():
        # a lead's weekly report of an item's goals: one read and one write statement
        done = await _one_report_pg(actor, p, reports[0], problems[0], today)
        if done is not None:
            return [done]
    async with write_tx():
        items = await _items_for_write(actor, [r.item_id for r in reports])
        goals, projects, heads = await _records_and_heads(
            [g for r in reports for g, _ in r.goal_values], [x for r in reports for x, _ in r.project_values],
            [r.item_id for r in reports], p.key if p else None,
        )
        for n, r in enumerate(reports):
            refusal = _refusal(actor, p, r, items[r.item_id], goals, projects, heads, problems[n])
            if refusal is not None:
                errors[n] = refusal
        if errors:
            raise ReportsRefused(dict(sorted(errors.items())))
        assert p is not None
        if not reports:
            return []
        return await _write_reports(actor, p, reports, heads, goals, today)


async def _write_reports(actor: Actor, p: periods.Period, reports: list[ReportIn], heads: dict[int, int], goals: dict[int, dict], today: dt.date) -> list[dict]:
    """The writes of :func:`create_reports`, once everything is checked: set-based."""
    now = Clock.now()
    item_ids = [r.item_id for r in reports]
    if sql.is_postgres():
        by_item = await _insert_reports_pg(actor, p, reports, heads, today, now)
    else:
        by_item = await _insert_reports(actor, p, reports, heads, today, now)
    changed = await values.refresh_actuals([g for r in reports for g, _ in r.goal_values])
    await _apply_project_progress({by_item[r.item_id]["id"]: r.project_values for r in reports if r.project_values}, now)
    out = [_read(by_item[r.item_id], r.goal_values, r.project_values) for r in reports]
    changed_by_item: dict[int, list[values.Changed]] = {}
    for c in changed:
        changed_by_item.setdefault(goals[c.goal]["item"], []).append(c)
    entries = []
    for r, full in zip(reports, out, strict=True):
        entries.append(AuditEntry("report" if full["kind"] == "report" else "correct_report", "progress_report", full["id"], r.item_id, after=full))
        entries += [
            AuditEntry("actual", "goal", c.goal, r.item_id, before={"actual": c.before}, after={"actual": c.after, "period": p.key, "report": full["id"]})
            for c in changed_by_item.get(r.item_id, [])
        ]
    await audit_many(actor, entries)
    await lights.refresh(today, item_ids)
    return out


def _report_row(actor: Actor, p: periods.Period, r: ReportIn, heads: dict[int, int], today: dt.date, now: dt.datetime) -> dict:
    return {
        "item": r.item_id, "period": p.key, "period_end": p.end, "reported_on": today, "narrative": r.narrative.strip(),
        "reporter": actor.id, "kind": "correction" if r.item_id in heads else "report", "late": p.end < today, "reason": r.reason,
        "corrects": heads.get(r.item_id), "created_at": now,
    }


async def _insert_reports(actor: Actor, p: periods.Period, reports: list[ReportIn], heads: dict[int, int], today: dt.date, now: dt.datetime) -> dict[int, dict]:
    """The reports, their ledger values and the items' filing day, statement by statement."""
    inserted = await ProgressReport.insert(*[
        ProgressReport(**_report_row(actor, p, r, heads, today, now)) for r in reports
    ]).returning(*ProgressReport.all_columns())
    by_item = {row["item"]: row for row in inserted}
    rows = []
    for r in reports:
        rid = by_item[r.item_id]["id"]
        rows += [ProgressValue(report=rid, goal=g, value=v, reported_on=today, period_end=p.end, recorded_at=now) for g, v in r.goal_values]
        rows += [
            ProgressValue(report=rid, project=x, value=float(v), reported_on=today, period_end=p.end, recorded_at=now)
            for x, v in r.project_values
        ]
    for start in range(0, len(rows), 500):
        await ProgressValue.insert(*rows[start : start + 500])
    item_ids = [r.item_id for r in reports]
    # the staleness rule reads the latest filing day; it never moves backwards
    for chunk in _chunks(item_ids):
        await sql.execute(
            f"UPDATE work_item SET last_report_on = {{}} WHERE id IN ({_in(len(chunk))}) AND (last_report_on IS NULL OR last_report_on < {{}})",
            today, *chunk, today,
        )
    return by_item


REPORT_COLUMNS = ("item", "period", "period_end", "reported_on", "narrative", "reporter", "kind", "late", "reason", "corrects", "created_at")
REPORT_TYPES = ("integer", "text", "date", "date", "text", "integer", "text", "boolean", "text", "integer", "timestamptz")
# PostgreSQL: the same three writes as _insert_reports in one round trip (a data-modifying CTE
# over arrays, one parameter per column whatever the number of rows); the values are inserted
# in the order given (WITH ORDINALITY), so their ids follow it as they do statement by statement
INSERT_REPORTS_PG = (
    "WITH r AS (INSERT INTO progress_report (" + ", ".join(REPORT_COLUMNS) + ") "
    "SELECT * FROM unnest(" + ", ".join(f"{{}}::{t}[]" for t in REPORT_TYPES) + ") RETURNING *), "
    "v AS (INSERT INTO progress_value (report, goal, project, value, reported_on, period_end, recorded_at) "
    "SELECT r.id, x.goal, x.project, x.value, {}::date, {}::date, {}::timestamptz "
    "FROM unnest({}::integer[], {}::integer[], {}::integer[], {}::double precision[]) WITH ORDINALITY AS x(item, goal, project, value, n) "
    "JOIN r ON r.item = x.item ORDER BY x.n), "
    # the staleness rule reads the latest filing day; it never moves backwards
    "w AS (UPDATE work_item SET last_report_on = {}::date WHERE id = ANY({}::integer[]) AND (last_report_on IS NULL OR last_report_on < {}::date)) "
    "SELECT * FROM r"
)


async def _insert_reports_pg(actor: Actor, p: periods.Period, reports: list[ReportIn], heads: dict[int, int], today: dt.date, now: dt.datetime) -> dict[int, dict]:
    rows = [_report_row(actor, p, r, heads, today, now) for r in reports]
    columns = [[row[c] for row in rows] for c in REPORT_COLUMNS]
    vals: list[tuple[int, int | None, int | None, float]] = [(r.item_id, g, None, float(v)) for r in reports for g, v in r.goal_values]
    vals += [(r.item_id, None, x, float(v)) for r in reports for x, v in r.project_values]
    value_columns = [list(c) for c in zip(*vals, strict=True)] if vals else [[], [], [], []]
    item_ids = [r.item_id for r in reports]
    inserted = await sql.fetch(INSERT_REPORTS_PG, *columns, today, p.end, now, *value_columns, today, item_ids, today)
    return {row["item"]: row for row in inserted}


# PostgreSQL, one report without projects outside a caller's transaction (a lead's weekly report
# of an item's goals, the busiest write): two statements instead of a transaction of a dozen.
# The first reads the item, its goals, the period's head and the goals' ledger winners, with
# the rows' versions (xmin), without locking; the checks (``_refusal``), the ledger's rule
# (``domain.ledger``) and the lights (``lights.compute``) are applied in Python; the second locks
# the item, then its goals in id order (the lock order of every report,
# ``LOCK_GOALS_OF_ITEMS_PG``), and writes the report, its values, the goals' actuals and lights,
# the item's filing day and lights and the audit events only if none of those rows changed in
# between. If one did (another writer got there first), nothing is written and the report takes
# the general path under lock. ``tests/integration/test_bulk_reports.py`` holds this path to the
# rows the general one writes.

ONE_REPORT_ITEM_KEYS = ("id", "plan", "deadline", "stage", "light", "light_reason", "completion", "last_report_on", "assigned_on", "lead_unit")
ONE_REPORT_READ_PG = (
    "SELECT " + ", ".join(f"w.{c}" for c in ONE_REPORT_ITEM_KEYS) + f", {LEAD_SCOPE_SQL} AS _in_scope, CAST(w.xmin AS text) AS _xmin, "
    "p.year, p.issued_on, p.created_at, h.id AS head, g.id AS goal_id, g.unit AS goal_unit, CAST(g.xmin AS text) AS goal_xmin, "
    + ", ".join(f"g.{k} AS goal_{k}" for k in lights.GOAL_KEYS if k != "id") + ", "
    "v.id AS entry, v.value AS entry_value, v.period_end AS entry_period_end, v.recorded_at AS entry_recorded_at "
    "FROM work_item w JOIN plan p ON p.id = w.plan "
    f"LEFT JOIN ({_heads_sql(1)}) h ON TRUE LEFT JOIN goal g ON g.item = w.id "
    f"LEFT JOIN progress_value v ON v.id = {values.value_as_of_sql('g.id', '{}', 'id')} "
    "WHERE w.id = {} AND w.kind = 'item' ORDER BY g.id"
)
ONE_REPORT_WRITE_PG = (
    # the item, then its goals, locked and still as they were read (their xmin); the goals'
    # condition reads the locked item, so the item is locked before any goal
    "WITH lk AS (SELECT w.id FROM work_item w WHERE w.id = {}::integer AND CAST(w.xmin AS text) = {}::text FOR UPDATE), "
    "lg AS (SELECT g.id, CAST(g.xmin AS text) AS x FROM goal g WHERE g.item = (SELECT lk.id FROM lk) ORDER BY g.id FOR UPDATE), "
    "ok AS (SELECT lk.id FROM lk WHERE COALESCE((SELECT string_agg(lg.id || ':' || lg.x, ',' ORDER BY lg.id) FROM lg), '') = {}::text), "
    "r AS (INSERT INTO progress_report (" + ", ".join(REPORT_COLUMNS) + ") "
    "SELECT " + ", ".join(f"{{}}::{t}" for t in REPORT_TYPES) + " FROM ok RETURNING *), "
    "v AS (INSERT INTO progress_value (report, goal, value, reported_on, period_end, recorded_at) "
    "SELECT r.id, x.goal, x.value, {}::date, {}::date, {}::timestamptz "
    "FROM r, unnest({}::integer[], {}::double precision[]) WITH ORDINALITY AS x(goal, value, n) ORDER BY x.n), "
    "w AS (UPDATE work_item SET last_report_on = {}::date, light = {}::text, light_reason = {}::text, completion = {}::integer "
    "WHERE id = {}::integer AND EXISTS (SELECT 1 FROM ok)), "
    'g AS (UPDATE goal SET actual = c.actual, actual_on = c.actual_on, "version" = goal."version" + c.bump, '
    "updated_at = CASE WHEN c.bump = 1 THEN {}::timestamptz ELSE goal.updated_at END, light = c.light "
    "FROM unnest({}::integer[], {}::double precision[], {}::date[], {}::integer[], {}::text[]) AS c(id, actual, actual_on, bump, light) "
    "WHERE goal.id = c.id AND EXISTS (SELECT 1 FROM ok)), "
    # every event names the new report: its JSON is written around the report's id
    'a AS (INSERT INTO audit_event ("at", "actor", "actor_name", "action", "entity", "entity_id", "item", "before", "after") '
    "SELECT {}::timestamptz, {}::integer, {}::text, x.action, x.entity, COALESCE(x.entity_id, r.id), r.item, CAST(x.before AS json), "
    "CAST(x.head || CAST(r.id AS text) || x.tail AS json) "
    "FROM r, unnest({}::text[], {}::text[], {}::integer[], {}::text[], {}::text[], {}::text[]) WITH ORDINALITY "
    "AS x(action, entity, entity_id, before, head, tail, n) ORDER BY x.n) "
    "SELECT * FROM r"
)
LATEST = 2**62  # the new entry's place among entries filed at the same instant: after every other


_report_columns: list[str] = []


async def _report_column_order() -> list[str]:
    """progress_report's columns in the table's order (what ``RETURNING *`` gives), read once
    per process: the report's audit event lists them in that order, as the general path's does."""
    if not _report_columns:
        # the catalog itself: information_schema.columns took seconds when the first requests
        # after start-up all asked at once on a busy machine
        rows = await sql.fetch(
            "SELECT attname FROM pg_attribute WHERE attrelid = CAST('progress_report' AS regclass) AND attnum > 0 "
            "AND NOT attisdropped ORDER BY attnum"
        )
        _report_columns[:] = [r["attname"] for r in rows]
    return _report_columns


async def _one_report_pg(actor: Actor, p: periods.Period | None, r: ReportIn, problems: list[Issue], today: dt.date) -> dict | None:
    """``create_reports`` of one report without projects on PostgreSQL, outside a transaction
    (see above); None when the item or its goals changed between the read and the write."""
    _may_report(actor)
    now = Clock.now().astimezone(dt.timezone.utc)
    rows = await sql.fetch(ONE_REPORT_READ_PG, actor.unit_id, actor.unit_id, p.key if p else None, r.item_id, now, r.item_id)
    first = rows[0] if rows else None
    item = _item_verdict(actor, {k: first[k] for k in (*ONE_REPORT_ITEM_KEYS, "_in_scope")} if first else None)
    goals = {x["goal_id"]: {"id": x["goal_id"], "item": r.item_id, "unit": x["goal_unit"]} for x in rows if x["goal_id"] is not None}
    heads = {r.item_id: first["head"]} if first and first["head"] is not None else {}
    refusal = _refusal(actor, p, r, item, goals, {}, heads, problems)
    if refusal is not None:
        raise ReportsRefused({0: refusal})
    assert p is not None and first is not None

    # the goals' new actuals, by the ledger's rule over the winning entry and the new one
    reported = dict(r.goal_values)
    changed: dict[int, values.Changed] = {}
    for x in rows:
        if x["goal_id"] not in reported:
            continue
        entries = [ledger.Entry(reported[x["goal_id"]], p.end, now, LATEST)]
        if x["entry"] is not None:
            entries.append(ledger.Entry(x["entry_value"], x["entry_period_end"], x["entry_recorded_at"], x["entry"]))
        win = ledger.current(entries, now)
        assert win is not None
        c = values.change_of(x["goal_id"], x["goal_actual"], x["goal_actual_on"], win.value, win.period_end, win.recorded_at)
        if c is not None:
            changed[c.goal] = c
    # the lights as refresh_items would find them after the writes
    items, goals_by_item = lights.group_rows([dict(x) for x in rows])
    state = items[r.item_id]
    last_report_on = today if state["last_report_on"] is None or state["last_report_on"] < today else state["last_report_on"]
    state["last_report_on"] = last_report_on
    for g in goals_by_item.get(r.item_id, []):
        if g["id"] in changed:
            g["actual"], g["actual_on"] = changed[g["id"]].after, changed[g["id"]].actual_on
    t = lights.thresholds()
    drill = await lights.drill_threshold(today, t) if r.item_id not in goals_by_item else None
    lit = lights.compute(today, items, goals_by_item, drill, t)
    light, reason, pct = next(iter(lit.items), (state["light"], state["light_reason"], state["completion"]))
    item_moves = bool(lit.items) or last_report_on != first["last_report_on"]
    goal_rows = [
        (g["id"], g["actual"], g["actual_on"], 1 if g["id"] in changed else 0, lit.refreshed.goal_lights.get(g["id"], g["light"]))
        for g in goals_by_item.get(r.item_id, []) if g["id"] in changed or g["id"] in lit.refreshed.goal_lights
    ]

    row = _report_row(actor, p, r, heads, today, now)
    columns = await _report_column_order()
    full = _read({c: 0 if c == "id" else row.get(c) for c in columns}, r.goal_values, [])
    report_head, report_tail = _split_at_id(audit_json(full), '{"id": 0', "")  # type: ignore[arg-type]
    # (action, entity, entity id, before, the after's JSON around the report's id)
    events: list[tuple[str, str, int | None, str | None, str, str]] = [
        ("report" if row["kind"] == "report" else "correct_report", "progress_report", None, None, report_head, report_tail)
    ]
    for gid in sorted(changed):
        c = changed[gid]
        head, tail = _split_at_id(audit_json({"actual": c.after, "period": p.key, "report": 0}), "", "0}")  # type: ignore[arg-type]
        events.append(("actual", "goal", gid, audit_json({"actual": c.before}), head, tail))
    versions = ",".join(f"{x['goal_id']}:{x['goal_xmin']}" for x in rows if x["goal_id"] is not None)
    try:
        written = await sql.fetch(
            ONE_REPORT_WRITE_PG,
            r.item_id, first["_xmin"], versions,
            *[row[c] for c in REPORT_COLUMNS],
            today, p.end, now, [g for g, _ in r.goal_values], [float(v) for _, v in r.goal_values],
            last_report_on, light, reason, pct, r.item_id if item_moves else None,
            now, *[list(col) for col in zip(*goal_rows)] if goal_rows else [[], [], [], [], []],
            Clock.now(), actor.id, actor.display_name or actor.username, *[list(col) for col in zip(*events)],
        )
    except Exception as exc:
        if sql.is_unique_violation(exc):  # another report of the period was filed in between
            return None
        raise
    return _read(written[0], r.goal_values, []) if written else None


def _split_at_id(text: str, before: str, after: str) -> tuple[str, str]:
    """Audit JSON written with the report's id as 0: the text before the 0 and after it, so
    the write puts the new report's id in between. ``before`` is where the text starts up to
    and including the 0 (``'{"id": 0'``), or ``after`` where it ends from the 0 on (``'0}'``)."""
    if before:
        if not text.startswith(before):
            raise AssertionError(text)
        return before[:-1], text[len(before) :]
    if not text.endswith(after):
        raise AssertionError(text)
    return text[: -len(after)], after[1:]


async def _apply_project_progress(project_values: dict[int, list[tuple[int, int]]], now: dt.datetime) -> None:
    """A project's progress follows its latest reported period, as a goal's actual does
    (``project_values``: the reported progress by report id)."""
    reported = {pid: (report_id, progress) for report_id, pairs in project_values.items() for pid, progress in pairs}
    if not reported:
        return
    moved: dict[int, list[int]] = {}
    for chunk in _chunks(sorted(reported)):
        for w in await sql.fetch(
            f"SELECT x.id AS id, {values.value_as_of_sql('x.id', '{}', 'report', of='project')} AS report FROM project x WHERE x.id IN ({_in(len(chunk))})",
            now, *chunk,
        ):
            report_id, progress = reported[w["id"]]
            if w["report"] == report_id:
                moved.setdefault(progress, []).append(w["id"])
    for progress, ids in moved.items():
        for chunk in _chunks(ids):
            await sql.execute(
                f'UPDATE project SET progress = {{}}, "version" = "version" + 1, updated_at = {{}} WHERE id IN ({_in(len(chunk))})',
                progress, now, *chunk,
            )


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
    end: dt.date | None
    if on is not None:
        if on > today:
            raise Invalid("实际值的日期不能晚于今天", [Issue("future", "实际值的日期不能晚于今天", "actual_on")])
        p = periods.containing("weekly", on)
        key, end = p.key, p.end
    else:
        current = (await values.values_as_of([goal["id"]], now)).get(goal["id"])
        if current is not None:
            row = await sql.fetch_one("SELECT r.period, r.period_end FROM progress_value v JOIN progress_report r ON r.id = v.report WHERE v.id = {}", current["entry"])
            assert row is not None  # a ledger value's report exists (foreign key, no cascade)
            key, end = row["period"], values.as_date(row["period_end"])
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
    """The item's reports (``reports_of``), after checking the item exists."""
    await item_exists(item_id)
    return await reports_of(item_id)


async def reports_of(item_id: int) -> list[dict]:
    """The item's reports, newest first, each with its values, whether it is a 补报 (``late``) and
    whether a later 更正 superseded it; unchecked (the item page has read the item)."""
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
