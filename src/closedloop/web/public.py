"""Public pages, no login: the latest 晾晒, one edition, the archive."""

from __future__ import annotations

import json
import re
from typing import Literal

import pygal
from litestar import Controller, Request, Response, get
from litestar.params import FromPath, FromQuery
from litestar.response import Template
from pygal.style import Style

from closedloop.http_common import PUBLIC_OPT, XLSX, IdPath, disposition
from closedloop.domain.lights import LIGHT_NAMES, Light
from closedloop.domain.errors import Forbidden, NotFound
from closedloop.domain.periods import CADENCE_NAMES
from closedloop.domain.stages import STAGE_NAMES, Stage
from closedloop.services import metrics, plans, publishing
from closedloop.services.common import Actor, Clock, local_zone
from closedloop.settings import get_settings
from closedloop.services import exports
from closedloop.services import history as history_service

LIGHTS = {light.value: LIGHT_NAMES[light] for light in Light}


def _breakdown(r: dict) -> dict:
    b = r.get("breakdown")
    return json.loads(b) if isinstance(b, str) else (b or {})


async def _ranking(pub: dict) -> Template:
    """One edition: the rule, the plan goals, the ranking once, and how to check it."""
    top = max(0.0, max((r["score"] for r in pub["rows"]), default=0)) or 1
    rows = [
        {
            **r, "bar": max(0.0, min(100.0, 100 * r["score"] / top)),
            "change": None if r["previous_rank"] is None else r["previous_rank"] - r["rank"],
            "score_change": None if r.get("previous_score") is None else round(r["score"] - r["previous_score"], 2),
            "parts": _breakdown(r),
        }
        for r in pub["rows"]
    ]
    editions = await publishing.editions_of(pub["cadence"], pub["period"])
    by_id = {e["id"]: e for e in editions}
    plan_goals = pub.get("plan_goals") or []
    plan_ids = sorted({g["plan"] for g in plan_goals}) or [p["id"] for p in await plans.list_plans()]
    return Template(
        template_name="ranking.html",
        context={
            "pub": pub,
            "rows": rows,
            "light_names": LIGHTS,
            "period_label": publishing.period_label(pub["cadence"], pub["period"]),
            "cadence_name": CADENCE_NAMES.get(pub["cadence"], pub["cadence"]),
            "cutoff": pub["cutoff"].astimezone(local_zone()).strftime("%Y-%m-%d %H:%M"),
            "published": pub["published_at"].astimezone(local_zone()).strftime("%Y-%m-%d %H:%M"),
            "corrects": by_id.get(pub["corrects"]) if pub["corrects"] else None,
            "corrected_by": [e for e in editions if e["corrects"] == pub["id"]],
            "editions": editions,
            "rule": publishing.rule_text(pub["weights"]),
            "plan_goals": plan_goals,
            "plan_ids": plan_ids,
        },
    )


def _empty(heading: str, message: str, status: int = 200) -> Template:
    return Template(template_name="empty.html", context={"heading": heading, "message": message}, status_code=status)


class PublicController(Controller):
    path = "/rankings"
    opt = {PUBLIC_OPT: True}
    include_in_schema = False

    @get("/")
    async def latest(self) -> Template:
        pub = await publishing.latest_edition()
        if pub is None:
            return _empty("工作晾晒", "尚未发布任何晾晒。首期将在统计截止时间后自动发布。")
        return await _ranking(pub)

    @get("/archive")
    async def archive(self) -> Template:
        pubs = await publishing.list_publications()
        by_id = {p["id"]: p for p in pubs}
        for p in pubs:
            p["cutoff_local"] = p["cutoff"].astimezone(local_zone()).strftime("%Y-%m-%d %H:%M")
            p["label"] = history_service.period_label_or_raw(p["cadence"], p["period"])
            p["corrects_edition"] = by_id[p["corrects"]]["edition"] if p["corrects"] in by_id else None
            p["corrected_by"] = [q["edition"] for q in pubs if q["corrects"] == p["id"]]
        return Template(template_name="archive.html", context={"pubs": pubs})

    @get("/verify")
    async def how_to_verify(self) -> Template:
        return Template(template_name="verify.html", context={})

    @get("/{cadence:str}/{period:str}")
    async def edition(self, cadence: FromPath[str], period: FromPath[str]) -> Template:
        pub = await publishing.latest_edition(cadence, period)
        if pub is None:
            return _empty("未找到该期晾晒", f"{history_service.period_label_or_raw(cadence, period)}没有已发布的晾晒。", status=404)
        return await _ranking(pub)

    @get("/{cadence:str}/{period:str}/editions/{edition:int}")
    async def one_edition(self, cadence: FromPath[str], period: FromPath[str], edition: FromPath[int]) -> Template:
        pub = await publishing.edition(cadence, period, edition)
        if pub is None:
            return _empty("未找到该版晾晒", f"{history_service.period_label_or_raw(cadence, period)}没有第 {edition} 版。", status=404)
        return await _ranking(pub)

    @get("/{cadence:str}/{period:str}/export")
    async def export(self, cadence: FromPath[str], period: FromPath[str], format: FromQuery[Literal["csv", "xlsx"]] = "xlsx") -> Response:
        pub = await publishing.latest_edition(cadence, period)
        if pub is None:
            raise NotFound(f"{cadence} {period} 没有已发布的晾晒")
        rows = exports.ranking_rows(pub)
        name = f"{pub['title']}-第{pub['edition']}版.{format}"
        if format == "csv":
            body, media = exports.to_csv(exports.RANKING_HEADER, rows), "text/csv; charset=utf-8"
        else:
            body, media = exports.to_xlsx("晾晒", exports.RANKING_HEADER, rows), XLSX
        return Response(body, media_type=media, headers={"Content-Disposition": disposition(name)})


