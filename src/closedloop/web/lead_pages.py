"""The lead's pages: the week's to-do list (/my), the inbox, the item page and its forms.

Every form posts back to the item page: on success a redirect with a message (and the form's
name, so the browser drops its draft); on error the page again with the error by its field, a
summary at the top of the form and everything that was typed. A cumulative goal whose new value
is lower than the last one asks for confirmation before it is reported.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.response import Redirect, Template

from closedloop.http_common import IdPath
from closedloop.domain import periods
from closedloop.domain.errors import DomainError, NotFound
from closedloop.domain.stages import COMPARATORS, STAGE_NAMES, STAGE_ORDER, Stage
from closedloop.domain.trajectory import cumulative
from closedloop.services import access, items as items_service
from closedloop.services import goal_changes, notify, progress, records, supervision, workspace
from closedloop.services.item_page import item_page
from closedloop.services.common import Clock
from closedloop.services.records import GOAL, PROBLEM, PROJECT
from closedloop.web.forms import HOME, Form, actor_of, back, field_errors, local_path, page

COMPARATOR_SIGNS = {">=": "≥", ">": ">", "<=": "≤", "<": "<", "=": "="}
MEASURE_UNITS = ("家", "%", "亿元", "万元", "个", "名", "项", "人", "次", "件")
# what the error summary calls each field (goal_N and project_N are named per item)
FIELD_LABELS = {
    "period": "填报周期", "narrative": "本期进展", "actual": "实际值", "subject": "指标名称", "comparator": "比较方式",
    "measure_unit": "计量单位", "baseline": "基期值", "target": "目标值", "deadline": "完成时限", "description": "描述",
    "due_on": "解决时限", "resolution": "解决情况", "name": "项目名称", "end_on": "完成时间", "value": "数值", "goal_id": "对应目标",
    "file": "佐证文件", "url": "佐证链接", "new_deadline": "新的完成时限", "reason": "理由", "response": "回复", "version": "页面",
    "item_id": "事项", "review": "复盘记录", "lead_unit_id": "牵头单位", "cooperating_unit_ids": "配合单位", "responsible_person": "责任人",
    "to": "阶段", "period_other": "其他周期",
}


class LeadPages(Controller):
    include_in_schema = False

    @get("/my")
    async def my_items(self, request: Request) -> Template | Redirect:
        actor = actor_of(request)
        if not access.is_lead(actor):
            return Redirect(path=HOME.get(actor.role, "/rankings"))
        week = await workspace.lead_week(actor)
        unread = len(await notify.inbox(actor, unread_only=True))
        return page("my.html", request, week=week, unread=unread, today=Clock.today())

    @get("/inbox")
    async def inbox(self, request: Request) -> Template:
        actor = actor_of(request)
        return page("inbox.html", request, notes=await notify.inbox(actor))

    @post("/inbox/{note_id:int}/read")
    async def read_note(self, request: Request, note_id: IdPath) -> Redirect:
        await notify.mark_read(actor_of(request), note_id)
        return Redirect(path="/inbox", status_code=303)

    @get("/items/{item_id:int}")
    async def item(self, request: Request, item_id: IdPath) -> Template:
        return await render_item(request, item_id)

    @get("/evidence/{evidence_id:int}")
    async def evidence(self, request: Request, evidence_id: IdPath) -> Response:
        """A 佐证 file for any signed-in user (the desk checks it before 销号)."""
        from urllib.parse import quote

        actor_of(request)
        row = await records.get_evidence_file(evidence_id)
        if row["kind"] != "file" or row["content"] is None:
            raise NotFound("该佐证是链接，没有可下载的文件；请点击事项页上的链接查看")
        name = (row["filename"] or "evidence").replace('"', "")
        return Response(
            content=bytes(row["content"]), media_type=row["content_type"] or "application/octet-stream",
            headers={
                "Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}", "X-Content-Type-Options": "nosniff",
                "Content-Security-Policy": "default-src 'none'; sandbox", "X-SHA256": row["sha256"] or "",
            },
        )

    @post("/items/{item_id:int}/goals/{goal_id:int}")
    async def update_goal(self, request: Request, item_id: IdPath, goal_id: IdPath) -> Response:
        actor, form = actor_of(request), await Form.read(request)
        actual = form.number("actual", required=True)
        version = form.ident("version", required=True, what="版本")
        name = f"goal-{goal_id}"
        warnings: dict[str, str] = {}
        if not form.errors and form.raw("confirm_decrease") != "1":
            # one goal asked about: its message (if any) is the field's warning
            messages = list((await decreases(item_id, [(goal_id, float(actual))])).values())  # type: ignore[arg-type]  # the form's getters return None only with a field error, and the errors were checked first
            warnings = {"actual": messages[-1]} if messages else {}
        return await save_form(
            request, item_id, form, name, lambda: records.update_record(GOAL, actor, goal_id, version, {"actual": actual}),  # type: ignore[arg-type]  # the form's getters return None only with a field error, and the errors were checked first
            "目标实际值已更新", field="actual", warnings=warnings,
        )

    @post("/items/{item_id:int}/goals")
    async def add_goal(self, request: Request, item_id: IdPath) -> Response:
        """A goal added on the item page (the 下钻 gate asks for one)."""
        actor, form = actor_of(request), await Form.read(request)
        values: dict[str, Any] = {"subject": form.text("subject", required="请填写指标名称")}
        comparator = form.raw("comparator")
        if comparator and comparator not in COMPARATORS:
            form.errors["comparator"] = "请从列表中选择比较方式"
        values["comparator"] = comparator or None
        values["measure_unit"] = form.text("measure_unit")
        values["baseline"] = form.number("baseline")
        values["target"] = form.number("target")
        values["deadline"] = form.date("deadline")
        return await save_form(request, item_id, form, "goal-new", lambda: records.create_record(GOAL, actor, item_id, values), "目标已添加", field="subject")

    @post("/items/{item_id:int}/goal-change")
    async def goal_change(self, request: Request, item_id: IdPath) -> Response:
        """目标调整申请 from the item page: the fields filled in are the values asked for."""
        actor, form = actor_of(request), await Form.read(request)
        goal_id = form.ident("goal_id", required=True, what="目标")
        asked: dict[str, Any] = {}
        for name in ("baseline", "target"):
            if form.raw(name):
                asked[name] = form.number(name)
        if form.raw("deadline"):
            asked["deadline"] = form.date("deadline")
        reason = form.text("reason", required="请填写调整理由")
        if not form.errors and not asked:
            form.errors["target"] = "请填写要调整的目标值、基期值或完成时限"
        return await save_form(
            request, item_id, form, "goal-change", lambda: goal_changes.request_change(actor, goal_id, asked, reason or ""),  # type: ignore[arg-type]  # the form's getters return None only with a field error, and the errors were checked first
            "目标调整申请已提交，等待督查室审批", field="reason", renamed={"changes": "target"},
        )

    @post("/items/{item_id:int}/report")
    async def report(self, request: Request, item_id: IdPath) -> Response:
        actor, form = actor_of(request), await Form.read(request)
        today = Clock.today()
        # the weeks on offer, or any other period typed as people write it (2026年11月, 2026年第四季度)
        period = form.period("period_other" if form.raw("period_other") else "period", today=today)
        narrative = form.text("narrative", required="请填写本期进展")
        goal_values: list[tuple[int, float]] = []
        project_values: list[tuple[int, int]] = []
        for key in list(form.values):
            if not form.raw(key):
                continue
            if key.startswith("goal_") and key[5:].isdigit():
                v = form.number(key)
                if v is not None:
                    goal_values.append((int(key[5:]), float(v)))
            elif key.startswith("project_") and key[8:].isdigit():
                v = form.number(key, integer=True, low=0, high=100)
                if v is not None:
                    project_values.append((int(key[8:]), int(v)))
        warnings: dict[str, str] = {}
        if not form.errors and goal_values and form.raw("confirm_decrease") != "1":
            warnings = await decreases(item_id, goal_values, period)
        if not form.errors and not warnings:
            try:
                await progress.create_report(
                    actor, item_id, period=period or "", narrative=narrative or "", reason=form.raw("reason") or None,
                    goal_values=goal_values, project_values=project_values,
                )
                target = local_path(form.raw("return_to")) or f"/items/{item_id}"
                item = await items_service.get_item(item_id)
                # the draft to drop is the item page's, wherever the redirect lands
                return back(target, f"已报送「{item['code']} {item['title']}」{periods.label_of(period or '')}的进度", saved=f"/items/{item_id}:report")
            except DomainError as exc:
                form.errors = field_errors(exc, "narrative")
                for k in ("goals", "projects"):
                    if k in form.errors:
                        form.errors["narrative"] = form.errors.pop(k)
        return await render_item(request, item_id, form_name="report", values=form.kept(), errors=form.errors, warnings=warnings)

    @post("/items/{item_id:int}/problems")
    async def add_problem(self, request: Request, item_id: IdPath) -> Response:
        actor, form = actor_of(request), await Form.read(request)
        description = form.text("description", required="请描述问题")
        due = form.date("due_on")
        return await save_form(
            request, item_id, form, "problem",
            lambda: records.create_record(PROBLEM, actor, item_id, {"description": description, "due_on": due, "found_on": Clock.today()}),
            "问题已登记", field="description",
        )

    @post("/items/{item_id:int}/problems/{problem_id:int}/resolve")
    async def resolve_problem(self, request: Request, item_id: IdPath, problem_id: IdPath) -> Response:
        actor, form = actor_of(request), await Form.read(request)
        version = form.ident("version", required=True, what="版本")
        resolution = form.text("resolution", required="请填写解决情况")
        name = f"problem-{problem_id}"
        return await save_form(
            request, item_id, form, name,
            lambda: records.update_record(PROBLEM, actor, problem_id, version, {"status": "resolved", "resolution": resolution}),  # type: ignore[arg-type]  # the form's getters return None only with a field error, and the errors were checked first
            "问题已标记为解决", field="resolution",
        )

    @post("/items/{item_id:int}/projects")
    async def add_project(self, request: Request, item_id: IdPath) -> Response:
        actor, form = actor_of(request), await Form.read(request)
        name = form.text("name", required="请填写项目名称")
        end_on = form.date("end_on", required=True)
        unit = actor.unit_id if access.is_lead(actor) else None
        return await save_form(
            request, item_id, form, "project", lambda: records.create_record(PROJECT, actor, item_id, {"name": name, "end_on": end_on, "unit": unit}),
            "项目已添加", field="name",
        )

    @post("/items/{item_id:int}/results")
    async def add_result(self, request: Request, item_id: IdPath) -> Response:
        actor, form = actor_of(request), await Form.read(request)
        description = form.text("description", required="请描述成效")
        value = form.number("value")
        goal_id = form.ident("goal_id", what="对应目标")
        upload = form.file("file")
        url = form.text("url")
        content = await upload.read() if upload else b""
        if not form.errors:
            try:
                await records.create_result_with_evidence(
                    actor, item_id, {"description": description, "value": value, "goal": goal_id, "achieved_on": Clock.today()},
                    filename=upload.filename if upload else None, content_type=upload.content_type if upload else None,
                    content=content or None, url=url or None,
                )
                return back(f"/items/{item_id}", "成效已登记", saved="result")
            except DomainError as exc:
                form.errors = field_errors(exc, "description")
        if upload:
            form.errors.setdefault("file", f"请重新选择文件（{upload.filename}）：出错后浏览器不会保留已选的文件")
        return await render_item(request, item_id, form_name="result", values=form.kept(), errors=form.errors)

    @post("/items/{item_id:int}/extension")
    async def extension(self, request: Request, item_id: IdPath) -> Response:
        actor, form = actor_of(request), await Form.read(request)
        new_deadline = form.date("new_deadline", required=True)
        reason = form.text("reason", required="请填写延期理由")
        return await save_form(
            request, item_id, form, "extension", lambda: supervision.request_extension(actor, item_id, new_deadline, reason or ""),  # type: ignore[arg-type]  # the form's getters return None only with a field error, and the errors were checked first
            "延期申请已提交，等待督查室审批", field="reason",
        )

    @post("/actions/{action_id:int}/answer")
    async def answer(self, request: Request, action_id: IdPath) -> Response:
        actor, form = actor_of(request), await Form.read(request)
        version = form.ident("version", required=True, what="版本")
        item_id = form.ident("item_id", required=True, what="事项")
        response = form.text("response", required="请填写回复内容")
        name = f"answer-{action_id}"
        if item_id is None:
            return back("/my", "回复未提交：缺少事项编号，请从事项页面重新回复")
        return await save_form(
            request, item_id, form, name, lambda: supervision.respond(actor, action_id, version, response or ""),  # type: ignore[arg-type]  # the form's getters return None only with a field error, and the errors were checked first
            "已回复督办", field="response",
        )

    @post("/items/{item_id:int}/transition")
    async def transition(self, request: Request, item_id: IdPath) -> Response:
        actor, form = actor_of(request), await Form.read(request)
        try:
            result = await items_service.transition(actor, item_id, form.raw("to"), form.raw("reason") or None)
            return back(f"/items/{item_id}", f"已进入「{result['stage_name']}」阶段", saved="transition")
        except DomainError as exc:
            errors = {"to": exc.message, "list": "；".join(p.message for p in exc.problems)}
            if any(p.field == "reason" for p in exc.problems):
                errors["reason"] = next(p.message for p in exc.problems if p.field == "reason")
        return await render_item(request, item_id, form_name="transition", values=form.kept(), errors=errors)

    @post("/items/{item_id:int}/review")
    async def review(self, request: Request, item_id: IdPath) -> Response:
        actor, form = actor_of(request), await Form.read(request)
        version = form.ident("version", required=True, what="版本")
        return await save_form(
            request, item_id, form, "review", lambda: items_service.update_item(actor, item_id, version, {"review": form.raw("review") or None}),  # type: ignore[arg-type]  # the form's getters return None only with a field error, and the errors were checked first
            "复盘记录已保存", field="review",
        )


async def save_form(
    request: Request, item_id: int, form: Form, name: str, save: Callable[[], Awaitable[Any]], message: str, *, field: str,
    renamed: dict[str, str] | None = None, warnings: dict[str, str] | None = None, values: dict[str, Any] | None = None,
) -> Response:
    """The shape the item page's forms share, after parsing: when the form has no error (and
    nothing waits for a confirmation, ``warnings``), ``save()``; on success back to the item page
    with ``message``, the form's draft (``name``) dropped; a domain error goes by its field
    (``field`` when it names none; ``renamed`` maps a service's field to the form's), and the page
    is shown again with the errors and what was typed (``values``, else the form's)."""
    if not form.errors and not warnings:
        try:
            await save()
            return back(f"/items/{item_id}", message, saved=name)
        except DomainError as exc:
            form.errors = field_errors(exc, field)
            for theirs, ours in (renamed or {}).items():
                if theirs in form.errors:
                    form.errors[ours] = form.errors.pop(theirs)
    return await render_item(
        request, item_id, form_name=name, values=form.kept() if values is None else values, errors=form.errors, warnings=warnings,
    )


async def decreases(item_id: int, goal_values: list[tuple[int, float]], period: str | None = None) -> dict[str, str]:
    """Cumulative goals whose new value is below the last one: the field and what to confirm.
    Re-reporting the period the last value was filed for is a 更正 (it asks for its own reason),
    so a lower value there is not questioned."""
    goals = {g["id"]: g for g in await records.list_records(GOAL, item_id)}
    last = await workspace.goal_last_values([g for g, _ in goal_values])
    out = {}
    for gid, value in goal_values:
        g = goals.get(gid)
        if g is None or not cumulative(g["comparator"], g["baseline"], g["target"]):
            continue
        if period is not None and last.get(gid, {}).get("period") == period:
            continue
        # the value now in force (a report and the 更新 form both set it), else the last reported one
        before = g["actual"] if g["actual"] is not None else last.get(gid, {}).get("value")
        if before is not None and value < before:
            out[f"goal_{gid}"] = f"「{g['subject']}」是累计指标，本次 {value:g} 低于当前的 {before:g}。如确认无误，请勾选“确认数值下降”后再提交。"
    return out


async def render_item(
    request: Request, item_id: int, *, form_name: str = "", values: dict | None = None, errors: dict | None = None,
    warnings: dict | None = None,
) -> Template:
    data = await item_page(actor_of(request), item_id)
    item, goals = data.item, data.goals
    for g in goals:
        g["sign"] = COMPARATOR_SIGNS.get(g["comparator"] or "", g["comparator"] or "?")
    stage_index = STAGE_ORDER.index(Stage(item["stage"]))
    week = workspace.this_week(data.today)
    for entries in data.goal_values.values():
        for v in entries:
            v["period_label"] = periods.label_of(v["period"])
    for r in data.reports:
        r["period_label"] = periods.label_of(r["period"])
    errors = errors or {}
    warnings = warnings or {}
    labels = dict(FIELD_LABELS)
    labels.update({f"goal_{g['id']}": g["subject"] for g in goals})
    return page(
        "item.html",
        request,
        status=422 if errors or warnings else 200,
        item=item,
        gate=data.gate,
        goals=goals,
        problems=data.problems,
        projects=data.projects,
        results=data.results,
        reports=data.reports,
        actions=data.actions,
        extensions=data.extensions,
        transitions=data.transitions,
        change_requests=data.change_requests,
        goal_values=data.goal_values,
        targets_frozen=records.targets_frozen(item["stage"]),
        goal_names={g["id"]: g["subject"] for g in goals},
        stage_list=[(s.value, STAGE_NAMES[s], i < stage_index, i == stage_index) for i, s in enumerate(STAGE_ORDER)],
        next_stage=STAGE_ORDER[stage_index + 1].value if stage_index + 1 < len(STAGE_ORDER) else None,
        units=data.units,
        can_write=data.can_write,
        is_lead_unit=data.is_lead_unit,
        extension_block=data.extension_block,
        form_name=form_name,
        values=values or {},
        errors=errors,
        warnings=warnings,
        field_labels=labels,
        period_choices=[(p.key, ("本周 " if p == week else "上周 " if p == week.previous() else "") + p.label) for p in (week, week.previous(), week.previous().previous())],
        period=week.key,
        comparators=COMPARATOR_SIGNS,
        measure_units=MEASURE_UNITS,
        return_to=local_path(request.query_params.get("return_to")) or "",
        draft_page=f"/items/{item_id}",
        today=data.today,
    )
