"""The cockpit pages (驾驶舱) for the supervision office and admins: /cockpit, the item list
behind each number, the data checks with their 说明 form, the meeting pack downloads, and
the forms that issue a 督办单 and verify a result. Every page calls services only."""

from __future__ import annotations

from typing import Any, Literal

from litestar import Controller, Request, Response, get, post
from markupsafe import Markup, escape
from litestar.params import FromQuery
from litestar.response import Redirect, Template

from closedloop.http_common import IdPath
from closedloop.domain.errors import DomainError
from closedloop.domain.periods import label_of
from closedloop.services import access, checks, cockpit, records, supervision
from closedloop.services.cockpit import LIGHT_KEYS, STAGE_KEYS, CockpitFilter
from closedloop.services.common import Actor, Clock
from closedloop.web import cockpit_charts as charts
from closedloop.web import cockpit_pack
from closedloop.http_common import disposition
from closedloop.web.pages import STAGES, actor_of, back, date_field, form_of, page

LightQ = Literal["red", "yellow", "green", "blue", "none"]
StageQ = Literal["drill", "calculate", "levers", "execute", "close", "review", "archived"]
LIGHT_LABELS = {"red": "红灯", "yellow": "黄灯", "green": "绿灯", "blue": "蓝灯", "none": "未亮灯"}


def counts_table(groups: list[dict], table_id: str, label: str, name_key: str, bars: dict) -> Markup:
    """The cockpit's table of items per light and per stage, one row per section or unit,
    every number a link to its items. Written here rather than as a template macro: a city's
    1,000 units are 18,000 cells, and Jinja's attribute lookups and escapes took over a second."""
    e = escape
    out = [
        f'<div class="scroll"><table class="counts" id="{e(table_id)}">\n',
        f'<thead><tr><th class="name">{e(label)}</th><th>合计</th>',
        "".join(f"<th>{e(LIGHT_LABELS[k])}</th>" for k in LIGHT_KEYS),
        '<th class="hide-sm">分布</th>',
        "".join(f'<th class="hide-sm">{e(STAGES[s])}</th>' for s in STAGE_KEYS),
        "</tr></thead>\n<tbody>",
    ]
    for g in groups:
        name = f"{e(g['code'])} {e(g['title'][:20])}" if name_key == "title" else e(g["name"])
        lights, light_links, stages, stage_links = g["lights"], g["light_links"], g["stages"], g["stage_links"]
        out.append(f'<tr data-id="{e(g["id"] or "")}"><td class="name">{name}</td>\n<td><a class="count" href="{e(g["href"])}">{e(g["total"])}</a></td>\n')
        for k in LIGHT_KEYS:
            n = lights[k]
            cls = "zero" if n == 0 else "red" if k == "red" else ""
            out.append(f'<td><a class="count {cls}" data-light="{k}" href="{e(light_links[k])}">{e(n)}</a></td>')
        out.append(f'\n<td class="hide-sm">{bars[g["id"]]}</td>\n')
        for k in STAGE_KEYS:
            n = stages[k]
            out.append(f'<td class="hide-sm"><a class="count {"zero" if n == 0 else ""}" data-stage="{k}" href="{e(stage_links[k])}">{e(n)}</a></td>')
        out.append("</tr>\n")
    if not groups:
        out.append('<tr><td class="name" colspan="14">没有事项。</td></tr>')
    out.append("</tbody>\n</table></div>")
    return Markup("".join(out))


UNITS_SHOWN = 50  # unit rows on /cockpit before "show all"


def office(request: Request) -> Actor:
    return access.require_office(actor_of(request), "驾驶舱仅供督查室和管理员使用")


def _safe_next(path: str | None, default: str) -> str:
    return path if path and path.startswith("/") and not path.startswith("//") else default


