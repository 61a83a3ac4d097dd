"""/api/v1/plans/{id}/goal-progress (public) and the choice of the item goal that reports a
plan goal (admin)."""

from __future__ import annotations

import datetime as dt

import msgspec
from litestar import Controller, get, put
from litestar.params import FromQuery, JSONBody

from closedloop.api.schemas.common import In, read_all
from closedloop.api.security import CurrentActor, admin_only
from closedloop.http_common import IdPath, PUBLIC_OPT
from closedloop.services import plan_goals


class PlanGoalRead(msgspec.Struct):
    id: int
    plan: int
    plan_title: str
    subject: str
    comparator: str | None
    target: float | None
    measure_unit: str | None
    actual: float | None
    completion: float | None
    light: str | None
    reporting_goal: int | None


class ReporterIn(In):
    goal_id: int


class ReporterOut(msgspec.Struct):
    plan_goal_id: int
    goal_id: int


class PlanGoalController(Controller):
    tags = ["计划"]

    @get("/api/v1/plans/{plan_id:int}/goal-progress", opt={PUBLIC_OPT: True}, security=[], summary="计划目标进展（可指定截至日期，公开）")
    async def goal_progress(self, plan_id: IdPath, as_of: FromQuery[dt.date | None] = None) -> list[PlanGoalRead]:
        return read_all(PlanGoalRead, await plan_goals.progress(plan_id, as_of))

    @put("/api/v1/plan-goals/{plan_goal_id:int}/reporter", guards=[admin_only], summary="指定承担计划目标的事项目标")
    async def set_reporter(self, actor: CurrentActor, plan_goal_id: IdPath, data: JSONBody[ReporterIn]) -> ReporterOut:
        return ReporterOut(**await plan_goals.set_reporter(actor, plan_goal_id, data.goal_id))
