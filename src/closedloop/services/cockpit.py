"""The supervisor's cockpit (驾驶舱): the whole plan at a glance.

Everything here is read with set-based statements: the plan goals rolled up from their linked
item goals, the items per light and per stage by section and by unit, the trends over the
published editions, and cadence health (quiet units, items with no goal, editions missed or
late, 催办 and 督办单 unanswered past their date). ``escalate_orders`` moves a 督办单 past its
reply date to the next ladder step (通报), once; the scheduler's scan calls ``after_scan``.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from urllib.parse import urlencode

from closedloop.db import sql
from closedloop.db.tables import EditionReview, Goal
from closedloop.domain import periods
from closedloop.domain.ladder import RESPONSE_WORKDAYS as URGE_RESPONSE_WORKDAYS
from closedloop.domain.stages import OPEN_STAGES, OPEN_STAGES_SQL, STAGE_ORDER
from closedloop.domain.workdays import add_workdays, is_workday, workdays_between
from closedloop.services import checks, metrics, publishing, workdays
from closedloop.services.common import Clock, local_zone
from closedloop.settings import get_settings

LIGHT_KEYS = ("red", "yellow", "green", "blue", "none")  # none: not lit yet (no goal with a target)
STAGE_KEYS = tuple(s.value for s in STAGE_ORDER)
# an edition published more than this after its cut-off is late (the cron publishes at the cut-off)
LATE_AFTER = dt.timedelta(hours=1)
TREND_EDITIONS = 26


@dataclass(frozen=True)
class CockpitFilter:
    plan_id: int | None = None
    section_id: int | None = None
    unit_id: int | None = None  # the lead unit (牵头单位): each item counts once

    def where(self, alias: str = "w") -> tuple[str, list]:
        parts, args = [f"{alias}.kind = 'item'"], []
        for column, value in (("plan", self.plan_id), ("parent", self.section_id), ("lead_unit", self.unit_id)):
            if value is not None:
                parts.append(f"{alias}.{column} = {{}}")
                args.append(value)
        return " AND ".join(parts), args

    def query(self, **more) -> dict:
        base = {"plan_id": self.plan_id, "section_id": self.section_id, "unit_id": self.unit_id}
        return {k: v for k, v in {**base, **more}.items() if v is not None}


def items_href(f: CockpitFilter, **more) -> str:
    """The link behind a number: the cockpit's item list with the same filters as the count."""
    # ids are written as they are (urlencode would give the same; it costs a thousand units a
    # tenth of a second per cockpit)
    return "/cockpit/items?" + "&".join(
        f"{k}={v}" if isinstance(v, int) else urlencode({k: v}) for k, v in f.query(**more).items()
    )


def _date(v) -> dt.date | None:
    if isinstance(v, str):
        return dt.date.fromisoformat(v[:10])
    if isinstance(v, dt.datetime):
        return v.astimezone(local_zone()).date()
    return v


def _ts(v) -> dt.datetime | None:
    if isinstance(v, str):
        v = dt.datetime.fromisoformat(v)
    if isinstance(v, dt.datetime) and v.tzinfo is None:
        v = v.replace(tzinfo=dt.timezone.utc)
    return v


# ---------------------------------------------------------------------------
# Plan goals


LINKED_COUNTS_SQL = """
SELECT pg.id, COUNT(g.id) AS linked, COUNT(g.actual) AS reported
FROM goal pg LEFT JOIN goal g ON g.plan_goal = pg.id AND g.item IS NOT NULL
WHERE pg.item IS NULL GROUP BY pg.id
"""


