"""/api/v1/cockpit and /api/v1/checks: the supervisor's cockpit and the data checks, as JSON."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

import msgspec
from litestar import Controller, get, post
from litestar.params import FromQuery, JSONBody, QueryParameter
from msgspec import Meta, Struct

from closedloop.api.schemas.common import In
from closedloop.http_common import MAX_ID
from closedloop.api.security import CurrentActor, supervisor_or_admin
from closedloop.services import checks, cockpit
from closedloop.services.cockpit import CockpitFilter

IdQ = Annotated[int | None, QueryParameter(ge=1, le=MAX_ID)]
CheckKind = Literal["complete_goal", "complete_item", "jump", "backwards", "result_mismatch", "late_report", "problem_no_resolution"]


class PlanGoalRead(Struct):
    id: int
    plan_id: int
    subject: str
    measure_unit: str | None
    comparator: str | None
    baseline: float | None
    target: float | None
    deadline: dt.date | None
    actual: float | None
    completion: float | None  # percent, 0–100
    light: str | None
    linked_goals: int
    reported_goals: int


class CountGroup(Struct):
    total: int
    lights: dict[str, int]
    stages: dict[str, int]
    href: str
    light_links: dict[str, str]
    stage_links: dict[str, str]


class SectionCounts(CountGroup):
    id: int | None = None
    code: str = ""
    title: str = ""


class UnitCounts(CountGroup):
    id: int | None = None
    name: str = ""


class Breakdown(Struct):
    total: CountGroup
    sections: list[SectionCounts]
    units: list[UnitCounts]


class TrendPoint(Struct):
    publication_id: int
    period: str
    label: str
    edition: int
    light_share: dict[str, float] | None  # percent of items per light at the edition's cut-off
    rank: int | None
    score: float | None


class Trends(Struct):
    cadence: str
    unit_id: int | None
    points: list[TrendPoint]


class QuietUnit(Struct):
    unit_id: int
    unit_name: str
    last_report_on: dt.date | None
    workdays: int | None
    open_items: int
    href: str


class ItemNoGoal(Struct):
    id: int
    code: str
    title: str
    stage: str
    unit_name: str
    days: int | None


class MissedPeriod(Struct):
    period: str
    label: str


class LateEdition(Struct):
    period: str
    label: str
    hours_late: float


class EditionHealth(Struct):
    cadence: str
    missed: list[MissedPeriod]
    late: list[LateEdition]


class Unanswered(Struct):
    action_id: int
    kind: str
    kind_name: str
    item_id: int
    item_code: str
    item_title: str
    unit_name: str | None
    sent_on: dt.date
    due_on: dt.date
    days_late: int
    escalated: bool
    href: str


class CadenceHealth(Struct):
    quiet_workdays: int
    quiet_units: list[QuietUnit]
    items_without_goal: list[ItemNoGoal]
    items_without_goal_total: int
    editions: list[EditionHealth]
    unanswered: list[Unanswered]


class CockpitRead(Struct):
    as_of: dt.date
    filters: dict[str, int]
    plan_goals: list[PlanGoalRead]
    breakdown: Breakdown
    trends: Trends
    cadence: CadenceHealth


class CheckRead(Struct):
    key: str
    kind: str
    rule: str
    detail: str
    item_id: int
    item_code: str
    item_title: str
    plan_id: int
    section_id: int | None
    unit_id: int | None
    unit_name: str | None
    href: str


class ExplainIn(In):
    check_key: Annotated[str, Meta(min_length=3, max_length=120, description="核查项的键，如 jump:12")]
    note: Annotated[str, Meta(min_length=1, max_length=2000, description="说明（审计留痕）")]


class ExplanationRead(Struct):
    id: int
    check_key: str
    kind: str
    item_id: int | None
    note: str
    explained_by: int | None
    explained_at: dt.datetime


class ReviewedCheck(Struct):
    key: str
    kind: str
    item_id: int
    detail: str


class EditionReviewRead(Struct):
    publication_id: int
    cadence: str
    period: str
    edition: int
    created_at: dt.datetime
    open_count: int
    open_checks: list[ReviewedCheck]


class CockpitController(Controller):
    path = "/api/v1"
    tags = ["驾驶舱"]
    guards = [supervisor_or_admin]

    @get("/cockpit", summary="驾驶舱：计划目标、分项和单位的亮灯与阶段分布、历期趋势、报送节奏")
    async def cockpit(
        self, plan_id: IdQ = None, section_id: IdQ = None, unit_id: IdQ = None, trend_unit_id: IdQ = None
    ) -> CockpitRead:
        data = await cockpit.cockpit(CockpitFilter(plan_id, section_id, unit_id), trend_unit_id=trend_unit_id)
        return msgspec.convert(data, CockpitRead, strict=False)

    @get("/checks", summary="数据核查：待说明的可疑填报（事项、单位、规则、链接）")
    async def list_checks(
        self, plan_id: IdQ = None, section_id: IdQ = None, unit_id: IdQ = None, kind: FromQuery[CheckKind | None] = None
    ) -> list[CheckRead]:
        rows = await checks.open_checks(checks.CheckFilter(plan_id, section_id, unit_id, kind))
        return msgspec.convert(rows, list[CheckRead], strict=False)

    @get("/checks/editions", summary="历期晾晒发布时未说明的核查（内部备注，不公开）")
    async def edition_reviews(self) -> list[EditionReviewRead]:
        return msgspec.convert(await checks.edition_reviews(), list[EditionReviewRead], strict=False)

    @post("/checks/explanations", summary="说明核查项（附说明，审计留痕），说明后不再列出")
    async def explain(self, actor: CurrentActor, data: JSONBody[ExplainIn]) -> ExplanationRead:
        row = await checks.explain(actor, data.check_key, data.note)
        return msgspec.convert({**row, "item_id": row["item"]}, ExplanationRead, strict=False)
