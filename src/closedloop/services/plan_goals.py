"""Plan goals (工作目标): which linked item goal reports each, and their progress as of a day.

The rules (completion, light) are the goal rules of ``domain/``; the values as of a moment come
from ``services/metrics.py`` (``plan_goals_as_of``), as in the editions.
"""

from __future__ import annotations

import datetime as dt

from closedloop.db.engine import write_tx
from closedloop.db.tables import Goal, Plan
from closedloop.domain.errors import Invalid, NotFound, Issue
from closedloop.services import access, metrics
from closedloop.services.common import Actor, Clock, audit, local_zone
from closedloop.settings import get_settings


async def progress(plan_id: int, as_of: dt.date | None = None) -> list[dict]:
    """The plan's goals as of the end of ``as_of`` (as of now without it)."""
    if not await Plan.exists().where(Plan.id == plan_id):
        raise NotFound("计划不存在")
    now = Clock.now()
    if as_of is None:
        at = now
    else:
        at = min(now, dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time(0), tzinfo=local_zone()) - dt.timedelta(microseconds=1))
    day = at.astimezone(local_zone()).date()
    return await metrics.plan_goals_as_of(metrics.Cut(at=at, day=day, since=at), get_settings().lights, plan_id)


async def set_reporter(actor: Actor, plan_goal_id: int, goal_id: int) -> dict:
    """Choose the linked item goal whose value is the plan goal's (the others keep reporting
    their own items only)."""
    access.require_admin(actor, "由管理员指定承担计划目标的事项目标")
    async with write_tx():
        plan_goal = await Goal.select().where((Goal.id == plan_goal_id) & Goal.item.is_null()).first()
        if plan_goal is None:
            raise NotFound("计划目标不存在")
        goal = await Goal.select().where(Goal.id == goal_id).first()
        if goal is None or goal["plan_goal"] != plan_goal_id:
            raise Invalid("该事项目标没有关联到这个计划目标", [Issue("not_linked", "该事项目标没有关联到这个计划目标", "goal_id")])
        before = await Goal.select(Goal.id).where((Goal.plan_goal == plan_goal_id) & (Goal.reports_plan_goal == True)).first()  # noqa: E712
        await Goal.update({Goal.reports_plan_goal: False}).where(Goal.plan_goal == plan_goal_id)
        await Goal.update({Goal.reports_plan_goal: True}).where(Goal.id == goal_id)
        await audit(actor, "set_reporter", "goal", plan_goal_id, before={"reporting_goal": before["id"] if before else None}, after={"reporting_goal": goal_id})
    return {"plan_goal_id": plan_goal_id, "goal_id": goal_id}