async def plan_goals(plan_id: int | None = None) -> list[dict]:
    """The plan's own goals (工作目标) as of now, by the rule the editions use
    (``metrics.plan_goals_as_of``: the value of the linked item goal that reports it, completion
    and light by the goal rules), with how many item goals restate each and how many have reported."""
    now = Clock.now()
    cut = metrics.Cut(at=now, day=now.astimezone(local_zone()).date(), since=now)
    goals = await metrics.plan_goals_as_of(cut, get_settings().lights, plan_id)
    counts = {r["id"]: r for r in await sql.fetch(LINKED_COUNTS_SQL)}
    rows = await Goal.select(Goal.id, Goal.baseline, Goal.deadline).where(Goal.id.is_in([g["id"] for g in goals])) if goals else []
    own = {r["id"]: r for r in rows}
    return [
        {
            "id": g["id"], "plan_id": g["plan"], "subject": g["subject"], "measure_unit": g["measure_unit"],
            "comparator": g["comparator"], "baseline": own[g["id"]]["baseline"], "target": g["target"],
            "deadline": _date(own[g["id"]]["deadline"]), "actual": g["actual"],
            "completion": None if g["completion"] is None else round(g["completion"] * 100, 1),
            "light": g["light"], "linked_goals": int(counts.get(g["id"], {}).get("linked") or 0),
            "reported_goals": int(counts.get(g["id"], {}).get("reported") or 0),
        }
        for g in goals
    ]


# ---------------------------------------------------------------------------
# Items by light and by stage


async def count_rows(f: CockpitFilter) -> list[dict]:
    """The one pass over the items behind the cockpit's counts: per section and per lead unit,
    by stage and light, how many items and their latest filing day (``grp`` says which grouping
    a row is of, ``gkey`` its section or unit)."""
    where, args = f.where()
    # counted per section and per unit separately (grouped by both at once, city-scale data gave
    # a row per item: 100 sections × 1,000 units)
    if sql.is_postgres():  # both groupings from one pass over the items
        return await sql.fetch(
            f"SELECT CASE WHEN GROUPING(w.parent) = 0 THEN 'section' ELSE 'unit' END AS grp, "
            f"CASE WHEN GROUPING(w.parent) = 0 THEN w.parent ELSE w.lead_unit END AS gkey, "
            f"w.stage AS stage, COALESCE(w.light, 'none') AS light, COUNT(*) AS n, MAX(w.last_report_on) AS last_report_on "
            f"FROM work_item w WHERE {where} "
            f"GROUP BY GROUPING SETS ((w.parent, w.stage, COALESCE(w.light, 'none')), (w.lead_unit, w.stage, COALESCE(w.light, 'none')))",
            *args,
        )
    return await sql.fetch(
        f"SELECT 'section' AS grp, w.parent AS gkey, w.stage AS stage, COALESCE(w.light, 'none') AS light, COUNT(*) AS n, "
        f"MAX(w.last_report_on) AS last_report_on "
        f"FROM work_item w WHERE {where} GROUP BY w.parent, w.stage, COALESCE(w.light, 'none') "
        f"UNION ALL SELECT 'unit' AS grp, w.lead_unit AS gkey, w.stage AS stage, COALESCE(w.light, 'none') AS light, COUNT(*) AS n, "
        f"MAX(w.last_report_on) AS last_report_on "
        f"FROM work_item w WHERE {where} GROUP BY w.lead_unit, w.stage, COALESCE(w.light, 'none')",
        *args, *args,
    )


async def group_names(rows: list[dict]) -> dict[tuple[str, int], dict]:
    """The sections' codes and titles and the units' names of :func:`count_rows`' groups."""
    section_ids = sorted({r["gkey"] for r in rows if r["grp"] == "section" and r["gkey"] is not None})
    unit_ids = sorted({r["gkey"] for r in rows if r["grp"] == "unit" and r["gkey"] is not None})
    names: dict[tuple[str, int], dict] = {}
    if section_ids:
        for s in await sql.fetch(
            f"SELECT id, code, title, seq FROM work_item WHERE id IN ({', '.join(['{}'] * len(section_ids))})", *section_ids
        ):
            names[("section", s["id"])] = s
    if unit_ids:
        for u in await sql.fetch(f"SELECT id, name FROM unit WHERE id IN ({', '.join(['{}'] * len(unit_ids))})", *unit_ids):
            names[("unit", u["id"])] = u
    return names


