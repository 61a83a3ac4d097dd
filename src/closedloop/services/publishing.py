"""晾晒: compute the ranking of units as of a cut-off and publish it as an immutable edition.

Periods and cut-offs (Asia/Shanghai by default): weekly ``2024-W15`` is cut off on Monday
09:00 of ISO week 15; monthly ``2024-05`` on the 1st at 09:00; quarterly ``2024-Q2`` on the
first day of the quarter at 09:00. An edition reflects the data as it stood at its cut-off.

Metrics per unit are computed in one SQL statement (see ``METRICS_SQL``); the score and
rank come from ``domain.scoring``. Editions are never edited: a correction is a new edition
that names the one it corrects. Every edition carries the SHA-256 of its content and the
hash of the edition published before it (a chain across all editions), which
``verify_chain`` recomputes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import json
import re
from dataclasses import asdict
from zoneinfo import ZoneInfo

import markdown
import nh3

from closedloop.db import sql
from closedloop.db.engine import write_tx
from closedloop.db.tables import JobRun, Publication, PublicationRow, Unit
from closedloop.domain.errors import Forbidden, Invalid, NotFound, Problem as Issue
from closedloop.domain import periods
from closedloop.domain.lights import LIGHT_NAMES, Light
from closedloop.domain.periods import CADENCE_NAMES, CADENCES
from closedloop.domain.scoring import UnitMetrics, score_units
from closedloop.services.common import Actor, Clock, audit, local_zone
from closedloop.settings import get_settings

PUBLISH_HOUR = 9
MAX_CATCH_UP = 60


# ---------------------------------------------------------------------------
# Periods (what a period is lives in domain/periods.py; the cut-off is this module's rule)


def tz() -> ZoneInfo:
    return local_zone()


def _period(cadence: str, period: str) -> periods.Period:
    if cadence not in CADENCES:
        raise Invalid("发布周期无效", [Issue("invalid", "cadence 必须是 weekly、monthly 或 quarterly", "cadence")])
    try:
        return periods.parse_key(cadence, period)
    except periods.PeriodError as e:
        raise Invalid("周期格式无效", [Issue("invalid", str(e), "period")]) from None


def period_start(cadence: str, period: str) -> dt.date:
    """The first day of a period (its cut-off day)."""
    return _period(cadence, period).start


def period_of(cadence: str, day: dt.date) -> str:
    """The period whose cut-off is the latest on or before ``day``."""
    if cadence not in CADENCES:
        raise Invalid("发布周期无效", [Issue("invalid", "cadence 必须是 weekly、monthly 或 quarterly", "cadence")])
    return periods.containing(cadence, day).key


def cutoff_of(cadence: str, period: str) -> dt.datetime:
    start = period_start(cadence, period)
    return dt.datetime.combine(start, dt.time(PUBLISH_HOUR), tzinfo=tz())


def previous_period(cadence: str, period: str) -> str:
    return _period(cadence, period).previous().key


def latest_due_period(cadence: str, now: dt.datetime) -> str:
    """The latest period whose cut-off has passed at ``now``."""
    local = now.astimezone(tz())
    period = period_of(cadence, local.date())
    if cutoff_of(cadence, period) > local:
        period = previous_period(cadence, period)
    return period


# ---------------------------------------------------------------------------
# Metrics in SQL


def _dialect() -> dict[str, str]:
    if sql.is_postgres():
        return {
            "days": "(({a})::date - ({b})::date)::float",
            "least": "LEAST",
            "greatest": "GREATEST",
            "year_start": "make_date({y}, 1, 1)",
            "date": "({x})::date",
        }
    return {
        "days": "(julianday({a}) - julianday({b}))",
        "least": "MIN",
        "greatest": "MAX",
        "year_start": "date({y} || '-01-01')",
        "date": "date({x})",
    }


def metrics_sql() -> str:
    """Per unit, as of a cut-off: goal progress against the linear 序时 trajectory,
    problems resolved, results verified, overdue items and 催办 received in the period.

    Parameters, in order: cut-off date, cut-off timestamp (×3), period start timestamp,
    cut-off timestamp.
    """
    d = _dialect()
    days = lambda a, b: d["days"].format(a=a, b=b)  # noqa: E731
    start = f"COALESCE({d['year_start'].format(y='p.year')}, p.issued_on)"
    return f"""
