"""督办: the overdue/red list, 催办, 督办单 and their responses, 延期 requests, 销号.

延期 (extension): filed by the lead unit before the deadline — the deadline day itself still
counts as before (a unit may ask on the last day; from the day after, it is overdue and the
ladder runs). Approval moves the item's deadline and the deadlines of the item's goals that shared
the old deadline (goals with a deadline of their own keep it); the original deadline stays for
scoring. 销号 is the 闭环 gate (``domain/stages.py``): every goal needs a verified result with
evidence. Nothing here changes an archived item (``access.ensure_open``).
"""

from __future__ import annotations

import datetime as dt

from closedloop.db.engine import write_tx
from closedloop.db.tables import ExtensionRequest, Goal, GoalChangeRequest, SupervisionAction, WorkItem
from closedloop.domain.errors import Conflict, Invalid, NotFound, Issue
from closedloop.domain.ladder import LADDER, STEP_NAMES, highest_step
from closedloop.domain.stages import OPEN_STAGES, Stage
from closedloop.services import items as items_service
from closedloop.services import lights
from closedloop.services import access
from closedloop.services.access import ensure_open, item_for_write
from closedloop.services.common import Actor, Clock, audit, item_exists, local_zone, versioned_update
from closedloop.services.notify import notify


def _require_supervisor(actor: Actor) -> None:
    access.require_office(actor, "只有督查室可以执行此操作")


async def ladder_steps(item_ids: list[int]) -> dict[int, str]:
    """The highest step of the escalation ladder each item has reached (items without any step
    are left out)."""
    kinds: dict[int, list[str]] = {}
    if item_ids:
        for a in await SupervisionAction.select(SupervisionAction.item, SupervisionAction.kind).where(
            SupervisionAction.item.is_in(item_ids) & SupervisionAction.kind.is_in(list(LADDER))
        ):
            kinds.setdefault(a["item"], []).append(a["kind"])
    return {item: step for item, ks in kinds.items() if (step := highest_step(ks))}


async def overdue_list(
    *, unit_id: int | None = None, section_id: int | None = None, stage: str | None = None, light: str | None = None,
    page: int = 1, page_size: int = 50,
) -> tuple[list[dict], int]:
    """Open items past their deadline or lit red, most overdue first, with the ladder step."""
    today = Clock.today()
    where = (WorkItem.kind == "item") & WorkItem.stage.is_in(list(OPEN_STAGES)) & (
        (WorkItem.deadline < today) | (WorkItem.light == "red")
    )
    if unit_id is not None:
        # the desk filters by the unit answerable for the item (its lead unit): one index scan
        where &= WorkItem.lead_unit == unit_id
    if section_id is not None:
        where &= WorkItem.parent == section_id
    if stage is not None:
        where &= WorkItem.stage == stage
    if light is not None:
        where &= WorkItem.light == light
    total = await WorkItem.count().where(where)
    rows = (
        await WorkItem.select(
            WorkItem.id, WorkItem.plan, WorkItem.code, WorkItem.title, WorkItem.stage, WorkItem.light,
            WorkItem.deadline, WorkItem.original_deadline, WorkItem.extension_count, WorkItem.lead_unit,
            WorkItem.lead_unit.name.as_alias("lead_unit_name"), WorkItem.parent.code.as_alias("section_code"),
        )
        .where(where)
        .order_by(WorkItem.deadline)
        .order_by(WorkItem.id)
        .limit(page_size)
        .offset((page - 1) * page_size)
    )
    steps = await ladder_steps([r["id"] for r in rows])
    for r in rows:
        r["days_overdue"] = max(0, (today - r["deadline"]).days) if r["deadline"] else 0
        r["ladder_step"] = steps.get(r["id"])
        r["ladder_step_name"] = STEP_NAMES.get(steps.get(r["id"], ""), "")
    return rows, total


async def _record_action(
    actor: Actor, item: dict, kind: str, message: str, *, respond_by: dt.date | None = None, dedupe_key: str | None = None
) -> dict:
    row = (
        await SupervisionAction.insert(
            SupervisionAction(
                item=item["id"], unit=item["lead_unit"], kind=kind, deadline=item["deadline"], message=message,
                respond_by=respond_by, actor=actor.id, dedupe_key=dedupe_key, created_at=Clock.now(),
            )
        ).returning(*SupervisionAction.all_columns())
    )[0]
    title = f"【{STEP_NAMES.get(kind, kind)}】{item['code']} {item['title']}"
    await notify(unit_id=item["lead_unit"], kind=kind, title=title, body=message, item_id=item["id"], action_id=row["id"])
    if kind in ("urge", "circular", "interview"):
        await notify(unit_id=None, kind="cc", title="抄送：" + title, body=message, item_id=item["id"], action_id=row["id"])
    await audit(actor, kind, "supervision_action", row["id"], item_id=item["id"], after=row)
    return row


