"""亮灯: blue (ahead), green (normal), yellow (warning), red (lagging/overdue).

Rules of DOMAIN.md with thresholds from settings. "Points" are percentage points of
completion: the trajectory's expected completion minus the actual completion, × 100
(``behind_points``; negative when ahead).

- A goal: a reached target is blue; then red; then yellow; then blue for ahead; then green.
- An item: its worst goal light, and red/yellow from its own deadline; an item with no goal
  N working days after it was assigned is yellow, 未下钻 (``undrilled``).
- A unit in a 晾晒 edition: the same thresholds applied to the mean points its goals are
  behind their trajectories as of the cut-off; red with any overdue item; yellow with an
  undrilled item (``unit_light``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from closedloop.domain.trajectory import Milestone, completion, expected_completion, reached
from closedloop.domain.workdays import add_workdays


class Light(StrEnum):
    BLUE = "blue"
    GREEN = "green"
    YELLOW = "yellow"
    RED = "red"


LIGHT_NAMES = {Light.BLUE: "蓝灯（超前）", Light.GREEN: "绿灯（正常）", Light.YELLOW: "黄灯（预警）", Light.RED: "红灯（滞后）"}
SEVERITY = {Light.BLUE: 0, Light.GREEN: 1, Light.YELLOW: 2, Light.RED: 3}


@dataclass(frozen=True)
class Thresholds:
    ahead_points: float = 10.0
    yellow_points: float = 10.0
    red_points: float = 30.0
    due_soon_days: int = 3
    stale_days: int = 30
    # an item without a goal this many working days after assignment is yellow (未下钻)
    drill_workdays: int = 10


UNDRILLED = "未下钻"  # the reason stored with an item's light when it comes from this rule


@dataclass(frozen=True)
class GoalState:
    comparator: str | None
    baseline: float | None
    target: float | None
    deadline: date | None
    actual: float | None
    start: date
    milestones: tuple[Milestone, ...] = ()
    last_report_on: date | None = None
    reached_on: date | None = None


def behind_points(g: GoalState, as_of: date) -> float | None:
    """Points behind the trajectory (negative: ahead); None if not computable."""
    if g.target is None or g.deadline is None:
        return None
    # no actual yet: the goal stands where it started (its baseline, or 0)
    start_value = g.baseline if g.baseline is not None else 0.0
    done = completion(g.actual if g.actual is not None else start_value, g.baseline, g.target, g.comparator)
    if done is None:
        return None
    expected = expected_completion(
        as_of, start=g.start, deadline=g.deadline, baseline=g.baseline, target=g.target, milestones=list(g.milestones)
    )
    # rounded so that a value exactly on a threshold is not pushed across it by float noise
    return round((expected - min(done, 1.0)) * 100.0, 6)


def goal_light(g: GoalState, as_of: date, t: Thresholds = Thresholds()) -> Light | None:
    """The goal's light on ``as_of``; None while it lacks a target or deadline."""
    if g.target is None or g.deadline is None:
        return None
    if reached(g.actual, g.comparator, g.target, g.baseline):
        on = g.reached_on or as_of
        return Light.BLUE if on <= g.deadline else Light.GREEN
    if as_of > g.deadline:
        return Light.RED
    behind = behind_points(g, as_of)
    assert behind is not None
    if behind > t.red_points:
        return Light.RED
    if behind >= t.yellow_points:
        return Light.YELLOW
    if (g.deadline - as_of).days <= t.due_soon_days:
        return Light.YELLOW
    stale_since = g.last_report_on or g.start
    if (as_of - stale_since).days > t.stale_days:
        return Light.YELLOW
    if -behind >= t.ahead_points:
        return Light.BLUE
    return Light.GREEN


def undrilled(has_goals: bool, assigned_on: date | None, as_of: date, t: Thresholds = Thresholds(), overrides=None) -> bool:
    """未下钻: assigned to a lead unit, and still without a goal ``drill_workdays`` working days later."""
    if has_goals or assigned_on is None:
        return False
    return add_workdays(assigned_on, t.drill_workdays, overrides) <= as_of


def last_undrilled_assignment(as_of: date, t: Thresholds = Thresholds(), overrides=None) -> date:
    """The latest assignment day that is undrilled on ``as_of`` when still without a goal
    (``undrilled`` holds exactly for assignment days on or before it): the scan's SQL takes it
    as a parameter instead of counting working days itself."""
    day = add_workdays(as_of, -t.drill_workdays, overrides)
    # add_workdays(day, n) may land before as_of when as_of is a rest day: move to the last fit
    while add_workdays(day + timedelta(days=1), t.drill_workdays, overrides) <= as_of:
        day += timedelta(days=1)
    while add_workdays(day, t.drill_workdays, overrides) > as_of:
        day -= timedelta(days=1)
    return day


@dataclass(frozen=True)
class ItemLight:
    light: Light | None
    reason: str | None = None


def item_light(
    goal_lights: list[Light | None],
    *,
    deadline: date | None,
    done: bool,
    as_of: date,
    t: Thresholds = Thresholds(),
    is_undrilled: bool = False,
) -> Light | None:
    """An item shows its worst goal light, and red/yellow from its own deadline."""
    return item_light_with_reason(goal_lights, deadline=deadline, done=done, as_of=as_of, t=t, is_undrilled=is_undrilled).light


def item_light_with_reason(
    goal_lights: list[Light | None],
    *,
    deadline: date | None,
    done: bool,
    as_of: date,
    t: Thresholds = Thresholds(),
    is_undrilled: bool = False,
) -> ItemLight:
    """The item's light and, when it comes from the item rather than its goals, why."""
    if done:
        return ItemLight(Light.BLUE if not goal_lights or all(x in (Light.BLUE, None) for x in goal_lights) else Light.GREEN)
    lights = [x for x in goal_lights if x is not None]
    reason = None
    if is_undrilled:
        lights.append(Light.YELLOW)
    if deadline is not None:
        if as_of > deadline:
            lights.append(Light.RED)
        elif (deadline - as_of).days <= t.due_soon_days:
            lights.append(Light.YELLOW)
        elif not lights:
            lights.append(Light.GREEN)
    if not lights:
        return ItemLight(None)
    worst = max(lights, key=lambda x: SEVERITY[x])
    if is_undrilled and worst is Light.YELLOW:
        reason = UNDRILLED
    return ItemLight(worst, reason)


def unit_light(behind: float | None, overdue_items: int, undrilled_items: int = 0, t: Thresholds = Thresholds()) -> Light:
    """A unit's light in an edition: the goal thresholds on the mean points its goals are
    behind (``behind``; None without goals counts as on the trajectory), red with an overdue
    item, at least yellow with an undrilled item."""
    points = behind if behind is not None else 0.0
    if overdue_items or points > t.red_points:
        return Light.RED
    if points >= t.yellow_points or undrilled_items:
        return Light.YELLOW
    if -points >= t.ahead_points:
        return Light.BLUE
    return Light.GREEN
