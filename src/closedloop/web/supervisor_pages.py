"""The supervisor desk: the summary by unit, the overdue/red list and its filters, bulk 催办,
延期 decisions, 销号 and corrected 晾晒 editions.

Nothing with public or scored consequences happens on one click or on Enter: 催办, 销号,
发布更正版 and approving a 延期 or 目标调整 first show a confirmation page (server-side, so it
holds without JavaScript) that names the consequence, with the penalty taken from the scoring
weights in force. Approving is a form of its own with no text field; rejecting is a separate
form that needs a reason.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.response import Template

from closedloop.http_common import IdPath
from closedloop.domain.errors import DomainError, Invalid
from closedloop.domain.stages import OPEN_STAGES
from closedloop.services import access, goal_changes, org, publishing, records, supervision, workspace
from closedloop.services import items as items_service
from closedloop.settings import get_settings
from closedloop.web.forms import LIGHTS, Form, actor_of, back, field_errors, page, parse_id


def _supervisor(request: Request):
    return access.require_office(actor_of(request), "督查台仅供督查室使用")


def confirm(request: Request, *, title: str, consequence: str, action: str, fields: list[tuple[str, Any]], button: str,
            back_to: str = "/desk", details: list[str] | None = None) -> Template:
    """The confirmation step: what will happen, the posted fields kept as hidden inputs."""
    return page("confirm.html", request, title=title, consequence=consequence, action=action, fields=fields, button=button,
                back_to=back_to, details=details or [])


async def _extension_consequence(request_id: int) -> str:
    x = await supervision.extension_request(request_id)
    return (
        f"将批准「{x['item_code']} {x['item_title']}」的延期申请：完成时限由 {x['old_deadline']} 改为 {x['new_deadline']}，"
        f"与原时限相同的目标时限一并顺延；原定时限保留用于晾晒计分，延期次数加一，批准后不能撤销。"
    )


async def _change_consequence(request_id: int) -> str:
    c = await goal_changes.change_request(request_id)
    changes = "；".join(f"{records.FIELD_NAMES.get(k, k)}由 {c['original'].get(k, '未定')} 改为 {v}" for k, v in c["changes"].items())
    return f"将批准「{c['item_code']} {c['item_title']}」目标「{c['goal_subject']}」的调整申请：{changes}。批准后该目标按新值计算完成度和灯色，原值保留在申请记录中。"


class SupervisorPages(Controller):
    include_in_schema = False

    @get("/desk")
    async def desk(self, request: Request) -> Template:
        _supervisor(request)
        return await render_desk(request)

    @post("/desk/urge")
    async def urge(self, request: Request) -> Response:
        actor = _supervisor(request)
        form = await Form.read(request)
        ids = form.ids("item_ids")
        if form.errors or not ids:
            return back("/desk", "没有勾选事项：请先在列表中勾选要催办的事项，再点「发出催办」" if not form.errors else "勾选的事项无效，请刷新页面后重新勾选")
        message = form.raw("message")
        if form.raw("confirmed") != "1":
            named = await workspace.items_named(ids)
            skipped = await supervision.urged_today([r["id"] for r in named])
            rows = [r for r in named if r["id"] not in skipped]
            units = sorted({r["lead_unit_name"] or "（未指定牵头单位）" for r in rows})
            penalty = get_settings().weights.urge_penalty
            details = [f"{r['code']} {r['title']}（{r['lead_unit_name'] or '未指定'}）" for r in rows]
            details += [f"{r['code']} {r['title']}：今日已催办且尚未回复，不再重复催办" for r in named if r["id"] in skipped]
            return confirm(
                request, title="确认发出催办",
                consequence=f"将向 {len(units)} 个单位发出催办（共 {len(rows)} 个事项），每次催办在晾晒中扣 {penalty:g} 分。",
                details=details + [f"催办内容：{message or '请抓紧推进并及时报送进展。'}"],
                action="/desk/urge", fields=[("item_ids", i) for i in ids] + [("message", message), ("confirmed", "1")],
                button=f"确认催办 {len(rows)} 个事项",
            )
        try:
            sent = await supervision.urge(actor, ids, message)
        except DomainError as exc:
            return back("/desk", f"未发出催办：{exc.message}")
        not_sent = len(set(ids)) - len(sent)
        return back("/desk", f"已催办 {len(sent)} 个事项" + (f"；{not_sent} 个事项今日已催办且尚未回复，未重复催办" if not_sent else ""), saved="urge")

    @post("/extensions/{request_id:int}/decide")
    async def decide(self, request: Request, request_id: IdPath) -> Response:
        return await self._decide_request(request, f"ext-{request_id}", "延期", supervision.decide_extension, request_id, _extension_consequence)

    @post("/change-requests/{request_id:int}/decide")
    async def decide_goal_change(self, request: Request, request_id: IdPath) -> Response:
        """目标调整申请: approving is a form of its own; rejecting needs a reason (as for 延期)."""
        return await self._decide_request(request, f"change-{request_id}", "目标调整", goal_changes.decide_change, request_id, _change_consequence)

    async def _decide_request(self, request: Request, form_name: str, what: str, decide, request_id: int, consequence) -> Response:
        """A supervisor's decision on a lead's request (延期, 目标调整): approve (after a
        confirmation page that names what changes), or reject with a reason; the request's
        version guards against deciding a request that changed meanwhile."""
        actor, form = _supervisor(request), await Form.read(request)
        version = form.ident("version", required=True, what="版本")
        decision = form.raw("decision")
        if decision not in ("approve", "reject"):
            return back("/desk", f"未选择批准或驳回，请在待审批{what}中重新操作")
        approve = decision == "approve"
        reason = form.text("reason", required=None if approve else "驳回必须填写理由")
        if form.errors:
            return await self._desk_with_error(request, form_name, form)
        if approve and form.raw("confirmed") != "1":
            try:
                text = await consequence(request_id)
            except DomainError as exc:
                form.errors = field_errors(exc, "reason")
                return await self._desk_with_error(request, form_name, form)
            return confirm(
                request, title=f"确认批准{what}申请", consequence=text, action=request.url.path,
                fields=[("version", version), ("decision", "approve"), ("reason", reason or ""), ("confirmed", "1")],
                button=f"确认批准{what}",
            )
        try:
            await decide(actor, request_id, version, approve, reason)
        except Invalid as exc:
            form.errors = field_errors(exc, "reason")
            return await self._desk_with_error(request, form_name, form)
        except DomainError as exc:
            # decided meanwhile, changed or gone: the request has left the list its form was in,
            # so the message goes where it is seen
            return back("/desk", f"{what}申请未处理：{exc.message}")
        return back("/desk", f"已批准{what}" if approve else f"已驳回{what}", saved=form_name)

    @post("/items/{item_id:int}/closure")
    async def closure(self, request: Request, item_id: IdPath) -> Response:
        actor, form = _supervisor(request), await Form.read(request)
        decision = form.raw("decision")
        if decision not in ("approve", "reject"):
            return back("/desk", "未选择销号或驳回，请在待销号中重新操作")
        approve = decision == "approve"
        reason = form.text("reason", required=None if approve else "驳回销号必须填写理由")
        if form.errors:
            return await self._desk_with_error(request, f"close-{item_id}", form)
        if approve and (blockers := (await supervision.closure_blockers([item_id])).get(item_id)):
            form.errors["reason"] = "不能销号：" + "；".join(blockers)
            return await self._desk_with_error(request, f"close-{item_id}", form)
        if approve and form.raw("confirmed") != "1":
            item = await items_service.get_item(item_id)
            return confirm(
                request, title="确认核验销号",
                consequence=f"将对「{item['code']} {item['title']}」核验销号：事项由「闭环」进入「复盘」阶段，公开的计划页随之显示，销号记入变更记录且不能撤销（只能退回）。",
                action=f"/items/{item_id}/closure", fields=[("decision", "approve"), ("reason", reason or ""), ("confirmed", "1")],
                button="确认销号",
            )
        try:
            await supervision.verify_closure(actor, item_id, approve, reason)
        except DomainError as exc:
            form.errors = field_errors(exc, "reason")
            return await self._desk_with_error(request, f"close-{item_id}", form)
        return back("/desk", "已销号" if approve else "已驳回销号，事项退回实干", saved=f"close-{item_id}")

    @post("/desk/correct")
    async def correct(self, request: Request) -> Response:
        actor, form = _supervisor(request), await Form.read(request)
        pub_id = form.ident("publication_id", required=True, what="要更正的晾晒")
        reason = form.text("reason", required="请填写更正原因")
        if form.errors:
            return await self._desk_with_error(request, "correct", form)
        if form.raw("confirmed") != "1":
            pub = next((p for p in await publishing.list_publications() if p["id"] == pub_id), None)
            if pub is None:
                form.errors["publication_id"] = "该晾晒不存在，请从列表中选择"
                return await self._desk_with_error(request, "correct", form)
            return confirm(
                request, title="确认发布更正版",
                consequence=f"将公开发布「{pub['title']}」的更正版，取代第 {pub['edition']} 版成为该期的正式排名（原版保留并标注已被更正），各单位的得分和排名按当前数据重算。",
                details=[f"更正原因：{reason}"], action="/desk/correct",
                fields=[("publication_id", pub_id), ("reason", reason), ("confirmed", "1")], button="确认发布更正版",
            )
        try:
            pub = await publishing.correct(actor, pub_id, reason or "")  # type: ignore[arg-type]  # the form's getters return None only with a field error, and the errors were checked first
        except DomainError as exc:
            form.errors = field_errors(exc, "reason")
            return await self._desk_with_error(request, "correct", form)
        return back("/desk", f"已发布更正版：{pub['title']} 第 {pub['edition']} 版", saved="correct")

    async def _desk_with_error(self, request: Request, form_name: str, form: Form) -> Template:
        return await render_desk(request, form_name=form_name, values=form.kept(), errors=form.errors)


async def render_desk(request: Request, *, form_name: str = "", values: dict | None = None, errors: dict | None = None) -> Template:
    """The desk; after a failed form, with that form's error and what was typed."""
    q = request.query_params
    filter_errors: dict[str, str] = {}
    unit_id = parse_id((q.get("unit_id") or "").strip(), "unit_id", filter_errors, what="单位")
    section_id = parse_id((q.get("section_id") or "").strip(), "section_id", filter_errors, what="分项")
    stage = q.get("stage") or None
    if stage is not None and stage not in OPEN_STAGES:
        filter_errors["stage"], stage = "阶段无效，请从列表中选择", None
    light = q.get("light") or None
    if light is not None and light not in LIGHTS:
        filter_errors["light"], light = "亮灯无效，请从列表中选择", None
    show = q.get("show") or None
    if show is not None and show not in workspace.DESK_LISTS:
        filter_errors["show"], show = "列表无效", None
    if show:
        rows, total = await workspace.desk_list(show, unit_id=unit_id, section_id=section_id, stage=stage, light=light)
    else:
        rows, total = await supervision.overdue_list(unit_id=unit_id, section_id=section_id, stage=stage, light=light, page_size=200)
    pending, closing, sections = await supervision.desk_queues()
    evidence = await workspace.closing_evidence([i["id"] for i in closing])
    blockers = await supervision.closure_blockers([i["id"] for i in closing])
    for i in closing:
        i["results"] = evidence.get(i["id"], [])
        i["blockers"] = blockers.get(i["id"], [])
    units = await org.list_units()
    return page(
        "desk.html", request, status=422 if filter_errors or errors else 200, rows=rows, total=total, pending=pending, closing=closing, units=units,
        goal_changes=await supervision.pending_change_requests(),
        unit_names={u["id"]: u["name"] for u in units}, sections=sections, summary=await workspace.desk_summary(),
        filters={"unit_id": unit_id, "section_id": section_id, "stage": stage, "light": light, "show": show},
        list_title=workspace.DESK_LISTS.get(show or "", "超期与红灯事项"), desk_lists=workspace.DESK_LISTS,
        week=workspace.this_week(), filter_errors=filter_errors, form_name=form_name, values=values or {}, errors=errors or {}, pubs=(await publishing.list_publications())[:12],
        urge_penalty=get_settings().weights.urge_penalty, draft_page="/desk", open_stages=OPEN_STAGES,
    )

