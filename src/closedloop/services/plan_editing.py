"""Editing a plan by hand after import: sections, items and plan goals added, edited, reordered
and removed; a plan goal restated on an item; an item with history withdrawn (撤销) instead of
deleted.

Every change is one write transaction, checks the row's version (a stale version is Conflict,
HTTP 409, and changes nothing) and is audited. Order is the ``seq`` of the plan's rows: after a
structural change the plan is renumbered so that each section is followed by its items, the order
the plan tree, exports and pages read.
"""

from __future__ import annotations

import datetime as dt

from closedloop.db import sql
from closedloop.db.engine import write_tx
from closedloop.db.tables import Goal, ItemUnit, Plan, WorkItem
from closedloop.domain.errors import Conflict, Invalid, NotFound, Issue
from closedloop.domain.plan_parser import COMPARATORS
from closedloop.services.common import Actor, Clock, audit, versioned_update
from closedloop.services.plans import unique_code

NODE_FIELDS = ("code", "title", "text")
GOAL_FIELDS = ("subject", "measure_unit", "comparator", "target", "baseline", "deadline")


async def _plan(plan_id: int) -> dict:
    """The plan, locked for the rest of the transaction on PostgreSQL: edits of one plan's tree
    (new codes, positions) are serialised, so two concurrent additions cannot pick the same
    code (SQLite's IMMEDIATE write transactions serialise them already)."""
    if sql.is_postgres():
        await sql.execute('SELECT id FROM "plan" WHERE id = {} FOR UPDATE', plan_id)
    plan = await Plan.select(Plan.id, Plan.title, Plan.year).where(Plan.id == plan_id).first()
    if plan is None:
        raise NotFound("计划不存在")
    return plan


async def _node(node_id: int) -> dict:
    row = await WorkItem.select().where(WorkItem.id == node_id).first()
    if row is None:
        raise NotFound("分项或事项不存在")
    return row


def _check_text(values: dict) -> None:
    if "title" in values and not (values["title"] or "").strip():
        raise Invalid("标题不能为空", [Issue("required", "标题不能为空", "title")])


async def _codes(plan_id: int, parent_id: int | None) -> set[str]:
    q = WorkItem.select(WorkItem.code).where(WorkItem.plan == plan_id)
    q = q.where(WorkItem.parent.is_null()) if parent_id is None else q.where(WorkItem.parent == parent_id)
    return {r["code"] for r in await q}


async def _siblings(plan_id: int, parent_id: int | None) -> list[dict]:
    q = WorkItem.select(WorkItem.id, WorkItem.seq).where(WorkItem.plan == plan_id)
    q = q.where(WorkItem.parent.is_null() & (WorkItem.kind == "section")) if parent_id is None else q.where(WorkItem.parent == parent_id)
    return await q.order_by(WorkItem.seq).order_by(WorkItem.id)


async def _renumber(plan_id: int, order: dict[int | None, list[int]] | None = None) -> None:
    """seq = running position: each section, then its items. ``order`` overrides the sibling
    order of the parents it names. Only rows whose seq changes are written, in one statement per
    chunk, so that a large plan's edit stays a short transaction."""
    rows = await WorkItem.select(WorkItem.id, WorkItem.parent, WorkItem.kind, WorkItem.seq).where(
        WorkItem.plan == plan_id
    ).order_by(WorkItem.seq).order_by(WorkItem.id)
    current = {r["id"]: r["seq"] for r in rows}
    children: dict[int | None, list[int]] = {}
    for r in rows:
        parent = r["parent"] if r["kind"] == "item" else None
        children.setdefault(parent, []).append(r["id"])
    for parent, ids in (order or {}).items():
        children[parent] = ids
    seq = 0
    changed: list[tuple[int, int]] = []
    placed: set[int] = set()
    for section in children.get(None, []):
        for node in [section, *children.get(section, [])]:
            seq += 1
            placed.add(node)
            if current.get(node) != seq:
                changed.append((node, seq))
    for node in current:  # an item whose section is gone from the tree keeps a place at the end
        if node not in placed:
            seq += 1
            if current[node] != seq:
                changed.append((node, seq))
    for k in range(0, len(changed), 400):
        chunk = changed[k : k + 400]
        cases = " ".join("WHEN CAST({} AS INTEGER) THEN CAST({} AS INTEGER)" for _ in chunk)
        id_marks = ", ".join("{}" for _ in chunk)
        args = [v for pair in chunk for v in pair] + [node for node, _ in chunk]
        await sql.execute(f'UPDATE "work_item" SET "seq" = CASE "id" {cases} END WHERE "id" IN ({id_marks})', *args)


