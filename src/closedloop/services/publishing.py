"""晾晒: compute the ranking of units as of a cut-off and publish it as an immutable edition.

Periods and cut-offs (Asia/Shanghai by default): an edition ranks a period as of its END,
the first morning after it at 09:00 — weekly ``2024-W15`` (8–14 April) on Monday 15 April,
monthly ``2024-05`` on 1 June, quarterly ``2024-Q2`` on 1 July. An edition reflects the data
as it stood at its cut-off (``services/metrics.py``); the score and rank come from
``domain.scoring`` and each unit's light from ``domain.lights.unit_light``.

Editions are never edited: a correction is a new edition that names the one it corrects and
keeps its rank and score changes. Every edition carries the SHA-256 of its content and the hash
of the edition published before it (a chain across all editions), which ``verify_chain``
recomputes. Since hash version 2 the content is everything a reader sees: title, Markdown,
HTML, plan goals, each row with its breakdown, and the publication time.
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
from closedloop.db.tables import JobRun, Publication, PublicationRow
from closedloop.domain.errors import Invalid, NotFound, Issue
from closedloop.domain import periods
from closedloop.domain.lights import LIGHT_NAMES, Light, unit_light
from closedloop.domain.periods import CADENCES
from closedloop.domain.scoring import score_units
from closedloop.services import access, metrics
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
    """The first day of a period."""
    return _period(cadence, period).start


def period_of(cadence: str, day: dt.date) -> str:
    """The period that contains ``day``."""
    if cadence not in CADENCES:
        raise Invalid("发布周期无效", [Issue("invalid", "cadence 必须是 weekly、monthly 或 quarterly", "cadence")])
    return periods.containing(cadence, day).key


def cutoff_of(cadence: str, period: str) -> dt.datetime:
    """The cut-off of a period's edition: 09:00 on the day after the period ends, the same
    rule for every cadence (the edition covers the whole period)."""
    end = _period(cadence, period).end
    return dt.datetime.combine(end + dt.timedelta(days=1), dt.time(PUBLISH_HOUR), tzinfo=tz())


def previous_period(cadence: str, period: str) -> str:
    return _period(cadence, period).previous().key


def latest_due_period(cadence: str, now: dt.datetime) -> str:
    """The latest period whose cut-off has passed at ``now``."""
    local = now.astimezone(tz())
    period = period_of(cadence, local.date())
    while cutoff_of(cadence, period) > local:
        period = previous_period(cadence, period)
    return period


# ---------------------------------------------------------------------------
# Rendering and hashing


def _cell(text: str) -> str:
    """A table cell as text: HTML escaped, Markdown table, emphasis, link and escape
    characters neutralised (a unit called "[x](y)" is shown as written, not as a link)."""
    return (
        html.escape(text).replace("|", "&#124;").replace("*", "&#42;").replace("_", "&#95;").replace("`", "&#96;")
        .replace("[", "&#91;").replace("\\", "&#92;")
    )


def period_label(cadence: str, period: str) -> str:
    """As people say it, with the year: 2026年第48周（11月23日—11月29日）, 2026年11月, 2026年第四季度."""
    p = _period(cadence, period)
    return f"{p.year}年{p.label}" if cadence == "weekly" else p.label


def _signed(x: float) -> str:
    return f"{x:+.1f}" if abs(x) >= 0.05 else "0.0"


def rank_arrow(change: int | None) -> str:
    return "新" if change is None else ("↑" + str(change) if change > 0 else ("↓" + str(-change) if change < 0 else "→"))


def score_change_text(score: float, previous: float | None) -> str:
    return "—" if previous is None else _signed(score - previous)


def rule_text(weights: dict) -> str:
    """The scoring rule in a few lines (the box above the ranking, and the edition's text)."""
    w = weights
    return (
        f"得分 = 目标进度 × {w['goal_progress']:g} + 解决问题 × {w['problems_resolved']:g} + 实际成效 × {w['results_verified']:g}"
        f"（后两项与最多的单位相比）− 超期事项 × {w['overdue_penalty']:g} − 本期催办 × {w['urge_penalty']:g}。"
        "目标进度：各目标平均每落后序时进度 1 个百分点，该项少得 1%；不落后得满分。"
        "亮灯：平均落后超过 30 个百分点或有超期事项为红灯，落后 10—30 个百分点或有未下钻事项为黄灯，超前 10 个百分点以上为蓝灯。"
    )


def _number(x: float | None) -> str:
    return "—" if x is None else f"{x:g}"


def render_markdown(
    title: str, cadence: str, period: str, cutoff: dt.datetime, rows: list[dict], weights: dict, corrects: dict | None,
    reason: str | None, plan_goals: list[dict] | None = None,
) -> str:
    local = cutoff.astimezone(tz())
    lines = [f"# {_cell(title)}", ""]
    lines += [f"统计周期：{period_label(cadence, period)}；统计截止：{local:%Y年%m月%d日 %H:%M}（{get_settings().timezone}）", ""]
    if corrects:
        lines += [f"> 本版为更正版，更正第 {corrects['edition']} 版（防篡改校验码 {corrects['content_hash'][:12]}…）。更正原因：{_cell(reason or '')}", ""]
    if plan_goals:
        lines += ["## 工作目标进展", "", "| 工作目标 | 目标值 | 截至统计截止的实际值 | 完成度 | 亮灯 |", "|---|---:|---:|---:|:---:|"]
        for g in plan_goals:
            unit = _cell(g["measure_unit"] or "")
            done = "—" if g["completion"] is None else f"{g['completion'] * 100:.1f}%"
            light = LIGHT_NAMES[Light(g["light"])] if g["light"] else "—"
            lines.append(f"| {_cell(g['subject'])} | {_cell(g['comparator'] or '')}{_number(g['target'])}{unit} | {_number(g['actual'])}{unit if g['actual'] is not None else ''} | {done} | {light} |")
        lines += ["", "## 单位排名", ""]
    if rows:
        lines += [
            "| 排名 | 单位 | 得分 | 得分变化 | 排名变化 | 目标任务进度 | 进度得分 | 解决问题 | 问题得分 | 实际成效 | 成效得分 | 超期扣分 | 催办扣分 | 延期次数 | 超期事项 | 亮灯 |",
            "|---:|---|---:|---:|:---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|:---:|",
        ]
    else:
        lines += ["本期没有参与排名的单位（尚无分配了牵头单位的事项）。"]
    for r in rows:
        b = r["breakdown"]
        lines.append(
            f"| {r['rank']} | {_cell(r['unit_name'])} | {r['score']:.2f} | {score_change_text(r['score'], r.get('previous_score'))} | "
            f"{rank_arrow(r['rank_change'])} | {r['goal_progress'] * 100:.1f}% | {b['goal_progress']:.1f} | "
            f"{r['problems_resolved']} | {b['problems_resolved']:.1f} | {r['results_verified']} | {b['results_verified']:.1f} | "
            f"{b['overdue_penalty']:.1f} | {b['urge_penalty']:.1f} | {r.get('extensions', 0)} | {r['overdue_items']} | {LIGHT_NAMES[Light(r['light'])]} |"
        )
    lines += ["", "计分规则：" + rule_text(weights)]
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
    "results_verified", "overdue_items", "urges", "light", "extensions", "undrilled_items", "behind_points",
    "previous_score", "breakdown",
)
HASH_VERSION = 2


