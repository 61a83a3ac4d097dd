"""Admin pages for fixing a plan by hand: /admin/plans/{id} lists plan goals, sections and items
with forms to add, edit, reorder, delete, withdraw (撤销) and restate; each form posts to a route
here that calls the plan editing service and comes back with a message. Also the reading of the
import preview's corrections (targets dropped, titles fixed, targets added)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.response import Redirect, Template

from closedloop.web.forms import flash_of, flash_query
from closedloop.http_common import IdPath
from closedloop.domain.errors import DomainError, Forbidden
from closedloop.domain.plan_parser import COMPARATORS
from closedloop.services import access, plan_editing, plans, responsibility
from closedloop.services.common import Actor


def import_corrections(form: Any) -> dict | None:
    """The preview form's fixes, or None before the admin has seen a preview."""
    if form.get("reviewed") != "1":
        return None
    keys = [k for k in (form.get("target_keys") or "").split(",") if k]
    kept = set(form.getall("keep")) if hasattr(form, "getall") else set()
    titles = {k[len("title:") :]: form.get(k) for k in form.keys() if k.startswith("title:")}
    return {"drop": [k for k in keys if k not in kept], "titles": titles, "extra_goals": form.get("extra_goals") or ""}


def _actor(request: Request) -> Actor:
    actor = request.scope.get("user")
    if not isinstance(actor, Actor):
        raise Forbidden("仅管理员可以使用此页面")
    return access.require_admin(actor, "仅管理员可以使用此页面")


def _back(plan_id: int, message: str) -> Redirect:
    return Redirect(path=f"/admin/plans/{plan_id}?{flash_query(message)}")


def _int(form: dict, name: str) -> int | None:
    raw = (form.get(name) or "").strip()
    return int(raw) if raw.isdigit() else None


def _float(form: dict, name: str) -> float | None:
    raw = (form.get(name) or "").strip()
    try:
        return float(raw) if raw else None
    except ValueError:
        return None


async def _form(request: Request) -> dict[str, Any]:
    form = await request.form()
    return {k: form.get(k) for k in form.keys()}


async def _run(plan_id: int, done: str, coro) -> Redirect:
    try:
        await coro
    except DomainError as exc:
        return _back(plan_id, exc.message)
    return _back(plan_id, done)