async def breakdown(f: CockpitFilter, rows: list[dict] | None = None, names: dict | None = None) -> dict:
    """Items per light and per stage: in total, per section and per lead unit. Each count
    comes with the link to the items it counts (``rows``/``names``: :func:`count_rows` and
    :func:`group_names`, when the caller has them)."""
    if rows is None:
        rows = await count_rows(f)
    if names is None:
        names = await group_names(rows)

    def empty() -> dict:
        return {"total": 0, "lights": {k: 0 for k in LIGHT_KEYS}, "stages": {k: 0 for k in STAGE_KEYS}}

    total = empty()
    by: dict[str, dict] = {"section": defaultdict(empty), "unit": defaultdict(empty)}
    for r in rows:
        n = int(r["n"])
        # every item is in exactly one section row: those make the total
        for group in ((total, by["section"][r["gkey"]]) if r["grp"] == "section" else (by["unit"][r["gkey"]],)):
            group["total"] += n
            group["lights"][r["light"]] += n
            group["stages"][r["stage"]] = group["stages"].get(r["stage"], 0) + n

    def linked(group: dict, scope: CockpitFilter) -> dict:
        # the links differ only in their last parameter (light or stage, plain ASCII words):
        # the scope's query is encoded once (a thousand units had 13,000 urlencode calls)
        href = items_href(scope)
        more = "&" if href[-1] != "?" else ""
        return {
            **group,
            "href": href,
            "light_links": {k: f"{href}{more}light={k}" for k in LIGHT_KEYS},
            "stage_links": {k: f"{href}{more}stage={k}" for k in STAGE_KEYS},
        }

    def scoped(kind: str, key: int | None) -> CockpitFilter:
        if kind == "section":
            return CockpitFilter(f.plan_id, key if key is not None else f.section_id, f.unit_id)
        return CockpitFilter(f.plan_id, f.section_id, key if key is not None else f.unit_id)

    sections = []
    for sid, group in by["section"].items():
        s = names.get(("section", sid), {}) if sid is not None else {}
        sections.append({"id": sid, "code": s.get("code", ""), "title": s.get("title", "（未分项）"), "seq": s.get("seq", 10**9),
                         **linked(group, scoped("section", sid))})
    sections.sort(key=lambda s: (s["seq"], s["id"] or 0))
    units = []
    for uid, group in by["unit"].items():
        units.append({"id": uid, "name": names.get(("unit", uid), {}).get("name", "（未分配牵头单位）") if uid else "（未分配牵头单位）",
                      **linked(group, scoped("unit", uid))})
    units.sort(key=lambda u: (-u["lights"]["red"], -u["total"], u["name"]))
    return {"total": linked(total, f), "sections": sections, "units": units}


async def item_list(f: CockpitFilter, *, light: str | None = None, stage: str | None = None, limit: int = 500) -> tuple[list[dict], int]:
    """The items a cockpit number counts (same filters), worst light first."""
    where, args = f.where()
    if light == "none":
        where += " AND w.light IS NULL"
    elif light is not None:
        where += " AND w.light = {}"
        args.append(light)
    if stage is not None:
        where += " AND w.stage = {}"
        args.append(stage)
    counted = await sql.fetch_one(f"SELECT COUNT(*) AS n FROM work_item w WHERE {where}", *args)
    total = counted["n"] if counted else 0  # COUNT(*) always gives a row
    rows = await sql.fetch(
        f"SELECT w.id, w.code, w.title, w.stage, w.light, w.deadline, w.completion, w.lead_unit, u.name AS lead_unit_name, "
        f"s.code AS section_code FROM work_item w LEFT JOIN unit u ON u.id = w.lead_unit LEFT JOIN work_item s ON s.id = w.parent "
        f"WHERE {where} ORDER BY CASE w.light WHEN 'red' THEN 0 WHEN 'yellow' THEN 1 WHEN 'green' THEN 2 WHEN 'blue' THEN 3 ELSE 4 END, "
        f"w.deadline, w.seq, w.id LIMIT {int(limit)}",
        *args,
    )
    today = Clock.today()
    for r in rows:
        r["deadline"] = _date(r["deadline"])
        r["overdue"] = bool(r["deadline"] and r["deadline"] < today and r["stage"] in OPEN_STAGES)
    return rows, int(total)


