"""Work items: lists with filters, detail, assignment, the gate checklist, stage moves, history."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from piccolo.columns import Column
from piccolo.columns.combination import And, Where

from closedloop.db.engine import write_tx
from closedloop.db.tables import (
    AuditEvent,
    Goal,
    ItemUnit,
    Problem,
    Project,
    StageTransition,
    Unit,
    WorkItem,
)
from closedloop.domain.errors import Conflict, Forbidden, GateNotMet, Invalid, NotFound, Issue
from closedloop.domain.stages import (
    OPEN_STAGES,
    STAGE_NAMES,
    GoalFacts,
    ItemFacts,
    ProblemFacts,
    ProjectFacts,
    Stage,
    check_move,
    next_stage,
    unmet_conditions,
)
from closedloop.services import access, lights
from closedloop.services.access import lead_scope
from closedloop.services.common import (
    Actor,
    Clock,
    audit,
    item_exists,
    versioned_update,
)
from closedloop.services.records import goal_ids_with_results, goal_ids_with_verified_evidence

SORTS = {
    "deadline": WorkItem.deadline,
    "code": WorkItem.seq,
    "stage": WorkItem.stage,
    "light": WorkItem.light,
    "updated": WorkItem.updated_at,
    "id": WorkItem.id,
}
LIGHT_ORDER = {"red": 0, "yellow": 1, "green": 2, "blue": 3}


@dataclass
class ItemFilter:
    plan_id: int | None = None
    unit_id: int | None = None
    stage: str | None = None
    light: str | None = None
    overdue: bool | None = None
    deadline_from: dt.date | None = None
    deadline_to: dt.date | None = None
    mine: bool = False
    sort: str = "code"
    desc: bool = False
    page: int = 1
    page_size: int = 50


def _where(f: ItemFilter, actor: Actor | None):
    w: Where | And = WorkItem.kind == "item"
    if f.plan_id is not None:
        w &= WorkItem.plan == f.plan_id
    if f.unit_id is not None:
        w &= lead_scope(f.unit_id)
    if f.mine and actor is not None and actor.unit_id is not None:
        w &= lead_scope(actor.unit_id)
    if f.stage is not None:
        w &= WorkItem.stage == f.stage
    if f.light is not None:
        w &= WorkItem.light == f.light
    today = Clock.today()
    if f.overdue is True:
        w &= (WorkItem.deadline < today) & WorkItem.stage.is_in(list(OPEN_STAGES))
    elif f.overdue is False:
        w &= WorkItem.deadline.is_null() | (WorkItem.deadline >= today) | WorkItem.stage.not_in(
            list(OPEN_STAGES)
        )
    if f.deadline_from is not None:
        w &= WorkItem.deadline >= f.deadline_from
    if f.deadline_to is not None:
        w &= WorkItem.deadline <= f.deadline_to
    return w


async def list_items(f: ItemFilter, actor: Actor | None = None) -> tuple[list[dict], int]:
    if f.sort not in SORTS:
        raise Invalid("排序字段无效", [Issue("invalid", f"排序字段必须是 {', '.join(SORTS)} 之一", "sort")])
    where = _where(f, actor)
    total = await WorkItem.count().where(where)
    col = SORTS[f.sort]
    rows = (
        await WorkItem.select(*WorkItem.all_columns(exclude=[WorkItem.text]), WorkItem.lead_unit.name.as_alias("lead_unit_name"))
        .where(where)
        .order_by(col, ascending=not f.desc)
        .order_by(WorkItem.id)
        .limit(f.page_size)
        .offset((f.page - 1) * f.page_size)
    )
    await _attach_units(rows)
    return rows, total


async def _attach_units(rows: list[dict]) -> None:
    ids = [r["id"] for r in rows]
    coop: dict[int, list[int]] = {i: [] for i in ids}
    if ids:
        for r in await ItemUnit.select(ItemUnit.item, ItemUnit.unit).where(ItemUnit.item.is_in(ids)):
            coop[r["item"]].append(r["unit"])
    for r in rows:
        r["cooperating_unit_ids"] = sorted(coop[r["id"]])


async def get_item(item_id: int) -> dict:
    row = await WorkItem.select(*WorkItem.all_columns(), WorkItem.lead_unit.name.as_alias("lead_unit_name")).where(
        (WorkItem.id == item_id) & (WorkItem.kind == "item")
    ).first()
    if row is None:
        raise NotFound("事项不存在")
    await _attach_units([row])
    if row["parent"]:
        parent = await WorkItem.select(WorkItem.code, WorkItem.title).where(WorkItem.id == row["parent"]).first()
        row["section"] = parent
    return row


async def update_item(actor: Actor, item_id: int, version: int, values: dict) -> dict:
    """Assignment (admin) and the fields a lead keeps current (responsible person, review)."""
    admin_only = {"lead_unit", "cooperating_unit_ids", "deadline", "title"}
    if admin_only & set(values):
        access.require_admin(actor, "牵头单位、配合单位、完成时限和标题由管理员指定")
    access.refuse_supervisor(actor, "督查室不直接修改事项")
    async with write_tx():
        before = await access.item_for_lead_unit(actor, item_id, "只有牵头单位可以修改事项的责任人和复盘记录")
        coop = values.pop("cooperating_unit_ids", None)
        unit_ids = set(coop or []) | ({values["lead_unit"]} if values.get("lead_unit") else set())
        if unit_ids:
            found = {r["id"] for r in await Unit.select(Unit.id).where(Unit.id.is_in(sorted(unit_ids)))}
            missing = sorted(unit_ids - found)
            if missing:
                raise Invalid("单位不存在", [Issue("unit_not_found", f"单位 {missing} 不存在", "cooperating_unit_ids" if coop else "lead_unit_id")])
        if "deadline" in values and (before["original_deadline"] is None or before["extension_count"] == 0):
            # the admin re-plans the deadline; only an approved 延期 keeps the original apart
            values["original_deadline"] = values["deadline"]
        if "lead_unit" in values and values["lead_unit"] != before["lead_unit"]:
            # the trajectory and the 未下钻 clock start when a unit is given the item
            values["assigned_on"] = Clock.today() if values["lead_unit"] is not None else None
        row = await versioned_update(WorkItem, item_id, version, {getattr(WorkItem, k): v for k, v in values.items()}, "事项")
        if coop is not None:
            lead = row["lead_unit"]
            await ItemUnit.delete().where(ItemUnit.item == item_id)
            wanted = sorted(set(coop) - {lead})
            if wanted:
                await ItemUnit.insert(*[ItemUnit(item=item_id, unit=u) for u in wanted])
        await _attach_units([row])
        await audit(actor, "update", "item", item_id, item_id=item_id, before=before, after=row)
        await lights.refresh(Clock.today(), [item_id])
    return await get_item(item_id)


async def item_facts(
    item: dict, *, supervisor_verified: bool = False,
    goals: list[dict] | None = None, problems: list[dict] | None = None, projects: list[dict] | None = None,
) -> ItemFacts:
    """What the gates look at; ``goals``, ``problems`` and ``projects`` are the item's rows when
    the caller has read them already (the item page), else they are read here."""
    if goals is None:
        goals = await Goal.select().where(Goal.item == item["id"]).order_by(Goal.id)
    with_results = await goal_ids_with_results(item["id"])
    evidenced = await goal_ids_with_verified_evidence(item["id"])
    if problems is None:
        problems = await Problem.select().where(Problem.item == item["id"]).order_by(Problem.id)
    if projects is None:
        projects = await Project.select().where(Project.item == item["id"]).order_by(Project.id)
    return ItemFacts(
        lead_unit_id=item["lead_unit"],
        responsible_person=item["responsible_person"],
        goals=tuple(
            GoalFacts(g["id"], g["subject"], g["measure_unit"], g["comparator"], g["baseline"], g["target"], g["deadline"], g["id"] in with_results, g["id"] in evidenced)
            for g in goals
        ),
        problems=tuple(ProblemFacts(p["id"], p["description"], p["status"], p["unit"], p["due_on"], p["carry_reason"]) for p in problems),
        projects=tuple(ProjectFacts(p["id"], p["name"], p["unit"], p["end_on"], p["progress"]) for p in projects),
        supervisor_verified=supervisor_verified,
        review=item["review"],
    )


async def gate_checklist(item_id: int) -> dict:
    """What is still missing before the item can leave its stage."""
    return await checklist(await item_exists(item_id))


async def checklist(
    item: dict, *, goals: list[dict] | None = None, problems: list[dict] | None = None, projects: list[dict] | None = None,
) -> dict:
    """``gate_checklist`` of an item row already read (its goals, problems and projects too when
    the caller has them, see ``item_facts``)."""
    stage = Stage(item["stage"])
    unmet = unmet_conditions(stage, await item_facts(item, goals=goals, problems=problems, projects=projects))
    nxt = next_stage(stage)
    return {
        "stage": stage.value,
        "stage_name": STAGE_NAMES[stage],
        "next_stage": nxt.value if nxt else None,
        "ready": not unmet,
        "unmet": [{"code": p.code, "message": p.message, "field": p.field} for p in unmet],
    }


async def transition(actor: Actor, item_id: int, to: str, reason: str | None) -> dict:
    """Move an item to ``to``; refused with every unmet condition (GateNotMet)."""
    try:
        target = Stage(to)
    except ValueError:
        raise Invalid("目标阶段无效", [Issue("invalid", "阶段必须是 drill、calculate、levers、execute、close、review、archived 之一", "to")]) from None
    async with write_tx():
        if access.is_lead(actor):
            item = await access.item_for_lead_unit(actor, item_id, "只有牵头单位可以推进事项阶段")
        else:
            item = await item_exists(item_id)
        current = Stage(item["stage"])
        office = access.is_office(actor)
        facts = await item_facts(item, supervisor_verified=office)
        check = check_move(current, target, facts, is_supervisor=office, reason=reason)
        if access.is_supervisor(actor) and check.direction == "forward" and current != Stage.CLOSE:
            raise Forbidden("督查室不代替责任单位推进阶段；可退回事项或在闭环阶段销号")
        if not check.allowed:
            raise GateNotMet(
                f"不能从「{STAGE_NAMES[current]}」进入「{STAGE_NAMES[target]}」：{len(check.problems)} 项条件未满足",
                check.problems,
            )
        now = Clock.now()
        values: dict[Column | str, Any] = {WorkItem.stage: target.value, WorkItem.version: WorkItem.version + 1, WorkItem.updated_at: now}
        if target == Stage.ARCHIVED:
            values[WorkItem.archived_at] = now
        if target in (Stage.REVIEW, Stage.ARCHIVED):
            values[WorkItem.closed] = True
        elif check.direction == "back":
            values[WorkItem.closed] = False
        updated = await WorkItem.update(values).where((WorkItem.id == item_id) & (WorkItem.stage == current.value)).returning(WorkItem.version)
        if not updated:
            raise Conflict("事项阶段已被他人改变，请刷新后重试")
        await StageTransition.insert(
            StageTransition(item=item_id, from_stage=current.value, to_stage=target.value, direction=check.direction, reason=reason, actor=actor.id, created_at=now)
        )
        await audit(
            actor,
            "transition",
            "item",
            item_id,
            item_id=item_id,
            before={"stage": current.value},
            after={"stage": target.value, "reason": reason},
        )
        await lights.refresh(Clock.today(), [item_id])
    return {"id": item_id, "stage": target.value, "stage_name": STAGE_NAMES[target], "version": updated[0]["version"], "direction": check.direction}


async def history(item_id: int) -> list[dict]:
    await item_exists(item_id)
    return await AuditEvent.select().where(AuditEvent.item == item_id).order_by(AuditEvent.id).output(load_json=True)


async def transitions(item_id: int) -> list[dict]:
    await item_exists(item_id)
    return await transitions_of(item_id)


async def transitions_of(item_id: int) -> list[dict]:
    """``transitions`` for a caller that has read the item already."""
    return await StageTransition.select().where(StageTransition.item == item_id).order_by(StageTransition.id)