def _position(ids: list[int], position: int | None) -> int:
    """A 1-based position clamped to the list; None appends."""
    if position is None:
        return len(ids)
    return max(0, min(len(ids), position - 1))


async def add_section(actor: Actor, plan_id: int, values: dict) -> dict:
    _check_text(values)
    async with write_tx():
        await _plan(plan_id)
        ids = [r["id"] for r in await _siblings(plan_id, None)]
        row = (
            await WorkItem.insert(
                WorkItem(
                    plan=plan_id, kind="section", seq=0, code=unique_code(values.get("code") or "", await _codes(plan_id, None)),
                    title=values["title"].strip()[:500], text=values.get("text") or "", created_at=Clock.now(),
                )
            ).returning(*WorkItem.all_columns())
        )[0]
        ids.insert(_position(ids, values.get("position")), row["id"])
        await _renumber(plan_id, {None: ids})
        await audit(actor, "create", "section", row["id"], after=row)
    return await _node(row["id"])


async def add_item(actor: Actor, section_id: int, values: dict) -> dict:
    _check_text(values)
    async with write_tx():
        section = await _node(section_id)
        if section["kind"] != "section":
            raise Invalid("只能在分项下添加事项", [Issue("not_a_section", "只能在分项下添加事项", "section_id")])
        plan = await _plan(section["plan"])
        ids = [r["id"] for r in await _siblings(plan["id"], section_id)]
        deadline = values.get("deadline")
        if deadline is None and plan["year"]:
            deadline = dt.date(plan["year"], 12, 31)
        row = (
            await WorkItem.insert(
                WorkItem(
                    plan=plan["id"], parent=section_id, kind="item", seq=0,
                    code=unique_code(values.get("code") or "", await _codes(plan["id"], section_id), str(len(ids) + 1)),
                    title=values["title"].strip()[:500], text=values.get("text") or "", stage="drill", deadline=deadline,
                    original_deadline=deadline, created_at=Clock.now(),
                )
            ).returning(*WorkItem.all_columns())
        )[0]
        ids.insert(_position(ids, values.get("position")), row["id"])
        await _renumber(plan["id"], {section_id: ids})
        # entity_id names the item; item_id stays empty so that plan editing alone is not history
        await audit(actor, "create", "item", row["id"], after=row)
    return await _node(row["id"])


async def update_node(actor: Actor, node_id: int, version: int, values: dict) -> dict:
    """Code, title, text of a section or an item."""
    values = {k: v for k, v in values.items() if k in NODE_FIELDS}
    _check_text(values)
    if "title" in values:
        values["title"] = values["title"].strip()[:500]
    async with write_tx():
        before = await _node(node_id)
        if "code" in values:
            values["code"] = (values["code"] or "").strip()[:40] or before["code"]
            parent = before["parent"] if before["kind"] == "item" else None
            if values["code"] != before["code"] and values["code"] in await _codes(before["plan"], parent):
                raise Conflict(f"同级已有编号“{values['code']}”", [Issue("duplicate_code", "同级已有相同编号", "code")])
        row = await versioned_update(WorkItem, node_id, version, {getattr(WorkItem, k): v for k, v in values.items()}, "分项或事项")
        await audit(actor, "update", before["kind"], node_id, before=before, after=row)
    return row


