"""/api/v1/plans: import a plan, list plans, a plan's tree, and edit the plan by hand
(sections, items, plan goals; restating a plan goal on an item; 撤销 of an item with history)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import msgspec
from litestar import Controller, delete, get, patch, post
from litestar.params import JSONBody, QueryParameter
from msgspec import UNSET, Meta, Struct, UnsetType

from closedloop.api.schemas.common import Comparator, Id, In, LongText, Version, changes, read, read_all
from closedloop.api.schemas.plans import PlanImportIn, PlanImportOut, PlanRead, PlanTree, PlanTreeItem, PlanTreeSection
from closedloop.api.schemas.records import GoalRead
from closedloop.http_common import MAX_ID
from closedloop.api.security import CurrentActor, admin_only, any_role
from closedloop.http_common import IdPath
from closedloop.services import plan_editing, plans, responsibility

VersionQ = Annotated[int, QueryParameter(ge=1, le=MAX_ID, description="当前版本号；过期版本返回 409")]
Title = Annotated[str, Meta(min_length=1, max_length=500)]
Code = Annotated[str, Meta(max_length=40)]
Position = Annotated[int, Meta(ge=1, le=100_000, description="在同级中的位置，从 1 开始；省略则放在最后")]
Amount = Annotated[float, Meta(ge=-1e15, le=1e15)]


class SectionCreate(In, kw_only=True):
    title: Title
    code: Code | None = None
    text: LongText | None = None
    position: Position | None = None


class ItemCreate(In, kw_only=True):
    title: Title
    code: Code | None = None
    text: LongText | None = None
    position: Position | None = None
    deadline: dt.date | None = None


class NodeUpdate(In, kw_only=True):
    version: Version
    code: Code | UnsetType = UNSET
    title: Title | UnsetType = UNSET
    text: LongText | UnsetType = UNSET


class NodeMove(In, kw_only=True):
    version: Version
    position: Position
    parent_id: Id | None = None


class Withdraw(In, kw_only=True):
    version: Version
    reason: Annotated[str, Meta(min_length=1, max_length=2000)]


class NodeRead(Struct):
    id: int
    plan_id: int
    parent_id: int | None
    kind: str
    seq: int
    code: str
    title: str
    text: str
    withdrawn_at: dt.datetime | None
    withdrawn_reason: str | None
    version: int


class PlanGoalCreate(In, kw_only=True):
    subject: Annotated[str, Meta(min_length=1, max_length=300)]
    measure_unit: Annotated[str, Meta(max_length=20)] | None = None
    comparator: Comparator = ">="
    target: Amount
    baseline: Amount | None = None
    deadline: dt.date | None = None


class PlanGoalUpdate(In, kw_only=True):
    version: Version
    subject: Annotated[str, Meta(min_length=1, max_length=300)] | UnsetType = UNSET
    measure_unit: Annotated[str, Meta(max_length=20)] | None | UnsetType = UNSET
    comparator: Comparator | UnsetType = UNSET
    target: Amount | UnsetType = UNSET
    baseline: Amount | None | UnsetType = UNSET
    deadline: dt.date | None | UnsetType = UNSET


class Restate(In, kw_only=True):
    plan_goal_id: Id


class AssignOut(Struct, kw_only=True):
    plan_id: int
    plan_title: str
    matches: list[dict[str, Any]]  # row → item, units (unit_id null when no unit fits), deadline
    misses: list[dict[str, Any]]  # rows that fit no item
    new_units: list[str]  # unit names that fit no unit
    applied: bool = False
    created_units: list[str] = []


class AssignIn(In, kw_only=True):
    text: Annotated[str, Meta(min_length=1, max_length=2_000_000, description="责任分工表：制表符分隔的行（Excel 另存或复制）或文本")]
    apply: bool = False
    create_units: bool = False


class PlanController(Controller):
    path = "/api/v1/plans"
    tags = ["计划"]

    @get("/", guards=[any_role], summary="计划列表")
    async def list_plans(self) -> list[PlanRead]:
        return read_all(PlanRead, await plans.list_plans())

    @get("/{plan_id:int}", guards=[any_role], summary="计划结构：目标、分项与事项")
    async def get_plan(self, plan_id: IdPath) -> PlanTree:
        tree = await plans.plan_tree(plan_id)
        return PlanTree(
            id=tree["id"], title=tree["title"], issuer=tree["issuer"], issued_on=tree["issued_on"], year=tree["year"],
            goals=[read(GoalRead, g) for g in tree["goals"]],
            sections=[
                PlanTreeSection(id=s["id"], code=s["code"], title=s["title"], items=[read(PlanTreeItem, i) for i in s["items"]])
                for s in tree["sections"]
            ],
        )

    @post("/import", guards=[admin_only], status_code=200, summary="导入计划全文（preview=true 只解析不保存）")
    async def import_plan(self, actor: CurrentActor, data: JSONBody[PlanImportIn]) -> PlanImportOut:
        corrections = msgspec.to_builtins(data.corrections) if data.corrections else None
        return read(PlanImportOut, await plans.import_plan(actor, data.text, preview=data.preview, corrections=corrections))

    @post("/{plan_id:int}/assign", guards=[admin_only], status_code=200, summary="导入责任分工（apply=false 只预览匹配）")
    async def assign(self, actor: CurrentActor, plan_id: IdPath, data: JSONBody[AssignIn]) -> AssignOut:
        raw = data.text.encode("utf-8")
        if data.apply:
            return read(AssignOut, await responsibility.apply(actor, plan_id, "分工.txt", raw, create_units=data.create_units))
        return read(AssignOut, await responsibility.preview(plan_id, "分工.txt", raw))

    # --- editing: sections and items (rows of the plan tree, "nodes") ---------------------------

    @post("/{plan_id:int}/sections", guards=[admin_only], status_code=201, summary="添加分项")
    async def add_section(self, actor: CurrentActor, plan_id: IdPath, data: JSONBody[SectionCreate]) -> NodeRead:
        return read(NodeRead, await plan_editing.add_section(actor, plan_id, changes(data)))

    @post("/nodes/{section_id:int}/items", guards=[admin_only], status_code=201, summary="在分项下添加事项")
    async def add_item(self, actor: CurrentActor, section_id: IdPath, data: JSONBody[ItemCreate]) -> NodeRead:
        return read(NodeRead, await plan_editing.add_item(actor, section_id, changes(data)))

    @patch("/nodes/{node_id:int}", guards=[admin_only], summary="修改分项或事项的编号、标题、正文（带版本号）")
    async def update_node(self, actor: CurrentActor, node_id: IdPath, data: JSONBody[NodeUpdate]) -> NodeRead:
        return read(NodeRead, await plan_editing.update_node(actor, node_id, data.version, changes(data)))

    @post("/nodes/{node_id:int}/move", guards=[admin_only], status_code=200, summary="调整分项或事项的顺序（事项可移到其他分项）")
    async def move_node(self, actor: CurrentActor, node_id: IdPath, data: JSONBody[NodeMove]) -> NodeRead:
        return read(NodeRead, await plan_editing.move_node(actor, node_id, data.version, data.position, data.parent_id))

    @delete("/nodes/{node_id:int}", guards=[admin_only], status_code=204, summary="删除空分项或无历史记录的事项（有历史的事项须撤销）")
    async def delete_node(self, actor: CurrentActor, node_id: IdPath, version: VersionQ) -> None:
        await plan_editing.delete_node(actor, node_id, version)

    @post("/nodes/{node_id:int}/withdraw", guards=[admin_only], status_code=200, summary="撤销事项（保留历史，下一期起不参加晾晒）")
    async def withdraw(self, actor: CurrentActor, node_id: IdPath, data: JSONBody[Withdraw]) -> NodeRead:
        return read(NodeRead, await plan_editing.withdraw_item(actor, node_id, data.version, data.reason))

    @post("/nodes/{node_id:int}/restate", guards=[admin_only], status_code=201, summary="事项承接计划目标")
    async def restate(self, actor: CurrentActor, node_id: IdPath, data: JSONBody[Restate]) -> GoalRead:
        return read(GoalRead, await plan_editing.restate_plan_goal(actor, node_id, data.plan_goal_id))

    # --- editing: plan goals --------------------------------------------------------------------

    @post("/{plan_id:int}/goals", guards=[admin_only], status_code=201, summary="添加计划目标")
    async def add_goal(self, actor: CurrentActor, plan_id: IdPath, data: JSONBody[PlanGoalCreate]) -> GoalRead:
        return read(GoalRead, await plan_editing.add_plan_goal(actor, plan_id, changes(data)))

    @patch("/goals/{goal_id:int}", guards=[admin_only], summary="修改计划目标（带版本号）")
    async def update_goal(self, actor: CurrentActor, goal_id: IdPath, data: JSONBody[PlanGoalUpdate]) -> GoalRead:
        return read(GoalRead, await plan_editing.update_plan_goal(actor, goal_id, data.version, changes(data)))

    @delete("/goals/{goal_id:int}", guards=[admin_only], status_code=204, summary="删除计划目标（无事项承接时）")
    async def delete_goal(self, actor: CurrentActor, goal_id: IdPath, version: VersionQ) -> None:
        await plan_editing.delete_plan_goal(actor, goal_id, version)
