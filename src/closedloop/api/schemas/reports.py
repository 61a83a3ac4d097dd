"""Progress reports and their values, goal change requests (目标调整申请), reopening."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from msgspec import UNSET, Meta, Struct, UnsetType

from closedloop.api.schemas.common import Comparator, Finite, Id, In, Version
from closedloop.api.schemas.records import MilestoneIn

# --- progress reports -------------------------------------------------------------------


class GoalValueIn(Struct, forbid_unknown_fields=True):
    goal_id: Id
    value: Finite


class ProjectProgressIn(Struct, forbid_unknown_fields=True):
    project_id: Id
    progress: Annotated[int, Meta(ge=0, le=100)]


class ReportCreate(In):
    period: Annotated[str, Meta(pattern=r"^\d{4}-(W\d{2}|\d{2}|Q[1-4])$", description="如 2024-W15、2024-05、2024-Q2；尚未开始的周期不能填报，已结束的周期为补报")]
    narrative: Annotated[str, Meta(min_length=1, max_length=20000)]
    reason: Annotated[str, Meta(max_length=2000, description="更正理由：同一周期再次报送（更正）时必填")] | None = None
    goals: Annotated[list[GoalValueIn], Meta(max_length=200)] = []
    projects: Annotated[list[ProjectProgressIn], Meta(max_length=200)] = []


class GoalValueOut(Struct):
    goal_id: int
    value: float


class ProjectProgressOut(Struct):
    project_id: int
    progress: int


class ReportRead(Struct):
    id: int
    item_id: int
    period: str
    period_end: dt.date | None
    reported_on: dt.date
    narrative: str
    reporter_id: int | None
    created_at: dt.datetime
    goals: list[GoalValueOut]
    projects: list[ProjectProgressOut]
    kind: str = "report"  # report | correction (更正) | admin (管理员更正)
    late: bool = False  # 补报: filed after its period was over
    reason: str | None = None
    corrects_id: int | None = None
    superseded: bool = False  # a later 更正 of the same period replaced it


class GoalValueRead(Struct):
    """One dated value of a goal (the ledger), with who filed it and whether it counts now."""

    id: int
    value: float
    period: str
    period_end: dt.date | None
    recorded_at: dt.datetime
    kind: str
    late: bool
    reason: str | None
    report_id: int
    corrects_id: int | None
    recorded_by_id: int | None
    recorded_by_name: str
    current: bool
    superseded: bool


class GoalTargets(Struct, forbid_unknown_fields=True, kw_only=True):
    """The fields of a goal fixed by 细算; only those sent are asked for."""

    baseline: Finite | UnsetType = UNSET
    target: Finite | UnsetType = UNSET
    comparator: Comparator | UnsetType = UNSET
    deadline: dt.date | UnsetType = UNSET
    measure_unit: Annotated[str, Meta(min_length=1, max_length=20)] | UnsetType = UNSET
    milestones: Annotated[list[MilestoneIn], Meta(max_length=24)] | None | UnsetType = UNSET


class GoalChangeIn(In):
    changes: GoalTargets
    reason: Annotated[str, Meta(min_length=1, max_length=2000)]


class GoalChangeRead(Struct):
    id: int
    goal_id: int
    item_id: int
    requested_by_id: int | None
    reason: str
    changes: dict[str, Any]
    original: dict[str, Any]
    status: str
    decided_by_id: int | None
    decided_at: dt.datetime | None
    decision_reason: str | None
    created_at: dt.datetime
    version: int


class ReopenIn(In):
    version: Version
    reason: Annotated[str, Meta(min_length=1, max_length=2000)]
