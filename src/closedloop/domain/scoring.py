"""The 晾晒 score and ranking.

For each unit, as of a cut-off:
  goal_progress     mean over its goals of 1 − (points behind the trajectory) / 100, each in
                    [0, 1] (a goal on or ahead of its trajectory counts 1); the points are
                    ``domain.lights.behind_points``, the same figure the lights use, so
                    milestones (序时 monthly targets) drive the score as they drive the light;
  problems_resolved count of problems resolved or verified by the cut-off;
  results_verified  count of results verified by the cut-off.
score = w_goal × goal_progress
      + w_problems × problems_resolved / max over units
      + w_results × results_verified / max over units
      − overdue_penalty × overdue items − urge_penalty × 催办 received.
Rank: score descending; ties by goal_progress descending, then by points behind the trajectory
ascending (further ahead first), then unit name, then unit id.
So ranks are always 1..n, a permutation, and equal inputs give equal order.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Weights:
    goal_progress: float = 60.0
    problems_resolved: float = 20.0
    results_verified: float = 20.0
    overdue_penalty: float = 5.0
    urge_penalty: float = 2.0


@dataclass(frozen=True)
class UnitMetrics:
    unit_id: int
    unit_name: str
    goal_progress: float
    problems_resolved: int
    results_verified: int
    overdue_items: int
    urges: int
    # mean points behind the trajectory over the unit's goals (None: no goals), for the light
    behind_points: float | None = None
    extensions: int = 0  # 延期次数 approved by the cut-off (published, not scored)
    undrilled_items: int = 0


@dataclass(frozen=True)
class ScoredUnit:
    metrics: UnitMetrics
    score: float
    parts: dict[str, float]
    rank: int


def goal_progress_of(behind: float) -> float:
    """One goal's share of the goal-progress metric: 1 on or ahead of its trajectory, 0 when
    a whole trajectory (100 points) behind."""
    return max(0.0, min(1.0, 1.0 - behind / 100.0))


def unit_goal_figures_from_sums(goals: int, sum_behind: float, sum_progress: float) -> tuple[float, float | None]:
    """``unit_goal_figures`` from sums over the goals (computed where the goals are). Rounded
    to 9 decimals: sums taken in another order (in SQL, or in Python for goals written since the
    cut-off) differ in the last bits, and an edition recomputed later must not."""
    if not goals:
        return 0.0, None
    return round(sum_progress / goals, 9), round(sum_behind / goals, 9)


def unit_goal_figures(behinds: list[float]) -> tuple[float, float | None]:
    """(goal_progress, mean points behind) of a unit from its goals' points behind. A unit
    without goals earns no goal progress (nothing is measured yet) and has no points behind
    (its light comes from its items: overdue, 未下钻)."""
    return unit_goal_figures_from_sums(len(behinds), sum(behinds), sum(goal_progress_of(b) for b in behinds))


def _behind(u: UnitMetrics) -> float:
    return u.behind_points if u.behind_points is not None else 0.0


def score_units(units: list[UnitMetrics], w: Weights) -> list[ScoredUnit]:
    max_p = max((u.problems_resolved for u in units), default=0)
    max_r = max((u.results_verified for u in units), default=0)
    scored = []
    for u in units:
        parts = {
            "goal_progress": round(w.goal_progress * max(0.0, min(1.0, u.goal_progress)), 4),
            "problems_resolved": round(w.problems_resolved * (u.problems_resolved / max_p if max_p else 0.0), 4),
            "results_verified": round(w.results_verified * (u.results_verified / max_r if max_r else 0.0), 4),
            # + 0.0: no penalty reads 0.0, not -0.0
            "overdue_penalty": round(-w.overdue_penalty * u.overdue_items, 4) + 0.0,
            "urge_penalty": round(-w.urge_penalty * u.urges, 4) + 0.0,
        }
        scored.append((u, round(sum(parts.values()), 2), parts))
    scored.sort(key=lambda s: (-s[1], -s[0].goal_progress, _behind(s[0]), s[0].unit_name, s[0].unit_id))
    return [ScoredUnit(u, score, parts, i + 1) for i, (u, score, parts) in enumerate(scored)]
