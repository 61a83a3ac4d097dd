"""目标调整申请: changing a goal's targets once its item has left 细算.

After 细算 a goal's baseline, target, comparator, deadline, measure unit and milestones
(``records.FROZEN_FIELDS``) are fixed for leads. The unit that answers for the goal files a request
with the values it wants and a reason; the supervision office approves or rejects it, as it
decides a 延期. Approval applies the values to the goal (versioned, audited, lights refreshed);
the request keeps the goal's values as they were when it was filed (``original``), so both stay
readable. Rejection needs a reason and leaves the goal as it was. One pending request per goal.
Admins correct goals directly instead (``records.update_record``, audited).
"""

from __future__ import annotations

from typing import Any

from closedloop.db import sql
from closedloop.db.engine import write_tx
from closedloop.db.tables import Goal, GoalChangeRequest
from closedloop.domain.errors import Conflict, Forbidden, Invalid, NotFound, Issue
from closedloop.services import lights
from closedloop.services import access
from closedloop.services.access import ensure_open, item_for_write
from closedloop.services.common import Actor, Clock, audit, item_exists, jsonable, versioned_update
from closedloop.services.notify import notify
from closedloop.services.records import FIELD_NAMES, FROZEN_FIELDS, frozen_changes


def _snapshot(goal: dict) -> dict[str, Any]:
    return jsonable({k: goal.get(k) for k in FROZEN_FIELDS})


async def request_change(actor: Actor, goal_id: int, changes: dict[str, Any], reason: str) -> dict:
    """File a 目标调整申请 for a goal of an item (the unit that answers for the goal)."""
    problems: list[Issue] = []
    if not (reason or "").strip():
        problems.append(Issue("required", "请填写调整理由", "reason"))
    unknown = sorted(set(changes) - set(FROZEN_FIELDS))
    if unknown:
        problems.append(Issue("invalid", f"只能调整：{'、'.join(FIELD_NAMES.values())}", "changes"))
    async with write_tx():
        goal = await Goal.select().where(Goal.id == goal_id).first().output(load_json=True)
        if goal is None:
            raise NotFound("目标不存在")
        if goal["item"] is None:
            raise Forbidden("计划目标（工作目标）只能由管理员修改")
        item = await item_for_write(actor, goal["item"])
        access.check_unit(actor, access.owner_unit(goal, item), "只能为本单位负责的目标提出调整申请")
        if not unknown and not frozen_changes(goal, changes):
            problems.append(Issue("no_change", "申请的数值与当前目标相同", "changes"))
        if problems:
            raise Invalid(problems[0].message, problems)
        if await GoalChangeRequest.exists().where((GoalChangeRequest.goal == goal_id) & (GoalChangeRequest.status == "pending")):
            raise Conflict("该目标已有待审批的调整申请")
        asked = jsonable({k: changes[k] for k in frozen_changes(goal, changes)})
        row = (
            await GoalChangeRequest.insert(
                GoalChangeRequest(
                    goal=goal_id, item=goal["item"], requested_by=actor.id, reason=reason.strip(),
                    changes=sql.dump_json(asked), original=sql.dump_json(_snapshot(goal)), created_at=Clock.now(),
                )
            ).returning(*GoalChangeRequest.all_columns())
        )[0]
        row = sql.load_json(GoalChangeRequest, row)
        await notify(unit_id=None, kind="goal_change", title=f"目标调整申请：{item['code']} {goal['subject']}", body=reason.strip(), item_id=goal["item"])
        await audit(actor, "request_goal_change", "goal_change_request", row["id"], item_id=goal["item"], after=row)
    return row  # type: ignore[return-value]  # the row was inserted just above; load_json keeps a dict a dict


async def decide_change(actor: Actor, request_id: int, version: int, approve: bool, reason: str | None) -> dict:
    """Approve (apply the values to the goal) or reject (reason required) a 目标调整申请."""
    access.require_office(actor, "目标调整申请由督查室审批")
    if not approve and not (reason or "").strip():
        raise Invalid("驳回必须填写理由", [Issue("required", "驳回必须填写理由", "reason")])
    async with write_tx():
        req = await GoalChangeRequest.select().where(GoalChangeRequest.id == request_id).first().output(load_json=True)
        if req is None:
            raise NotFound("目标调整申请不存在")
        if req["status"] != "pending":
            raise Conflict("该目标调整申请已处理")
        item = await item_exists(req["item"])
        ensure_open(actor, item)
        row = await versioned_update(
            GoalChangeRequest, request_id, version,
            {
                GoalChangeRequest.status: "approved" if approve else "rejected",
                GoalChangeRequest.decided_by: actor.id,
                GoalChangeRequest.decided_at: Clock.now(),
                GoalChangeRequest.decision_reason: (reason or "").strip() or None,
            },
            "目标调整申请",
        )
        if approve:
            goal = await Goal.select().where(Goal.id == req["goal"]).first().output(load_json=True)
            values = {getattr(Goal, k): _column_value(k, v) for k, v in req["changes"].items()}
            after = await versioned_update(Goal, req["goal"], goal["version"], values, "目标")  # type: ignore[index]  # a change request's goal exists (foreign key, no cascade)
            await audit(
                actor, "apply_goal_change", "goal", req["goal"], item_id=req["item"],
                before={**_snapshot(goal), "change_request": request_id},  # type: ignore[arg-type]  # a change request's goal exists (foreign key, no cascade)
                after={**_snapshot(sql.load_json(Goal, after)), "change_request": request_id},  # type: ignore[arg-type]  # versioned_update returns the row or raises
            )
            await lights.refresh(Clock.today(), [req["item"]])
        verdict = "已批准" if approve else "已驳回"
        await notify(unit_id=item["lead_unit"], kind="goal_change", title=f"目标调整申请{verdict}：{item['code']} {item['title']}", body=reason or "", item_id=item["id"])
        await audit(actor, "decide_goal_change", "goal_change_request", request_id, item_id=req["item"], before=req, after=row)
    return sql.load_json(GoalChangeRequest, row)  # type: ignore[return-value]  # versioned_update returns the row or raises


def _column_value(name: str, value: Any) -> Any:
    import datetime as dt

    if name == "deadline" and isinstance(value, str):
        return dt.date.fromisoformat(value)
    return value


async def change_request(request_id: int) -> dict:
    """One 目标调整申请 with its item's code and title and its goal's subject."""
    req = await GoalChangeRequest.select().where(GoalChangeRequest.id == request_id).first().output(load_json=True)
    if req is None:
        raise NotFound("目标调整申请不存在")
    item = await item_exists(req["item"])
    goal = await Goal.select(Goal.subject).where(Goal.id == req["goal"]).first()
    return {**req, "item_code": item["code"], "item_title": item["title"], "goal_subject": goal["subject"] if goal else ""}


async def list_for_item(item_id: int) -> list[dict]:
    await item_exists(item_id)
    return await requests_of(item_id)


async def requests_of(item_id: int) -> list[dict]:
    """``list_for_item`` for a caller that has read the item already."""
    return await GoalChangeRequest.select().where(GoalChangeRequest.item == item_id).order_by(GoalChangeRequest.id).output(load_json=True)


async def list_for_goal(goal_id: int) -> list[dict]:
    if not await Goal.exists().where(Goal.id == goal_id):
        raise NotFound("目标不存在")
    return await GoalChangeRequest.select().where(GoalChangeRequest.goal == goal_id).order_by(GoalChangeRequest.id).output(load_json=True)
