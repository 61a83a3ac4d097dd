"""The goal value ledger in SQL: a goal's value as of an instant, ``goal.actual`` kept equal to
it, and the history of every value.

The ledger is ``progress_value`` (the goal rows): each is one dated value of a goal, written by a
进度填报, a 更正 or an admin's direct correction (all three are ``progress_report`` rows, see
``services/progress.py``), with its period's last day (``period_end``) and its filing instant
(``recorded_at``) copied from the report. The rule (``domain/ledger.py``, the reference): the value
as of T is, among the rows recorded at or before T, the one with the latest ``period_end``; then
the latest ``recorded_at``; then the highest id. Never the typing order.

The SQL of that lookup lives here only. For other SQL (the 晾晒 metrics, exports)::

    value_as_of_sql(goal: str, at: str, column: str = "value") -> str

returns a correlated scalar subquery, in parentheses, giving ``column`` (``value``, ``id``,
``period_end`` or ``recorded_at``) of the winning ledger row of the goal whose id is the SQL
expression ``goal`` (e.g. ``"gl.id"``) as of the SQL expression ``at`` (a timestamptz: ``"{}"`` for
a parameter, or a column). NULL when the goal had no value by then. Both engines; it is one step
of the ``ix_progress_value_ledger`` index. A cut-off given as a day means the end of that day in
the bureau's time zone: pass :func:`end_of_day` of it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache

from closedloop.db import sql
from closedloop.domain import ledger
from closedloop.services.common import Clock, local_zone


def value_as_of_sql(goal: str, at: str, column: str = "value", *, of: str = "goal") -> str:
    """The winning ledger row's ``column`` for ``goal`` as of ``at`` (see the module docstring).

    ``of="project"`` applies the same rule to a project's reported progress."""
    if column not in ("value", "id", "period_end", "recorded_at", "report") or of not in ("goal", "project"):
        raise ValueError(column)
    return (
        f"(SELECT v.{column} FROM progress_value v WHERE v.{of} = {goal} AND v.recorded_at <= {at} "
        "ORDER BY v.period_end DESC, v.recorded_at DESC, v.id DESC LIMIT 1)"
    )


def end_of_day(day: dt.date) -> dt.datetime:
    """The last instant of ``day`` in the bureau's time zone (as UTC): what "as of a day" means."""
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=local_zone()).astimezone(dt.timezone.utc) - dt.timedelta(
        microseconds=1
    )


def _in(n: int) -> str:
    return ", ".join(["{}"] * n)


@lru_cache(maxsize=64)
def _as_of_rows_sql(n: int) -> str:
    return (
        "SELECT g.id AS goal, g.actual AS actual, g.actual_on AS actual_on, v.id AS entry, v.value AS value, "
        "v.period_end AS period_end, v.recorded_at AS recorded_at "
        f"FROM goal g LEFT JOIN progress_value v ON v.id = {value_as_of_sql('g.id', '{}', 'id')} "
        f"WHERE g.id IN ({_in(n)})"
    )


def as_date(value) -> dt.date | None:
    if isinstance(value, str):
        return dt.date.fromisoformat(value[:10])
    if isinstance(value, dt.datetime):
        return value.date()
    return value


def _instant(value) -> dt.datetime | None:
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if isinstance(value, dt.datetime) and value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    return value


def stands_for(period_end: dt.date, recorded_at: dt.datetime) -> dt.date:
    """The day a value stands for (``goal.actual_on``): its period's last day, or the day it was
    filed when that is earlier (a report for the current week, filed mid-week)."""
    filed = recorded_at.astimezone(local_zone()).date()
    return min(period_end, filed)


@dataclass(frozen=True)
class Changed:
    goal: int
    before: float | None
    after: float | None
    actual_on: dt.date | None


def change_of(goal: int, actual: float | None, actual_on, value: float, period_end, recorded_at) -> Changed | None:
    """How a goal's ``actual`` and ``actual_on`` move when its winning ledger entry is ``value``
    of ``period_end`` filed at ``recorded_at`` (None: they already say so)."""
    on = stands_for(as_date(period_end), _instant(recorded_at))  # type: ignore[arg-type]  # period_end is a NOT NULL column of the ledger's entries
    if actual == value and as_date(actual_on) == on:
        return None
    return Changed(goal, actual, value, on)