async def _insert_rows(publication_id: int, rows: list[dict], chunk: int = 500) -> None:
    """The edition's rows, a few hundred per statement (the query builder took ~0.3 s for a
    thousand rows)."""
    one = "(" + ", ".join(["{}"] * len(ROW_COLUMNS)) + ")"
    for i in range(0, len(rows), chunk):
        part = rows[i : i + chunk]
        values = [
            v for r in part
            for v in [publication_id, *(sql.dump_json(r[c]) if c == "breakdown" else r[c] for c in ROW_COLUMNS[1:])]
        ]
        await sql.execute(
            f"INSERT INTO publication_row ({sql.columns_list(ROW_COLUMNS)}) VALUES {', '.join([one] * len(part))}", *values
        )


def content_hash(payload: dict) -> str:
    return hashlib.sha256(json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def _utc(value) -> str | None:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.timezone.utc).isoformat()
    return value


def _json(value):
    return json.loads(value) if isinstance(value, str) else value


V1_ROW_KEYS = ("unit", "rank", "previous_rank", "score", "goal_progress", "problems_resolved", "results_verified", "overdue_items", "urges", "light")
V2_ROW_KEYS = V1_ROW_KEYS + ("unit_name", "extensions", "undrilled_items", "behind_points", "previous_score", "breakdown")


