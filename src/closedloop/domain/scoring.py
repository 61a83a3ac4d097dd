"""The 晾晒 score and ranking.

For each unit, as of a cut-off:
  goal_progress     mean over its goals of min(completion / expected completion, 1), in [0, 1]
                    (a goal whose trajectory expects nothing yet counts 1 if not behind);
  problems_resolved count of problems resolved or verified by the cut-off;
  results_verified  count of results verified by the cut-off.
score = w_goal × goal_progress
      + w_problems × problems_resolved / max over units
      + w_results × results_verified / max over units
      − overdue_penalty × overdue items − urge_penalty × 催办 received.
Rank: score descending; ties by goal_progress descending, then unit name, then unit id.
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


@dataclass(frozen=True)
class ScoredUnit:
    metrics: UnitMetrics
    score: float
    parts: dict[str, float]
    rank: int


def goal_progress_ratio(completion: float | None, expected: float) -> float:
    """min(completion / expected, 1) clamped to [0, 1]; a goal not yet expected to move is 1."""
    done = max(0.0, min(1.0, completion or 0.0))
    if expected <= 1e-9:
        return 1.0
    return max(0.0, min(1.0, done / expected))


def score_units(units: list[UnitMetrics], w: Weights) -> list[ScoredUnit]:
    max_p = max((u.problems_resolved for u in units), default=0)
    max_r = max((u.results_verified for u in units), default=0)
    scored = []
    for u in units:
        parts = {
            "goal_progress": round(w.goal_progress * max(0.0, min(1.0, u.goal_progress)), 4),
            "problems_resolved": round(w.problems_resolved * (u.problems_resolved / max_p if max_p else 0.0), 4),
            "results_verified": round(w.results_verified * (u.results_verified / max_r if max_r else 0.0), 4),
            "overdue_penalty": round(-w.overdue_penalty * u.overdue_items, 4),
            "urge_penalty": round(-w.urge_penalty * u.urges, 4),
        }
        scored.append((u, round(sum(parts.values()), 2), parts))
    scored.sort(key=lambda s: (-s[1], -s[0].goal_progress, s[0].unit_name, s[0].unit_id))
    return [ScoredUnit(u, score, parts, i + 1) for i, (u, score, parts) in enumerate(scored)]