async def values_as_of(goal_ids: list[int], at: dt.datetime) -> dict[int, dict]:
    """The winning ledger row of each goal as of ``at`` (goals without one are absent)."""
    ids = sorted(set(goal_ids))
    if not ids:
        return {}
    rows = await sql.fetch(_as_of_rows_sql(len(ids)), at, *ids)
    return {r["goal"]: r for r in rows if r["entry"] is not None}


async def refresh_actuals(goal_ids: list[int], *, bump: bool = True) -> list[Changed]:
    """Set each goal's ``actual`` (and ``actual_on``) to its ledger value as of now; call in the
    transaction that wrote to the ledger. Goals whose value did not change are left alone (their
    version too); ``bump=False`` when the caller has already moved the version. Returns the goals
    that changed."""
    ids = sorted(set(goal_ids))
    if not ids:
        return []
    now = Clock.now()
    out: list[Changed] = []
    for r in await sql.fetch(_as_of_rows_sql(len(ids)), now, *ids):
        if r["entry"] is None:
            continue  # no ledger value yet: an actual from before the ledger stays as it was
        c = change_of(r["goal"], r["actual"], r["actual_on"], r["value"], r["period_end"], r["recorded_at"])
        if c is not None:
            out.append(c)
    if not out:
        return out
    if sql.is_postgres():
        # one statement for every changed goal (a 500-row upload changes hundreds)
        await sql.execute(
            'UPDATE goal SET actual = c.actual, actual_on = c.actual_on, "version" = "version" + {}, updated_at = {} '
            "FROM unnest({}::bigint[], {}::double precision[], {}::date[]) AS c(id, actual, actual_on) WHERE goal.id = c.id",
            1 if bump else 0, now, [c.goal for c in out], [c.after for c in out], [c.actual_on for c in out],
        )
    else:  # SQLite: in-process, a statement costs no round trip
        for c in out:
            await sql.execute(
                'UPDATE goal SET actual = {}, actual_on = {}, "version" = "version" + {}, updated_at = {} WHERE id = {}',
                c.after, c.actual_on, 1 if bump else 0, now, c.goal,
            )
    return out


HISTORY_SQL = (
    "SELECT v.id AS id, v.value AS value, v.period_end AS period_end, v.recorded_at AS recorded_at, "
    "r.id AS report_id, r.period AS period, r.kind AS kind, r.late AS late, r.reason AS reason, "
    "r.corrects AS corrects_id, r.reporter AS recorded_by_id, u.display_name AS recorded_by_name, u.username AS username "
    "FROM progress_value v JOIN progress_report r ON r.id = v.report LEFT JOIN app_user u ON u.id = r.reporter "
    "WHERE v.goal = {} ORDER BY v.recorded_at, v.id"
)


async def history(goal_id: int) -> list[dict]:
    """Every value the goal was given, in filing order, each marked ``current`` (the value now)
    or ``superseded`` (a later-filed value of the same period replaced it)."""
    rows = await sql.fetch(HISTORY_SQL, goal_id)
    entries = []
    for r in rows:
        r["period_end"] = as_date(r["period_end"])
        r["recorded_at"] = _instant(r["recorded_at"])
        r["late"] = bool(r["late"])
        r["recorded_by_name"] = r["recorded_by_name"] or r.pop("username", None) or "系统"
        r.pop("username", None)
        entries.append(ledger.Entry(r["value"], r["period_end"] or r["recorded_at"].date(), r["recorded_at"], r["id"]))
    winner = ledger.current(entries, Clock.now())
    for r, e in zip(rows, entries):
        r["current"] = winner is not None and e.seq == winner.seq
        r["superseded"] = any(o.period_end == e.period_end and ledger.rank(o) > ledger.rank(e) for o in entries)
    return rows


async def history_of_item(item_id: int) -> dict[int, list[dict]]:
    """The history of every goal of an item (for the item page)."""
    goals = await sql.fetch("SELECT id FROM goal WHERE item = {} ORDER BY id", item_id)
    return {g["id"]: await history(g["id"]) for g in goals}
