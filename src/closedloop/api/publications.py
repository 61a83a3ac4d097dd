"""/api/v1/publications: the public JSON of every 晾晒 edition; corrections by supervisors."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

import msgspec
from litestar import Controller, get, post
from litestar.params import FromQuery, JSONBody

from closedloop.api.plan_goals import PlanGoalRead
from closedloop.api.schemas.common import In, read, read_all
from closedloop.api.security import CurrentActor, supervisor_or_admin
from closedloop.http_common import IdPath, PUBLIC_OPT
from closedloop.services import publishing


class PublicationSummary(msgspec.Struct):
    id: int
    cadence: str
    period: str
    edition: int
    title: str
    cutoff: dt.datetime
    published_at: dt.datetime
    hash: str
    previous_hash: str | None
    corrects_id: int | None


class ScoreBreakdown(msgspec.Struct):
    """Points from each metric and each penalty (penalties negative); they add up to the score."""

    goal_progress: float
    problems_resolved: float
    results_verified: float
    overdue_penalty: float
    urge_penalty: float


class PublicationRowRead(msgspec.Struct):
    rank: int
    previous_rank: int | None
    unit_id: int
    unit_name: str
    score: float
    previous_score: float | None
    goal_progress: float
    # mean percentage points the unit's goals are behind their trajectories (negative: ahead)
    behind_points: float | None
    problems_resolved: int
    results_verified: int
    overdue_items: int
    urges: int
    extensions: int
    undrilled_items: int
    light: str
    breakdown: ScoreBreakdown | None


class PublicationRead(PublicationSummary, kw_only=True):
    correction_reason: str | None
    weights: dict[str, Any]
    body_md: str
    body_html: str
    hash_version: int
    plan_goals: list[PlanGoalRead] | None
    rows: list[PublicationRowRead]


class CorrectionIn(In):
    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=2000)]


def _summary(p: dict) -> dict:
    out = {**p, "hash": p["content_hash"]}
    if "rows" in p:
        out["rows"] = [{**r, "unit_id": r["unit"]} for r in p["rows"]]
    return out


class PublicationController(Controller):
    path = "/api/v1/publications"
    tags = ["晾晒"]

    @get("/", opt={PUBLIC_OPT: True}, security=[], summary="已发布的晾晒（公开）")
    async def list_publications(self, cadence: FromQuery[Literal["weekly", "monthly", "quarterly"] | None] = None) -> list[PublicationSummary]:
        return read_all(PublicationSummary, [_summary(p) for p in await publishing.list_publications(cadence)])

    @get("/{publication_id:int}", opt={PUBLIC_OPT: True}, security=[], summary="一期晾晒的全文与排名（公开）")
    async def get_publication(self, publication_id: IdPath) -> PublicationRead:
        return read(PublicationRead, _summary(await publishing.get_publication(publication_id)))

    @post("/{publication_id:int}/corrections", guards=[supervisor_or_admin], summary="发布更正版（新版本，注明更正哪一版）")
    async def correct(self, actor: CurrentActor, publication_id: IdPath, data: JSONBody[CorrectionIn]) -> PublicationRead:
        pub = await publishing.correct(actor, publication_id, data.reason)
        return read(PublicationRead, _summary(await publishing.get_publication(pub["id"])))
