"""Plan import (with the preview's corrections), plans and their tree."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from msgspec import Meta, Struct

from closedloop.api.schemas.common import In
from closedloop.api.schemas.records import GoalRead

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