async def move_node(actor: Actor, node_id: int, version: int, position: int, parent_id: int | None = None) -> dict:
    """Move a section among sections, or an item to ``position`` in its section (or in
    ``parent_id``, another section of the same plan)."""
    async with write_tx():
        before = await _node(node_id)
        target_parent = before["parent"]
        if before["kind"] == "item" and parent_id is not None and parent_id != before["parent"]:
            parent = await _node(parent_id)
            if parent["kind"] != "section" or parent["plan"] != before["plan"]:
                raise Invalid("目标分项不存在于该计划", [Issue("bad_parent", "目标分项不存在于该计划", "parent_id")])
            target_parent = parent_id
        elif before["kind"] == "section" and parent_id is not None:
            raise Invalid("分项不能移入其他分项", [Issue("bad_parent", "分项不能移入其他分项", "parent_id")])
        moved: dict = {WorkItem.parent: target_parent}
        if target_parent != before["parent"] and before["code"] in await _codes(before["plan"], target_parent):
            moved[WorkItem.code] = unique_code(before["code"], await _codes(before["plan"], target_parent))
        await versioned_update(WorkItem, node_id, version, moved, "分项或事项")
        key = None if before["kind"] == "section" else target_parent
        ids = [r["id"] for r in await _siblings(before["plan"], key) if r["id"] != node_id]
        ids.insert(_position(ids, position), node_id)
        order: dict[int | None, list[int]] = {key: ids}
        if before["kind"] == "item" and target_parent != before["parent"]:
            order[before["parent"]] = [r["id"] for r in await _siblings(before["plan"], before["parent"]) if r["id"] != node_id]
        await _renumber(before["plan"], order)
        await audit(actor, "move", before["kind"], node_id,
                    before={"parent": before["parent"], "seq": before["seq"]}, after={"parent": target_parent, "position": position})
    return await _node(node_id)


HISTORY_SQL = """
SELECT
  (SELECT COUNT(*) FROM progress_report WHERE item = {0}) AS reports,
  (SELECT COUNT(*) FROM stage_transition WHERE item = {0}) AS transitions,
  (SELECT COUNT(*) FROM problem WHERE item = {0}) AS problems,
  (SELECT COUNT(*) FROM project WHERE item = {0}) AS projects,
  (SELECT COUNT(*) FROM result r JOIN goal g ON g.id = r.goal WHERE g.item = {0}) AS results,
  (SELECT COUNT(*) FROM goal WHERE item = {0} AND actual IS NOT NULL) AS actuals,
  (SELECT COUNT(*) FROM supervision_action WHERE item = {0}) AS supervision,
  (SELECT COUNT(*) FROM extension_request WHERE item = {0}) AS extensions,
  (SELECT COUNT(*) FROM notification WHERE item = {0}) AS notifications,
  (SELECT COUNT(*) FROM audit_event WHERE item = {0}) AS audited_changes,
  (SELECT COUNT(*) FROM goal g WHERE g.item = {0} AND (
     EXISTS (SELECT 1 FROM progress_value v WHERE v.goal = g.id) OR EXISTS (SELECT 1 FROM result r WHERE r.goal = g.id)
     OR EXISTS (SELECT 1 FROM problem_goal pg WHERE pg.goal = g.id) OR EXISTS (SELECT 1 FROM project_goal jg WHERE jg.goal = g.id)
  )) AS goal_links
"""
# what refers to one goal (a plan goal may be reported on, linked or restated)
GOAL_REFERENCES_SQL = """
SELECT (SELECT COUNT(*) FROM progress_value WHERE goal = {}) + (SELECT COUNT(*) FROM result WHERE goal = {})
     + (SELECT COUNT(*) FROM problem_goal WHERE goal = {}) + (SELECT COUNT(*) FROM project_goal WHERE goal = {}) AS n
"""