class CockpitPages(Controller):
    include_in_schema = False

    @get("/cockpit")
    async def cockpit_page(
        self, request: Request, plan_id: FromQuery[int | None] = None, section_id: FromQuery[int | None] = None,
        unit_id: FromQuery[int | None] = None, trend_unit_id: FromQuery[int | None] = None,
        units: FromQuery[Literal["all"] | None] = None,
    ) -> Template:
        office(request)
        f = CockpitFilter(plan_id, section_id, unit_id)
        data, options, editions, results = await cockpit.page_data(f, trend_unit_id=trend_unit_id)
        # the units worst first (most red items), the first UNITS_SHOWN of them unless all are
        # asked for: a district's thousand units made the page 2 MB, most of it rows nobody reads
        all_units = data["breakdown"]["units"]
        shown_units = all_units if units == "all" else all_units[:UNITS_SHOWN]
        trend = data["trends"]["points"]
        labels = [p["period"][-3:] if p["period"][-3:-2] == "W" else p["period"] for p in trend]
        share_chart = charts.line_chart(
            labels,
            [(LIGHT_LABELS[k], charts.LIGHT_COLOURS[k], [p["light_share"][k] if p["light_share"] else None for p in trend])
             for k in ("red", "yellow", "green", "blue")],
            title="全区事项亮灯占比（%）", y_max=100,
        )
        picked = data["trends"]["unit_id"]
        unit_name = next((u["name"] for u in options["units"] if u["id"] == picked), None)
        rank_chart = score_chart = None
        if picked is not None:
            rank_chart = charts.line_chart(labels, [("排名", "#d0312d", [p["rank"] for p in trend])], title=f"{unit_name}：历期排名", invert=True)
            score_chart = charts.line_chart(labels, [("得分", "#1d6fd8", [p["score"] for p in trend])], title=f"{unit_name}：历期得分")
        bars: dict[str, Any] = {
            "total": charts.stacked_bar(data["breakdown"]["total"]["lights"], label="全部事项亮灯分布"),
            "sections": {s["id"]: charts.stacked_bar(s["lights"], width=120, label=s["title"]) for s in data["breakdown"]["sections"]},
            "units": {u["id"]: charts.stacked_bar(u["lights"], width=120, label=u["name"]) for u in shown_units},
        }
        counts = {
            "sections": counts_table(data["breakdown"]["sections"], "by-section", "分项", "title", bars["sections"]),
            "units": counts_table(shown_units, "by-unit", "牵头单位", "name", bars["units"]),
        }
        return page(
            "cockpit.html", request, data=data, options=options, filters=f.query(), trend_unit_id=picked,
            share_chart=share_chart, rank_chart=rank_chart, score_chart=score_chart, bars=bars, counts=counts,
            light_keys=LIGHT_KEYS, stage_keys=STAGE_KEYS, light_labels=LIGHT_LABELS,
            pack_periods=[(e["period"], label_of(e["period"])) for e in reversed(editions)],
            results=results, today=Clock.today(), units_total=len(all_units), units_shown=len(shown_units),
            all_units_href="/cockpit?" + "&".join(f"{k}={v}" for k, v in {**f.query(), "trend_unit_id": trend_unit_id, "units": "all"}.items() if v is not None) + "#by-unit",
        )

    @get("/cockpit/items")
    async def items(
        self, request: Request, plan_id: FromQuery[int | None] = None, section_id: FromQuery[int | None] = None,
        unit_id: FromQuery[int | None] = None, light: FromQuery[LightQ | None] = None, stage: FromQuery[StageQ | None] = None,
    ) -> Template:
        office(request)
        f = CockpitFilter(plan_id, section_id, unit_id)
        rows, total = await cockpit.item_list(f, light=light, stage=stage)
        options = await cockpit.filter_options(plan_id)
        what = []
        if section_id is not None:
            what += [f"{s['code']} {s['title'][:16]}" for s in options["sections"] if s["id"] == section_id]
        if unit_id is not None:
            what += [u["name"] for u in options["units"] if u["id"] == unit_id]
        if light:
            what.append(LIGHT_LABELS[light])
        if stage:
            what.append(STAGES.get(stage, stage))
        return page(
            "cockpit_items.html", request, rows=rows, total=total, what="，".join(what) or "全部事项",
            back_to="/cockpit?" + "&".join(f"{k}={v}" for k, v in f.query().items()), today=Clock.today(),
            here=str(request.url.path) + ("?" + request.url.query if request.url.query else ""),
        )

    @get("/cockpit/checks")
    async def checks_page(
        self, request: Request, plan_id: FromQuery[int | None] = None, section_id: FromQuery[int | None] = None,
        unit_id: FromQuery[int | None] = None,
    ) -> Template:
        office(request)
        rows = await checks.open_checks(checks.CheckFilter(plan_id, section_id, unit_id))
        return page("cockpit_checks.html", request, rows=rows, explained=await checks.explanations(20), kinds=checks.KINDS,
                    reviews=await checks.edition_reviews(),
                    filters={"plan_id": plan_id, "section_id": section_id, "unit_id": unit_id})

    @post("/cockpit/checks/explain")
    async def explain(self, request: Request) -> Redirect:
        actor = office(request)
        form = await form_of(request)
        try:
            await checks.explain(actor, str(form.get("check_key") or ""), str(form.get("note") or ""))
        except DomainError as exc:
            return back("/cockpit/checks", exc.message)
        return back("/cockpit/checks", "已说明，该核查项不再列出")

    @get("/cockpit/pack.docx")
    async def pack_docx(self, request: Request, period: FromQuery[str]) -> Response:
        office(request)
        data = await cockpit.pack_data(period)
        name = f"{data['period'].title}调度会材料.docx"
        return Response(cockpit_pack.to_docx(data), media_type=cockpit_pack.DOCX, headers={"Content-Disposition": disposition(name)})

    @get("/cockpit/pack.xlsx")
    async def pack_xlsx(self, request: Request, period: FromQuery[str]) -> Response:
        office(request)
        data = await cockpit.pack_data(period)
        name = f"{data['period'].title}调度会材料.xlsx"
        return Response(cockpit_pack.to_xlsx(data), media_type=cockpit_pack.XLSX, headers={"Content-Disposition": disposition(name)})

    @post("/cockpit/items/{item_id:int}/order")
    async def order(self, request: Request, item_id: IdPath) -> Redirect:
        """Issue a 督办单 from the cockpit's item list."""
        actor = office(request)
        form = await form_of(request)
        target = _safe_next(form.get("next"), "/cockpit")
        errors: dict[str, str] = {}
        respond_by = date_field(form, "respond_by", errors)
        if errors:
            return back(target, "请填写回复期限（YYYY-MM-DD）")
        try:
            await supervision.order(actor, item_id, str(form.get("message") or ""), respond_by)  # type: ignore[arg-type]  # the form's getters return None only with a field error, and the errors were checked first
        except DomainError as exc:
            return back(target, exc.message)
        return back(target, "督办单已下发")

    @post("/cockpit/results/{result_id:int}/verify")
    async def verify(self, request: Request, result_id: IdPath) -> Redirect:
        """Verify (核验) a result from the cockpit."""
        actor = office(request)
        form = await form_of(request)
        try:
            await records.verify_result(actor, result_id, int(form.get("version") or 0))
        except (DomainError, ValueError) as exc:
            return back("/cockpit", getattr(exc, "message", "版本号无效"))
        return back("/cockpit", "成效已核验")
