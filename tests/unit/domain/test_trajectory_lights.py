"""Completion, the 序时 trajectory and every light boundary."""

from datetime import date

import pytest

from closedloop.domain.lights import GoalState, Light, Thresholds, goal_light, item_light
from closedloop.domain.trajectory import Milestone, completion, expected_completion, expected_value, reached

START, DEADLINE = date(2024, 1, 1), date(2024, 12, 31)  # 365 days


def test_completion_increasing_goal():
    assert completion(315, 300, 330) == pytest.approx(0.5)


def test_completion_decreasing_goal_reverses_direction():
    # energy use ≤ 80 from a baseline of 100: 90 closes half of the gap
    assert completion(90, 100, 80, "<=") == pytest.approx(0.5)
    assert completion(110, 100, 80, "<=") == pytest.approx(-0.5)


def test_completion_zero_gap_is_all_or_nothing():
    assert completion(3, 3, 3, ">=") == 1.0
    assert completion(2.9, 3, 3, ">=") == 0.0


def test_reached_each_comparator():
    assert reached(330, ">=", 330) and not reached(330, ">", 330)
    assert reached(5, "<=", 5) and not reached(5, "<", 5) and reached(5, "=", 5)
    assert not reached(None, ">=", 1)


def test_linear_trajectory_midpoint():
    mid = date(2024, 7, 1)  # day 182 of 365
    assert expected_value(mid, start=START, deadline=DEADLINE, baseline=0, target=365) == pytest.approx(182)
    assert expected_completion(date(2023, 6, 1), start=START, deadline=DEADLINE, baseline=0, target=1) == 0.0
    assert expected_completion(date(2025, 6, 1), start=START, deadline=DEADLINE, baseline=0, target=1) == 1.0


def test_milestone_trajectory_is_piecewise():
    ms = [Milestone(date(2024, 7, 1), 90)]
    # half a year reaches 90 of 100 by the milestone, the rest in the second half
    assert expected_value(date(2024, 7, 1), start=START, deadline=DEADLINE, baseline=0, target=100, milestones=ms) == 90
    v = expected_value(date(2024, 4, 1), start=START, deadline=DEADLINE, baseline=0, target=100, milestones=ms)
    assert v == pytest.approx(90 * 91 / 182)


def state(actual, **kw):
    base = dict(comparator=">=", baseline=0.0, target=100.0, deadline=DEADLINE, actual=actual, start=START,
                last_report_on=date(2024, 6, 25))
    base.update(kw)
    return GoalState(**base)


MID = date(2024, 7, 1)  # expected completion 182/365 = 49.86 %
EXP = 100 * 182 / 365


@pytest.mark.parametrize(
    "actual, light",
    [
        (EXP - 9.9, Light.GREEN),  # behind < 10 points
        (EXP - 10.0, Light.YELLOW),  # behind exactly 10: warning
        (EXP - 30.0, Light.YELLOW),  # behind exactly 30: still warning
        (EXP - 30.1, Light.RED),  # behind > 30: lagging
        (EXP + 9.9, Light.GREEN),
        (EXP + 10.0, Light.BLUE),  # ahead by ≥ 10
        (100, Light.BLUE),  # reached before the deadline
    ],
)
def test_goal_light_boundaries(actual, light):
    assert goal_light(state(actual), MID) == light


def test_past_deadline_not_done_is_red_and_done_is_not():
    assert goal_light(state(99), date(2025, 1, 1)) == Light.RED
    assert goal_light(state(100, reached_on=date(2024, 12, 1)), date(2025, 1, 1)) == Light.BLUE


def test_deadline_within_three_days_is_yellow():
    on_track = state(99.5, last_report_on=date(2024, 12, 27))
    assert goal_light(on_track, date(2024, 12, 27)) == Light.GREEN  # 4 days left
    assert goal_light(on_track, date(2024, 12, 28)) == Light.YELLOW  # 3 days left


def test_no_report_for_a_month_is_yellow():
    assert goal_light(state(EXP, last_report_on=date(2024, 6, 1)), MID) == Light.GREEN  # 30 days
    assert goal_light(state(EXP, last_report_on=date(2024, 5, 31)), MID) == Light.YELLOW  # 31 days


def test_thresholds_are_configurable():
    loose = Thresholds(yellow_points=20, red_points=40)
    assert goal_light(state(EXP - 15), MID, loose) == Light.GREEN
    assert goal_light(state(EXP - 35), MID, loose) == Light.YELLOW


def test_goal_without_target_has_no_light():
    assert goal_light(state(10, target=None), MID) is None


def test_decreasing_goal_light():
    g = state(90, comparator="<=", baseline=100, target=80)  # half of the way down by mid-year
    assert goal_light(g, MID) == Light.GREEN
    assert goal_light(state(100, comparator="<=", baseline=100, target=80), MID) == Light.RED


def test_item_light_is_worst_goal_and_own_deadline():
    assert item_light([Light.BLUE, Light.YELLOW, Light.GREEN], deadline=None, done=False, as_of=MID) == Light.YELLOW
    assert item_light([Light.GREEN], deadline=date(2024, 6, 30), done=False, as_of=MID) == Light.RED
    assert item_light([], deadline=None, done=False, as_of=MID) is None


def test_goal_without_baseline_or_actual_yet_gets_a_light():
    fresh = GoalState(comparator=">=", baseline=None, target=200.0, deadline=DEADLINE, actual=None, start=START, last_report_on=MID)
    assert goal_light(fresh, MID) == Light.RED  # half a year gone, nothing reported
    assert goal_light(fresh, date(2024, 1, 10)) == Light.GREEN


def test_cumulative_goals_are_those_counting_up_to_a_target_above_the_baseline():
    from closedloop.domain.trajectory import cumulative

    assert cumulative(">=", 0, 100) and cumulative(">", 10, 20) and cumulative(">=", None, 5)
    # a target to stay under, to hold, or already below the baseline: a lower value can be real progress
    assert not cumulative("<=", 100, 50) and not cumulative("=", 0, 100) and not cumulative(">=", 100, 80)
    assert not cumulative(None, 0, 100) and not cumulative(">=", 0, None)