def _hash_payload(pub: dict, rows: list[dict]) -> dict:
    """What an edition's hash covers. Version 1 (the first editions): the Markdown and the
    ranking figures. Version 2: every stored field a reader sees."""
    version = pub.get("hash_version") or 1
    payload = {
        "cadence": pub["cadence"],
        "period": pub["period"],
        "edition": pub["edition"],
        "cutoff": _utc(pub["cutoff"]),
        "weights": _json(pub["weights"]),
        "body_md": pub["body_md"],
        "previous_hash": pub["previous_hash"],
    }
    keys: tuple[str, ...] = V1_ROW_KEYS
    if version >= 2:
        keys = V2_ROW_KEYS
        payload.update(
            hash_version=version, title=pub["title"], body_html=pub["body_html"], plan_goals=_json(pub["plan_goals"]),
            corrects=pub["corrects"], correction_reason=pub["correction_reason"], published_at=_utc(pub["published_at"]),
        )
    payload["rows"] = [
        {k: (_json(r[k]) if k == "breakdown" else r[k]) for k in keys} for r in sorted(rows, key=lambda r: r["rank"])
    ]
    return payload


# ---------------------------------------------------------------------------
# Publishing


async def _lock_chain() -> None:
    """Serialise publishers so the hash chain has no forks (SQLite: the IMMEDIATE write
    transaction already does)."""
    if sql.is_postgres():
        await Publication.raw("SELECT pg_advisory_xact_lock(20240403)")


async def _previous_figures(cadence: str, period: str, corrects: dict | None) -> dict[int, tuple[int | None, float | None]]:
    """Per unit, the rank and score to compare with: a correction keeps those of the edition
    it corrects (so it differs from it only where the data before the cut-off did); a regular
    edition takes the latest edition of the period before."""
    if corrects is not None:
        rows = await PublicationRow.select(PublicationRow.unit, PublicationRow.previous_rank, PublicationRow.previous_score).where(
            PublicationRow.publication == corrects["id"]
        )
        return {r["unit"]: (r["previous_rank"], r["previous_score"]) for r in rows}
    prev = await Publication.select(Publication.id).where(
        (Publication.cadence == cadence) & (Publication.period < period)
    ).order_by(Publication.period, ascending=False).order_by(Publication.edition, ascending=False).first()
    if not prev:
        return {}
    rows = await PublicationRow.select(PublicationRow.unit, PublicationRow.rank, PublicationRow.score).where(PublicationRow.publication == prev["id"])
    return {r["unit"]: (r["rank"], r["score"]) for r in rows}


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
        cut = metrics.Cut(at=cutoff, day=cutoff.astimezone(tz()).date(), since=since)
        scored = score_units(await metrics.compute_metrics(cut, settings.lights), settings.weights)
        plan_goals = await metrics.plan_goals_as_of(cut, settings.lights)
        previous = await _previous_figures(cadence, period, corrects)
        rows = []
        for s in scored:
            m = s.metrics
            previous_rank, previous_score = previous.get(m.unit_id, (None, None))
            rows.append(
                {
                    "unit": m.unit_id, "unit_name": m.unit_name, "rank": s.rank, "previous_rank": previous_rank,
                    "rank_change": None if previous_rank is None else previous_rank - s.rank,
                    "score": s.score, "previous_score": previous_score, "goal_progress": round(m.goal_progress, 6),
                    "behind_points": None if m.behind_points is None else round(m.behind_points, 6),
                    "problems_resolved": m.problems_resolved, "results_verified": m.results_verified,
                    "overdue_items": m.overdue_items, "urges": m.urges, "extensions": m.extensions, "undrilled_items": m.undrilled_items,
                    "light": unit_light(m.behind_points, m.overdue_items, m.undrilled_items, settings.lights).value,
                    "breakdown": s.parts,
                }
            )
        title = f"{period_title(cadence, period)}工作晾晒"
        body_md = render_markdown(title, cadence, period, cutoff, rows, weights, corrects, reason, plan_goals)
        last = await Publication.select(Publication.content_hash).order_by(Publication.id, ascending=False).first()
        pub = {
            "cadence": cadence, "period": period, "edition": edition, "cutoff": cutoff.astimezone(dt.timezone.utc),
            "weights": weights, "body_md": body_md, "previous_hash": last["content_hash"] if last else None,
            "hash_version": HASH_VERSION, "title": title, "body_html": render_html(body_md), "plan_goals": plan_goals,
            "corrects": correct, "correction_reason": reason if correct else None,
            "published_at": Clock.now().astimezone(dt.timezone.utc),
        }
        digest = content_hash(_hash_payload(pub, rows))
        inserted = (
            await Publication.insert(Publication(**{k: v for k, v in pub.items()}, content_hash=digest)).returning(Publication.id)  # type: ignore[arg-type]  # Piccolo's Table(**kwargs) is typed for its first positional argument only
        )[0]["id"]
        await _insert_rows(inserted, rows)
        if actor is not None:
            await audit(actor, "publish" if correct is None else "correct", "publication", inserted, after={"cadence": cadence, "period": period, "edition": edition, "hash": digest})
        created = await Publication.select().where(Publication.id == inserted).first()
    return created, True  # type: ignore[return-value]  # the edition was inserted just above in this transaction