async def urged_today(item_ids: list[int]) -> set[int]:
    """The items among ``item_ids`` with an unanswered 催办 sent today (the bureau's day): a new
    催办 skips them (``urge``), and the confirmation says so."""
    if not item_ids:
        return set()
    day_start = dt.datetime.combine(Clock.today(), dt.time(0), tzinfo=local_zone())
    return {
        r["item"]
        for r in await SupervisionAction.select(SupervisionAction.item).where(
            SupervisionAction.item.is_in(item_ids) & (SupervisionAction.kind == "urge")
            & SupervisionAction.responded_at.is_null() & (SupervisionAction.created_at >= day_start)
        )
    }


async def urge(actor: Actor, item_ids: list[int], message: str) -> list[dict]:
    """催办 one or many items (bulk from the supervisor desk).

    Each 催办 costs the unit points in the 晾晒, so one is sent only where it reaches someone and
    says something new: an item without a lead unit is refused (nobody would receive it), and an
    item that already has an unanswered 催办 from today is skipped (a form sent twice, a second
    click). The 催办 sent are returned; none sent is a ``Conflict``."""
    _require_supervisor(actor)
    if not item_ids:
        raise Invalid("请选择要催办的事项", [Issue("required", "请选择要催办的事项", "item_ids")])
    message = (message or "").strip() or "请抓紧推进并及时报送进展。"
    out = []
    async with write_tx():
        rows = await WorkItem.select().where(WorkItem.id.is_in(item_ids) & (WorkItem.kind == "item")).order_by(WorkItem.id)
        missing = sorted(set(item_ids) - {r["id"] for r in rows})
        if missing:
            raise NotFound(f"事项 {missing} 不存在")
        for item in rows:
            ensure_open(actor, item)
        unassigned = [f"{r['code']} {r['title']}" for r in rows if r["lead_unit"] is None]
        if unassigned:
            text = f"事项未指定牵头单位，催办无人接收：{'、'.join(unassigned)}"
            raise Invalid(text, [Issue("no_lead_unit", text, "item_ids")])
        urged = await urged_today([r["id"] for r in rows])
        if len(urged) == len(rows):
            raise Conflict("所选事项今日已催办且尚未回复，未重复催办", [Issue("already_urged", "今日已催办且尚未回复", "item_ids")])
        for item in rows:
            if item["id"] not in urged:
                out.append(await _record_action(actor, item, "urge", message))
    return out


async def order(actor: Actor, item_id: int, message: str, respond_by: dt.date) -> dict:
    """督办单: an order the lead unit must answer by ``respond_by``."""
    _require_supervisor(actor)
    if respond_by < Clock.today():
        raise Invalid("回复期限不能早于今天", [Issue("past", "回复期限不能早于今天", "respond_by")])
    if not (message or "").strip():
        raise Invalid("督办内容不能为空", [Issue("required", "督办内容不能为空", "message")])
    async with write_tx():
        item = await item_exists(item_id)
        ensure_open(actor, item)
        return await _record_action(actor, item, "order", message.strip(), respond_by=respond_by)


async def respond(actor: Actor, action_id: int, version: int, response: str) -> dict:
    """The lead unit's answer to a 催办 or 督办单."""
    if not (response or "").strip():
        raise Invalid("回复内容不能为空", [Issue("required", "回复内容不能为空", "response")])
    async with write_tx():
        action = await SupervisionAction.select().where(SupervisionAction.id == action_id).first()
        if action is None:
            raise NotFound("督办记录不存在")
        if access.is_lead(actor):
            item = await item_for_write(actor, action["item"])
            access.check_unit(actor, access.owner_unit(action, item), "只能回复发给本单位的督办")
        else:
            access.require_admin(actor, "督办由责任单位回复")
        if action["responded_at"] is not None:
            raise Conflict("该督办已回复")
        row = await versioned_update(
            SupervisionAction, action_id, version,
            {SupervisionAction.response: response.strip(), SupervisionAction.responded_at: Clock.now(), SupervisionAction.responded_by: actor.id},
            "督办记录",
        )
        await notify(unit_id=None, kind="response", title=f"单位已回复督办 #{action_id}", body=response.strip(), item_id=action["item"], action_id=action_id)
        await audit(actor, "respond", "supervision_action", action_id, item_id=action["item"], before=action, after=row)
    return row


