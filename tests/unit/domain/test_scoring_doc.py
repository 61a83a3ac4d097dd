"""The worked examples of docs/scoring.md, computed: each figure the page prints must be what
the domain gives (and must be on the page)."""

import datetime as dt
from pathlib import Path

import pytest

from closedloop.domain.lights import GoalState, Light, goal_light, behind_points, undrilled, unit_light
from closedloop.domain.scoring import UnitMetrics, Weights, goal_progress_of, score_units, unit_goal_figures
from closedloop.domain.trajectory import Milestone, completion, expected_completion, expected_value, goal_start

DOC = (Path(__file__).resolve().parents[3] / "docs" / "scoring.md").read_text(encoding="utf-8")
D = dt.date
START = goal_start(None, D(2024, 4, 3), D(2024, 4, 8))


def on_page(text: str) -> None:
    assert f"**{text}**" in DOC, text


@pytest.mark.parametrize(
    "value, shown",
    [
        (completion(301, 280, 330, ">="), "42.0 %"),
        (completion(6, 8, 5, "<="), "66.7 %"),
        (completion(105, 80, 100, "="), "75.0 %"),
        (completion(65, 80, 50, None), "50.0 %"),
    ],
)
def test_completion_examples(value, shown):
    assert f"{value * 100:.1f} %" == shown
    on_page(shown)


def test_target_equal_to_baseline():
    assert completion(96, 95, 95, ">=") == 1.0 and completion(94, 95, 95, ">=") == 0.0
    on_page("100 %"), on_page("0 %")


def test_trajectory_starts_at_assignment():
    assert START == D(2024, 4, 8)
    on_day = D(2024, 7, 1)
    expected = expected_completion(on_day, start=START, deadline=D(2024, 12, 31), baseline=280, target=330)
    on_page(f"{expected * 100:.1f} %")
    on_page(f"{expected_value(on_day, start=START, deadline=D(2024, 12, 31), baseline=280, target=330):.2f}")
    now = GoalState(">=", 280, 330, D(2024, 12, 31), 295, START, last_report_on=D(2024, 6, 28))
    before = GoalState(">=", 280, 330, D(2024, 12, 31), 295, D(2024, 1, 1), last_report_on=D(2024, 6, 28))
    on_page(f"{behind_points(now, on_day):.1f} points")
    on_page(f"{behind_points(before, on_day):.1f} points")
    assert goal_light(now, on_day) is Light.GREEN and goal_light(before, on_day) is Light.YELLOW


def test_milestones_drive_the_light_and_the_score():
    g = GoalState(">=", 280, 330, D(2024, 12, 31), 300, START, milestones=(Milestone(D(2024, 6, 30), 310),), last_report_on=D(2024, 6, 28))
    behind = behind_points(g, D(2024, 6, 30))
    on_page(f"{behind:.1f} points")
    assert goal_light(g, D(2024, 6, 30)) is Light.YELLOW and goal_progress_of(behind) == 0.8


def test_undrilled_after_ten_working_days():
    assert not undrilled(False, D(2024, 4, 8), D(2024, 4, 19)) and undrilled(False, D(2024, 4, 8), D(2024, 4, 22))
    on_page("22 April 2024")


def test_unit_score_and_light():
    progress, behind = unit_goal_figures([4.0, 12.0, -20.0])
    on_page(f"{behind:.1f} points"), on_page(f"{progress:.4f}")
    fin = UnitMetrics(1, "区财政局", progress, 2, 1, 1, 1, behind_points=behind)
    top = UnitMetrics(2, "区科技局", 1.0, 4, 2, 0, 0)
    scored = {s.metrics.unit_name: s for s in score_units([fin, top], Weights())}
    on_page(f"{scored['区财政局'].parts['goal_progress']:.2f}")
    on_page(f"{scored['区财政局'].score:.2f}")
    assert unit_light(behind, 1) is Light.RED and unit_light(behind, 0) is Light.GREEN
    on_page("red")
    on_page(f"{goal_progress_of(3.0):.2f}")
