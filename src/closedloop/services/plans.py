"""Plans: import a plan document (any accepted file format, with the admin's corrections from the
preview), list plans, and a plan's tree (sections → items). Editing after import lives in
``plan_editing``, the 责任分工 import in ``responsibility``."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
from pathlib import PurePath

from closedloop.db.engine import write_tx
from closedloop.db.tables import Goal, ItemUnit, Plan, Unit, WorkItem
from closedloop.domain.errors import Invalid, NotFound, Issue
from closedloop.domain.plan_parser import ParsedPlan, extract_goals, parse_plan
from closedloop.domain.plan_parser.documents import document_text
from closedloop.domain.plan_parser.doubts import doubts
from closedloop.domain.plan_parser.units import match_unit
from closedloop.services.common import Actor, Clock, audit


def plan_text_hash(text: str) -> str:
    """Hash of the document with whitespace folded, so a re-saved copy is the same plan."""
    folded = "\n".join(line.strip() for line in text.replace("\u3000", " ").splitlines() if line.strip())
    return hashlib.sha256(folded.encode("utf-8")).hexdigest()


def unique_code(code: str, used: set[str], fallback: str = "—") -> str:
    """``code`` made unique among its siblings (the database holds (plan, parent, code) unique):
    a document restarting （一） in every part, or two unnumbered sections, get -2, -3 …"""
    base = (code or fallback)[:36]
    candidate, n = base, 1
    while candidate in used:
        n += 1
        candidate = f"{base}-{n}"
    used.add(candidate)
    return candidate


def read_file(filename: str, raw: bytes) -> str:
    """The text of an uploaded plan file (.txt .md .docx .pdf .xlsx); ``Invalid`` names the problem."""
    return document_text(filename, raw)


def parse_or_raise(text: str, filename: str = "") -> ParsedPlan:
    parsed = parse_plan(text, default_title=PurePath(filename).stem if filename else "")
    missing = parsed.missing()
    if not text.strip():
        raise Invalid("文档为空", [Issue("empty", "文档为空：没有可读取的内容", "text")])
    if missing:
        raise Invalid(
            "无法识别计划结构：" + "；".join(m for _, m in missing),
            [Issue("structure_missing", m, f) for f, m in missing],
        )
    return parsed


def _marked(text: str, sources: list[str]) -> list[list]:
    """``text`` cut into [piece, is_target_source] runs, the goals' source clauses marked."""
    spans = []
    for src in sources:
        at = text.find(src) if src else -1
        if at >= 0:
            spans.append((at, at + len(src)))
    spans.sort()
    out, pos = [], 0
    for a, b in spans:
        if a < pos:
            continue
        if a > pos:
            out.append([text[pos:a], False])
        out.append([text[a:b], True])
        pos = b
    if pos < len(text):
        out.append([text[pos:], False])
    return out


def _preview_json(parsed: ParsedPlan) -> dict:
    """The parsed tree with each target's doubts (a number without a unit, a year, an achievement),
    a key per target and item for corrections, and each item's text with its targets marked."""
    d = parsed.to_json()
    for n, (g, gj) in enumerate(zip(parsed.goals, d["goals"])):
        gj["doubts"] = doubts(g, parsed.year)
        gj["key"] = f"g{n}"
    for si, (s, sj) in enumerate(zip(parsed.sections, d["sections"])):
        for ii, (it, ij) in enumerate(zip(s.items, sj["items"])):
            ij["key"] = f"s{si}i{ii}"
            ij["marked"] = _marked(it.text, [g.source for g in it.goals])
            for gi, (g, gj) in enumerate(zip(it.goals, ij["goals"])):
                gj["doubts"] = doubts(g, parsed.year)
                gj["key"] = f"s{si}i{ii}g{gi}"
    return d


