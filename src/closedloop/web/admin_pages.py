"""The admin's pages: plan import (preview, then save), units, users, and an item's assignment
(牵头单位, 配合单位, 责任人, 完成时限). Errors come back by their field with what was typed."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.response import Template

from closedloop.http_common import IdPath
from closedloop.domain.errors import DomainError, Invalid
from closedloop.services import access, items as items_service
from closedloop.services import org, plans, workdays
from closedloop.services.common import Actor, Clock
from closedloop.web.forms import Form, actor_of, back, field_errors, page
from closedloop.web.lead_pages import save_form
from closedloop.web.plan_admin import import_corrections

ROLES = {"lead": "单位联络人", "supervisor": "督查室", "admin": "管理员"}


def _admin(request: Request) -> Actor:
    return access.require_admin(actor_of(request), "仅管理员可以使用此页面")


async def render_admin(request: Request, *, status: int = 200, form_name: str = "", values: dict | None = None,
                       errors: dict | None = None, preview: dict | None = None) -> Template:
    return page(
        "admin.html", request, status=422 if errors else status, units=await org.list_units(), users=await org.list_users(),
        plans=await plans.list_plans(), roles=ROLES, draft_page="/admin", form_name=form_name, values=values or {}, errors=errors or {}, preview=preview,
        calendar_warnings=await workdays.warnings(Clock.today()),
    )


class AdminPages(Controller):
    include_in_schema = False

    @get("/admin")
    async def admin(self, request: Request) -> Template:
        _admin(request)
        return await render_admin(request)

    @post("/admin/import")
    async def import_plan(self, request: Request) -> Response:
        actor = _admin(request)
        form = await Form.read(request)
        text = str(form.values.get("text") or "")
        upload = form.file("file")
        filename = ""
        preview = form.raw("action") != "save"
        errors, result = {}, None
        try:
            if upload:
                raw = await upload.read()
                if raw:  # .txt .md .docx .pdf .xlsx, read by the plans service
                    filename = upload.filename or ""
                    text = plans.read_file(filename, raw)
            filename = filename or form.raw("filename")
            result = await plans.import_plan(actor, text, preview=preview, filename=filename, corrections=import_corrections(await request.form()))
        except Invalid as exc:
            fields = {p.field for p in exc.problems}
            errors = {"extra_goals" if "extra_goals" in fields else "text": exc.message}
        if result and not preview:
            msg = "该计划已导入过，未重复导入" if result["already_imported"] else f"已导入计划，共 {result['item_count']} 个事项"
            return back("/admin", msg, saved="import")
        return await render_admin(
            request, form_name="import", values={"text": text, "filename": filename, "extra_goals": form.raw("extra_goals")}, errors=errors,
            preview=result,
        )

    @post("/admin/units")
    async def add_unit(self, request: Request) -> Response:
        actor = _admin(request)
        form = await Form.read(request)
        name = form.text("name", required="请填写单位名称")
        if not form.errors:
            try:
                await org.create_unit(actor, name or "")
                return back("/admin", "单位已添加", saved="unit")
            except DomainError as exc:
                form.errors = field_errors(exc, "name")
        return await render_admin(request, form_name="unit", values=form.kept(), errors=form.errors)

    @post("/admin/users")
    async def add_user(self, request: Request) -> Response:
        actor = _admin(request)
        form = await Form.read(request)
        unit_id = form.ident("unit_id", what="单位")
        role = form.raw("role")
        if role not in ROLES:
            form.errors["role"] = "请从列表中选择角色"
        if not form.errors:
            try:
                await org.create_user(actor, form.raw("username"), str(form.values.get("password") or ""), role, unit_id, form.raw("display_name"))
                return back("/admin", "用户已添加", saved="user")
            except DomainError as exc:
                form.errors = field_errors(exc, "username")
        kept = {k: v for k, v in form.kept().items() if k != "password"}
        return await render_admin(request, form_name="user", values=kept, errors=form.errors)

    @post("/items/{item_id:int}/assign")
    async def assign(self, request: Request, item_id: IdPath) -> Response:
        actor = _admin(request)
        form = await Form.read(request)
        values: dict[str, Any] = {
            "lead_unit": form.ident("lead_unit_id", what="牵头单位"),
            "cooperating_unit_ids": form.ids("cooperating_unit_ids"),
            "responsible_person": form.text("responsible_person"),
            "deadline": form.date("deadline"),
        }
        version = form.ident("version", required=True, what="版本")
        return await save_form(
            request, item_id, form, "assign", lambda: items_service.update_item(actor, item_id, version, values),  # type: ignore[arg-type]  # the form's getters return None only with a field error, and the errors were checked first
            "已保存分工", field="lead_unit_id", renamed={"lead_unit": "lead_unit_id"},
            values={**form.kept(), "cooperating_unit_ids": form.all("cooperating_unit_ids")},
        )
