"""An edition's text and its hash chain: the Markdown of a 晾晒 edition, its sanitised HTML,
the scoring rule's wording, and the SHA-256 that chains every edition to the one before.

Since hash version 2 the hash covers everything a reader sees: title, Markdown, HTML, plan goals,
each row with its breakdown, and the publication time (version 1, the first editions: the
Markdown and the ranking figures). ``verify_chain`` recomputes every edition's hash and its link.
Publishing an edition (``services/publishing.py``) writes what this module renders and hashes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import json
import re

import markdown
import nh3

from closedloop.db.tables import Publication, PublicationRow
from closedloop.domain import periods
from closedloop.domain.lights import LIGHT_NAMES, Light
from closedloop.services.common import local_zone
from closedloop.settings import get_settings

HASH_VERSION = 2


# ---------------------------------------------------------------------------
# Rendering


def _cell(text: str) -> str:
    """A table cell as text: HTML escaped, Markdown table, emphasis, link and escape
    characters neutralised (a unit called "[x](y)" is shown as written, not as a link)."""
    return (
        html.escape(text).replace("|", "&#124;").replace("*", "&#42;").replace("_", "&#95;").replace("`", "&#96;")
        .replace("[", "&#91;").replace("\\", "&#92;")
    )


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
    local = cutoff.astimezone(local_zone())
    lines = [f"# {_cell(title)}", ""]
    lines += [f"统计周期：{periods.of_cadence(cadence, period).dated_label}；统计截止：{local:%Y年%m月%d日 %H:%M}（{get_settings().timezone}）", ""]
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


# ---------------------------------------------------------------------------
# The hash chain


def edition_hash(payload: dict) -> str:
    """SHA-256 of an edition's hash payload (``hash_payload``) as canonical JSON."""
    return hashlib.sha256(json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def _utc(value) -> str | None:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.timezone.utc).isoformat()
    return value


def _json(value):
    return json.loads(value) if isinstance(value, str) else value


V1_ROW_KEYS = ("unit", "rank", "previous_rank", "score", "goal_progress", "problems_resolved", "results_verified", "overdue_items", "urges", "light")
V2_ROW_KEYS = V1_ROW_KEYS + ("unit_name", "extensions", "undrilled_items", "behind_points", "previous_score", "breakdown")


def hash_payload(pub: dict, rows: list[dict]) -> dict:
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


async def chain_head() -> str | None:
    """The hash of the edition published last (what the next edition links to), or None."""
    last = await Publication.select(Publication.content_hash).order_by(Publication.id, ascending=False).first()
    return last["content_hash"] if last else None


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
        if edition_hash(hash_payload(p, rows_by_pub.get(p["id"], []))) != p["content_hash"]:
            breaks.append(f"{label}：内容哈希不符，内容已被改动")
        previous = p["content_hash"]
    return len(pubs), breaks
