"""What the daily pages read in one go: a lead's week (/my), the supervisor desk's summary by
unit and its filtered lists, the evidence waiting for 销号, and each goal's last reported value.

Read-only and set-based: one statement per question, never one per item. The rules they count
(which stages are open, what is overdue, which actions want an answer, this week's period) are
the ones the supervision service and the domain define; this module only gathers them.
"""

from __future__ import annotations

import datetime as dt

from closedloop.db import sql
from closedloop.db.tables import Evidence, Result
from closedloop.domain import periods
from closedloop.domain.errors import Invalid, Issue
from closedloop.domain.ladder import STEP_NAMES
from closedloop.domain.stages import OPEN_STAGES, OPEN_STAGES_SQL
from closedloop.services import items as items_service
from closedloop.services.common import Actor, Clock
from closedloop.services.items import ItemFilter
from closedloop.services.supervision import ladder_steps

# actions a unit is expected to answer (the others are notices)
ANSWERABLE = ("urge", "order")
SEVERITY = {"red": 0, "yellow": 1, "green": 2, "blue": 3, None: 4}
# the desk's lists beyond the default (overdue or red): name → what it shows
DESK_LISTS = {"red": "红灯事项", "overdue": "超期事项", "unanswered": "有未回复催办的事项", "unreported": "本周未报送的事项"}

_ANSWERABLE = "(" + ", ".join(f"'{k}'" for k in ANSWERABLE) + ")"


def this_week(today: dt.date | None = None) -> periods.Period:
    return periods.containing("weekly", today or Clock.today())


def _date(value):
    """SQLite hands dates of raw statements back as text."""
    return dt.date.fromisoformat(value) if isinstance(value, str) else value


def _in(ids: list[int]) -> str:
    # ids are ints from our own rows: safe to write into the statement
    return "(" + ", ".join(str(int(i)) for i in ids) + ")"


async def lead_week(actor: Actor) -> dict:
    """The lead unit's to-do list for this week: items it leads, then items it only cooperates
    on; each with this week's report date (or none), its unanswered 催办/督办 and its light."""
    today = Clock.today()
    week = this_week(today)
    rows, _ = await items_service.list_items(ItemFilter(mine=True, page_size=500), actor)
    ids = [r["id"] for r in rows]
    reported: dict[int, dt.date] = {}
    unanswered: dict[int, int] = {}
    if ids:
        for r in await sql.fetch(
            f"SELECT item, MAX(reported_on) AS last FROM progress_report WHERE item IN {_in(ids)} AND period = {{}} GROUP BY item", week.key
        ):
            reported[r["item"]] = _date(r["last"])
        for r in await sql.fetch(
            f"SELECT item, COUNT(*) AS n FROM supervision_action WHERE item IN {_in(ids)} AND kind IN {_ANSWERABLE} "
            "AND responded_at IS NULL AND unit = {} GROUP BY item",
            actor.unit_id,
        ):
            unanswered[r["item"]] = int(r["n"])
    for r in rows:
        r["open"] = r["stage"] in OPEN_STAGES
        r["overdue"] = bool(r["deadline"] and r["deadline"] < today and r["open"])
        r["reported_on"] = reported.get(r["id"])
        r["unanswered"] = unanswered.get(r["id"], 0)
        r["leads"] = r["lead_unit"] == actor.unit_id
        # what needs doing first: unanswered urges, overdue, not yet reported, red
        r["todo"] = bool(r["open"] and (r["unanswered"] or r["overdue"] or not r["reported_on"]))
    rows.sort(key=lambda r: (not r["todo"], -r["unanswered"], not r["overdue"], SEVERITY.get(r["light"], 4), r["deadline"] or dt.date.max, r["seq"]))
    lead = [r for r in rows if r["leads"]]
    coop = [r for r in rows if not r["leads"]]
    return {
        "week": week,
        "lead": lead,
        "coop": coop,
        "to_report": sum(1 for r in lead if r["open"] and not r["reported_on"]),
        "unanswered": sum(r["unanswered"] for r in rows),
    }


def _desk_condition(show: str, today: dt.date) -> tuple[str, list]:
    """Which open items (``w``) a desk list holds, with its parameters: the one home of both the
    list and its count in the summary by unit."""
    if show == "red":
        return "w.light = 'red'", []
    if show == "overdue":
        return "w.deadline < {}", [today]
    if show == "unanswered":
        return f"EXISTS (SELECT 1 FROM supervision_action a WHERE a.item = w.id AND a.kind IN {_ANSWERABLE} AND a.responded_at IS NULL)", []
    return "NOT EXISTS (SELECT 1 FROM progress_report r WHERE r.item = w.id AND r.period = {})", [this_week(today).key]