class PublicPlanController(Controller):
    """The plan's tree and each unit's history: public, like the rankings."""

    opt = {PUBLIC_OPT: True}
    include_in_schema = False

    @get("/plans/{plan_id:int}")
    async def plan(self, plan_id: IdPath) -> Template:
        tree = await plans.plan_tree(plan_id)
        now = Clock.now()
        settings = get_settings()
        cut = metrics.Cut(at=now, day=now.astimezone(local_zone()).date(), since=now)
        goals = await metrics.plan_goals_as_of(cut, settings.lights, plan_id)
        latest = await publishing.latest_edition()
        return Template(
            template_name="plan.html",
            context={
                "plan": tree, "plan_goals": goals, "today": cut.day, "latest": latest, "lights": LIGHTS,
                "stages": {s.value: STAGE_NAMES[s] for s in Stage},
            },
        )

    @get("/units/{unit_id:int}")
    async def unit(self, unit_id: IdPath) -> Template:
        unit, history = await history_service.unit_history(unit_id)
        return Template(template_name="unit.html", context={"unit": unit, "history": history, "lights": LIGHTS})

    @get("/units/{unit_id:int}/chart.svg")
    async def chart(self, unit_id: IdPath) -> Response:
        unit, history = await history_service.unit_history(unit_id)
        style = Style(font_family="WenQuanYi Zen Hei, Noto Sans CJK SC, sans-serif", colors=("#1d6fd8", "#d0312d"), background="white", plot_background="white")
        if not history:  # no edition yet: an empty chart that says so (pygal cannot scale nothing)
            empty = pygal.Line(style=style, height=320, width=760, js=[], no_data_text="暂无晾晒记录")
            empty.title = f"{unit['name']}：暂无晾晒记录"
            return Response(_no_script(empty.render()), media_type="image/svg+xml", headers={"X-Content-Type-Options": "nosniff"})
        # rank 1 belongs at the top: the rank axis (left) plots −rank with its labels written
        # as 第N名, and the score sits on the secondary axis (right) with plain numbers
        n = max([h["units"] for h in history] or [1])
        step = max(1, -(-n // 8))
        ranks = sorted({1, n, *range(1, n + 1, step)})
        chart = pygal.Line(
            style=style, height=320, width=760, x_label_rotation=30, show_dots=True, range=(-n, -1),
            js=[],  # no tooltip script from another site
            # ascending values (last rank first): pygal lays the secondary axis's labels along these
            y_labels=[{"label": f"第{r}名", "value": -r} for r in sorted(ranks, reverse=True)],
        )
        chart.title = f"{unit['name']}：晾晒排名（左，第1名在上）与得分（右）"
        chart.x_labels = [h["short"] for h in history]
        chart.add("排名", [-h["rank"] for h in history], formatter=lambda v: f"第{-v:g}名")
        chart.add("得分", [h["score"] for h in history], secondary=True)
        return Response(_no_script(chart.render()), media_type="image/svg+xml", headers={"X-Content-Type-Options": "nosniff"})


def _no_script(svg: bytes | str) -> str:
    """pygal writes its config as an inline script even without the tooltip script: the chart
    is a picture, so every script goes."""
    text = svg.decode() if isinstance(svg, bytes) else svg
    return re.sub(r"<script\b.*?</script>", "", text, flags=re.S)


class ExportController(Controller):
    """The item ledger: for signed-in users."""

    include_in_schema = False

    @get("/export/ledger")
    async def ledger(self, request: Request, plan_id: FromQuery[int], format: FromQuery[Literal["csv", "xlsx"]] = "xlsx") -> Response:
        if not isinstance(request.scope.get("user"), Actor):
            raise Forbidden("请先登录")
        body, name = await exports.ledger_file(plan_id, format)
        media = "text/csv; charset=utf-8" if format == "csv" else XLSX
        return Response(body, media_type=media, headers={"Content-Disposition": disposition(name)})
