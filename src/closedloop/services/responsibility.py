"""责任分工: assigning a whole plan at once from the bureau's division-of-responsibility table.

A 分工表 (.xlsx, .docx, text) lists item → 牵头单位, 配合单位, 完成时限, 责任人. Each row is matched to
an item of the plan by its code and title (the row's task text against the item's title and
text), and each unit name to a known unit (exact, then the usual short forms, see
``domain.plan_parser.units``). ``preview`` says what would happen: matches, rows that fit no item,
unit names that fit no unit (created on apply only when asked). ``apply`` writes every match in
one transaction through the item service (the one home of assignment rules), or nothing.
"""

from __future__ import annotations

import asyncio
import datetime as dt

from closedloop.db.engine import write_tx
from closedloop.db.tables import Plan, Unit, WorkItem
from closedloop.domain.errors import Invalid, NotFound, Issue
from closedloop.domain.plan_parser import parse_plan
from closedloop.domain.plan_parser.documents import document_text
from closedloop.domain.plan_parser.units import match_unit
from closedloop.services import items as items_service
from closedloop.services import org
from closedloop.services.common import Actor, audit

MIN_SCORE = 0.5


def _bigrams(s: str) -> set[str]:
    s = "".join(ch for ch in s if not ch.isspace() and ch not in "，。、；：,.;:")
    return {s[i : i + 2] for i in range(len(s) - 1)}


def _score(row_text: str, row_code: str, item: dict) -> float:
    """How well a row names an item: shared character pairs with the title (or the text, which
    holds the title), plus a little for the same code."""
    a = _bigrams(row_text)
    if not a:
        return 0.0
    best = 0.0
    for other in (item["title"], item["text"]):
        b = _bigrams(other or "")
        if b:
            best = max(best, len(a & b) / min(len(a), len(b)) if other is item["title"] else len(a & b) / len(a))
    if row_code and row_code == item["code"]:
        best += 0.1
    return best


async def preview(plan_id: int, filename: str, raw: bytes) -> dict:
    plan = await Plan.select(Plan.id, Plan.title, Plan.year).where(Plan.id == plan_id).first()
    if plan is None:
        raise NotFound("计划不存在")
    # pure CPU: in a worker thread, so the server keeps answering other requests meanwhile
    parsed = await asyncio.to_thread(lambda: parse_plan(document_text(filename, raw), default_title=filename))
    rows = [it for s in parsed.sections for it in s.items if it.units or it.deadline or it.person]
    if not rows:
        raise Invalid(
            "文件中没有找到责任分工（需要“序号、目标任务、责任单位、完成时限”等列，或事项后的“（…负责）”）",
            [Issue("no_rows", "没有找到责任分工行", "file")],
        )
    items = await WorkItem.select(WorkItem.id, WorkItem.code, WorkItem.title, WorkItem.text, WorkItem.version).where(
        (WorkItem.plan == plan_id) & (WorkItem.kind == "item") & WorkItem.withdrawn_at.is_null()
    )
    known = {u["name"]: u["id"] for u in await Unit.select(Unit.id, Unit.name)}
    names = {u["id"]: u["name"] for u in await Unit.select(Unit.id, Unit.name)}
    matches, misses, new_units, taken = [], [], [], set()
    for r in rows:
        scored = sorted(((_score(r.text or r.title, r.code, it), it) for it in items if it["id"] not in taken), key=lambda x: -x[0])
        if not scored or scored[0][0] < MIN_SCORE or (len(scored) > 1 and scored[1][0] >= scored[0][0] - 0.02):
            misses.append({"code": r.code, "task": r.title, "reason": "没有唯一匹配的事项" if scored and scored[0][0] >= MIN_SCORE else "没有匹配的事项"})
            continue
        score, item = scored[0]
        taken.add(item["id"])
        units = []
        for name in r.units:
            uid = match_unit(name, known)
            units.append({"name": name, "unit_id": uid, "matched_name": names.get(uid)})
            if uid is None and name not in new_units:
                new_units.append(name)
        matches.append(
            {
                "code": r.code, "task": r.title, "item_id": item["id"], "item_code": item["code"], "item_title": item["title"],
                "score": round(score, 2), "units": units, "deadline": r.deadline.isoformat() if r.deadline else None,
                "responsible_person": r.person or None,
            }
        )
    return {"plan_id": plan_id, "plan_title": plan["title"], "matches": matches, "misses": misses, "new_units": new_units}


async def apply(actor: Actor, plan_id: int, filename: str, raw: bytes, *, create_units: bool = False) -> dict:
    """Write the preview's matches in one transaction; unit names that fit no unit are created
    when ``create_units``, else left out (named in the answer)."""
    plan = await preview(plan_id, filename, raw)
    async with write_tx():
        created: dict[str, int] = {}
        if create_units:
            for name in plan["new_units"]:
                created[name] = (await org.create_unit(actor, name))["id"]
        for m in plan["matches"]:
            ids = [u["unit_id"] or created.get(u["name"]) for u in m["units"]]
            ids = list(dict.fromkeys(i for i in ids if i))
            values: dict = {}
            if ids:
                values["lead_unit"] = ids[0]
                values["cooperating_unit_ids"] = ids[1:]
            if m["deadline"]:
                values["deadline"] = dt.date.fromisoformat(m["deadline"])
            if m["responsible_person"]:
                values["responsible_person"] = m["responsible_person"][:100]
            if not values:
                continue
            version = (await WorkItem.select(WorkItem.version).where(WorkItem.id == m["item_id"]).first())["version"]  # type: ignore[index]  # the item id comes from the preview matched against this plan's items in this transaction
            await items_service.update_item(actor, m["item_id"], version, values)
        await audit(actor, "assign", "plan", plan_id, after={"file": filename, "matched": len(plan["matches"]), "created_units": list(created)})
    return {**plan, "applied": True, "created_units": list(created)}
