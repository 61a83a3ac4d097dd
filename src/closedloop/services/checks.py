"""Data checks before publication (数据核查): claims that need a second look.

Each check is one branch of a single set-based statement (``_checks_sql``) and has a stable
key naming the record it is about (``jump:<progress value id>``), so that a supervisor's
explanation (``check_explanation``) takes exactly that occurrence off the open list:

- ``complete_goal``   a goal whose actual meets its target, with no result carrying evidence;
- ``complete_item``   an item at 100% completion with no result carrying evidence at all;
- ``jump``            a reported actual more than ``check_jump_factor`` times (or less than its
                      reciprocal of) the goal's previous report;
- ``backwards``       a cumulative indicator reported lower than its previous report;
- ``result_mismatch`` a result's value that differs from its goal's latest actual;
- ``late_report``     a report with goal values for a period that ended on or before an
                      edition's cut-off day, recorded after that cut-off (a 补报: the figure the
                      edition published no longer tells the period's truth), unless the edition
                      was corrected after the report came in;
- ``problem_no_resolution`` a problem marked resolved or verified with no resolution text.

A *cumulative* indicator here is one that counts upwards (≥ or > with the target above the
baseline) in a unit other than ``%``: 家, 个, 亿元 … accumulate over the year, a rate does not.

The scheduled publication runs the checks at its cut-off (``review_edition``) and
``hold_publication`` says whether to wait while checks are open.
"""

from __future__ import annotations

from dataclasses import dataclass

from closedloop.db import sql
from closedloop.db.engine import write_tx
from closedloop.db.tables import CheckExplanation, EditionReview
from closedloop.domain.errors import Conflict, Invalid, NotFound, Issue
from closedloop.services import access
from closedloop.services.common import Actor, Clock, audit
from closedloop.services.notify import notify
from closedloop.settings import get_settings

KINDS = {
    "complete_goal": "目标已达成但无成效佐证",
    "complete_item": "事项完成度100%但无成效佐证",
    "jump": "实际值异常跳变",
    "backwards": "累计指标实际值倒退",
    "result_mismatch": "成效数值与目标最新实际值不一致",
    "late_report": "截止后补报改变已发布晾晒",
    "problem_no_resolution": "问题已标记解决但未填写解决情况",
}

_NUM = "CAST(NULL AS DOUBLE PRECISION)"
_TXT = "CAST(NULL AS TEXT)"