WITH cut AS (SELECT {d['date'].format(x='{}')} AS day),
-- materialised: inlined, the as-of lookup below was evaluated once per reference (4× slower)
g AS MATERIALIZED (
  SELECT COALESCE(gl.unit, w.lead_unit) AS unit,
         COALESCE(gl.baseline, 0) AS base, gl.target AS target, gl.comparator AS comparator,
         -- as of the cut-off: the goal's actual if it was set by then (the latest write),
         -- else the latest reported value by then (only for goals changed since), else the baseline
         COALESCE(
           CASE WHEN gl.actual_on <= (SELECT day FROM cut) THEN gl.actual END,
           (SELECT v.value FROM progress_value v
             WHERE v.goal = gl.id AND v.reported_on <= (SELECT day FROM cut)
             ORDER BY v.reported_on DESC, v.report DESC LIMIT 1),
           COALESCE(gl.baseline, 0)) AS actual,
         {days("(SELECT day FROM cut)", start)} AS elapsed,
         {days('gl.deadline', start)} AS span
  FROM goal gl
  JOIN work_item w ON w.id = gl.item
  JOIN plan p ON p.id = gl.plan
  WHERE gl.target IS NOT NULL AND gl.deadline IS NOT NULL AND w.lead_unit IS NOT NULL
),
gc AS (
  SELECT unit,
    {d['greatest']}(0.0, {d['least']}(1.0, CASE
      WHEN target = base THEN CASE
        WHEN (comparator IN ('<=', '<') AND actual <= target) OR (comparator NOT IN ('<=', '<') AND actual >= target)
        THEN 1.0 ELSE 0.0 END
      ELSE (actual - base) / (target - base) END)) AS done,
    CASE WHEN span <= 0 THEN 1.0 ELSE {d['greatest']}(0.0, {d['least']}(1.0, elapsed / span)) END AS expected
  FROM g
),
gp AS (
  SELECT unit, AVG(CASE WHEN expected <= 0.000001 THEN 1.0 ELSE {d['least']}(1.0, done / expected) END) AS goal_progress
  FROM gc GROUP BY unit
),
pr AS (
  SELECT COALESCE(pb.unit, w.lead_unit) AS unit, COUNT(*) AS n
  FROM problem pb JOIN work_item w ON w.id = pb.item
  WHERE pb.status IN ('resolved', 'verified') AND pb.resolved_at <= {{}}
  GROUP BY COALESCE(pb.unit, w.lead_unit)
),
rv AS (
  SELECT COALESCE(rs.unit, w.lead_unit) AS unit, COUNT(*) AS n
  FROM result rs JOIN work_item w ON w.id = rs.item
  WHERE rs.verified_at IS NOT NULL AND rs.verified_at <= {{}}
  GROUP BY COALESCE(rs.unit, w.lead_unit)
),
done_items AS (
  SELECT t.item AS item, MIN(t.created_at) AS at FROM stage_transition t
  WHERE t.to_stage IN ('close', 'review', 'archived') AND t.direction = 'forward'
  GROUP BY t.item
),
od AS (
  SELECT w.lead_unit AS unit, COUNT(*) AS n
  FROM work_item w LEFT JOIN done_items di ON di.item = w.id
  WHERE w.kind = 'item' AND w.lead_unit IS NOT NULL
    AND COALESCE(w.original_deadline, w.deadline) < (SELECT day FROM cut)
    AND (di.at IS NULL OR di.at > {{}} OR w.stage NOT IN ('close', 'review', 'archived'))
  GROUP BY w.lead_unit
),
ur AS (
  SELECT COALESCE(a.unit, w.lead_unit) AS unit, COUNT(*) AS n
  FROM supervision_action a JOIN work_item w ON w.id = a.item
  WHERE a.kind = 'urge' AND a.created_at > {{}} AND a.created_at <= {{}}
  GROUP BY COALESCE(a.unit, w.lead_unit)
),
units AS (SELECT DISTINCT lead_unit AS unit FROM work_item WHERE kind = 'item' AND lead_unit IS NOT NULL)
SELECT u.id AS unit_id, u.name AS unit_name,
       COALESCE(gp.goal_progress, 0.0) AS goal_progress,
       COALESCE(pr.n, 0) AS problems_resolved, COALESCE(rv.n, 0) AS results_verified,
       COALESCE(od.n, 0) AS overdue_items, COALESCE(ur.n, 0) AS urges
