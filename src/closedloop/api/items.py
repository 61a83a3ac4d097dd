"""/api/v1/items: lists, detail, assignment, gate checklist, transitions, history, reports."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from litestar import Controller, get, patch, post
from litestar.params import FromQuery, JSONBody, QueryParameter

from closedloop.api.schemas.common import Page, StageName, changes, read, read_all
from closedloop.api.schemas.items import AuditRead, GateRead, ItemPage, ItemRead, ItemUpdate, TransitionIn, TransitionOut
from closedloop.api.schemas.reports import ReportCreate, ReportRead
from closedloop.http_common import MAX_ID
from closedloop.api.security import CurrentActor, any_role
from closedloop.http_common import IdPath
from closedloop.services import items, progress
from closedloop.services.items import ItemFilter

LightQ = Literal["blue", "green", "yellow", "red"]
SortQ = Literal["deadline", "code", "stage", "light", "updated", "id"]


class ItemController(Controller):
    path = "/api/v1/items"
    tags = ["事项"]
    guards = [any_role]

    @get("/", summary="事项列表：按计划、单位、阶段、亮灯、超期、时限筛选，排序，分页")
    async def list_items(
        self,
        actor: CurrentActor,
        plan_id: Annotated[int | None, QueryParameter(ge=1, le=MAX_ID)] = None,
        unit_id: Annotated[int | None, QueryParameter(ge=1, le=MAX_ID)] = None,
        stage: FromQuery[StageName | None] = None,
        light: FromQuery[LightQ | None] = None,
        overdue: FromQuery[bool | None] = None,
        mine: FromQuery[bool] = False,
        deadline_from: FromQuery[dt.date | None] = None,
        deadline_to: FromQuery[dt.date | None] = None,
        sort: FromQuery[SortQ] = "code",
        desc: FromQuery[bool] = False,
        page: Annotated[int, QueryParameter(ge=1, le=100000)] = 1,
        page_size: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
    ) -> ItemPage:
        f = ItemFilter(plan_id, unit_id, stage, light, overdue, deadline_from, deadline_to, mine, sort, desc, page, page_size)
        rows, total = await items.list_items(f, actor)
        return ItemPage(items=read_all(ItemRead, rows), page=Page(total=total, page=page, page_size=page_size))

    @get("/{item_id:int}", summary="事项详情")
    async def get_item(self, item_id: IdPath) -> ItemRead:
        return read(ItemRead, await items.get_item(item_id))

    @patch("/{item_id:int}", summary="修改事项：管理员指定单位、责任人、时限；牵头单位更新责任人和复盘记录")
    async def update_item(self, actor: CurrentActor, item_id: IdPath, data: JSONBody[ItemUpdate]) -> ItemRead:
        return read(ItemRead, await items.update_item(actor, item_id, data.version, changes(data)))

    @get("/{item_id:int}/gate", summary="阶段门槛清单：推进到下一阶段还缺什么")
    async def gate(self, item_id: IdPath) -> GateRead:
        return read(GateRead, await items.gate_checklist(item_id))

    @post("/{item_id:int}/transitions", status_code=200, summary="推进或退回阶段；门槛不满足返回 409 并列出全部原因")
    async def transition(self, actor: CurrentActor, item_id: IdPath, data: JSONBody[TransitionIn]) -> TransitionOut:
        return read(TransitionOut, await items.transition(actor, item_id, data.to, data.reason))

    @get("/{item_id:int}/history", summary="事项变更记录（审计）")
    async def history(self, item_id: IdPath) -> list[AuditRead]:
        return read_all(AuditRead, await items.history(item_id))

    @get("/{item_id:int}/reports", summary="进度填报列表")
    async def list_reports(self, item_id: IdPath) -> list[ReportRead]:
        return read_all(ReportRead, await progress.list_reports(item_id))

    @post(
        "/{item_id:int}/reports",
        summary="进度填报：同时更新目标实际值和项目进度（原子操作）；同一周期再次报送为更正（须填理由），已结束的周期为补报",
    )
    async def create_report(self, actor: CurrentActor, item_id: IdPath, data: JSONBody[ReportCreate]) -> ReportRead:
        row = await progress.create_report(
            actor,
            item_id,
            period=data.period,
            narrative=data.narrative,
            reason=data.reason,
            goal_values=[(g.goal_id, g.value) for g in data.goals],
            project_values=[(p.project_id, p.progress) for p in data.projects],
        )
        return read(ReportRead, row)
