"""/admin/workdays: the admin enters a year's holidays and make-up workdays (调休) when the
calendar package does not cover it yet, and sees which years are counted Monday–Friday for want
of entries. The one page for the ``workday_override`` table (``services/workdays.py``); the former
holiday page's address, /admin/calendar, leads here."""

from __future__ import annotations

import datetime as dt

from litestar import Controller, Request, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from closedloop.domain.errors import DomainError
from closedloop.services import access, workdays
from closedloop.services.common import Actor, Clock
from closedloop.web.forms import Form, actor_of, back, page


def admin(request: Request) -> Actor:
    return access.require_admin(actor_of(request), "仅管理员可以维护工作日")


class WorkdayPages(Controller):
    include_in_schema = False

    @get("/admin/workdays")
    async def workdays_page(self, request: Request, year: FromQuery[int | None] = None) -> Template:
        admin(request)
        today = Clock.today()
        # from November the year to enter is usually next year's (the State Council announces it late)
        y = year or today.year + (1 if today.month >= 11 else 0)
        data = await workdays.year(y)
        return page("workdays.html", request, data=data, years=list(range(today.year - 1, today.year + 3)),
                    warnings=await workdays.warnings(today))

    @get("/admin/calendar")
    async def calendar_page(self, request: Request) -> Redirect:
        """The holiday page this one replaced: bookmarks and old links land here."""
        admin(request)
        return Redirect(path="/admin/workdays", status_code=301)

    @post("/admin/workdays")
    async def set_day(self, request: Request) -> Redirect:
        actor = admin(request)
        form = await Form.read(request)
        day = form.date("day", required=True)
        target = f"/admin/workdays?year={day.year}" if day else "/admin/workdays"
        if form.errors or day is None:
            return back(target, "请填写日期（YYYY-MM-DD）")
        try:
            await workdays.set_day(actor, day, form.raw("is_workday") == "1", form.raw("note"))
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