async def actions(item_id: int) -> list[dict]:
    await item_exists(item_id)
    return await actions_of(item_id)


async def actions_of(item_id: int) -> list[dict]:
    """``actions`` for a caller that has read the item already."""
    return await SupervisionAction.select().where(SupervisionAction.item == item_id).order_by(SupervisionAction.id)


def extension_too_late(today: dt.date, deadline: dt.date) -> bool:
    """A 延期 must be filed before the deadline; the deadline day itself still counts."""
    return today > deadline


async def request_extension(actor: Actor, item_id: int, new_deadline: dt.date, reason: str) -> dict:
    """延期申请: filed by the lead unit no later than the deadline day; one pending at a time."""
    if not (reason or "").strip():
        raise Invalid("请填写延期理由", [Issue("required", "请填写延期理由", "reason")])
    async with write_tx():
        item = await access.item_for_lead_unit(actor, item_id, "延期由牵头单位申请")
        today = Clock.today()
        if item["deadline"] is None:
            raise Invalid("事项没有完成时限，无需延期", [Issue("no_deadline", "事项没有完成时限", "new_deadline")])
        if extension_too_late(today, item["deadline"]):
            raise Invalid("延期申请须在完成时限之前提出", [Issue("too_late", f"完成时限 {item['deadline']} 已过，不能再申请延期", "new_deadline")])
        if new_deadline <= item["deadline"]:
            raise Invalid("新的完成时限必须晚于当前时限", [Issue("not_later", "新的完成时限必须晚于当前时限", "new_deadline")])
        if await ExtensionRequest.exists().where((ExtensionRequest.item == item_id) & (ExtensionRequest.status == "pending")):
            raise Conflict("该事项已有待审批的延期申请")
        row = (
            await ExtensionRequest.insert(
                ExtensionRequest(item=item_id, requested_by=actor.id, reason=reason.strip(), old_deadline=item["deadline"], new_deadline=new_deadline, created_at=Clock.now())
            ).returning(*ExtensionRequest.all_columns())
        )[0]
        await notify(unit_id=None, kind="extension", title=f"延期申请：{item['code']} {item['title']}", body=reason.strip(), item_id=item_id)
        await audit(actor, "request_extension", "extension_request", row["id"], item_id=item_id, after=row)
    return row


async def decide_extension(actor: Actor, request_id: int, version: int, approve: bool, reason: str | None) -> dict:
    """Approve or reject a 延期. Approval moves the deadline; the original deadline stays for scoring."""
    _require_supervisor(actor)
    if not approve and not (reason or "").strip():
        raise Invalid("驳回必须填写理由", [Issue("required", "驳回必须填写理由", "reason")])
    async with write_tx():
        req = await ExtensionRequest.select().where(ExtensionRequest.id == request_id).first()
        if req is None:
            raise NotFound("延期申请不存在")
        if req["status"] != "pending":
            raise Conflict("该延期申请已处理")
        row = await versioned_update(
            ExtensionRequest, request_id, version,
            {
                ExtensionRequest.status: "approved" if approve else "rejected",
                ExtensionRequest.decided_by: actor.id,
                ExtensionRequest.decided_at: Clock.now(),
                ExtensionRequest.decision_reason: (reason or "").strip() or None,
            },
            "延期申请",
        )
        item = await item_exists(req["item"])
        ensure_open(actor, item)
        if approve:
            moved = await Goal.update(
                {Goal.deadline: req["new_deadline"], Goal.version: Goal.version + 1, Goal.updated_at: Clock.now()}
            ).where((Goal.item == req["item"]) & (Goal.deadline == req["old_deadline"])).returning(Goal.id)
            if moved:
                await audit(
                    actor, "extend_goal_deadlines", "item", req["item"], item_id=req["item"],
                    before={"deadline": req["old_deadline"], "goal_ids": sorted(g["id"] for g in moved)},
                    after={"deadline": req["new_deadline"], "extension_request": request_id},
                )
            await WorkItem.update(
                {
                    WorkItem.deadline: req["new_deadline"],
                    WorkItem.original_deadline: item["original_deadline"] or req["old_deadline"],
                    WorkItem.extension_count: WorkItem.extension_count + 1,
                    WorkItem.version: WorkItem.version + 1,
                    WorkItem.updated_at: Clock.now(),
                }
            ).where(WorkItem.id == req["item"])
        verdict = "已批准" if approve else "已驳回"
        await notify(unit_id=item["lead_unit"], kind="extension", title=f"延期申请{verdict}：{item['code']} {item['title']}", body=reason or "", item_id=item["id"])
        await audit(actor, "decide_extension", "extension_request", request_id, item_id=req["item"], before=req, after=row)
        await lights.refresh(Clock.today(), [req["item"]])
    return row