# ---------------------------------------------------------------------------
# Trends over the published editions


def trend_cadence() -> str:
    return get_settings().cadences[0] if get_settings().cadences else "weekly"


async def editions(cadence: str, limit: int = TREND_EDITIONS) -> list[dict]:
    """The latest edition of each of the last ``limit`` periods, oldest first."""
    rows = await sql.fetch(
        "SELECT p.id, p.period, p.edition, p.cutoff, p.published_at FROM publication p WHERE p.cadence = {} AND p.edition = "
        "(SELECT MAX(p2.edition) FROM publication p2 WHERE p2.cadence = p.cadence AND p2.period = p.period) "
        f"ORDER BY p.period DESC LIMIT {int(limit)}",
        cadence,
    )
    return list(reversed(rows))


async def trends(unit_id: int | None = None) -> dict:
    """Per edition: the district's share of items per light (from each edition's review at its
    cut-off; None where an edition was published before reviews existed) and, for
    ``unit_id``, its rank and score."""
    cadence = trend_cadence()
    eds = await editions(cadence)
    ids = [e["id"] for e in eds]
    reviews: dict[int, dict] = {}
    ranks: dict[int, dict] = {}
    if ids:
        marks = ", ".join(["{}"] * len(ids))
        for r in await EditionReview.select(EditionReview.publication, EditionReview.light_counts).where(
            EditionReview.publication.is_in(ids)
        ).output(load_json=True):
            reviews[r["publication"]] = r["light_counts"]
        if unit_id is not None:
            for r in await sql.fetch(
                f"SELECT publication, rank, score, light FROM publication_row WHERE unit = {{}} AND publication IN ({marks})", unit_id, *ids
            ):
                ranks[r["publication"]] = r
    points = []
    for e in eds:
        counts = reviews.get(e["id"])
        share = None
        if counts:
            n = sum(counts.values()) or 1
            share = {k: round(100.0 * counts.get(k, 0) / n, 1) for k in LIGHT_KEYS}
        row = ranks.get(e["id"])
        points.append(
            {
                "publication_id": e["id"], "period": e["period"], "label": periods.label_of(e["period"]), "edition": e["edition"],
                "light_share": share, "rank": row["rank"] if row else None, "score": row["score"] if row else None,
            }
        )
    return {"cadence": cadence, "unit_id": unit_id, "points": points}


# ---------------------------------------------------------------------------
# Cadence health


def _workday_counter(start: dt.date, end: dt.date, overrides: dict):
    """Working days in (day, end] for any day in [start, end], answered from one pass over the
    calendar (one lookup per calendar day instead of one per unit and day)."""
    days = (end - start).days
    after = [0] * (days + 2)  # after[i]: working days in (start + i, end]
    for i in range(days - 1, -1, -1):
        after[i] = after[i + 1] + (1 if is_workday(start + dt.timedelta(days=i + 1), overrides) else 0)
    return lambda day: after[(day - start).days] if start <= day <= end else workdays_between(day, end, overrides)


