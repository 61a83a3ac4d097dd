"""Request and response Structs (msgspec). Requests forbid unknown fields.

Conventions: a foreign key is ``<name>_id`` on the wire and ``<name>`` in services and tables;
update bodies carry ``version`` and only the fields they change (``UNSET`` = not sent).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal, TypeVar

import msgspec
from msgspec import UNSET, Meta, Struct, UnsetType

from closedloop.http_common import MAX_ID

T = TypeVar("T")

Name = Annotated[str, Meta(min_length=1, max_length=300)]
ShortText = Annotated[str, Meta(max_length=2000)]
LongText = Annotated[str, Meta(max_length=20000)]
Version = Annotated[int, Meta(ge=1, le=MAX_ID, description="当前版本号；过期版本返回 409")]
Id = Annotated[int, Meta(ge=1, le=MAX_ID)]
Percent = Annotated[int, Meta(ge=0, le=100)]
Comparator = Literal[">=", ">", "<=", "<", "="]
StageName = Literal["drill", "calculate", "levers", "execute", "close", "review", "archived"]
Role = Literal["admin", "supervisor", "lead"]
ProblemStatus = Literal["open", "resolved", "verified", "carried_over"]
Finite = Annotated[float, Meta(ge=-1e15, le=1e15)]


class In(Struct, forbid_unknown_fields=True, kw_only=True):
    """Base of request bodies."""


def changes(data: Struct, *, drop: tuple[str, ...] = ("version",)) -> dict[str, Any]:
    """Fields the client sent, with ``x_id`` renamed to ``x`` (link lists keep their names)."""
    out = {}
    for name in data.__struct_fields__:
        value = getattr(data, name)
        if value is UNSET or name in drop:
            continue
        if name.endswith("_id"):
            name = name[:-3]
        if isinstance(value, list):
            value = [msgspec.to_builtins(v) if isinstance(v, Struct) else v for v in value]
        out[name] = value
    return out


def read(cls: type[T], row: dict) -> T:
    """A response Struct from a row dict: ``x_id`` fields are filled from ``x``."""
    values = {}
    for name in cls.__struct_fields__:  # type: ignore[attr-defined]
        if name in row:
            values[name] = row[name]
        elif name.endswith("_id") and name[:-3] in row:
            values[name] = row[name[:-3]]
    return msgspec.convert(values, cls, strict=False)


def read_all(cls: type[T], rows: list[dict]) -> list[T]:
    return [read(cls, r) for r in rows]


class Page(Struct):
    total: int
    page: int
    page_size: int


class Message(Struct):
    message: str


# --- auth -----------------------------------------------------------------------------


class LoginIn(In):
    username: Annotated[str, Meta(min_length=1, max_length=80)]
    password: Annotated[str, Meta(min_length=1, max_length=200)]


class LoginOut(Struct):
    token: str
    token_type: str
    expires_in: int
    user: UserRead


class UserRead(Struct):
    id: int
    username: str
    display_name: str
    role: str
    unit_id: int | None
    active: bool
    version: int


# --- org ------------------------------------------------------------------------------


class UnitCreate(In):
    name: Annotated[str, Meta(min_length=1, max_length=200)]
    webhook_url: Annotated[str, Meta(max_length=500, pattern=r"^https?://")] | None = None


class UnitUpdate(In):
    version: Version
    name: Annotated[str, Meta(min_length=1, max_length=200)] | UnsetType = UNSET
    webhook_url: Annotated[str, Meta(max_length=500, pattern=r"^https?://")] | None | UnsetType = UNSET


class UnitRead(Struct):
    id: int
    name: str
    webhook_url: str | None
    version: int


class UserCreate(In):
    username: Annotated[str, Meta(min_length=1, max_length=80, pattern=r"^[A-Za-z0-9_.@-]+$")]
    password: Annotated[str, Meta(min_length=8, max_length=200)]
    role: Role
    unit_id: Id | None = None
    display_name: Annotated[str, Meta(max_length=100)] = ""


class UserUpdate(In):
    version: Version
    password: Annotated[str, Meta(min_length=8, max_length=200)] | UnsetType = UNSET
    role: Role | UnsetType = UNSET
    unit_id: Id | None | UnsetType = UNSET
    display_name: Annotated[str, Meta(max_length=100)] | UnsetType = UNSET
    active: bool | UnsetType = UNSET


# --- plans ----------------------------------------------------------------------------


class PlanCorrections(In):
    """Fixes from the preview, by the keys it gave (goals[].key, items[].key)."""

    drop: Annotated[list[Annotated[str, Meta(max_length=40)]], Meta(max_length=5000)] = []
    titles: dict[Annotated[str, Meta(max_length=40)], Annotated[str, Meta(max_length=500)]] = {}
    extra_goals: Annotated[str, Meta(max_length=20000, description="漏掉的计划目标，每行一个，如：科技特派员不少于20名")] = ""


class PlanImportIn(In):
    text: Annotated[str, Meta(max_length=2_000_000, description="计划全文（UTF-8 文本或 Markdown）")]
    preview: bool = False
    corrections: PlanCorrections | None = None


class PlanImportOut(Struct):
    plan_id: int | None
    stored: bool
    already_imported: bool
    content_hash: str
    goal_count: int
    section_count: int
    item_count: int
    item_goal_count: int
    parsed: dict[str, Any]
    doubt_count: int = 0  # targets flagged for a look before saving (parsed…goals[].doubts)


class PlanRead(Struct):
    id: int
    title: str
    issuer: str | None
    issued_on: dt.date | None
    year: int | None
    content_hash: str
    created_at: dt.datetime


class PlanTreeItem(Struct):
    id: int
    code: str
    title: str
    stage: str
    light: str | None
    completion: int | None
    deadline: dt.date | None
    lead_unit_id: int | None
    lead_unit_name: str | None
    withdrawn_at: dt.datetime | None = None  # 撤销: kept in the plan with its history, out of rankings


class PlanTreeSection(Struct):
    id: int
    code: str
    title: str
    items: list[PlanTreeItem]


class PlanTree(Struct):
    id: int
    title: str
    issuer: str | None
    issued_on: dt.date | None
    year: int | None
    goals: list[GoalRead]
    sections: list[PlanTreeSection]


# --- items ----------------------------------------------------------------------------


class SectionRef(Struct):
    code: str
    title: str


class ItemRead(Struct):
    id: int
    plan_id: int
    parent_id: int | None
    code: str
    title: str
    stage: str
    light: str | None
    completion: int | None
    lead_unit_id: int | None
    lead_unit_name: str | None
    cooperating_unit_ids: list[int]
    responsible_person: str | None
    deadline: dt.date | None
    original_deadline: dt.date | None
    extension_count: int
    closed: bool
    version: int
    updated_at: dt.datetime
    text: str | None = None
    review: str | None = None
    section: SectionRef | None = None


class ItemPage(Struct):
    items: list[ItemRead]
    page: Page


class ItemUpdate(In):
    version: Version
    lead_unit_id: Id | None | UnsetType = UNSET
    cooperating_unit_ids: Annotated[list[Id], Meta(max_length=50)] | UnsetType = UNSET
    responsible_person: Annotated[str, Meta(max_length=100)] | None | UnsetType = UNSET
    deadline: dt.date | None | UnsetType = UNSET
    title: Annotated[str, Meta(min_length=1, max_length=500)] | UnsetType = UNSET
    review: LongText | None | UnsetType = UNSET


class TransitionIn(In):
    to: StageName
    reason: ShortText | None = None


class TransitionOut(Struct):
    id: int
    stage: str
    stage_name: str
    version: int
    direction: str


class Unmet(Struct):
    code: str
    message: str
    field: str | None


class GateRead(Struct):
    stage: str
    stage_name: str
    next_stage: str | None
    ready: bool
    unmet: list[Unmet]


class AuditRead(Struct):
    id: int
    at: dt.datetime
    actor_id: int | None
    actor_name: str
    action: str
    entity: str
    entity_id: int | None
    before: Any
    after: Any


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


# --- supervision ------------------------------------------------------------------------


class OverdueRow(Struct):
    id: int
    code: str
    title: str
    stage: str
    light: str | None
    deadline: dt.date | None
    original_deadline: dt.date | None
    extension_count: int
    lead_unit_id: int | None
    lead_unit_name: str | None
    section_code: str | None
    days_overdue: int
    ladder_step: str | None
    ladder_step_name: str


class OverduePage(Struct):
    items: list[OverdueRow]
    page: Page


class UrgeIn(In):
    item_ids: Annotated[list[Id], Meta(min_length=1, max_length=500)]
    message: ShortText = ""


class OrderIn(In):
    message: Annotated[str, Meta(min_length=1, max_length=2000)]
    respond_by: dt.date


class ResponseIn(In):
    version: Version
    response: Annotated[str, Meta(min_length=1, max_length=5000)]


class ActionRead(Struct):
    id: int
    item_id: int
    unit_id: int | None
    kind: str
    deadline: dt.date | None
    message: str
    respond_by: dt.date | None
    response: str | None
    responded_at: dt.datetime | None
    actor_id: int | None
    created_at: dt.datetime
    version: int


class ExtensionIn(In):
    new_deadline: dt.date
    reason: Annotated[str, Meta(min_length=1, max_length=2000)]


class DecisionIn(In):
    version: Version
    approve: bool
    reason: ShortText | None = None


class ClosureIn(In):
    approve: bool
    reason: ShortText | None = None


class ExtensionRead(Struct):
    id: int
    item_id: int
    requested_by_id: int | None
    reason: str
    old_deadline: dt.date
    new_deadline: dt.date
    status: str
    decided_by_id: int | None
    decided_at: dt.datetime | None
    decision_reason: str | None
    created_at: dt.datetime
    version: int


class NotificationRead(Struct):
    id: int
    unit_id: int | None
    item_id: int | None
    action_id: int | None
    kind: str
    title: str
    body: str
    created_at: dt.datetime
    read_at: dt.datetime | None