FROM units JOIN unit u ON u.id = units.unit
LEFT JOIN gp ON gp.unit = u.id LEFT JOIN pr ON pr.unit = u.id LEFT JOIN rv ON rv.unit = u.id
LEFT JOIN od ON od.unit = u.id LEFT JOIN ur ON ur.unit = u.id
"""


async def compute_metrics(cutoff: dt.datetime, since: dt.datetime) -> list[UnitMetrics]:
    day = cutoff.astimezone(tz()).date()
    cut_utc = cutoff.astimezone(dt.timezone.utc)
    since_utc = since.astimezone(dt.timezone.utc)
    is_pg = sql.is_postgres()
    # SQLite keeps timestamps as ISO text; PostgreSQL wants real values
    ts = (lambda v: v) if is_pg else (lambda v: v.isoformat(" "))  # noqa: E731  (as sqlite3 stores them)
    dd = (lambda v: v) if is_pg else (lambda v: v.isoformat())  # noqa: E731
    rows = await Unit.raw(metrics_sql(), dd(day), ts(cut_utc), ts(cut_utc), ts(cut_utc), ts(since_utc), ts(cut_utc))
    return [
        UnitMetrics(
            unit_id=r["unit_id"], unit_name=r["unit_name"], goal_progress=float(r["goal_progress"] or 0.0),
            problems_resolved=int(r["problems_resolved"]), results_verified=int(r["results_verified"]),
            overdue_items=int(r["overdue_items"]), urges=int(r["urges"]),
        )
        for r in rows
    ]


def unit_light(m: UnitMetrics) -> Light:
    """A unit's light in a ranking: red when it has overdue items or is > 30 points behind,
    yellow when 10–30 behind, blue when on or ahead of the trajectory, else green."""
    t = get_settings().lights
    behind = (1.0 - m.goal_progress) * 100
    if m.overdue_items or behind > t.red_points:
        return Light.RED
    if behind >= t.yellow_points:
        return Light.YELLOW
    if behind <= 0.0001:
        return Light.BLUE
    return Light.GREEN


# ---------------------------------------------------------------------------
# Rendering and hashing


def _cell(text: str) -> str:
    """A table cell as text: HTML escaped, Markdown table, emphasis, link and escape
    characters neutralised (a unit called "[x](y)" is shown as written, not as a link)."""
    return (
        html.escape(text).replace("|", "&#124;").replace("*", "&#42;").replace("_", "&#95;").replace("`", "&#96;")
        .replace("[", "&#91;").replace("\\", "&#92;")
    )


def render_markdown(title: str, cadence: str, period: str, cutoff: dt.datetime, rows: list[dict], weights: dict, corrects: dict | None, reason: str | None) -> str:
    local = cutoff.astimezone(tz())
    lines = [f"# {_cell(title)}", ""]
    lines += [f"统计截止：{local:%Y年%m月%d日 %H:%M}（{get_settings().timezone}）", ""]
    lines.append(f"发布周期：{CADENCE_NAMES.get(cadence, cadence)}（{period}）")
    if corrects:
        lines += ["", f"> 本期为更正版，更正第 {corrects['edition']} 版（哈希 {corrects['content_hash'][:12]}…）。更正原因：{_cell(reason or '')}"]
    if rows:
        lines += ["", "| 排名 | 单位 | 得分 | 目标任务进度 | 解决问题 | 实际成效 | 扣分 | 排名变化 | 亮灯 |", "|---:|---|---:|---:|---:|---:|---:|:---:|:---:|"]
    else:
        lines += ["", "本期没有参与排名的单位（尚无分配了牵头单位的事项）。"]
    for r in rows:
        change = r["rank_change"]
        arrow = "—" if change is None else ("↑" + str(change) if change > 0 else ("↓" + str(-change) if change < 0 else "→"))
        penalty = r["breakdown"]["overdue_penalty"] + r["breakdown"]["urge_penalty"]
        lines.append(
            f"| {r['rank']} | {_cell(r['unit_name'])} | {r['score']:.2f} | {r['goal_progress'] * 100:.1f}% | "
            f"{r['problems_resolved']} | {r['results_verified']} | {penalty:.1f} | {arrow} | {LIGHT_NAMES[Light(r['light'])]} |"
        )
    w = weights
    lines += [
        "",
        f"计分：目标任务进度 × {w['goal_progress']:g} + 解决问题数量（相对最多者）× {w['problems_resolved']:g} + "
        f"实际成效（已核验，相对最多者）× {w['results_verified']:g} − 超期事项 × {w['overdue_penalty']:g} − 催办 × {w['urge_penalty']:g}。"
        "同分时按目标任务进度、单位名称排序。",
    ]
    return "\n".join(lines) + "\n"


ALLOWED_TAGS = {"h1", "h2", "h3", "p", "table", "thead", "tbody", "tr", "th", "td", "blockquote", "br", "strong", "em", "ul", "ol", "li", "code"}


_AMP = re.compile(r"&(?!(?:#[0-9]+|#x[0-9a-f]+|[0-9a-z]+);)", re.IGNORECASE)
_ALIGN = {"---:": "right", ":---:": "center", ":---": "left"}


def _text(value: str) -> str:
    """Text content escaped as Markdown's serializer escapes it (entities kept)."""
    return _AMP.sub("&amp;", value).replace("<", "&lt;").replace(">", "&gt;")