def quiet_units(f: CockpitFilter, rows: list[dict], names: dict, today: dt.date, overrides: dict, min_workdays: int) -> list[dict]:
    """Lead units of open items whose latest progress report is ``min_workdays`` or more working
    days old (or who never reported), from the counting pass (:func:`count_rows`, per unit: the
    open items and their latest filing day)."""
    quiet_since = add_workdays(today, -min_workdays, overrides)  # a report on or before this day is quiet
    open_items: dict[int, int] = defaultdict(int)
    latest: dict[int, dt.date | None] = {}
    for r in rows:
        if r["grp"] != "unit" or r["gkey"] is None or r["stage"] not in OPEN_STAGES or ("unit", r["gkey"]) not in names:
            continue
        open_items[r["gkey"]] += int(r["n"])
        day = _date(r["last_report_on"])
        seen = latest.get(r["gkey"])
        latest[r["gkey"]] = day if seen is None else max(seen, day) if day is not None else seen
    quiet = [u for u in open_items if latest[u] is None or latest[u] <= quiet_since]  # type: ignore[operator]  # None is the first case
    dates = [latest[u] for u in quiet if latest[u] is not None]
    count = _workday_counter(max(min(dates), today - dt.timedelta(days=800)), today, overrides) if dates else None  # type: ignore[type-var, arg-type]
    out = []
    for u in quiet:
        last = latest[u]
        out.append({"unit_id": u, "unit_name": names[("unit", u)]["name"], "last_report_on": last,
                    "workdays": None if last is None else count(last),  # type: ignore[misc]
                    "open_items": open_items[u], "href": items_href(CockpitFilter(f.plan_id, f.section_id, u))})
    out.sort(key=lambda r: (r["last_report_on"] is not None, r["last_report_on"] or dt.date.min, r["unit_name"]))
    return out


async def items_without_goal(f: CockpitFilter, limit: int = 100) -> tuple[list[dict], int]:
    """Open items assigned to a lead unit that still have no goal (the first ``limit``, and
    how many in all, from one statement)."""
    where, args = f.where()
    # the items without a goal first, from two indexes (the items' ids against the goals' item
    # column), then the few of them read with their filters: filtered first, PostgreSQL read every
    # item's row and hashed every goal (0.4-0.6 s at city scale on the loaded machine, against 0.15-0.25)
    rows = await sql.fetch(
        "WITH ng AS MATERIALIZED (SELECT i.id FROM work_item i WHERE NOT EXISTS (SELECT 1 FROM goal g WHERE g.item = i.id)) "
        f"SELECT w.id, w.code, w.title, w.stage, u.name AS unit_name, w.created_at, COUNT(*) OVER () AS total "
        f"FROM ng JOIN work_item w ON w.id = ng.id JOIN unit u ON u.id = w.lead_unit "
        f"WHERE {where} AND w.stage IN {OPEN_STAGES_SQL} ORDER BY w.seq, w.id LIMIT {int(limit)}",
        *args,
    )
    today = Clock.today()
    total = int(rows[0]["total"]) if rows else 0
    for r in rows:
        r.pop("total")
        since = _date(r.pop("created_at"))
        r["days"] = (today - since).days if since else None
    return rows, total


async def edition_health(now: dt.datetime) -> list[dict]:
    """Per cadence: periods due but with no edition (missed), and editions published more than
    ``LATE_AFTER`` after their cut-off (late). Counted from the first edition of the cadence."""
    out = []
    for cadence in get_settings().cadences:
        regular = await sql.fetch(
            "SELECT period, cutoff, published_at FROM publication WHERE cadence = {} AND edition = 1 ORDER BY period", cadence
        )
        if not regular:
            continue
        have = {r["period"] for r in regular}
        latest = publishing.latest_due_period(cadence, now)
        missed: list[dict] = []
        p = latest
        first = regular[0]["period"]
        while p > first and len(missed) < 200:
            if p not in have:
                missed.append({"period": p, "label": periods.label_of(p)})
            p = publishing.previous_period(cadence, p)
        late = []
        for r in regular:
            published, cutoff = _ts(r["published_at"]), _ts(r["cutoff"])
            if published is None or cutoff is None:
                continue  # both are NOT NULL columns
            delay = published - cutoff
            if delay > LATE_AFTER:
                late.append({"period": r["period"], "label": periods.label_of(r["period"]), "hours_late": round(delay.total_seconds() / 3600, 1)})
        out.append({"cadence": cadence, "missed": list(reversed(missed)), "late": late})
    return out