class PlanAdminPages(Controller):
    include_in_schema = False
    path = "/admin/plans"

    @get("/{plan_id:int}")
    async def edit_page(self, request: Request, plan_id: IdPath) -> Template:
        _actor(request)
        return await self._page(request, plan_id)

    async def _page(self, request: Request, plan_id: int, **extra: Any) -> Template:
        tree = await plans.plan_tree(plan_id)
        context = {"plan": tree, "comparators": COMPARATORS, "me": request.scope.get("user"), "flash": flash_of(request)}
        return Template(template_name="plan_edit.html", context={**context, **extra}, status_code=422 if extra.get("assign_error") else 200)

    @post("/{plan_id:int}/assign")
    async def assign(self, request: Request, plan_id: IdPath) -> Response:
        """责任分工: a table file (or its text, sent back from the preview) → preview, then apply."""
        actor = _actor(request)
        form = await request.form()
        text = form.get("text") or ""
        upload = form.get("file")
        try:
            if isinstance(upload, UploadFile):
                raw = await upload.read()
                if raw:
                    text = plans.read_file(upload.filename or "", raw)
            if not text.strip():
                return await self._page(request, plan_id, assign_error="请上传责任分工表（.xlsx、.docx 或文本）")
            raw_text = text.encode("utf-8")
            if form.get("action") == "apply":
                done = await responsibility.apply(actor, plan_id, "分工.txt", raw_text, create_units=form.get("create_units") == "1")
                return _back(plan_id, f"已按责任分工更新 {len(done['matches'])} 个事项" + (f"，新建单位 {'、'.join(done['created_units'])}" if done["created_units"] else ""))
            seen = await responsibility.preview(plan_id, "分工.txt", raw_text)
        except DomainError as exc:
            return await self._page(request, plan_id, assign_error=exc.message)
        return await self._page(request, plan_id, assign_preview=seen, assign_text=text)

    @post("/{plan_id:int}/sections")
    async def add_section(self, request: Request, plan_id: IdPath) -> Redirect:
        actor, form = _actor(request), await _form(request)
        values = {"title": form.get("title") or "", "code": form.get("code") or None, "position": _int(form, "position")}
        return await _run(plan_id, "已添加分项", plan_editing.add_section(actor, plan_id, values))

    @post("/{plan_id:int}/nodes/{node_id:int}/items")
    async def add_item(self, request: Request, plan_id: IdPath, node_id: IdPath) -> Redirect:
        actor, form = _actor(request), await _form(request)
        values = {"title": form.get("title") or "", "code": form.get("code") or None, "text": form.get("text") or ""}
        return await _run(plan_id, "已添加事项", plan_editing.add_item(actor, node_id, values))

    @post("/{plan_id:int}/nodes/{node_id:int}/edit")
    async def edit_node(self, request: Request, plan_id: IdPath, node_id: IdPath) -> Redirect:
        actor, form = _actor(request), await _form(request)
        values = {k: form.get(k) for k in ("code", "title") if form.get(k) is not None}
        return await _run(plan_id, "已保存", plan_editing.update_node(actor, node_id, _int(form, "version") or 0, values))

    @post("/{plan_id:int}/nodes/{node_id:int}/move")
    async def move_node(self, request: Request, plan_id: IdPath, node_id: IdPath) -> Redirect:
        actor, form = _actor(request), await _form(request)
        return await _run(
            plan_id, "已调整顺序",
            plan_editing.move_node(actor, node_id, _int(form, "version") or 0, _int(form, "position") or 1, _int(form, "parent_id")),
        )

    @post("/{plan_id:int}/nodes/{node_id:int}/delete")
    async def delete_node(self, request: Request, plan_id: IdPath, node_id: IdPath) -> Redirect:
        actor, form = _actor(request), await _form(request)
        return await _run(plan_id, "已删除", plan_editing.delete_node(actor, node_id, _int(form, "version") or 0))

    @post("/{plan_id:int}/nodes/{node_id:int}/withdraw")
    async def withdraw(self, request: Request, plan_id: IdPath, node_id: IdPath) -> Redirect:
        actor, form = _actor(request), await _form(request)
        return await _run(
            plan_id, "已撤销事项", plan_editing.withdraw_item(actor, node_id, _int(form, "version") or 0, form.get("reason") or "")
        )

    @post("/{plan_id:int}/nodes/{node_id:int}/restate")
    async def restate(self, request: Request, plan_id: IdPath, node_id: IdPath) -> Redirect:
        actor, form = _actor(request), await _form(request)
        return await _run(plan_id, "事项已承接计划目标", plan_editing.restate_plan_goal(actor, node_id, _int(form, "plan_goal_id") or 0))

    @post("/{plan_id:int}/goals")
    async def add_goal(self, request: Request, plan_id: IdPath) -> Redirect:
        actor, form = _actor(request), await _form(request)
        values = {
            "subject": form.get("subject") or "", "measure_unit": form.get("measure_unit") or None,
            "comparator": form.get("comparator") or ">=", "target": _float(form, "target"),
        }
        return await _run(plan_id, "已添加计划目标", plan_editing.add_plan_goal(actor, plan_id, values))

    @post("/{plan_id:int}/goals/{goal_id:int}/edit")
    async def edit_goal(self, request: Request, plan_id: IdPath, goal_id: IdPath) -> Redirect:
        actor, form = _actor(request), await _form(request)
        values: dict[str, Any] = {k: form.get(k) for k in ("subject", "measure_unit", "comparator") if form.get(k) is not None}
        if _float(form, "target") is not None:
            values["target"] = _float(form, "target")
        return await _run(plan_id, "已保存计划目标", plan_editing.update_plan_goal(actor, goal_id, _int(form, "version") or 0, values))

    @post("/{plan_id:int}/goals/{goal_id:int}/delete")
    async def delete_goal(self, request: Request, plan_id: IdPath, goal_id: IdPath) -> Redirect:
        actor, form = _actor(request), await _form(request)
        return await _run(plan_id, "已删除计划目标", plan_editing.delete_plan_goal(actor, goal_id, _int(form, "version") or 0))
