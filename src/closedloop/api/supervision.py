"""督办: the overdue list, 催办, 督办单 and responses, 延期, 销号; and the inbox."""

from __future__ import annotations

from typing import Annotated, Literal

from litestar import Controller, get, post
from litestar.params import FromQuery, JSONBody, QueryParameter

from closedloop.api.schemas.common import Message, Page, read, read_all
from closedloop.api.schemas.items import TransitionOut
from closedloop.api.schemas.reports import GoalChangeRead
from closedloop.api.schemas.supervision import ActionRead, ClosureIn, DecisionIn, ExtensionIn, ExtensionRead, NotificationRead, OrderIn, OverduePage, OverdueRow, ResponseIn, UrgeIn
from closedloop.http_common import MAX_ID
from closedloop.api.security import CurrentActor, any_role, supervisor_or_admin
from closedloop.http_common import IdPath
from closedloop.services import goal_changes, notify, supervision


class SupervisionController(Controller):
    path = "/api/v1"
    tags = ["督办"]
    guards = [any_role]

    @get("/supervision/overdue", guards=[supervisor_or_admin], summary="超期和红灯事项：超期天数与督办阶段")
    async def overdue(
        self,
        unit_id: Annotated[int | None, QueryParameter(ge=1, le=MAX_ID)] = None,
        section_id: Annotated[int | None, QueryParameter(ge=1, le=MAX_ID)] = None,
        stage: FromQuery[Literal["drill", "calculate", "levers", "execute"] | None] = None,
        light: FromQuery[Literal["blue", "green", "yellow", "red"] | None] = None,
        page: Annotated[int, QueryParameter(ge=1, le=100000)] = 1,
        page_size: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
    ) -> OverduePage:
        rows, total = await supervision.overdue_list(
            unit_id=unit_id, section_id=section_id, stage=stage, light=light, page=page, page_size=page_size
        )
        return OverduePage(items=read_all(OverdueRow, rows), page=Page(total=total, page=page, page_size=page_size))

    @post("/supervision/urge", guards=[supervisor_or_admin], summary="催办（可批量）")
    async def urge(self, actor: CurrentActor, data: JSONBody[UrgeIn]) -> list[ActionRead]:
        return read_all(ActionRead, await supervision.urge(actor, data.item_ids, data.message))

    @post("/items/{item_id:int}/orders", guards=[supervisor_or_admin], summary="下发督办单")
    async def order(self, actor: CurrentActor, item_id: IdPath, data: JSONBody[OrderIn]) -> ActionRead:
        return read(ActionRead, await supervision.order(actor, item_id, data.message, data.respond_by))

    @get("/items/{item_id:int}/actions", summary="事项的督办记录")
    async def actions(self, item_id: IdPath) -> list[ActionRead]:
        return read_all(ActionRead, await supervision.actions(item_id))

    @post("/actions/{action_id:int}/response", status_code=200, summary="责任单位回复催办或督办单")
    async def respond(self, actor: CurrentActor, action_id: IdPath, data: JSONBody[ResponseIn]) -> ActionRead:
        return read(ActionRead, await supervision.respond(actor, action_id, data.version, data.response))

    @get("/items/{item_id:int}/extensions", summary="延期申请列表")
    async def extensions(self, item_id: IdPath) -> list[ExtensionRead]:
        return read_all(ExtensionRead, await supervision.extensions(item_id))

    @post("/items/{item_id:int}/extensions", summary="申请延期（须在完成时限之前）")
    async def request_extension(self, actor: CurrentActor, item_id: IdPath, data: JSONBody[ExtensionIn]) -> ExtensionRead:
        return read(ExtensionRead, await supervision.request_extension(actor, item_id, data.new_deadline, data.reason))

    @post("/extensions/{request_id:int}/decision", guards=[supervisor_or_admin], status_code=200, summary="批准或驳回延期")
    async def decide(self, actor: CurrentActor, request_id: IdPath, data: JSONBody[DecisionIn]) -> ExtensionRead:
        return read(ExtensionRead, await supervision.decide_extension(actor, request_id, data.version, data.approve, data.reason))

    @post("/change-requests/{request_id:int}/decision", guards=[supervisor_or_admin], status_code=200, summary="批准（应用新数值）或驳回目标调整申请")
    async def decide_change(self, actor: CurrentActor, request_id: IdPath, data: JSONBody[DecisionIn]) -> GoalChangeRead:
        return read(GoalChangeRead, await goal_changes.decide_change(actor, request_id, data.version, data.approve, data.reason))

    @post("/items/{item_id:int}/closure", guards=[supervisor_or_admin], status_code=200, summary="销号（闭环→复盘）或驳回（退回实干）；每个目标须有经核验且附佐证的成效，否则 409 列出缺什么")
    async def closure(self, actor: CurrentActor, item_id: IdPath, data: JSONBody[ClosureIn]) -> TransitionOut:
        return read(TransitionOut, await supervision.verify_closure(actor, item_id, data.approve, data.reason))


class InboxController(Controller):
    path = "/api/v1/inbox"
    tags = ["消息"]
    guards = [any_role]

    @get("/", summary="我的消息：提醒、催办、督办单")
    async def inbox(self, actor: CurrentActor, unread: FromQuery[bool] = False) -> list[NotificationRead]:
        return read_all(NotificationRead, await notify.inbox(actor, unread_only=unread))

    @post("/{notification_id:int}/read", status_code=200, summary="标记已读")
    async def mark_read(self, actor: CurrentActor, notification_id: IdPath) -> Message:
        await notify.mark_read(actor, notification_id)
        return Message("已读")