def period_title(cadence: str, period: str) -> str:
    return _period(cadence, period).title


async def publish_due(cadence: str, *, limit: int = MAX_CATCH_UP) -> list[dict]:
    """Publish every period whose cut-off has passed and has no edition yet, oldest first,
    each as of its own cut-off. With no edition at all, only the latest due period is published.
    When the office holds publication while data checks are open (``hold_publication_on_checks``),
    nothing is published until they are explained; each new edition's open checks are kept in its
    internal review for the supervisors at once."""
    from closedloop.services import checks

    if await checks.hold_publication():
        return []
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
            await checks.review_edition(pub["id"])
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
    pub["rows"] = await PublicationRow.select().where(PublicationRow.publication == pub_id).order_by(PublicationRow.rank).output(load_json=True)
    return pub


async def latest_edition(cadence: str | None = None, period: str | None = None) -> dict | None:
    q = Publication.select(Publication.id)
    if cadence:
        q = q.where(Publication.cadence == cadence)
    if period:
        q = q.where(Publication.period == period)
    row = await q.order_by(Publication.cutoff, ascending=False).order_by(Publication.edition, ascending=False).first()
    return await get_publication(row["id"]) if row else None


async def edition(cadence: str, period: str, number: int) -> dict | None:
    """One edition of a period by its number (第 n 版)."""
    row = await Publication.select(Publication.id).where(
        (Publication.cadence == cadence) & (Publication.period == period) & (Publication.edition == number)
    ).first()
    return await get_publication(row["id"]) if row else None


async def editions_of(cadence: str, period: str) -> list[dict]:
    """Every edition of a period, oldest first (id, edition, corrects)."""
    return await Publication.select(Publication.id, Publication.edition, Publication.corrects, Publication.cadence, Publication.period).where(
        (Publication.cadence == cadence) & (Publication.period == period)
    ).order_by(Publication.edition)


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
    access.require_office(actor, "更正晾晒由督查室操作")
    original = await Publication.select(Publication.cadence, Publication.period).where(Publication.id == publication_id).first()
    if original is None:
        raise NotFound("晾晒不存在")
    pub, _ = await publish(original["cadence"], original["period"], actor=actor, correct=publication_id, reason=reason)
    return pub

