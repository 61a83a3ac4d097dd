"""/api/v1/plans: import a 工作要点, list plans, a plan's tree."""

from __future__ import annotations

from litestar import Controller, get, post
from litestar.params import JSONBody

from closedloop.api.schemas import (
    GoalRead,
    PlanImportIn,
    PlanImportOut,
    PlanRead,
    PlanTree,
    PlanTreeItem,
    PlanTreeSection,
    read,
    read_all,
)
from closedloop.api.security import CurrentActor, IdPath, admin_only, any_role
from closedloop.services import plans


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
        return read(PlanImportOut, await plans.import_plan(actor, data.text, preview=data.preview))

