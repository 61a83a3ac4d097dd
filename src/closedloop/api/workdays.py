"""/api/v1/workdays: the admin's holidays and make-up workdays for years the calendar lacks."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from litestar import Controller, delete, get, put
from litestar.params import FromPath, JSONBody, QueryParameter
from msgspec import Meta, Struct

from closedloop.api.schemas.common import In, read, read_all
from closedloop.api.security import CurrentActor, admin_only, any_role
from closedloop.services import workdays


class WorkdayIn(In):
    is_workday: bool
    note: Annotated[str, Meta(max_length=100)] = ""


class WorkdayRead(Struct):
    day: dt.date
    is_workday: bool
    note: str


class WorkdayYear(Struct):
    year: int
    covered: bool  # whether the calendar package knows the year; if not, Monday–Friday plus these
    overrides: list[WorkdayRead]


class WorkdayController(Controller):
    path = "/api/v1/workdays"
    tags = ["工作日"]
    guards = [any_role]

    @get("/", summary="某年的节假日和调休上班日（管理员维护），以及日历包是否已覆盖该年")
    async def year(self, year: Annotated[int, QueryParameter(ge=2000, le=2100)]) -> WorkdayYear:
        data = await workdays.year(year)
        return WorkdayYear(year=data["year"], covered=data["covered"], overrides=read_all(WorkdayRead, data["overrides"]))

    @put("/{day:date}", guards=[admin_only], summary="设置某日为节假日（is_workday=false）或调休上班日（true）")
    async def set_day(self, actor: CurrentActor, day: FromPath[dt.date], data: JSONBody[WorkdayIn]) -> WorkdayRead:
        return read(WorkdayRead, await workdays.set_day(actor, day, data.is_workday, data.note))

    @delete("/{day:date}", guards=[admin_only], summary="删除某日的调整，恢复日历包（或周一至周五）的规则")
    async def clear_day(self, actor: CurrentActor, day: FromPath[dt.date]) -> None:
        await workdays.clear_day(actor, day)