async def extension_request(request_id: int) -> dict:
    """One 延期申请 with its item's code and title (what a decision names)."""
    req = await ExtensionRequest.select().where(ExtensionRequest.id == request_id).first()
    if req is None:
        raise NotFound("延期申请不存在")
    item = await item_exists(req["item"])
    return {**req, "item_code": item["code"], "item_title": item["title"]}


async def extensions(item_id: int) -> list[dict]:
    await item_exists(item_id)
    return await extensions_of(item_id)


async def extensions_of(item_id: int) -> list[dict]:
    """``extensions`` for a caller that has read the item already."""
    return await ExtensionRequest.select().where(ExtensionRequest.item == item_id).order_by(ExtensionRequest.id)


async def closure_blockers(item_ids: list[int]) -> dict[int, list[str]]:
    """What the 销号 gate still misses for each item, besides the office's own verification (the
    click itself); the items are read in one query (the desk lists every item in 闭环). NotFound
    when one of them is not an item."""
    rows = await WorkItem.select().where(WorkItem.id.is_in(item_ids) & (WorkItem.kind == "item")) if item_ids else []
    if len(rows) < len(set(item_ids)):
        raise NotFound("事项不存在")
    out: dict[int, list[str]] = {}
    for item in rows:
        gate = await items_service.checklist(item)
        out[item["id"]] = [u["message"] for u in gate["unmet"] if u["code"] != "not_verified"]
    return out


async def verify_closure(actor: Actor, item_id: int, approve: bool, reason: str | None) -> dict:
    """销号: approve moves 闭环 → 复盘; reject returns the item to 实干 with a reason."""
    _require_supervisor(actor)
    item = await item_exists(item_id)
    ensure_open(actor, item)
    if item["stage"] != Stage.CLOSE.value:
        raise Conflict("只有处于「闭环」阶段的事项可以销号或驳回")
    if approve:
        return await items_service.transition(actor, item_id, Stage.REVIEW.value, reason or "督查室核验销号")
    if not (reason or "").strip():
        raise Invalid("驳回销号必须填写理由", [Issue("required", "驳回销号必须填写理由", "reason")])
    return await items_service.transition(actor, item_id, Stage.EXECUTE.value, reason)


async def pending_change_requests() -> list[dict]:
    """目标调整申请 waiting for a decision, with their goal and item (for the desk)."""
    return await GoalChangeRequest.select(
        *GoalChangeRequest.all_columns(), GoalChangeRequest.item.code.as_alias("code"), GoalChangeRequest.item.title.as_alias("title"),
        GoalChangeRequest.goal.subject.as_alias("subject"),
    ).where(GoalChangeRequest.status == "pending").order_by(GoalChangeRequest.id).output(load_json=True)


async def desk_queues() -> tuple[list[dict], list[dict], list[dict]]:
    """What waits on the supervision office: pending 延期, items in 闭环 awaiting 销号, and the
    sections for the desk's filter."""
    pending = await ExtensionRequest.select(
        *ExtensionRequest.all_columns(), ExtensionRequest.item.code.as_alias("code"), ExtensionRequest.item.title.as_alias("title")
    ).where(ExtensionRequest.status == "pending").order_by(ExtensionRequest.id)
    closing = await WorkItem.select(WorkItem.id, WorkItem.code, WorkItem.title, WorkItem.lead_unit.name.as_alias("unit")).where(
        (WorkItem.kind == "item") & (WorkItem.stage == Stage.CLOSE.value)
    ).order_by(WorkItem.seq).order_by(WorkItem.id)
    sections = await WorkItem.select(WorkItem.id, WorkItem.code, WorkItem.title).where(WorkItem.kind == "section").order_by(
        WorkItem.seq
    ).order_by(WorkItem.id)
    return pending, closing, sections
