"""The working-day calendar an admin keeps: holidays and make-up workdays (调休) entered for a
year the ``chinese_calendar`` package does not cover yet (or to correct one it does), and the
warning, where people will see it (the admin pages, the start-up log, the scan's output), that a
year is counted Monday–Friday because nobody has entered its arrangement yet.

``domain.workdays`` applies the calendar; this module is the one home of the overrides table
(``workday_override``): read, set and cleared here, audited, for the pages and the API alike.
"""

from __future__ import annotations

import datetime as dt

from closedloop.db.engine import write_tx
from closedloop.db.tables import WorkdayOverride
from closedloop.domain.errors import Invalid, NotFound, Issue
from closedloop.domain.workdays import covered
from closedloop.services import access
from closedloop.services.common import Actor, audit

NOTE_MAX = 100


async def overrides() -> dict[dt.date, bool]:
    """Every override: day → whether it is a working day."""
    return {r["day"]: r["is_workday"] for r in await WorkdayOverride.select(WorkdayOverride.day, WorkdayOverride.is_workday)}


async def year(y: int) -> dict:
    """A year's overrides, and whether the calendar package covers the year (if not, the
    fallback is Monday–Friday plus these overrides)."""
    if not 2000 <= y <= 2100:
        raise Invalid("年份无效", [Issue("invalid", "年份应在 2000 到 2100 之间", "year")])
    rows = await WorkdayOverride.select().where(
        (WorkdayOverride.day >= dt.date(y, 1, 1)) & (WorkdayOverride.day <= dt.date(y, 12, 31))
    ).order_by(WorkdayOverride.day)
    return {"year": y, "covered": covered(y), "overrides": rows}


async def uncovered_years(today: dt.date) -> list[int]:
    """This year and next, when the package does not know them and no admin entry exists."""
    entered = {r["day"].year for r in await WorkdayOverride.select(WorkdayOverride.day)}
    return [y for y in (today.year, today.year + 1) if not covered(y) and y not in entered]


def warning_for(year: int) -> str:
    return (
        f"日历提示：{year}年的法定节假日和调休安排尚未收录，工作日暂按周一至周五计算；"
        "请管理员在「管理 → 工作日调整」中录入该年的节假日和调休上班日。"
    )


async def warnings(today: dt.date) -> list[str]:
    return [warning_for(y) for y in await uncovered_years(today)]


def _admin(actor: Actor) -> None:
    access.require_admin(actor, "工作日调整由管理员维护")


async def set_day(actor: Actor, day: dt.date, is_workday: bool, note: str = "") -> dict:
    """Enter (or change) one day: a holiday (is_workday False) or a make-up workday (True)."""
    _admin(actor)
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise Invalid(f"备注不能超过 {NOTE_MAX} 字", [Issue("too_long", f"备注不能超过 {NOTE_MAX} 字", "note")])
    async with write_tx():
        before = await WorkdayOverride.select().where(WorkdayOverride.day == day).first()
        if before is None:
            row = (await WorkdayOverride.insert(WorkdayOverride(day=day, is_workday=is_workday, note=note)).returning(*WorkdayOverride.all_columns()))[0]
        else:
            row = (await WorkdayOverride.update({WorkdayOverride.is_workday: is_workday, WorkdayOverride.note: note}).where(
                WorkdayOverride.day == day).returning(*WorkdayOverride.all_columns()))[0]
        await audit(actor, "set_workday", "workday_override", row["id"], before=before, after=row)
    return row


async def clear_day(actor: Actor, day: dt.date) -> None:
    """Remove a day's override: the calendar package (or Monday–Friday) decides again."""
    _admin(actor)
    async with write_tx():
        before = await WorkdayOverride.select().where(WorkdayOverride.day == day).first()
        if before is None:
            raise NotFound("该日期没有调整记录")
        await WorkdayOverride.delete().where(WorkdayOverride.day == day)
        await audit(actor, "clear_workday", "workday_override", before["id"], before=before)