def _checks_sql() -> str:
    """Every open check as rows of (check_key, kind, item, unit, v1, v2, label); one parameter:
    the jump factor (used twice)."""
    pg = sql.is_postgres()
    materialized = "MATERIALIZED " if pg else ""
    # the cut-off's day: its UTC date, which is its local date wherever the 09:00 cut-off is at
    # most 9 hours ahead of UTC (Asia/Shanghai: 01:00 UTC the same day)
    cut_day = "(p.cutoff AT TIME ZONE 'UTC')::date" if pg else "date(p.cutoff)"
    after_cut = "v.recorded_at > p.cutoff" if pg else "julianday(v.recorded_at) > julianday(p.cutoff)"
    later = "p2.published_at > v.recorded_at" if pg else "julianday(p2.published_at) > julianday(v.recorded_at)"
    met = (
        "(g.comparator = '>=' AND g.actual >= g.target) OR (g.comparator = '>' AND g.actual > g.target) OR "
        "(g.comparator = '<=' AND g.actual <= g.target) OR (g.comparator = '<' AND g.actual < g.target) OR "
        "(g.comparator = '=' AND ABS(g.actual - g.target) < 0.000000001)"
    )
    return f"""
WITH seq AS {materialized}(
  -- a goal's values in the ledger's order (services/values.py): period end, then filing
  -- instant, then id — the order of the (goal, period_end, recorded_at) index
  SELECT v.id, v.goal, v.value,
         LAG(v.value) OVER (PARTITION BY v.goal ORDER BY v.period_end, v.recorded_at, v.id) AS prev
  FROM progress_value v WHERE v.goal IS NOT NULL
),
evidenced AS (
  SELECT DISTINCT rs.item, rs.goal FROM result rs WHERE EXISTS (SELECT 1 FROM evidence e WHERE e.result = rs.id)
)
SELECT 'complete_goal:' || CAST(g.id AS TEXT) AS check_key, 'complete_goal' AS kind, g.item AS item,
       COALESCE(g.unit, w.lead_unit) AS unit, g.actual AS v1, g.target AS v2, CAST(g.subject AS TEXT) AS label
FROM goal g JOIN work_item w ON w.id = g.item
WHERE g.actual IS NOT NULL AND g.target IS NOT NULL AND ({met})
  AND NOT EXISTS (SELECT 1 FROM evidenced x WHERE x.goal = g.id)
UNION ALL
SELECT 'complete_item:' || CAST(w.id AS TEXT), 'complete_item', w.id, w.lead_unit,
       CAST(w.completion AS DOUBLE PRECISION), {_NUM}, {_TXT}
FROM work_item w
WHERE w.kind = 'item' AND w.completion >= 100 AND NOT EXISTS (SELECT 1 FROM evidenced x WHERE x.item = w.id)
UNION ALL
SELECT 'jump:' || CAST(s.id AS TEXT), 'jump', g.item, COALESCE(g.unit, w.lead_unit), s.prev, s.value, CAST(g.subject AS TEXT)
FROM seq s JOIN goal g ON g.id = s.goal JOIN work_item w ON w.id = g.item
WHERE s.prev > 0 AND s.value > 0 AND (s.value > s.prev * {{}} OR s.value * {{}} < s.prev)
UNION ALL
SELECT 'backwards:' || CAST(s.id AS TEXT), 'backwards', g.item, COALESCE(g.unit, w.lead_unit), s.prev, s.value, CAST(g.subject AS TEXT)
FROM seq s JOIN goal g ON g.id = s.goal JOIN work_item w ON w.id = g.item
WHERE s.value < s.prev AND g.comparator IN ('>=', '>') AND g.target > COALESCE(g.baseline, 0)
  AND COALESCE(g.measure_unit, '') <> '%'
UNION ALL
SELECT 'result_mismatch:' || CAST(rs.id AS TEXT), 'result_mismatch', rs.item, COALESCE(rs.unit, g.unit, w.lead_unit),
       rs.value, g.actual, CAST(g.subject AS TEXT)
FROM result rs JOIN goal g ON g.id = rs.goal JOIN work_item w ON w.id = rs.item
WHERE rs.value IS NOT NULL AND g.actual IS NOT NULL AND ABS(rs.value - g.actual) > 0.000001 * (1 + ABS(g.actual))
UNION ALL
SELECT 'late_report:' || CAST(r.id AS TEXT), 'late_report', r.item, w.lead_unit, {_NUM}, {_NUM}, MIN(CAST(p.period AS TEXT))
FROM progress_value v JOIN progress_report r ON r.id = v.report JOIN work_item w ON w.id = r.item
JOIN publication p ON v.period_end <= {cut_day} AND {after_cut}
WHERE v.goal IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM publication p2 WHERE p2.cadence = p.cadence AND p2.period = p.period AND {later})
GROUP BY r.id, r.item, w.lead_unit
UNION ALL
SELECT 'problem_no_resolution:' || CAST(pb.id AS TEXT), 'problem_no_resolution', pb.item, COALESCE(pb.unit, w.lead_unit),
       {_NUM}, {_NUM}, CAST(pb.description AS TEXT)
FROM problem pb JOIN work_item w ON w.id = pb.item
WHERE pb.status IN ('resolved', 'verified') AND (pb.resolution IS NULL OR TRIM(pb.resolution) = '')
"""


@dataclass(frozen=True)
class CheckFilter:
    plan_id: int | None = None
    section_id: int | None = None
    unit_id: int | None = None
    kind: str | None = None


