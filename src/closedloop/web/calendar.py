"""The admin's holiday page: the years the calendar package does not cover, and the holidays
and make-up workdays (调休) entered for them."""

from __future__ import annotations

from litestar import Controller, Request, get, post
from litestar.response import Redirect, Template

from closedloop.http_common import IdPath
from closedloop.domain.errors import DomainError
from closedloop.services import access, calendar
from closedloop.services.common import Clock
from closedloop.web.pages import actor_of, back, date_field, form_of, page


class CalendarPages(Controller):
    include_in_schema = False

    def _check(self, request: Request):
        return access.require_admin(actor_of(request), "仅管理员可以使用此页面")

    async def _page(self, request: Request, values: dict, errors: dict, status: int = 200) -> Template:
        return page(
            "calendar.html", request, status=status, overrides=await calendar.overrides(),
            warnings=await calendar.warnings(Clock.today()), values=values, errors=errors,
        )

    @get("/admin/calendar")
    async def show(self, request: Request) -> Template:
        self._check(request)
        return await self._page(request, {}, {})

    @post("/admin/calendar")
    async def add(self, request: Request) -> Template | Redirect:
        actor = self._check(request)
        form = await form_of(request)
        errors: dict[str, str] = {}
        day = date_field(form, "day", errors)
        if not errors:
            try:
                await calendar.add_override(actor, day, form.get("kind") == "workday", form.get("note") or "")
                return back("/admin/calendar", f"已录入 {day}")
            except DomainError as exc:
                errors["day"] = exc.message
        return await self._page(request, form, errors, status=422)

    @post("/admin/calendar/{override_id:int}/delete")
    async def delete(self, request: Request, override_id: IdPath) -> Redirect:
        actor = self._check(request)
        try:
            await calendar.delete_override(actor, override_id)
        except DomainError as exc:
            return back("/admin/calendar", exc.message)
        return back("/admin/calendar", "已删除")
