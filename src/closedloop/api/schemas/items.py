"""Work items: lists, detail, assignment, stage transitions, the gate checklist, history."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from msgspec import UNSET, Meta, Struct, UnsetType

from closedloop.api.schemas.common import Id, In, LongText, Page, ShortText, StageName, Version

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