def _num(v: float | None) -> str:
    if v is None:
        return "—"
    return f"{v:g}"


def describe(kind: str, v1: float | None, v2: float | None, label: str | None) -> str:
    """The check's sentence for a supervisor."""
    label = (label or "").strip()
    short = label if len(label) <= 30 else label[:30] + "…"
    if kind == "complete_goal":
        return f"目标「{short}」实际值 {_num(v1)} 已达目标值 {_num(v2)}，但没有附佐证的成效"
    if kind == "complete_item":
        return f"事项完成度 {_num(v1)}%，但没有任何附佐证的成效"
    if kind == "jump":
        return f"目标「{short}」实际值由 {_num(v1)} 变为 {_num(v2)}，变化超过 {get_settings().check_jump_factor:g} 倍"
    if kind == "backwards":
        return f"累计指标「{short}」实际值由 {_num(v1)} 倒退为 {_num(v2)}"
    if kind == "result_mismatch":
        return f"成效数值 {_num(v1)} 与目标「{short}」最新实际值 {_num(v2)} 不一致"
    if kind == "late_report":
        return f"该填报在 {label} 期晾晒截止后才报送，所填数值改变了已发布的晾晒"
    if kind == "problem_no_resolution":
        return f"问题「{short}」已标记解决，但未填写解决情况"
    return KINDS.get(kind, kind)


async def open_checks(f: CheckFilter = CheckFilter()) -> list[dict]:
    """The checks nobody has explained yet, with item, unit, rule and a link."""
    factor = get_settings().check_jump_factor
    where: list[str] = ["e.id IS NULL"]
    args: list[object] = [factor, factor]
    if f.plan_id is not None:
        where.append("w.plan = {}")
        args.append(f.plan_id)
    if f.section_id is not None:
        where.append("w.parent = {}")
        args.append(f.section_id)
    if f.unit_id is not None:
        where.append("c.unit = {}")
        args.append(f.unit_id)
    if f.kind is not None:
        where.append("c.kind = {}")
        args.append(f.kind)
    statement = (
        f"SELECT c.check_key, c.kind, c.item, c.unit, c.v1, c.v2, c.label, w.code AS item_code, w.title AS item_title, "
        f"w.plan AS plan_id, w.parent AS section_id, u.name AS unit_name "
        f"FROM ({_checks_sql()}) c JOIN work_item w ON w.id = c.item LEFT JOIN unit u ON u.id = c.unit "
        f"LEFT JOIN check_explanation e ON e.check_key = c.check_key "
        f"WHERE {' AND '.join(where)} ORDER BY c.kind, w.seq, w.id, c.check_key"
    )
    rows = await sql.fetch(statement, *args)
    return [
        {
            "key": r["check_key"],
            "kind": r["kind"],
            "rule": KINDS.get(r["kind"], r["kind"]),
            "detail": describe(r["kind"], r["v1"], r["v2"], r["label"]),
            "item_id": r["item"],
            "item_code": r["item_code"],
            "item_title": r["item_title"],
            "plan_id": r["plan_id"],
            "section_id": r["section_id"],
            "unit_id": r["unit"],
            "unit_name": r["unit_name"],
            "href": f"/items/{r['item']}",
        }
        for r in rows
    ]


