"""The four records of an item (goals, problems, projects, results) and evidence."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from msgspec import UNSET, Meta, Struct, UnsetType

from closedloop.api.schemas.common import Comparator, Finite, Id, In, LongText, Name, Percent, ProblemStatus, ShortText, Version

# --- the four records -------------------------------------------------------------------


class MilestoneIn(Struct, forbid_unknown_fields=True):
    on: dt.date
    value: Finite


class GoalCreate(In):
    subject: Name
    measure_unit: Annotated[str, Meta(min_length=1, max_length=20)] | None = None
    comparator: Comparator | None = None
    baseline: Finite | None = None
    target: Finite | None = None
    deadline: dt.date | None = None
    milestones: Annotated[list[MilestoneIn], Meta(max_length=24)] | None = None
    actual: Finite | None = None
    unit_id: Id | None = None
    plan_goal_id: Id | None = None


class GoalUpdate(In):
    version: Version
    subject: Name | UnsetType = UNSET
    measure_unit: Annotated[str, Meta(min_length=1, max_length=20)] | None | UnsetType = UNSET
    comparator: Comparator | None | UnsetType = UNSET
    baseline: Finite | None | UnsetType = UNSET
    target: Finite | None | UnsetType = UNSET
    deadline: dt.date | None | UnsetType = UNSET
    milestones: Annotated[list[MilestoneIn], Meta(max_length=24)] | None | UnsetType = UNSET
    actual: Finite | None | UnsetType = UNSET
    actual_on: dt.date | None | UnsetType = UNSET
    unit_id: Id | None | UnsetType = UNSET
    plan_goal_id: Id | None | UnsetType = UNSET


class GoalRead(Struct):
    id: int
    plan_id: int
    item_id: int | None
    plan_goal_id: int | None
    unit_id: int | None
    subject: str
    measure_unit: str | None
    comparator: str | None
    baseline: float | None
    target: float | None
    deadline: dt.date | None
    milestones: Any
    actual: float | None
    actual_on: dt.date | None
    light: str | None
    version: int


class ProblemCreate(In):
    description: Annotated[str, Meta(min_length=1, max_length=5000)]
    found_on: dt.date | None = None
    unit_id: Id | None = None
    due_on: dt.date | None = None
    status: ProblemStatus = "open"
    resolution: LongText | None = None
    carry_reason: ShortText | None = None
    goal_ids: Annotated[list[Id], Meta(max_length=100)] = []


class ProblemUpdate(In):
    version: Version
    description: Annotated[str, Meta(min_length=1, max_length=5000)] | UnsetType = UNSET
    found_on: dt.date | None | UnsetType = UNSET
    unit_id: Id | None | UnsetType = UNSET
    due_on: dt.date | None | UnsetType = UNSET
    status: ProblemStatus | UnsetType = UNSET
    resolution: LongText | None | UnsetType = UNSET
    resolved_on: dt.date | None | UnsetType = UNSET
    carry_reason: ShortText | None | UnsetType = UNSET
    goal_ids: Annotated[list[Id], Meta(max_length=100)] | UnsetType = UNSET


class ProblemRead(Struct):
    id: int
    item_id: int
    description: str
    found_on: dt.date | None
    unit_id: int | None
    due_on: dt.date | None
    status: str
    resolution: str | None
    carry_reason: str | None
    goal_ids: list[int]
    version: int
    resolved_on: dt.date | None = None


class ProjectCreate(In):
    name: Name
    unit_id: Id | None = None
    start_on: dt.date | None = None
    end_on: dt.date | None = None
    budget: Annotated[float, Meta(ge=0, le=1e12)] | None = None
    milestones: Annotated[list[MilestoneIn], Meta(max_length=24)] | None = None
    progress: Percent = 0
    problem_ids: Annotated[list[Id], Meta(max_length=100)] = []
    goal_ids: Annotated[list[Id], Meta(max_length=100)] = []


class ProjectUpdate(In):
    version: Version
    name: Name | UnsetType = UNSET
    unit_id: Id | None | UnsetType = UNSET
    start_on: dt.date | None | UnsetType = UNSET
    end_on: dt.date | None | UnsetType = UNSET
    budget: Annotated[float, Meta(ge=0, le=1e12)] | None | UnsetType = UNSET
    milestones: Annotated[list[MilestoneIn], Meta(max_length=24)] | None | UnsetType = UNSET
    progress: Percent | UnsetType = UNSET
    problem_ids: Annotated[list[Id], Meta(max_length=100)] | UnsetType = UNSET
    goal_ids: Annotated[list[Id], Meta(max_length=100)] | UnsetType = UNSET


class ProjectRead(Struct):
    id: int
    item_id: int
    name: str
    unit_id: int | None
    start_on: dt.date | None
    end_on: dt.date | None
    budget: float | None
    milestones: Any
    progress: int
    problem_ids: list[int]
    goal_ids: list[int]
    version: int


class ResultCreate(In):
    description: Annotated[str, Meta(min_length=1, max_length=5000)]
    goal_id: Id | None = None
    unit_id: Id | None = None
    value: Finite | None = None
    achieved_on: dt.date | None = None


class ResultUpdate(In):
    version: Version
    description: Annotated[str, Meta(min_length=1, max_length=5000)] | UnsetType = UNSET
    goal_id: Id | None | UnsetType = UNSET
    unit_id: Id | None | UnsetType = UNSET
    value: Finite | None | UnsetType = UNSET
    achieved_on: dt.date | None | UnsetType = UNSET


class ResultRead(Struct):
    id: int
    item_id: int
    goal_id: int | None
    unit_id: int | None
    value: float | None
    description: str
    achieved_on: dt.date | None
    reported_by_id: int | None
    verified_by_id: int | None
    verified_at: dt.datetime | None
    version: int


class VersionIn(In):
    version: Version


class EvidenceLinkIn(In):
    url: Annotated[str, Meta(min_length=8, max_length=1000, pattern=r"^https?://")]
    note: ShortText | None = None


class EvidenceRead(Struct):
    id: int
    result_id: int
    kind: str
    filename: str | None
    content_type: str | None
    size: int | None
    sha256: str | None
    url: str | None
    note: str | None
    created_at: dt.datetime
