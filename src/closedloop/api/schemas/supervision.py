"""Supervision: the overdue list, 催办/督办单 and answers, 延期, 销号, notifications."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from msgspec import Meta, Struct

from closedloop.api.schemas.common import Id, In, Page, ShortText, Version

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