async def unanswered(f: CockpitFilter, today: dt.date, overrides: dict) -> list[dict]:
    """催办 and 督办单 with no response past their date: a 督办单's reply date, a 催办's
    ``URGE_RESPONSE_WORKDAYS`` working days."""
    where, args = f.where()
    # an urge sent before this day has had its working days (5 working days from the day after
    # it was sent have passed before today), so the database returns only the late ones
    first_not_late = add_workdays(today, -URGE_RESPONSE_WORKDAYS, overrides)
    urged_before = dt.datetime.combine(first_not_late, dt.time(0), tzinfo=local_zone()).astimezone(dt.timezone.utc)
    rows = await sql.fetch(
        f"SELECT a.id, a.kind, a.item, a.created_at, a.respond_by, a.message, w.code, w.title, u.name AS unit_name, "
        f"EXISTS (SELECT 1 FROM supervision_action b WHERE b.dedupe_key = 'order-circular:' || CAST(a.id AS TEXT)) AS escalated "
        f"FROM supervision_action a JOIN work_item w ON w.id = a.item LEFT JOIN unit u ON u.id = COALESCE(a.unit, w.lead_unit) "
        f"WHERE {where} AND a.responded_at IS NULL "
        f"AND ((a.kind = 'order' AND a.respond_by < {{}}) OR (a.kind = 'urge' AND a.created_at < {{}})) ORDER BY a.id",
        *args, today, urged_before,
    )
    out = []
    due_after: dict[dt.date, dt.date] = {}  # many urges go out on the same day (the scan's)
    for r in rows:
        sent = _date(r["created_at"])
        if sent is None:
            continue  # created_at is a NOT NULL column
        if r["kind"] == "order":
            due = _date(r["respond_by"])
        else:
            if sent not in due_after:
                due_after[sent] = add_workdays(sent, URGE_RESPONSE_WORKDAYS, overrides)
            due = due_after[sent]
        if due is None or due >= today:
            continue
        out.append({"action_id": r["id"], "kind": r["kind"], "kind_name": "督办单" if r["kind"] == "order" else "催办",
                    "item_id": r["item"], "item_code": r["code"], "item_title": r["title"], "unit_name": r["unit_name"],
                    "sent_on": sent, "due_on": due, "days_late": (today - due).days, "escalated": bool(r["escalated"]),
                    "href": f"/items/{r['item']}"})
    out.sort(key=lambda r: -r["days_late"])
    return out


# ---------------------------------------------------------------------------
# The whole cockpit


async def _counted(f: CockpitFilter) -> tuple[list[dict], dict]:
    rows = await count_rows(f)
    return rows, await group_names(rows)


async def cockpit(f: CockpitFilter, *, trend_unit_id: int | None = None) -> dict:
    """Everything on the cockpit. The data checks are not counted here: they read every
    report's history, and the cockpit must answer quickly; they have their own page and API.
    The items are counted in one pass (:func:`count_rows`), which also gives the quiet units."""
    today = Clock.today()
    n = get_settings().quiet_workdays
    # independent reads, each on its own pooled connection: at city scale the counting pass and
    # the items without a goal read every item, and side by side they take the time of the slower
    goals, (rows, names), trend, overrides, (no_goal, no_goal_total), editions_ = await sql.gather_reads(
        plan_goals(f.plan_id), _counted(f), trends(trend_unit_id if trend_unit_id is not None else f.unit_id),
        workdays.overrides(), items_without_goal(f), edition_health(Clock.now()),
    )
    cadence = {
        "quiet_workdays": n,
        "quiet_units": quiet_units(f, rows, names, today, overrides, n),
        "items_without_goal": no_goal,
        "items_without_goal_total": no_goal_total,
        "editions": editions_,
        "unanswered": await unanswered(f, today, overrides),
    }
    return {
        "as_of": today, "filters": f.query(), "plan_goals": goals, "breakdown": await breakdown(f, rows, names), "trends": trend,
        "cadence": cadence,
    }