async def item_history(item_id: int) -> dict:
    """How much history an item has; any of it means the item can only be withdrawn."""
    # one placeholder per sub-select: sql.fetch_one numbers {} in order on both engines
    row = await sql.fetch_one(HISTORY_SQL.replace("{0}", "{}"), *([item_id] * HISTORY_SQL.count("{0}")))
    return {k: int(v or 0) for k, v in dict(row or {}).items()}


async def delete_node(actor: Actor, node_id: int, version: int) -> None:
    """Delete an item without history (with its goals and unit links) or an empty section.
    An item with history is Conflict: withdraw it instead."""
    async with write_tx():
        before = await _node(node_id)
        if before["version"] != version:
            raise Conflict(f"分项或事项已被他人修改（当前版本 {before['version']}，提交的版本 {version}），请刷新后重试")
        if before["kind"] == "section":
            if await WorkItem.count().where(WorkItem.parent == node_id):
                raise Conflict("分项下还有事项，请先移走或删除事项", [Issue("section_not_empty", "分项下还有事项", "id")])
            if any((await item_history(node_id)).values()):
                raise Conflict("分项已有记录，不能删除", [Issue("has_history", "分项已有记录", "id")])
        else:
            history = await item_history(node_id)
            if any(history.values()):
                raise Conflict(
                    "事项已有填报、记录或阶段变更，不能删除，请改为撤销并说明原因",
                    [Issue("has_history", "事项已有历史记录，只能撤销", "id")],
                )
            await Goal.update({Goal.plan_goal: None}).where(Goal.plan_goal.is_in(Goal.select(Goal.id).where(Goal.item == node_id)))
            await Goal.delete().where(Goal.item == node_id)
            await ItemUnit.delete().where(ItemUnit.item == node_id)
        await WorkItem.delete().where(WorkItem.id == node_id)
        await _renumber(before["plan"])
        await audit(actor, "delete", before["kind"], node_id, item_id=None, before=before)


async def withdraw_item(actor: Actor, item_id: int, version: int, reason: str) -> dict:
    """撤销: the item stays with its history, marked withdrawn with a reason."""
    reason = (reason or "").strip()
    if not reason:
        raise Invalid("撤销必须说明原因", [Issue("required", "撤销必须说明原因", "reason")])
    async with write_tx():
        before = await _node(item_id)
        if before["kind"] != "item":
            raise Invalid("只能撤销事项", [Issue("not_an_item", "只能撤销事项，分项可在清空后删除", "id")])
        if before["withdrawn_at"] is not None:
            raise Conflict("事项已撤销")
        row = await versioned_update(
            WorkItem, item_id, version, {WorkItem.withdrawn_at: Clock.now(), WorkItem.withdrawn_reason: reason[:2000]}, "事项"
        )
        await audit(actor, "withdraw", "item", item_id, item_id=item_id, before=before, after=row)
    return row


# ---------------------------------------------------------------------------
# Plan goals


def _check_goal(values: dict, creating: bool) -> None:
    problems = []
    if creating or "subject" in values:
        if not (values.get("subject") or "").strip():
            problems.append(Issue("required", "指标名称不能为空", "subject"))
    if values.get("comparator") is not None and values["comparator"] not in COMPARATORS:
        problems.append(Issue("bad_comparator", f"比较方式只能是 {' '.join(COMPARATORS)}", "comparator"))
    if creating and values.get("target") is None:
        problems.append(Issue("required", "目标值不能为空", "target"))
    if problems:
        raise Invalid(problems[0].message, problems)