async def desk_summary() -> list[dict]:
    """Per lead unit: red items, overdue items, unanswered 催办/督办, open items not reported
    this week. Units with nothing to show are left out; the worst first."""
    today = Clock.today()
    # each count is the number of items its list shows (the count links to the list): one
    # condition per list, ``_desk_condition``
    parts, args = [], []
    for show in DESK_LISTS:
        cond, cond_args = _desk_condition(show, today)
        parts.append(
            f"(SELECT COUNT(*) FROM work_item w WHERE w.lead_unit = u.id AND w.kind = 'item' AND w.stage IN {OPEN_STAGES_SQL} AND {cond}) AS {show}"
        )
        args.extend(cond_args)
    rows = await sql.fetch(f"SELECT u.id, u.name, {', '.join(parts)} FROM unit u ORDER BY u.id", *args)
    out = []
    for r in rows:
        counts = {k: int(r[k]) for k in ("red", "overdue", "unanswered", "unreported")}
        if any(counts.values()):
            out.append({"id": r["id"], "name": r["name"], **counts})
    out.sort(key=lambda r: (-r["red"], -r["overdue"], -r["unanswered"], -r["unreported"], r["id"]))
    return out


async def desk_list(show: str, *, unit_id: int | None = None, section_id: int | None = None, stage: str | None = None,
                    light: str | None = None, limit: int = 200) -> tuple[list[dict], int]:
    """One of the desk's lists named in DESK_LISTS, with the same columns as the overdue list."""
    if show not in DESK_LISTS:
        raise Invalid("列表无效", [Issue("invalid", "列表必须是 " + "、".join(DESK_LISTS) + " 之一", "show")])
    today = Clock.today()
    cond, args = _desk_condition(show, today)
    where = ["w.kind = 'item'", f"w.stage IN {OPEN_STAGES_SQL}", cond]
    for column, value in (("w.lead_unit", unit_id), ("w.parent", section_id), ("w.stage", stage), ("w.light", light)):
        if value is not None:
            where.append(f"{column} = {{}}")
            args.append(value)
    cond = " AND ".join(where)
    total = (await sql.fetch_one(f"SELECT COUNT(*) AS n FROM work_item w WHERE {cond}", *args) or {"n": 0})["n"]
    rows = await sql.fetch(
        f"""SELECT w.id, w.code, w.title, w.stage, w.light, w.deadline, w.lead_unit, u.name AS lead_unit_name, s.code AS section_code
            FROM work_item w LEFT JOIN unit u ON u.id = w.lead_unit LEFT JOIN work_item s ON s.id = w.parent
            WHERE {cond} ORDER BY w.deadline, w.id LIMIT {int(limit)}""",
        *args,
    )
    steps = await ladder_steps([r["id"] for r in rows])
    for r in rows:
        deadline = r["deadline"] = _date(r["deadline"])
        r["days_overdue"] = max(0, (today - deadline).days) if deadline else 0
        r["ladder_step_name"] = STEP_NAMES.get(steps.get(r["id"], ""), "")
    return rows, int(total)


async def closing_evidence(item_ids: list[int]) -> dict[int, list[dict]]:
    """For items awaiting 销号: their results with the evidence to check (files and links)."""
    if not item_ids:
        return {}
    results = await Result.select(Result.id, Result.item, Result.description, Result.value, Result.verified_at).where(
        Result.item.is_in(item_ids)
    ).order_by(Result.id)
    evidence: dict[int, list[dict]] = {r["id"]: [] for r in results}
    if results:
        for e in await Evidence.select(Evidence.id, Evidence.result, Evidence.kind, Evidence.filename, Evidence.url, Evidence.sha256).where(
            Evidence.result.is_in(list(evidence))
        ).order_by(Evidence.id):
            evidence[e["result"]].append(e)
    out: dict[int, list[dict]] = {i: [] for i in item_ids}
    for r in results:
        out[r["item"]].append({**r, "evidence": evidence[r["id"]]})
    return out


async def goal_last_values(goal_ids: list[int]) -> dict[int, dict]:
    """Each goal's last reported value with the period it was reported for."""
    if not goal_ids:
        return {}
    out: dict[int, dict] = {}
    for r in await sql.fetch(
        f"""SELECT v.goal, v.value, v.reported_on, r.period FROM progress_value v JOIN progress_report r ON r.id = v.report
            WHERE v.goal IN {_in(goal_ids)} ORDER BY v.id DESC"""
    ):
        if r["goal"] not in out:
            out[r["goal"]] = {"value": r["value"], "period": r["period"], "period_label": periods.label_of(r["period"]), "reported_on": _date(r["reported_on"])}
    return out


async def items_named(item_ids: list[int]) -> list[dict]:
    """Code, title and lead unit of the given items (what a confirmation names)."""
    if not item_ids:
        return []
    return await sql.fetch(
        f"""SELECT w.id, w.code, w.title, u.name AS lead_unit_name FROM work_item w LEFT JOIN unit u ON u.id = w.lead_unit
            WHERE w.kind = 'item' AND w.id IN {_in(item_ids)} ORDER BY w.seq, w.id"""
    )