async def page_data(f: CockpitFilter, *, trend_unit_id: int | None = None) -> tuple[dict, dict, list[dict], list[dict]]:
    """What the /cockpit page shows, read side by side: the cockpit, the filter options, the
    last 12 editions (for the meeting pack) and the results waiting for verification."""
    return tuple(await sql.gather_reads(  # type: ignore[return-value]
        cockpit(f, trend_unit_id=trend_unit_id), filter_options(f.plan_id), editions(trend_cadence(), limit=12), unverified_results(f),
    ))


async def filter_options(plan_id: int | None = None) -> dict:
    """Plans, sections (of the chosen plan) and units for the cockpit's filters."""
    plans = await sql.fetch("SELECT id, title FROM plan ORDER BY id DESC")
    if plan_id is not None:
        sections = await sql.fetch("SELECT id, code, title FROM work_item WHERE kind = 'section' AND plan = {} ORDER BY seq, id", plan_id)
    else:
        sections = await sql.fetch("SELECT id, code, title FROM work_item WHERE kind = 'section' ORDER BY plan, seq, id")
    units = await sql.fetch("SELECT id, name FROM unit ORDER BY name")
    return {"plans": plans, "sections": sections, "units": units}


# ---------------------------------------------------------------------------
# The scheduler's part


ORDERS_PAST_DUE_SQL = """
SELECT a.id AS action_id, a.respond_by, w.id, w.code, w.title, w.lead_unit, w.deadline
FROM supervision_action a JOIN work_item w ON w.id = a.item
WHERE a.kind = 'order' AND a.responded_at IS NULL AND a.respond_by < {}
  AND NOT EXISTS (SELECT 1 FROM supervision_action b WHERE b.dedupe_key = 'order-circular:' || CAST(a.id AS TEXT))
ORDER BY a.id
"""


async def escalate_orders(today: dt.date | None = None) -> int:
    """A 督办单 unanswered past its reply date moves to the next ladder step, 通报 (listed for
    the circular), instead of waiting forever. Once per order (dedupe key
    ``order-circular:<order id>``), recorded, notified and audited as every ladder step is."""
    from closedloop.services.scan import _step  # the ladder's one writer of a step

    today = today or Clock.today()
    count = 0
    for row in await sql.fetch(ORDERS_PAST_DUE_SQL, today):
        respond_by = _date(row["respond_by"])
        msg = f"督办单（#{row['action_id']}）要求 {respond_by} 前回复，逾期未回复，列入通报。"
        if await _step(row, "circular", f"order-circular:{row['action_id']}", msg):
            count += 1
    return count


async def after_scan() -> dict:
    """The cockpit's part of the scheduler's scan: escalate overdue 督办单, and review each new
    edition (its open data checks and item lights, kept in its internal note). Idempotent."""
    escalated = await escalate_orders()
    reviewed = 0
    for row in await sql.fetch(
        "SELECT p.id FROM publication p WHERE NOT EXISTS (SELECT 1 FROM edition_review r WHERE r.publication = p.id) "
        "AND p.published_at >= {} ORDER BY p.id",
        Clock.now() - dt.timedelta(days=2),
    ):
        if await checks.review_edition(row["id"]):
            reviewed += 1
    return {"orders_escalated": escalated, "editions_reviewed": reviewed}


# ---------------------------------------------------------------------------
# The weekly meeting pack (调度会材料)


