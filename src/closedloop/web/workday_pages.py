"""/admin/workdays: the admin enters a year's holidays and make-up workdays (调休) when the
calendar package does not cover it yet. Calls services/workdays.py only."""

from __future__ import annotations

import datetime as dt

from litestar import Controller, Request, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from closedloop.domain.errors import DomainError
from closedloop.services import access, workdays
from closedloop.services.common import Actor, Clock
from closedloop.web.pages import actor_of, back, date_field, form_of, page


def admin(request: Request) -> Actor:
    return access.require_admin(actor_of(request), "仅管理员可以维护工作日")


class WorkdayPages(Controller):
    include_in_schema = False

    @get("/admin/workdays")
    async def workdays_page(self, request: Request, year: FromQuery[int | None] = None) -> Template:
        admin(request)
        y = year or Clock.today().year + (1 if Clock.today().month >= 11 else 0)
        data = await workdays.year(y)
        return page("workdays.html", request, data=data, years=list(range(Clock.today().year - 1, Clock.today().year + 3)))

    @post("/admin/workdays")
    async def set_day(self, request: Request) -> Redirect:
        actor = admin(request)
        form = await form_of(request)
        errors: dict[str, str] = {}
        day = date_field(form, "day", errors)
        target = f"/admin/workdays?year={day.year}" if day else "/admin/workdays"
        if errors or day is None:
            return back(target, "请填写日期（YYYY-MM-DD）")
        try:
            await workdays.set_day(actor, day, form.get("is_workday") == "1", str(form.get("note") or ""))
        except DomainError as exc:
            return back(target, exc.message)
        return back(target, f"已保存 {day}")

    @post("/admin/workdays/{day:date}/delete")
    async def clear_day(self, request: Request, day: FromPath[dt.date]) -> Redirect:
        actor = admin(request)
        try:
            await workdays.clear_day(actor, day)
        except DomainError as exc:
            return back(f"/admin/workdays?year={day.year}", exc.message)
        return back(f"/admin/workdays?year={day.year}", f"已删除 {day} 的调整")
