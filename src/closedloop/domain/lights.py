"""亮灯: blue (ahead), green (normal), yellow (warning), red (lagging/overdue).

Rules of DOMAIN.md with thresholds from settings. "Points" are percentage points of
completion: actual completion minus the trajectory's expected completion, × 100.
Precedence: a reached target is blue; then red; then yellow; then blue for ahead; then green.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from closedloop.domain.trajectory import Milestone, completion, expected_completion, reached


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
    if reached(g.actual, g.comparator, g.target):
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


def item_light(
    goal_lights: list[Light | None],
    *,
    deadline: date | None,
    done: bool,
    as_of: date,
    t: Thresholds = Thresholds(),
) -> Light | None:
    """An item shows its worst goal light, and red/yellow from its own deadline."""
    if done:
        return Light.BLUE if not goal_lights or all(x in (Light.BLUE, None) for x in goal_lights) else Light.GREEN
    lights = [x for x in goal_lights if x is not None]
    if deadline is not None:
        if as_of > deadline:
            lights.append(Light.RED)
        elif (deadline - as_of).days <= t.due_soon_days:
            lights.append(Light.YELLOW)
        elif not lights:
            lights.append(Light.GREEN)
    if not lights:
        return None
    return max(lights, key=lambda x: SEVERITY[x])
