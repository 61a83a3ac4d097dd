"""Signed-in pages: login, the lead workspace, the item page with its forms, the inbox, the
supervisor desk and the admin pages. Same services as the API; a session cookie instead of a
bearer token; every form carries a CSRF token. A form that fails shows the error next to its
field and keeps what was typed.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import quote

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import Cookie, UploadFile
from litestar.params import FromQuery
from litestar.response import Redirect, Template

from closedloop.api.security import IdPath, client_address
from closedloop.domain.errors import DomainError, Forbidden, Invalid
from closedloop.domain.lights import LIGHT_NAMES, Light
from closedloop.domain.stages import STAGE_NAMES, STAGE_ORDER, Stage
from closedloop.services import auth as auth_service
from closedloop.services import items as items_service
from closedloop.services import goal_changes, notify, org, plans, progress, publishing, records, supervision
from closedloop.services import values as ledger_values
from closedloop.services.common import Actor, Clock
from closedloop.services.items import ItemFilter
from closedloop.services.records import GOAL, PROBLEM, PROJECT, RESULT
from closedloop.settings import get_settings
from closedloop.web.plan_admin import import_corrections

LIGHTS = {l.value: LIGHT_NAMES[l] for l in Light}
STAGES = {s.value: STAGE_NAMES[s] for s in Stage}
SEVERITY = {"red": 0, "yellow": 1, "green": 2, "blue": 3, None: 4}
HOME = {"lead": "/my", "supervisor": "/desk", "admin": "/admin"}


def actor_of(request: Request) -> Actor:
    actor = request.scope.get("user")
    if not isinstance(actor, Actor):
        raise Forbidden("请先登录")
    return actor


def page(name: str, request: Request, status: int = 200, **context: Any) -> Template:
    user = request.scope.get("user")  # absent on public paths, which skip authentication
    context.setdefault("me", user if isinstance(user, Actor) else None)
    context.setdefault("lights", LIGHTS)
    context.setdefault("stages", STAGES)
    context.setdefault("flash", request.query_params.get("msg"))
    return Template(template_name=name, context=context, status_code=status)


def back(path: str, message: str) -> Redirect:
    sep = "&" if "?" in path else "?"
    return Redirect(path=f"{path}{sep}msg={quote(message)}")


def field_errors(exc: DomainError, default_field: str = "_") -> dict[str, str]:
    out: dict[str, str] = {}
    for p in exc.problems:
        key = (p.field or default_field).split(".")[0].split("[")[0]
        out.setdefault(key, p.message)
    if not out:
        out[default_field] = exc.message
    return out


def number(form: dict, name: str, errors: dict, *, required: bool = True, integer: bool = False) -> float | int | None:
    raw = (form.get(name) or "").strip()
    if not raw:
        if required:
            errors[name] = "必填"
        return None
    try:
        value = int(raw) if integer else float(raw)
    except ValueError:
        errors[name] = "请输入整数" if integer else "请输入数字"
        return None
    if value != value or abs(value) > 1e15:
        errors[name] = "数值超出范围"
        return None
    return value


def date_field(form: dict, name: str, errors: dict, *, required: bool = True) -> dt.date | None:
    raw = (form.get(name) or "").strip()
    if not raw:
        if required:
            errors[name] = "必填"
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        errors[name] = "日期格式应为 YYYY-MM-DD"
        return None


async def form_of(request: Request) -> dict[str, Any]:
    form = await request.form()
    return {k: form.get(k) for k in form.keys()}


class AuthPages(Controller):
    include_in_schema = False

    @get("/login")
    async def login_form(self, request: Request, next: FromQuery[str] = "", reason: FromQuery[str] = "") -> Template:
        return page("login.html", request, next=next, reason=reason, values={}, errors={})

    @post("/login")
    async def login(self, request: Request) -> Response:
        form = await form_of(request)
        username, password = (form.get("username") or "").strip(), form.get("password") or ""
        nxt = form.get("next") or ""
        errors = {}
        if not username:
            errors["username"] = "请输入用户名"
        if not password:
            errors["password"] = "请输入密码"
        if not errors:
            client = client_address(request)
            try:
                token, user = await auth_service.login(username, password, client, kind="web")
            except DomainError as exc:
                errors["_"] = exc.message
            else:
                target = nxt if nxt.startswith("/") and not nxt.startswith("//") else HOME.get(user["role"], "/rankings")
                s = get_settings()
                return Redirect(
                    path=target,
                    cookies=[
                        Cookie(
                            key=s.session_cookie, value=token, httponly=True, samesite="lax", secure=s.secure_cookies,
                            max_age=s.token_ttl_hours * 3600, path="/",
                        )
                    ],
                )
        return page("login.html", request, status=401 if "_" in errors else 422, next=nxt, reason="", values={"username": username}, errors=errors)

    @post("/logout")
    async def logout(self, request: Request) -> Response:
        token = request.cookies.get(get_settings().session_cookie)
        if token:
            await auth_service.logout(token)
        response = Redirect(path="/login?reason=" + quote("已退出登录"))
        response.delete_cookie(get_settings().session_cookie, path="/")
        return response


class LeadPages(Controller):
    include_in_schema = False

    @get("/my")
    async def my_items(self, request: Request) -> Template | Redirect:
        actor = actor_of(request)
        if not actor.is_lead:
            return Redirect(path=HOME.get(actor.role, "/rankings"))
        rows, _ = await items_service.list_items(ItemFilter(mine=True, page_size=200), actor)
        today = Clock.today()
        for r in rows:
            r["overdue"] = bool(r["deadline"] and r["deadline"] < today and r["stage"] in supervision.OPEN_STAGES)
        rows.sort(key=lambda r: (not r["overdue"], SEVERITY.get(r["light"], 4), r["deadline"] or dt.date.max, r["seq"]))
        unread = len(await notify.inbox(actor, unread_only=True))
        return page("my.html", request, items=rows, unread=unread, today=today)

    @get("/inbox")
    async def inbox(self, request: Request) -> Template:
        actor = actor_of(request)
        return page("inbox.html", request, notes=await notify.inbox(actor))

    @post("/inbox/{note_id:int}/read")
    async def read_note(self, request: Request, note_id: IdPath) -> Redirect:
        await notify.mark_read(actor_of(request), note_id)
        return Redirect(path="/inbox")

    @get("/items/{item_id:int}")
    async def item(self, request: Request, item_id: IdPath) -> Template:
        return await render_item(request, item_id)

    @post("/items/{item_id:int}/goals/{goal_id:int}")
    async def update_goal(self, request: Request, item_id: IdPath, goal_id: IdPath) -> Response:
        actor, form = actor_of(request), await form_of(request)
        errors: dict[str, str] = {}
        actual = number(form, "actual", errors)
        version = number(form, "version", errors, integer=True)
        name = f"goal-{goal_id}"
        if not errors:
            try:
                await records.update_record(GOAL, actor, goal_id, int(version), {"actual": actual})  # type: ignore[arg-type]
                return back(f"/items/{item_id}", "目标实际值已更新")
            except DomainError as exc:
                errors = field_errors(exc, "actual")
        return await render_item(request, item_id, form_name=name, values=form, errors=errors)

    @post("/items/{item_id:int}/goal-change")
    async def goal_change(self, request: Request, item_id: IdPath) -> Response:
        """目标调整申请 from the item page: the fields filled in are the values asked for."""
        actor, form = actor_of(request), await form_of(request)
        errors: dict[str, str] = {}
        goal_id = number(form, "goal_id", errors, integer=True)
        asked: dict[str, Any] = {}
        for name in ("baseline", "target"):
            if (form.get(name) or "").strip():
                asked[name] = number(form, name, errors)
        if (form.get("deadline") or "").strip():
            asked["deadline"] = date_field(form, "deadline", errors)
        if not errors and not asked:
            errors["target"] = "请填写要调整的目标值、基期值或完成时限"
        if not errors:
            try:
                await goal_changes.request_change(actor, int(goal_id), asked, form.get("reason") or "")  # type: ignore[arg-type]
                return back(f"/items/{item_id}", "目标调整申请已提交，等待督查室审批")
            except DomainError as exc:
                errors = field_errors(exc, "reason")
                if "changes" in errors:
                    errors["target"] = errors.pop("changes")
        return await render_item(request, item_id, form_name="goal-change", values=form, errors=errors)

    @post("/items/{item_id:int}/report")
    async def report(self, request: Request, item_id: IdPath) -> Response:
        actor, form = actor_of(request), await form_of(request)
        errors: dict[str, str] = {}
        goal_values, project_values = [], []
        for key in form:
            if key.startswith("goal_") and (form[key] or "").strip():
                v = number(form, key, errors)
                if v is not None:
                    goal_values.append((int(key[5:]), float(v)))
            if key.startswith("project_") and (form[key] or "").strip():
                v = number(form, key, errors, integer=True)
                if v is not None:
                    if not 0 <= v <= 100:
                        errors[key] = "进度必须在 0 到 100 之间"
                    else:
                        project_values.append((int(key[8:]), int(v)))
        if not (form.get("narrative") or "").strip():
            errors["narrative"] = "请填写本期进展"
        if not errors:
            try:
                await progress.create_report(
                    actor, item_id, period=(form.get("period") or "").strip(), narrative=form.get("narrative") or "",
                    reason=form.get("reason"), goal_values=goal_values, project_values=project_values,
                )
                return back(f"/items/{item_id}", "进度已报送")
            except DomainError as exc:
                errors = field_errors(exc, "narrative")
                for k in list(errors):
                    if k == "goals" or k == "projects":
                        errors["narrative"] = errors.pop(k)
        return await render_item(request, item_id, form_name="report", values=form, errors=errors)

    @post("/items/{item_id:int}/problems")
    async def add_problem(self, request: Request, item_id: IdPath) -> Response:
        actor, form = actor_of(request), await form_of(request)
        errors: dict[str, str] = {}
        due = date_field(form, "due_on", errors, required=False)
        if not (form.get("description") or "").strip():
            errors["description"] = "请描述问题"
        if not errors:
            try:
                await records.create_record(PROBLEM, actor, item_id, {"description": form["description"].strip(), "due_on": due, "found_on": Clock.today()})
                return back(f"/items/{item_id}", "问题已登记")
            except DomainError as exc:
                errors = field_errors(exc, "description")
        return await render_item(request, item_id, form_name="problem", values=form, errors=errors)

    @post("/items/{item_id:int}/problems/{problem_id:int}/resolve")
    async def resolve_problem(self, request: Request, item_id: IdPath, problem_id: IdPath) -> Response:
        actor, form = actor_of(request), await form_of(request)
        errors: dict[str, str] = {}
        version = number(form, "version", errors, integer=True)
        if not (form.get("resolution") or "").strip():
            errors["resolution"] = "请填写解决情况"
        if not errors:
            try:
                await records.update_record(PROBLEM, actor, problem_id, int(version), {"status": "resolved", "resolution": form["resolution"].strip()})  # type: ignore[arg-type]
                return back(f"/items/{item_id}", "问题已标记为解决")
            except DomainError as exc:
                errors = field_errors(exc, "resolution")
        return await render_item(request, item_id, form_name=f"problem-{problem_id}", values=form, errors=errors)

    @post("/items/{item_id:int}/projects")
    async def add_project(self, request: Request, item_id: IdPath) -> Response:
        actor, form = actor_of(request), await form_of(request)
        errors: dict[str, str] = {}
        end_on = date_field(form, "end_on", errors)
        if not (form.get("name") or "").strip():
            errors["name"] = "请填写项目名称"
        if not errors:
            try:
                await records.create_record(PROJECT, actor, item_id, {"name": form["name"].strip(), "end_on": end_on, "unit": actor.unit_id if actor.is_lead else None})
                return back(f"/items/{item_id}", "项目已添加")
            except DomainError as exc:
                errors = field_errors(exc, "name")
        return await render_item(request, item_id, form_name="project", values=form, errors=errors)

    @post("/items/{item_id:int}/results")
    async def add_result(self, request: Request, item_id: IdPath) -> Response:
        actor, form = actor_of(request), await form_of(request)
        errors: dict[str, str] = {}
        value = number(form, "value", errors, required=False)
        goal_id = number(form, "goal_id", errors, required=False, integer=True)
        if not (form.get("description") or "").strip():
            errors["description"] = "请描述成效"
        upload = form.get("file")
        content = await upload.read() if isinstance(upload, UploadFile) else b""
        if not errors:
            try:
                row = await records.create_record(RESULT, actor, item_id, {"description": form["description"].strip(), "value": value, "goal": goal_id, "achieved_on": Clock.today()})
                if content:
                    await records.add_evidence(actor, row["id"], filename=upload.filename, content_type=upload.content_type, content=content)  # type: ignore[union-attr]
                elif (form.get("url") or "").strip():
                    await records.add_evidence(actor, row["id"], url=form["url"].strip())
                return back(f"/items/{item_id}", "成效已登记")
            except DomainError as exc:
                errors = field_errors(exc, "description")
        values = {k: v for k, v in form.items() if not isinstance(v, UploadFile)}
        return await render_item(request, item_id, form_name="result", values=values, errors=errors)

    @post("/items/{item_id:int}/extension")
    async def extension(self, request: Request, item_id: IdPath) -> Response:
        actor, form = actor_of(request), await form_of(request)
        errors: dict[str, str] = {}
        new_deadline = date_field(form, "new_deadline", errors)
        if not errors:
            try:
                await supervision.request_extension(actor, item_id, new_deadline, form.get("reason") or "")  # type: ignore[arg-type]
                return back(f"/items/{item_id}", "延期申请已提交，等待督查室审批")
            except DomainError as exc:
                errors = field_errors(exc, "reason")
        return await render_item(request, item_id, form_name="extension", values=form, errors=errors)

    @post("/actions/{action_id:int}/answer")
    async def answer(self, request: Request, action_id: IdPath) -> Response:
        actor, form = actor_of(request), await form_of(request)
        errors: dict[str, str] = {}
        version = number(form, "version", errors, integer=True)
        item_id = int(form.get("item_id") or 0)
        if not errors:
            try:
                await supervision.respond(actor, action_id, int(version), form.get("response") or "")  # type: ignore[arg-type]
                return back(f"/items/{item_id}", "已回复督办")
            except DomainError as exc:
                errors = field_errors(exc, "response")
        return await render_item(request, item_id, form_name=f"answer-{action_id}", values=form, errors=errors)

    @post("/items/{item_id:int}/transition")
    async def transition(self, request: Request, item_id: IdPath) -> Response:
        actor, form = actor_of(request), await form_of(request)
        try:
            result = await items_service.transition(actor, item_id, form.get("to") or "", (form.get("reason") or "").strip() or None)
            return back(f"/items/{item_id}", f"已进入「{result['stage_name']}」阶段")
        except DomainError as exc:
            errors = {"to": exc.message, "list": "；".join(p.message for p in exc.problems)}
        return await render_item(request, item_id, form_name="transition", values=form, errors=errors)

    @post("/items/{item_id:int}/review")
    async def review(self, request: Request, item_id: IdPath) -> Response:
        actor, form = actor_of(request), await form_of(request)
        errors: dict[str, str] = {}
        version = number(form, "version", errors, integer=True)
        if not errors:
            try:
                await items_service.update_item(actor, item_id, int(version), {"review": (form.get("review") or "").strip() or None})  # type: ignore[arg-type]
                return back(f"/items/{item_id}", "复盘记录已保存")
            except DomainError as exc:
                errors = field_errors(exc, "review")
        return await render_item(request, item_id, form_name="review", values=form, errors=errors)


async def render_item(request: Request, item_id: int, *, form_name: str = "", values: dict | None = None, errors: dict | None = None) -> Template:
    item = await items_service.get_item(item_id)
    goals = await records.list_records(GOAL, item_id)
    results = await records.list_records(RESULT, item_id)
    for r in results:
        r["evidence"] = await records.list_evidence(r["id"])
    actor = actor_of(request)
    can_write = actor.is_admin or (actor.is_lead and (item["lead_unit"] == actor.unit_id or actor.unit_id in item["cooperating_unit_ids"]))
    units = {u["id"]: u["name"] for u in await org.list_units()}
    stage_index = STAGE_ORDER.index(Stage(item["stage"]))
    return page(
        "item.html",
        request,
        status=422 if errors else 200,
        item=item,
        gate=await items_service.gate_checklist(item_id),
        goals=goals,
        problems=await records.list_records(PROBLEM, item_id),
        projects=await records.list_records(PROJECT, item_id),
        results=results,
        reports=(await progress.list_reports(item_id))[:10],
        actions=await supervision.actions(item_id),
        extensions=await supervision.extensions(item_id),
        transitions=await items_service.transitions(item_id),
        change_requests=await goal_changes.list_for_item(item_id),
        goal_values=await ledger_values.history_of_item(item_id),
        targets_frozen=records.targets_frozen(item["stage"]),
        goal_names={g["id"]: g["subject"] for g in goals},
        stage_list=[(s.value, STAGE_NAMES[s], i < stage_index, i == stage_index) for i, s in enumerate(STAGE_ORDER)],
        next_stage=STAGE_ORDER[stage_index + 1].value if stage_index + 1 < len(STAGE_ORDER) else None,
        units=units,
        can_write=can_write,
        is_lead_unit=actor.is_admin or (actor.is_lead and item["lead_unit"] == actor.unit_id),
        form_name=form_name,
        values=values or {},
        errors=errors or {},
        period=publishing.period_of("weekly", Clock.today()),
        today=Clock.today(),
    )


class SupervisorPages(Controller):
    include_in_schema = False

    @get("/desk")
    async def desk(
        self, request: Request, unit_id: FromQuery[int | None] = None, section_id: FromQuery[int | None] = None,
        stage: FromQuery[str | None] = None, light: FromQuery[str | None] = None,
    ) -> Template:
        actor = actor_of(request)
        if not (actor.is_supervisor or actor.is_admin):
            raise Forbidden("督查台仅供督查室使用")
        stage = stage if stage in supervision.OPEN_STAGES else None
        light = light if light in LIGHTS else None
        rows, total = await supervision.overdue_list(unit_id=unit_id, section_id=section_id, stage=stage, light=light, page_size=200)
        pending, closing, sections = await supervision.desk_queues()
        return page(
            "desk.html", request, rows=rows, total=total, pending=pending, closing=closing, units=await org.list_units(),
            goal_changes=await supervision.pending_change_requests(),
            sections=sections, filters={"unit_id": unit_id, "section_id": section_id, "stage": stage, "light": light},
            pubs=(await publishing.list_publications())[:12],
        )

    @post("/desk/urge")
    async def urge(self, request: Request) -> Redirect:
        actor = actor_of(request)
        form = await request.form()
        ids = [int(x) for x in form.getall("item_ids") if str(x).isdigit()] if hasattr(form, "getall") else []
        if not ids:
            return back("/desk", "请先勾选要催办的事项")
        await supervision.urge(actor, ids, str(form.get("message") or ""))
        return back("/desk", f"已催办 {len(ids)} 个事项")

    @post("/extensions/{request_id:int}/decide")
    async def decide(self, request: Request, request_id: IdPath) -> Redirect:
        actor, form = actor_of(request), await form_of(request)
        approve = form.get("approve") == "1"
        try:
            await supervision.decide_extension(actor, request_id, int(form.get("version") or 0), approve, form.get("reason"))
        except DomainError as exc:
            return back("/desk", exc.message)
        return back("/desk", "已批准延期" if approve else "已驳回延期")

    @post("/change-requests/{request_id:int}/decide")
    async def decide_goal_change(self, request: Request, request_id: IdPath) -> Redirect:
        actor, form = actor_of(request), await form_of(request)
        approve = form.get("approve") == "1"
        try:
            await goal_changes.decide_change(actor, request_id, int(form.get("version") or 0), approve, form.get("reason"))
        except DomainError as exc:
            return back("/desk", exc.message)
        return back("/desk", "已批准目标调整" if approve else "已驳回目标调整")

    @post("/items/{item_id:int}/closure")
    async def closure(self, request: Request, item_id: IdPath) -> Redirect:
        actor, form = actor_of(request), await form_of(request)
        approve = form.get("approve") == "1"
        try:
            await supervision.verify_closure(actor, item_id, approve, form.get("reason"))
        except DomainError as exc:
            return back("/desk", exc.message)
        return back("/desk", "已销号" if approve else "已驳回销号，事项退回实干")

    @post("/desk/correct")
    async def correct(self, request: Request) -> Redirect:
        actor, form = actor_of(request), await form_of(request)
        try:
            pub = await publishing.correct(actor, int(form.get("publication_id") or 0), form.get("reason") or "")
        except (DomainError, ValueError) as exc:
            return back("/desk", getattr(exc, "message", "请选择要更正的晾晒"))
        return back("/desk", f"已发布更正版：{pub['title']} 第 {pub['edition']} 版")


class AdminPages(Controller):
    include_in_schema = False

    def _check(self, request: Request) -> Actor:
        actor = actor_of(request)
        if not actor.is_admin:
            raise Forbidden("仅管理员可以使用此页面")
        return actor

    @get("/admin")
    async def admin(self, request: Request) -> Template:
        self._check(request)
        from closedloop.services import calendar

        return page(
            "admin.html", request, units=await org.list_units(), users=await org.list_users(), plans=await plans.list_plans(),
            values={}, errors={}, preview=None, calendar_warnings=await calendar.warnings(Clock.today()),
        )

    @post("/admin/import")
    async def import_plan(self, request: Request) -> Response:
        actor = self._check(request)
        form = await form_of(request)
        text = form.get("text") or ""
        upload = form.get("file")
        filename = ""
        preview = form.get("action") != "save"
        errors, result = {}, None
        try:
            if isinstance(upload, UploadFile):
                raw = await upload.read()
                if raw:  # .txt .md .docx .pdf .xlsx, read by the plans service
                    filename = upload.filename or ""
                    text = plans.read_file(filename, raw)
            filename = filename or form.get("filename") or ""
            result = await plans.import_plan(actor, text, preview=preview, filename=filename, corrections=import_corrections(await request.form()))
        except Invalid as exc:
            fields = {p.field for p in exc.problems}
            errors = {"extra_goals" if "extra_goals" in fields else "text": exc.message}
        if result and not preview:
            msg = "该计划已导入过，未重复导入" if result["already_imported"] else f"已导入计划，共 {result['item_count']} 个事项"
            return back("/admin", msg)
        return page(
            "admin.html", request, status=422 if errors else 200, units=await org.list_units(), users=await org.list_users(),
            plans=await plans.list_plans(), values={"text": text, "filename": filename, "extra_goals": form.get("extra_goals") or ""},
            errors=errors, preview=result,
        )

    @post("/admin/units")
    async def add_unit(self, request: Request) -> Redirect:
        actor = self._check(request)
        form = await form_of(request)
        try:
            await org.create_unit(actor, form.get("name") or "")
        except DomainError as exc:
            return back("/admin", exc.message)
        return back("/admin", "单位已添加")

    @post("/admin/users")
    async def add_user(self, request: Request) -> Redirect:
        actor = self._check(request)
        form = await form_of(request)
        unit = form.get("unit_id")
        try:
            await org.create_user(actor, form.get("username") or "", form.get("password") or "", form.get("role") or "", int(unit) if unit else None, form.get("display_name") or "")
        except DomainError as exc:
            return back("/admin", exc.message)
        return back("/admin", "用户已添加")

    @post("/items/{item_id:int}/assign")
    async def assign(self, request: Request, item_id: IdPath) -> Response:
        actor = self._check(request)
        form = await request.form()
        errors: dict[str, str] = {}
        values: dict[str, Any] = {}
        lead = form.get("lead_unit_id")
        values["lead_unit"] = int(lead) if lead else None
        values["cooperating_unit_ids"] = [int(x) for x in form.getall("cooperating_unit_ids") if str(x).isdigit()]
        values["responsible_person"] = (form.get("responsible_person") or "").strip() or None
        plain = {k: form.get(k) for k in form.keys()}
        deadline = date_field(plain, "deadline", errors, required=False)
        values["deadline"] = deadline
        if not errors:
            try:
                await items_service.update_item(actor, item_id, int(form.get("version") or 0), values)
                return back(f"/items/{item_id}", "已保存分工")
            except DomainError as exc:
                errors = field_errors(exc, "lead_unit_id")
        return await render_item(request, item_id, form_name="assign", values=plain, errors=errors)