def apply_corrections(parsed: ParsedPlan, corrections: dict | None) -> ParsedPlan:
    """The admin's fixes from the preview: ``drop`` (target keys to leave out), ``titles``
    (item key → title), ``extra_goals`` (plan targets written one per line, read like the plan:
    科技特派员不少于20名)."""
    if not corrections:
        return parsed
    drop = set(corrections.get("drop") or ())
    titles = corrections.get("titles") or {}
    kept_plan = [n for n in range(len(parsed.goals)) if f"g{n}" not in drop]
    renumber = {old: new for new, old in enumerate(kept_plan)}
    parsed.goals = [parsed.goals[n] for n in kept_plan]
    for si, s in enumerate(parsed.sections):
        for ii, it in enumerate(s.items):
            title = (titles.get(f"s{si}i{ii}") or "").strip()
            if title:
                it.title = title[:500]
            it.goals = [g for gi, g in enumerate(it.goals) if f"s{si}i{ii}g{gi}" not in drop]
            for g in it.goals:
                g.plan_goal = renumber.get(g.plan_goal) if g.plan_goal is not None else None
    for line in (corrections.get("extra_goals") or "").splitlines():
        found = extract_goals(line, year=parsed.year)
        if line.strip() and not found:
            raise Invalid(
                f"补充的目标“{line.strip()[:40]}”中没有找到数值和单位",
                [Issue("extra_goal_unreadable", f"“{line.strip()[:40]}”没有数值和单位（如：科技特派员不少于20名）", "extra_goals")],
            )
        parsed.goals.extend(found)
    return parsed


async def import_file(actor: Actor, filename: str, raw: bytes, *, preview: bool = False) -> dict:
    """``import_plan`` on an uploaded file of any accepted format."""
    text = await asyncio.to_thread(read_file, filename, raw)
    return await import_plan(actor, text, preview=preview, filename=filename)


async def import_plan(
    actor: Actor, text: str, *, preview: bool = False, filename: str = "", corrections: dict | None = None
) -> dict:
    """Parse and (unless ``preview``) store a plan. The same document twice is reported as
    already imported and nothing is duplicated. Unit names in the plan (（…负责）notes, 责任分工
    rows) that match a known unit set the item's lead and cooperating units."""
    # Parsing is pure CPU (a large document takes a second or more): in a worker thread, so the
    # server keeps answering other requests meanwhile.
    parsed = await asyncio.to_thread(parse_or_raise, text, filename)
    tree = _preview_json(parsed)  # keys name targets as the document reads, before any fix
    n_goals = len(parsed.goals)
    parsed = apply_corrections(parsed, corrections)
    if corrections:
        drop = set(corrections.get("drop") or ())
        for gj in _all_goal_json(tree):
            gj["dropped"] = gj["key"] in drop
        for s in tree["sections"]:
            for i in s["items"]:
                i["title"] = (corrections.get("titles") or {}).get(i["key"]) or i["title"]
        kept_plan_goals = n_goals - sum(1 for k in drop if k.startswith("g"))  # plan goal keys are gN
        tree["extra_goals"] = [g.to_json(with_link=False) for g in parsed.goals[kept_plan_goals:]]
    digest = plan_text_hash(text)
    summary = {
        "parsed": tree,
        "doubt_count": sum(1 for g in _all_goal_json(tree) if g["doubts"]),
        "content_hash": digest,
        "goal_count": len(parsed.goals),
        "section_count": len(parsed.sections),
        "item_count": parsed.item_count,
        "item_goal_count": sum(len(i.goals) for s in parsed.sections for i in s.items),
    }
    existing = await Plan.select(Plan.id).where(Plan.content_hash == digest).first()
    if existing:
        return {**summary, "plan_id": existing["id"], "already_imported": True, "stored": False}
    if preview:
        return {**summary, "plan_id": None, "already_imported": False, "stored": False}
    year = parsed.year
    last_year = parsed.end_year or year  # a 2022—2024 plan's items are due at its end
    deadline = dt.date(last_year, 12, 31) if last_year else None
    known = {u["name"]: u["id"] for u in await Unit.select(Unit.id, Unit.name)}

    def goal_deadline(g) -> dt.date | None:
        return dt.date(g.horizon, 12, 31) if g.horizon else deadline

    async with write_tx():
        # checked again inside the write transaction: two imports at once store one plan
        existing = await Plan.select(Plan.id).where(Plan.content_hash == digest).first()
        if existing:
            return {**summary, "plan_id": existing["id"], "already_imported": True, "stored": False}
        plan = (
            await Plan.insert(
                Plan(
                    title=parsed.title[:300],
                    issuer=parsed.issuer,
                    issued_on=parsed.issued_on,
                    year=year,
                    content_hash=digest,
                    source_text=text,
                    imported_by=actor.id,
                    created_at=Clock.now(),
                )
            ).returning(Plan.id)
        )[0]["id"]
        plan_goal_ids = []
        for n, g in enumerate(parsed.goals):
            row = await Goal.insert(
                Goal(
                    plan=plan, seq=n, subject=g.subject[:300], measure_unit=g.unit[:20], comparator=g.comparator, target=g.value,
                    baseline=g.baseline, deadline=goal_deadline(g), created_at=Clock.now(), updated_at=Clock.now(),
                )
            ).returning(Goal.id)
            plan_goal_ids.append(row[0]["id"])
        seq = 0
        section_codes: set[str] = set()
        for s in parsed.sections:
            seq += 1
            section = (
                await WorkItem.insert(
                    WorkItem(plan=plan, kind="section", seq=seq, code=unique_code(s.code, section_codes), title=s.title[:500], text=s.text, created_at=Clock.now())
                ).returning(WorkItem.id)
            )[0]["id"]
            item_codes: set[str] = set()
            for it in s.items:
                seq += 1
                unit_ids = [uid for uid in (match_unit(n, known) for n in it.units) if uid is not None]
                unit_ids = list(dict.fromkeys(unit_ids))
                item_deadline = it.deadline or deadline
                item = (
                    await WorkItem.insert(
                        WorkItem(
                            plan=plan,
                            parent=section,
                            kind="item",
                            seq=seq,
                            code=unique_code(it.code, item_codes, str(len(item_codes) + 1)),
                            title=it.title[:500],
                            text=it.text,
                            stage="drill",
                            deadline=item_deadline,
                            original_deadline=item_deadline,
                            lead_unit=unit_ids[0] if unit_ids else None,
                            responsible_person=it.person[:100] or None,
                            created_at=Clock.now(),
                        )
                    ).returning(WorkItem.id)
                )[0]["id"]
                for uid in unit_ids[1:]:
                    await ItemUnit.insert(ItemUnit(item=item, unit=uid))
                for n, g in enumerate(it.goals):
                    # a goal restating a plan goal is that indicator: target, comparator and
                    # unit come from the plan goal (the item's wording had drifted: ≥200 for >200)
                    same = parsed.goals[g.plan_goal] if g.plan_goal is not None else g
                    await Goal.insert(
                        Goal(
                            plan=plan,
                            item=item,
                            seq=n,
                            plan_goal=plan_goal_ids[g.plan_goal] if g.plan_goal is not None else None,
                            subject=g.subject[:300],
                            measure_unit=same.unit[:20],
                            comparator=same.comparator,
                            target=same.value,
                            baseline=same.baseline,
                            deadline=goal_deadline(same) if same.horizon else item_deadline,
                            created_at=Clock.now(),
                            updated_at=Clock.now(),
                        )
                    )
        await audit(actor, "import", "plan", plan, after={"title": parsed.title, "items": parsed.item_count, "content_hash": digest})
    return {**summary, "plan_id": plan, "already_imported": False, "stored": True}