async def pack_data(period_text: str) -> dict:
    """What the meeting pack of a period holds: the period's edition (its ranking with the
    score breakdown), the plan goals, red and overdue items with unit and ladder step, the
    催办/督办单 sent and answered since the edition before, the open data checks, and the
    items that moved stage since the edition before."""
    from closedloop.db.tables import Publication, PublicationRow, StageTransition, SupervisionAction
    from closedloop.domain.errors import Invalid, NotFound, Issue
    from closedloop.domain.scoring import UnitMetrics, Weights, score_units
    from closedloop.services import supervision

    try:
        period = periods.parse(period_text, today=Clock.today())
    except periods.PeriodError as e:
        raise Invalid("周期格式无效", [Issue("invalid", str(e), "period")]) from None
    pub = await Publication.select().where(
        (Publication.cadence == period.cadence) & (Publication.period == period.key)
    ).order_by(Publication.edition, ascending=False).first().output(load_json=True)
    if pub is None:
        raise NotFound(f"{period.title}尚未发布晾晒", [Issue("not_published", f"{period.title}尚未发布晾晒", "period")])
    rows = await PublicationRow.select().where(PublicationRow.publication == pub["id"]).order_by(PublicationRow.rank)
    weights = Weights(**{k: float(v) for k, v in (pub["weights"] or {}).items() if k in Weights.__dataclass_fields__})
    parts = {
        s.metrics.unit_id: s.parts
        for s in score_units(
            [UnitMetrics(r["unit"], r["unit_name"], r["goal_progress"], r["problems_resolved"], r["results_verified"],
                         r["overdue_items"], r["urges"]) for r in rows],
            weights,
        )
    }
    for r in rows:
        r["parts"] = parts.get(r["unit"], {})
    since = publishing.cutoff_of(period.cadence, period.previous().key)
    cutoff = _ts(pub["cutoff"])
    overdue, overdue_total = await supervision.overdue_list(page_size=200)
    actions = await SupervisionAction.select(
        *SupervisionAction.all_columns(), SupervisionAction.item.code.as_alias("code"), SupervisionAction.item.title.as_alias("title"),
        SupervisionAction.item._.lead_unit._.name.as_alias("unit_name"),
    ).where(
        SupervisionAction.kind.is_in(["urge", "order"])
        & (((SupervisionAction.created_at > since) & (SupervisionAction.created_at <= cutoff))
           | ((SupervisionAction.responded_at > since) & (SupervisionAction.responded_at <= cutoff)))
    ).order_by(SupervisionAction.id)
    moves = await StageTransition.select(
        *StageTransition.all_columns(), StageTransition.item.code.as_alias("code"), StageTransition.item.title.as_alias("title"),
        StageTransition.item._.lead_unit._.name.as_alias("unit_name"),
    ).where((StageTransition.created_at > since) & (StageTransition.created_at <= cutoff)).order_by(StageTransition.id)
    return {
        "period": period,
        "publication": pub,
        "ranking": rows,
        "plan_goals": await plan_goals(),
        "overdue": overdue,
        "overdue_total": overdue_total,
        "actions": actions,
        "checks": await checks.open_checks(),
        "moves": moves,
        "since": since,
        "cutoff": cutoff,
    }


async def unverified_results(f: CockpitFilter, limit: int = 30) -> list[dict]:
    """Results waiting for the office's verification (核验), newest first, for the cockpit's form."""
    where, args = f.where()
    return await sql.fetch(
        f"SELECT r.id, r.version, r.value, r.description, r.item, w.code, w.title, u.name AS unit_name, "
        f"(SELECT COUNT(*) FROM evidence e WHERE e.result = r.id) AS evidence "
        f"FROM result r JOIN work_item w ON w.id = r.item LEFT JOIN unit u ON u.id = COALESCE(r.unit, w.lead_unit) "
        f"WHERE {where} AND r.verified_at IS NULL ORDER BY r.id DESC LIMIT {int(limit)}",
        *args,
    )