async def explain(actor: Actor, check_key: str, note: str) -> dict:
    """Mark one open check as explained (说明), with a note; audited. It drops off the list."""
    access.require_office(actor, "只有督查室可以说明核查项")
    note = (note or "").strip()
    if not note:
        raise Invalid("请填写说明", [Issue("required", "请填写说明", "note")])
    if len(note) > 2000:
        raise Invalid("说明不能超过 2000 字", [Issue("too_long", "说明不能超过 2000 字", "note")])
    kind = check_key.split(":", 1)[0]
    if kind not in KINDS:
        raise NotFound("核查项不存在")
    async with write_tx():
        if await CheckExplanation.exists().where(CheckExplanation.check_key == check_key):
            raise Conflict("该核查项已说明")
        match = [c for c in await open_checks(CheckFilter(kind=kind)) if c["key"] == check_key]
        if not match:
            raise NotFound("核查项不存在或已不再成立")
        check = match[0]
        row = (
            await CheckExplanation.insert(
                CheckExplanation(
                    check_key=check_key, kind=kind, item=check["item_id"], note=note, explained_by=actor.id,
                    explained_at=Clock.now(),
                )
            ).returning(*CheckExplanation.all_columns())
        )[0]
        await audit(actor, "explain_check", "check_explanation", row["id"], item_id=check["item_id"],
                    after={"check_key": check_key, "rule": check["rule"], "detail": check["detail"], "note": note})
    return row


async def explanations(limit: int = 50) -> list[dict]:
    """The latest explanations, newest first (the checks page shows them under the open list)."""
    return await CheckExplanation.select(
        *CheckExplanation.all_columns(), CheckExplanation.item.code.as_alias("item_code"),
        CheckExplanation.item.title.as_alias("item_title"), CheckExplanation.explained_by.display_name.as_alias("by_name"),
    ).order_by(CheckExplanation.id, ascending=False).limit(limit)


# ---------------------------------------------------------------------------
# At publication


async def hold_publication() -> bool:
    """Whether the scheduled 晾晒 should wait: the office's setting is on and checks are open.

    The one-line hook for ``publishing.publish_due`` (issue 14's module, wired at merge):
    ``if await checks.hold_publication(): return []`` before it claims any period.
    """
    if not get_settings().hold_publication_on_checks:
        return False
    return bool(await open_checks())


async def review_edition(publication_id: int) -> dict | None:
    """Run the checks for a published edition and keep them in its internal note to
    supervisors (never in the public page), with the district's item lights; tell the
    supervisors how many are open. Idempotent: an edition is reviewed once.

    Called from the scan after each new edition (see ``cockpit.after_scan``); the publishing
    module may call it directly at its cut-off instead.
    """
    if await EditionReview.exists().where(EditionReview.publication == publication_id):
        return None
    open_now = await open_checks()
    counts = {r["light"] or "none": int(r["n"]) for r in await sql.fetch(
        "SELECT light, COUNT(*) AS n FROM work_item WHERE kind = 'item' GROUP BY light"
    )}
    light_counts = {k: counts.get(k, 0) for k in ("red", "yellow", "green", "blue", "none")}
    brief = [{"key": c["key"], "kind": c["kind"], "item_id": c["item_id"], "detail": c["detail"]} for c in open_now]
    async with write_tx():
        inserted = await EditionReview.insert(
            EditionReview(publication=publication_id, open_checks=brief, light_counts=light_counts, created_at=Clock.now())
        ).on_conflict(target=EditionReview.publication, action="DO NOTHING").returning(EditionReview.id)
        if not inserted:
            return None
        if brief:
            await notify(
                unit_id=None, kind="checks", title=f"晾晒发布时有 {len(brief)} 项数据核查未说明",
                body="请到驾驶舱「数据核查」查看并说明。",
            )
    return {"publication": publication_id, "open_checks": brief, "light_counts": light_counts}


async def edition_reviews(limit: int = 12) -> list[dict]:
    """The internal notes of the latest reviewed editions, newest first: which checks were
    open at each edition's cut-off (supervisors only; never on the public page)."""
    rows = await EditionReview.select(
        EditionReview.publication, EditionReview.open_checks, EditionReview.created_at,
        EditionReview.publication.cadence.as_alias("cadence"), EditionReview.publication.period.as_alias("period"),
        EditionReview.publication.edition.as_alias("edition"),
    ).order_by(EditionReview.id, ascending=False).limit(limit).output(load_json=True)
    for r in rows:
        r["publication_id"] = r.pop("publication")
        r["open_count"] = len(r["open_checks"])
    return rows
