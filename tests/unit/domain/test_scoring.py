"""晾晒 scoring and ranking rules."""

from closedloop.domain.scoring import UnitMetrics, Weights, goal_progress_of, score_units, unit_goal_figures


def m(uid, name, gp, pr=0, rv=0, od=0, urg=0):
    return UnitMetrics(uid, name, gp, pr, rv, od, urg)


def test_score_breakdown_and_penalties():
    rows = score_units([m(1, "甲", 1.0, 4, 2, 0, 0), m(2, "乙", 0.5, 2, 1, 1, 2)], Weights())
    top, second = rows
    assert top.metrics.unit_name == "甲" and top.rank == 1 and top.score == 100.0
    assert second.parts == {
        "goal_progress": 30.0,
        "problems_resolved": 10.0,
        "results_verified": 10.0,
        "overdue_penalty": -5.0,
        "urge_penalty": -4.0,
    }
    assert second.score == 41.0


def test_ties_are_broken_by_progress_then_name():
    rows = score_units([m(3, "丙", 0.5), m(1, "乙", 0.5), m(2, "甲", 0.5)], Weights())
    assert [r.rank for r in rows] == [1, 2, 3]
    assert [r.metrics.unit_name for r in rows] == sorted(["丙", "乙", "甲"])


def test_goal_progress_is_measured_in_points_behind_the_trajectory():
    # 3 points behind in the first weeks costs 3% of the metric, not 60% as a ratio to a
    # tiny expected completion would
    assert goal_progress_of(3.0) == 0.97
    assert goal_progress_of(-12.0) == 1.0  # ahead counts as on the trajectory
    assert goal_progress_of(150.0) == 0.0
    assert unit_goal_figures([0.0, 20.0, -10.0]) == (0.933333333, 3.333333333)
    assert unit_goal_figures([]) == (0.0, None)