async def add_plan_goal(actor: Actor, plan_id: int, values: dict) -> dict:
    _check_goal(values, creating=True)
    async with write_tx():
        plan = await _plan(plan_id)
        seq = await Goal.count().where((Goal.plan == plan_id) & Goal.item.is_null())
        deadline = values.get("deadline") or (dt.date(plan["year"], 12, 31) if plan["year"] else None)
        row = (
            await Goal.insert(
                Goal(
                    plan=plan_id, seq=seq, subject=values["subject"].strip()[:300], measure_unit=values.get("measure_unit"),
                    comparator=values.get("comparator") or ">=", target=values["target"], baseline=values.get("baseline"),
                    deadline=deadline, created_at=Clock.now(), updated_at=Clock.now(),
                )
            ).returning(*Goal.all_columns())
        )[0]
        await audit(actor, "create", "plan_goal", row["id"], after=row)
    return row


async def _plan_goal(goal_id: int) -> dict:
    row = await Goal.select().where((Goal.id == goal_id) & Goal.item.is_null()).first()
    if row is None:
        raise NotFound("计划目标不存在")
    return row


async def update_plan_goal(actor: Actor, goal_id: int, version: int, values: dict) -> dict:
    values = {k: v for k, v in values.items() if k in GOAL_FIELDS}
    _check_goal(values, creating=False)
    async with write_tx():
        before = await _plan_goal(goal_id)
        row = await versioned_update(Goal, goal_id, version, {getattr(Goal, k): v for k, v in values.items()}, "计划目标")
        await audit(actor, "update", "plan_goal", goal_id, before=before, after=row)
    return row


async def delete_plan_goal(actor: Actor, goal_id: int, version: int) -> None:
    """A plan goal that items restate cannot go: unlink or delete those first."""
    async with write_tx():
        before = await _plan_goal(goal_id)
        if before["version"] != version:
            raise Conflict(f"计划目标已被他人修改（当前版本 {before['version']}，提交的版本 {version}），请刷新后重试")
        restated = await Goal.count().where(Goal.plan_goal == goal_id)
        if restated:
            raise Conflict(f"有 {restated} 个事项目标承接该计划目标，不能删除", [Issue("restated", "事项目标承接该计划目标", "id")])
        refs = await sql.fetch_one(GOAL_REFERENCES_SQL, *([goal_id] * 4))
        if before["actual"] is not None or (refs and refs["n"]):
            raise Conflict("计划目标已有实际值或填报记录，不能删除", [Issue("has_history", "计划目标已有实际值或填报记录", "id")])
        await Goal.delete().where(Goal.id == goal_id)
        await audit(actor, "delete", "plan_goal", goal_id, before=before)


async def restate_plan_goal(actor: Actor, item_id: int, plan_goal_id: int) -> dict:
    """An item goal that restates a plan goal (same subject, unit, comparator, target and
    deadline), linked to it; an item restates a plan goal at most once."""
    async with write_tx():
        item = await _node(item_id)
        if item["kind"] != "item":
            raise Invalid("只能在事项上承接计划目标", [Issue("not_an_item", "只能在事项上承接计划目标", "item_id")])
        goal = await _plan_goal(plan_goal_id)
        if goal["plan"] != item["plan"]:
            raise Invalid("计划目标不属于该事项所在的计划", [Issue("other_plan", "计划目标不属于该计划", "plan_goal_id")])
        if await Goal.count().where((Goal.item == item_id) & (Goal.plan_goal == plan_goal_id)):
            raise Conflict("该事项已承接这个计划目标")
        seq = await Goal.count().where(Goal.item == item_id)
        row = (
            await Goal.insert(
                Goal(
                    plan=item["plan"], item=item_id, plan_goal=plan_goal_id, seq=seq, subject=goal["subject"],
                    measure_unit=goal["measure_unit"], comparator=goal["comparator"], target=goal["target"],
                    baseline=goal["baseline"], deadline=goal["deadline"] or item["deadline"], created_at=Clock.now(), updated_at=Clock.now(),
                )
            ).returning(*Goal.all_columns())
        )[0]
        await audit(actor, "restate", "goal", row["id"], after=row)
    return row