def _table_html(lines: list[str]) -> str:
    """The HTML Python-Markdown's tables extension makes of the ranking table that
    ``render_markdown`` writes (a header, an alignment row, then rows of pre-escaped cells)."""

    def cells(line: str) -> list[str]:
        return [c.strip() for c in line.strip().strip("|").split("|")]

    aligns = [_ALIGN.get(a) for a in cells(lines[1])]

    def row(line: str, tag: str) -> str:
        out = ["<tr>"]
        for value, align in zip(cells(line), aligns):
            attr = f' style="text-align: {align};"' if align else ""
            out.append(f"<{tag}{attr}>{_text(value)}</{tag}>")
        out.append("</tr>")
        return "\n".join(out)

    body = "\n".join(row(line, "td") for line in lines[2:])
    return f"<table>\n<thead>\n{row(lines[0], 'th')}\n</thead>\n<tbody>\n{body}\n</tbody>\n</table>"


def render_html(body_md: str) -> str:
    """The edition's HTML from its Markdown, sanitised.

    Python-Markdown renders the headings and paragraphs; the ranking table (a thousand rows
    in a city-wide edition, most of a second through Markdown's tables extension) is written
    directly, cell by cell, as that extension would write it. Every text ``render_markdown``
    writes is escaped by ``_cell`` and uses no inline markup.
    tests/unit/services/test_render.py checks the result equals full Markdown's.
    """
    blocks: list[tuple[bool, list[str]]] = []
    for line in body_md.split("\n"):
        is_table = line.startswith("|")
        if blocks and blocks[-1][0] == is_table:
            blocks[-1][1].append(line)
        else:
            blocks.append((is_table, [line]))
    parts = []
    for is_table, lines in blocks:
        if is_table and len(lines) >= 2:
            parts.append(_table_html(lines))
        else:
            md = markdown.Markdown(extensions=["tables"], output_format="html")
            md.treeprocessors.deregister("inline")
            html_part = md.convert("\n".join(lines))
            if html_part:
                parts.append(html_part)
    raw = "\n".join(parts)
    return nh3.clean(raw, tags=ALLOWED_TAGS, attributes={"th": {"align", "style"}, "td": {"align", "style"}})


ROW_COLUMNS = (
    "publication", "unit", "unit_name", "rank", "previous_rank", "score", "goal_progress", "problems_resolved",
    "results_verified", "overdue_items", "urges", "light",
)


async def _insert_rows(publication_id: int, rows: list[dict], chunk: int = 500) -> None:
    """The edition's rows, a few hundred per statement (the query builder took ~0.3 s for a
    thousand rows)."""
    one = "(" + ", ".join(["{}"] * len(ROW_COLUMNS)) + ")"
    for i in range(0, len(rows), chunk):
        part = rows[i : i + chunk]
        values = [v for r in part for v in [publication_id, *(r[c] for c in ROW_COLUMNS[1:])]]
        await sql.execute(
            f"INSERT INTO publication_row ({sql.columns_list(ROW_COLUMNS)}) VALUES {', '.join([one] * len(part))}", *values
        )