def _all_goal_json(d: dict) -> list[dict]:
    return d["goals"] + [g for s in d["sections"] for i in s["items"] for g in i["goals"]]


async def list_plans() -> list[dict]:
    return await Plan.select(*Plan.all_columns(exclude=[Plan.source_text])).order_by(Plan.id, ascending=False)


async def plan_tree(plan_id: int) -> dict:
    plan = await Plan.select(*Plan.all_columns(exclude=[Plan.source_text])).where(Plan.id == plan_id).first()
    if plan is None:
        raise NotFound("计划不存在")
    goals = await Goal.select().where((Goal.plan == plan_id) & Goal.item.is_null()).order_by(Goal.seq)
    rows = await WorkItem.select(
        WorkItem.id, WorkItem.parent, WorkItem.kind, WorkItem.code, WorkItem.title, WorkItem.stage,
        WorkItem.light, WorkItem.completion, WorkItem.deadline, WorkItem.lead_unit,
        WorkItem.lead_unit.name.as_alias("lead_unit_name"), WorkItem.version, WorkItem.withdrawn_at, WorkItem.withdrawn_reason,
    ).where(WorkItem.plan == plan_id).order_by(WorkItem.seq).order_by(WorkItem.id)
    sections = [{**r, "items": []} for r in rows if r["kind"] == "section"]
    by_id = {s["id"]: s for s in sections}
    for r in rows:
        if r["kind"] == "item" and r["parent"] in by_id:
            by_id[r["parent"]]["items"].append(r)
    return {**plan, "goals": goals, "sections": sections}
