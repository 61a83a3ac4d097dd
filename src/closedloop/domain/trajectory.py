"""Completion and the 序时 trajectory of a goal.

completion = (actual − baseline) / (target − baseline). For ≤ and < goals the target lies
below the baseline, so the same formula measures progress downwards. A goal whose target
equals its baseline (zero gap) is complete exactly when the comparator holds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Milestone:
    on: date
    value: float


def reached(actual: float | None, comparator: str | None, target: float | None) -> bool:
    """Whether ``actual`` satisfies ``comparator target``."""
    if actual is None or target is None or comparator is None:
        return False
    return {
        ">=": actual >= target,
        ">": actual > target,
        "<=": actual <= target,
        "<": actual < target,
        "=": abs(actual - target) < 1e-9,
    }.get(comparator, False)


def completion(
    actual: float | None, baseline: float | None, target: float | None, comparator: str | None = ">="
) -> float | None:
    """Fraction of the gap closed, unclamped (None when it cannot be computed)."""
    if actual is None or target is None:
        return None
    base = baseline if baseline is not None else 0.0
    gap = target - base
    if abs(gap) < 1e-12:
        return 1.0 if reached(actual, comparator or ">=", target) else 0.0
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