def content_hash(payload: dict) -> str:
    return hashlib.sha256(json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def _hash_payload(pub: dict, rows: list[dict]) -> dict:
    cutoff = pub["cutoff"]
    if isinstance(cutoff, dt.datetime):
        cutoff = cutoff.astimezone(dt.timezone.utc).isoformat()
    weights = pub["weights"] if isinstance(pub["weights"], dict) else json.loads(pub["weights"])
    return {
        "cadence": pub["cadence"],
        "period": pub["period"],
        "edition": pub["edition"],
        "cutoff": cutoff,
        "weights": weights,
        "body_md": pub["body_md"],
        "previous_hash": pub["previous_hash"],
        "rows": [
            {k: r[k] for k in ("unit", "rank", "previous_rank", "score", "goal_progress", "problems_resolved", "results_verified", "overdue_items", "urges", "light")}
            for r in sorted(rows, key=lambda r: r["rank"])
        ],
    }


# ---------------------------------------------------------------------------
# Publishing


async def _lock_chain() -> None:
    """Serialise publishers so the hash chain has no forks (SQLite: the IMMEDIATE write
    transaction already does)."""
    if sql.is_postgres():
        await Publication.raw("SELECT pg_advisory_xact_lock(20240403)")


async def publish(cadence: str, period: str, *, actor: Actor | None = None, correct: int | None = None, reason: str | None = None) -> tuple[dict, bool]:
    """Publish the edition of ``cadence``/``period`` (or a correction of edition ``correct``).

    Returns (publication, created). Without ``correct``, an existing edition is returned
    unchanged: there is exactly one regular edition per cadence and period.
    """
    if cadence not in CADENCES:
        raise Invalid("发布周期无效", [Issue("invalid", "cadence 必须是 weekly、monthly 或 quarterly", "cadence")])
    cutoff = cutoff_of(cadence, period)
    if cutoff > Clock.now() and correct is None:
        raise Invalid("该期尚未到统计截止时间", [Issue("future", f"{period} 的截止时间 {cutoff:%Y-%m-%d %H:%M} 尚未到", "period")])
    since = cutoff_of(cadence, previous_period(cadence, period))
    settings = get_settings()
    weights = asdict(settings.weights)
    async with write_tx():
        await _lock_chain()
        existing = await Publication.select().where((Publication.cadence == cadence) & (Publication.period == period)).order_by(Publication.edition, ascending=False).first()
        corrects = None
        if correct is None:
            if existing:
                return existing, False
            edition = 1
        else:
            corrects = await Publication.select().where(Publication.id == correct).first()
            if corrects is None:
                raise NotFound("要更正的晾晒不存在")
            if (corrects["cadence"], corrects["period"]) != (cadence, period):
                raise Invalid("更正必须针对同一期", [Issue("mismatch", "更正必须针对同一期", "publication_id")])
            if not (reason or "").strip():
                raise Invalid("更正必须说明原因", [Issue("required", "更正必须说明原因", "reason")])
            edition = (existing["edition"] if existing else 0) + 1
        metrics = await compute_metrics(cutoff, since)
        scored = score_units(metrics, settings.weights)
        prev = await Publication.select(Publication.id).where(
            (Publication.cadence == cadence) & (Publication.period < period)
        ).order_by(Publication.period, ascending=False).order_by(Publication.edition, ascending=False).first()
        prev_ranks = {}
        if prev:
            prev_ranks = {r["unit"]: r["rank"] for r in await PublicationRow.select(PublicationRow.unit, PublicationRow.rank).where(PublicationRow.publication == prev["id"])}
        rows = []
        for s in scored:
            m = s.metrics
            previous_rank = prev_ranks.get(m.unit_id)
            rows.append(
                {
                    "unit": m.unit_id, "unit_name": m.unit_name, "rank": s.rank, "previous_rank": previous_rank,
                    "rank_change": None if previous_rank is None else previous_rank - s.rank,
                    "score": s.score, "goal_progress": round(m.goal_progress, 6), "problems_resolved": m.problems_resolved,
                    "results_verified": m.results_verified, "overdue_items": m.overdue_items, "urges": m.urges,
                    "light": unit_light(m).value, "breakdown": s.parts,
                }
            )
        title = f"{period_title(cadence, period)}工作晾晒"
        body_md = render_markdown(title, cadence, period, cutoff, rows, weights, corrects, reason)
        last = await Publication.select(Publication.content_hash).order_by(Publication.id, ascending=False).first()
        pub = {
            "cadence": cadence, "period": period, "edition": edition, "cutoff": cutoff.astimezone(dt.timezone.utc),
            "weights": weights, "body_md": body_md, "previous_hash": last["content_hash"] if last else None,
        }
        digest = content_hash(_hash_payload(pub, rows))
        inserted = (
            await Publication.insert(
                Publication(
                    cadence=cadence, period=period, edition=edition, corrects=correct, correction_reason=reason if correct else None,
                    cutoff=pub["cutoff"], published_at=Clock.now(), weights=weights, title=title, body_md=body_md,
                    body_html=render_html(body_md), content_hash=digest, previous_hash=pub["previous_hash"],
                )
            ).returning(Publication.id)
        )[0]["id"]
        await _insert_rows(inserted, rows)
        if actor is not None:
            await audit(actor, "publish" if correct is None else "correct", "publication", inserted, after={"cadence": cadence, "period": period, "edition": edition, "hash": digest})
        created = await Publication.select().where(Publication.id == inserted).first()
    return created, True  # type: ignore[return-value]


def period_title(cadence: str, period: str) -> str:
    return _period(cadence, period).title


async def publish_due(cadence: str, *, limit: int = MAX_CATCH_UP) -> list[dict]:
    """Publish every period whose cut-off has passed and has no edition yet, oldest first,
    each as of its own cut-off. With no edition at all, only the latest due period is published."""
    now = Clock.now()
    latest = latest_due_period(cadence, now)
    last = await Publication.select(Publication.period).where(Publication.cadence == cadence).order_by(Publication.period, ascending=False).first()
    periods = [latest]
    if last is not None:
        if latest <= last["period"]:
            return []
        p = previous_period(cadence, latest)
        while p > last["period"] and len(periods) < limit:
            periods.append(p)
            p = previous_period(cadence, p)
    out = []
    for period in reversed(periods):
        claim = f"publish:{cadence}:{period}"
        if not await claim_run("publish", claim):
            continue
        pub, created = await publish(cadence, period)
        await finish_run(claim, "done", f"edition {pub['edition']}")
        if created:
            out.append(pub)
    return out


async def claim_run(job: str, key: str) -> bool:
    """Claim a run under a unique key; False if another process already has it."""
    rows = await JobRun.insert(JobRun(job=job, run_key=key, started_at=Clock.now())).on_conflict(action="DO NOTHING").returning(JobRun.id)
    return bool(rows)


async def finish_run(key: str, status: str, detail: str = "") -> None:
    await JobRun.update({JobRun.finished_at: Clock.now(), JobRun.status: status, JobRun.detail: detail}).where(JobRun.run_key == key)


# ---------------------------------------------------------------------------
# Reading and verifying


async def list_publications(cadence: str | None = None) -> list[dict]:
    q = Publication.select(*Publication.all_columns(exclude=[Publication.body_md, Publication.body_html]))
    if cadence:
        q = q.where(Publication.cadence == cadence)
    return await q.order_by(Publication.id, ascending=False).output(load_json=True)


async def get_publication(pub_id: int) -> dict:
    pub = await Publication.select().where(Publication.id == pub_id).first().output(load_json=True)
    if pub is None:
        raise NotFound("晾晒不存在")
    pub["rows"] = await PublicationRow.select().where(PublicationRow.publication == pub_id).order_by(PublicationRow.rank)
    return pub


async def latest_edition(cadence: str | None = None, period: str | None = None) -> dict | None:
    q = Publication.select(Publication.id)
    if cadence:
        q = q.where(Publication.cadence == cadence)
    if period:
        q = q.where(Publication.period == period)
    row = await q.order_by(Publication.cutoff, ascending=False).order_by(Publication.edition, ascending=False).first()
    return await get_publication(row["id"]) if row else None


async def verify_chain() -> tuple[int, list[str]]:
    """Recompute every edition's hash and its link to the one before; return (count, breaks)."""
    pubs = await Publication.select().order_by(Publication.id).output(load_json=True)
    rows_by_pub: dict[int, list[dict]] = {}
    for r in await PublicationRow.select():
        rows_by_pub.setdefault(r["publication"], []).append(r)
    breaks = []
    previous = None
    for p in pubs:
        label = f"#{p['id']} {p['cadence']} {p['period']} 第{p['edition']}版"
        if p["previous_hash"] != previous:
            breaks.append(f"{label}：前一版哈希不符（记录 {str(p['previous_hash'])[:12]}，应为 {str(previous)[:12]}）")
        if content_hash(_hash_payload(p, rows_by_pub.get(p["id"], []))) != p["content_hash"]:
            breaks.append(f"{label}：内容哈希不符，内容已被改动")
        previous = p["content_hash"]
    return len(pubs), breaks


async def correct(actor: Actor, publication_id: int, reason: str) -> dict:
    if not (actor.is_supervisor or actor.is_admin):
        raise Forbidden("更正晾晒由督查室操作")
    original = await Publication.select(Publication.cadence, Publication.period).where(Publication.id == publication_id).first()
    if original is None:
        raise NotFound("晾晒不存在")
    pub, _ = await publish(original["cadence"], original["period"], actor=actor, correct=publication_id, reason=reason)
    return pub

