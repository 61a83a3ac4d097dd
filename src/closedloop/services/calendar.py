"""The working-day calendar: which years the calendar package covers, and the holidays and
make-up workdays (调休) an admin enters for the years it does not.

``domain/workdays.py`` counts working days; this module keeps the admin's entries and says,
where people will see it (the admin page, the start-up log, the scan's output), when a year
is counted Monday–Friday because nobody has entered its arrangement yet.
"""

from __future__ import annotations

import datetime as dt

from closedloop.db.engine import write_tx
from closedloop.db.tables import WorkdayOverride
from closedloop.domain.errors import Conflict, Invalid, NotFound, Issue
from closedloop.domain.workdays import covered
from closedloop.services import access
from closedloop.services.common import Actor, audit


def _require_admin(actor: Actor) -> None:
    access.require_admin(actor, "节假日由管理员维护")


async def overrides() -> list[dict]:
    return await WorkdayOverride.select().order_by(WorkdayOverride.day)


async def uncovered_years(today: dt.date) -> list[int]:
    """This year and next, when the package does not know them and no admin entry exists."""
    entered = {r["day"].year for r in await WorkdayOverride.select(WorkdayOverride.day)}
    return [y for y in (today.year, today.year + 1) if not covered(y) and y not in entered]


def warning_for(year: int) -> str:
    return (
        f"日历提示：{year}年的法定节假日和调休安排尚未收录，工作日暂按周一至周五计算；"
        "请管理员在「管理 → 节假日」中录入该年的节假日和调休上班日。"
    )


async def warnings(today: dt.date) -> list[str]:
    return [warning_for(y) for y in await uncovered_years(today)]


async def add_override(actor: Actor, day: dt.date | None, is_workday: bool, note: str) -> dict:
    _require_admin(actor)
    if day is None:
        raise Invalid("请填写日期", [Issue("required", "请填写日期", "day")])
    async with write_tx():
        if await WorkdayOverride.exists().where(WorkdayOverride.day == day):
            raise Conflict(f"{day} 已录入，请先删除原记录")
        row = (
            await WorkdayOverride.insert(WorkdayOverride(day=day, is_workday=is_workday, note=(note or "").strip()[:100])).returning(
                *WorkdayOverride.all_columns()
            )
        )[0]
        await audit(actor, "create", "workday_override", row["id"], after=row)
    return row


async def delete_override(actor: Actor, override_id: int) -> None:
    _require_admin(actor)
    async with write_tx():
        row = await WorkdayOverride.select().where(WorkdayOverride.id == override_id).first()
        if row is None:
            raise NotFound("该日期记录不存在")
        await WorkdayOverride.delete().where(WorkdayOverride.id == override_id)
        await audit(actor, "delete", "workday_override", override_id, before=row)
