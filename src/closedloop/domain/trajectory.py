"""Completion, the start date and the 序时 trajectory of a goal: the one definition.

completion = (actual − baseline) / (target − baseline). For ≤ and < goals the target lies
below the baseline, so the same formula measures progress downwards. An ``=`` goal is
complete at the target and loses completion on either side of it. A goal whose target equals
its baseline (zero gap) is complete exactly when the comparator holds. A goal without a
comparator is read as ``>=`` when its target is at or above its baseline, else ``<=``.
A missing baseline counts as 0.

The trajectory starts at the goal's start date (``goal_start``): an explicit start on the
goal, else the later of the plan's issue date and the day the item was assigned to its lead
unit. The SQL in ``services/lights.py`` restates these rules and is held to them by
``tests/integration/test_light_parity.py``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Milestone:
    on: date
    value: float


COMPARATORS = (">=", ">", "<=", "<", "=")


def effective_comparator(comparator: str | None, baseline: float | None, target: float | None) -> str:
    """The comparator a goal is judged by: its own, else the direction from baseline to target."""
    if comparator in COMPARATORS:
        return comparator  # type: ignore[return-value]  # a member of COMPARATORS is one of the Literal's values
    base = baseline if baseline is not None else 0.0
    return "<=" if target is not None and target < base else ">="


def goal_start(explicit: date | None, plan_date: date, assigned_on: date | None) -> date:
    """Where a goal's trajectory starts: its explicit start, else the later of the plan's
    issue date and the day its item was assigned to the lead unit."""
    if explicit is not None:
        return explicit
    if assigned_on is not None and assigned_on > plan_date:
        return assigned_on
    return plan_date


def plan_date(issued_on: date | None, year: int | None, created_on: date) -> date:
    """A plan's own date: its issue date, else 1 January of its year, else the day it was imported."""
    if issued_on is not None:
        return issued_on
    if year:
        return date(year, 1, 1)
    return created_on


def reached(actual: float | None, comparator: str | None, target: float | None, baseline: float | None = None) -> bool:
    """Whether ``actual`` satisfies the goal's comparator against ``target`` (a missing
    comparator follows the direction from ``baseline`` to ``target``)."""
    if actual is None or target is None:
        return False
    comparator = effective_comparator(comparator, baseline, target)
    return {
        ">=": actual >= target,
        ">": actual > target,
        "<=": actual <= target,
        "<": actual < target,
        "=": abs(actual - target) < 1e-9,
    }.get(comparator, False)


def cumulative(comparator: str | None, baseline: float | None, target: float | None) -> bool:
    """Whether a goal counts upwards (新增/累计 …家, ≥ a target above its baseline), so that a
    reported value lower than the last one is more likely a typing slip than real progress."""
    if comparator not in (">=", ">") or target is None:
        return False
    return target > (baseline if baseline is not None else 0.0)


def completion(
    actual: float | None, baseline: float | None, target: float | None, comparator: str | None = None
) -> float | None:
    """Fraction of the gap closed, unclamped (None when it cannot be computed)."""
    if actual is None or target is None:
        return None
    base = baseline if baseline is not None else 0.0
    gap = target - base
    if abs(gap) < 1e-12:
        return 1.0 if reached(actual, comparator, target, baseline) else 0.0
    if effective_comparator(comparator, baseline, target) == "=":
        # on the target is complete; overshooting is as far off as falling short
        return 1.0 - abs(actual - target) / abs(gap)
    return (actual - base) / gap


def clamp01(x: float | None) -> float:
    if x is None:
        return 0.0
    return max(0.0, min(1.0, x))


def completion_percent(fractions: list[float]) -> int | None:
    """An item's completion: the mean of its goals' clamped completions, in whole percent,
    halves rounded up (as the set-based scan rounds in SQL); None without any."""
    if not fractions:
        return None
    return math.floor(100 * (sum(fractions) / len(fractions)) + 0.5)


def expected_value(
    on: date,
    *,
    start: date,
    deadline: date,
    baseline: float | None,
    target: float,
    milestones: list[Milestone] | None = None,
) -> float:
    """The 序时 value expected on ``on``: piecewise linear from (start, baseline) through
    the milestones to (deadline, target); flat before start and after the deadline."""
    base = baseline if baseline is not None else 0.0
    points = [(start, base)]
    for m in sorted(milestones or [], key=lambda m: m.on):
        if start < m.on < deadline:
            points.append((m.on, m.value))
    points.append((deadline, target))
    if on <= points[0][0]:
        return points[0][1]
    if on >= points[-1][0]:
        return points[-1][1]
    for (d0, v0), (d1, v1) in zip(points, points[1:]):
        if d0 <= on <= d1:
            span = (d1 - d0).days
            if span <= 0:
                return v1
            return v0 + (v1 - v0) * (on - d0).days / span
    return target  # unreachable: the loop covers [start, deadline]


def expected_completion(
    on: date,
    *,
    start: date,
    deadline: date,
    baseline: float | None,
    target: float,
    milestones: list[Milestone] | None = None,
) -> float:
    """Fraction of the gap the trajectory expects closed on ``on`` (0 … 1)."""
    base = baseline if baseline is not None else 0.0
    gap = target - base
    if abs(gap) < 1e-12:
        return 1.0 if on >= deadline else 0.0
    value = expected_value(on, start=start, deadline=deadline, baseline=baseline, target=target, milestones=milestones)
    return clamp01((value - base) / gap)
