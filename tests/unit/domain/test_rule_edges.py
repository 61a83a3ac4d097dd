"""Rules at their edges, where a one-character change would otherwise go unnoticed.

Each test here was written against a mutation of the rule that the rest of the suite let
pass (issue 22): the tie-break by goal progress, a project at 99 % at the 实干 gate, a move
back out of 归档.
"""

from datetime import date

import pytest

from closedloop.domain.scoring import UnitMetrics, Weights, score_units
from closedloop.domain.stages import (
    GoalFacts,
    ItemFacts,
    ProblemFacts,
    ProjectFacts,
    Stage,
    check_move,
    unmet_conditions,
)

DONE_GOAL = GoalFacts(1, "高新技术企业", "家", ">=", 300, 330, date(2024, 12, 31), has_result=True)


def codes(problems):
    return [p.code for p in problems]


# --- ranking ------------------------------------------------------------------------------


def test_equal_scores_rank_the_unit_further_along_its_goals_first():
    # 甲: 60 × 1/3 + 20 × 2/2 = 40; 乙: 60 × 1/2 + 20 × 1/2 = 40. Equal scores; 乙 is further
    # along its goals, so it ranks first although 甲 sorts first by name and by id.
    jia = UnitMetrics(1, "甲局", 1 / 3, 2, 0, 0, 0)
    yi = UnitMetrics(2, "乙局", 0.5, 1, 0, 0, 0)
    rows = score_units([jia, yi], Weights())
    assert [r.score for r in rows] == [40.0, 40.0]
    assert [(r.metrics.unit_name, r.rank) for r in rows] == [("乙局", 1), ("甲局", 2)]
    # and the order does not depend on the order the units came in
    assert [r.metrics.unit_name for r in score_units([yi, jia], Weights())] == ["乙局", "甲局"]


def test_equal_score_and_progress_fall_back_to_name_then_id():
    same = [UnitMetrics(9, "乙局", 0.5, 0, 0, 0, 0), UnitMetrics(4, "甲局", 0.5, 0, 0, 0, 0), UnitMetrics(2, "甲局", 0.5, 0, 0, 0, 0)]
    # names compare by code point (乙 U+4E59 before 甲 U+7532): stable, if not the pinyin order
    assert [(r.metrics.unit_name, r.metrics.unit_id) for r in score_units(same, Weights())] == [("乙局", 9), ("甲局", 2), ("甲局", 4)]


def test_a_higher_score_outranks_better_goal_progress():
    behind_but_solving = UnitMetrics(1, "甲局", 0.2, 5, 5, 0, 0)  # 12 + 20 + 20 = 52
    ahead_but_alone = UnitMetrics(2, "乙局", 0.8, 0, 0, 0, 0)  # 48
    assert [r.metrics.unit_name for r in score_units([ahead_but_alone, behind_but_solving], Weights())] == ["甲局", "乙局"]


# --- the 实干 gate ------------------------------------------------------------------------


def _executing(progress: int) -> ItemFacts:
    return ItemFacts(goals=(DONE_GOAL,), projects=(ProjectFacts(1, "孵化中心", 1, date(2024, 9, 1), progress),))


def test_a_project_at_99_percent_keeps_the_item_in_execution():
    problems = unmet_conditions(Stage.EXECUTE, _executing(99))
    assert codes(problems) == ["project_not_done"]
    assert "99%" in problems[0].message and problems[0].field == "projects[1]"
    assert not check_move(Stage.EXECUTE, Stage.CLOSE, _executing(99), is_supervisor=False, reason=None).allowed


def test_a_project_at_100_percent_lets_the_item_close():
    assert unmet_conditions(Stage.EXECUTE, _executing(100)) == []
    assert check_move(Stage.EXECUTE, Stage.CLOSE, _executing(100), is_supervisor=False, reason=None).allowed


@pytest.mark.parametrize("status", ["resolved", "verified"])
def test_resolved_and_verified_problems_do_not_hold_execution(status):
    f = ItemFacts(goals=(DONE_GOAL,), problems=(ProblemFacts(1, "场地", status),))
    assert unmet_conditions(Stage.EXECUTE, f) == []


def test_a_carried_over_problem_needs_its_reason():
    blank = ItemFacts(goals=(DONE_GOAL,), problems=(ProblemFacts(1, "场地", "carried_over", carry_reason="  "),))
    assert codes(unmet_conditions(Stage.EXECUTE, blank)) == ["problem_open"]
    given = ItemFacts(goals=(DONE_GOAL,), problems=(ProblemFacts(1, "场地", "carried_over", carry_reason="跨年度"),))
    assert unmet_conditions(Stage.EXECUTE, given) == []


def test_execution_without_goals_is_refused():
    assert codes(unmet_conditions(Stage.EXECUTE, ItemFacts())) == ["no_goal"]


# --- 归档 ------------------------------------------------------------------------------------


@pytest.mark.parametrize("to", [Stage.REVIEW, Stage.EXECUTE, Stage.DRILL])
def test_no_move_back_out_of_the_archive_even_for_a_supervisor_with_a_reason(to):
    move = check_move(Stage.ARCHIVED, to, ItemFacts(review="已复盘"), is_supervisor=True, reason="需要重新核实")
    assert not move.allowed and move.direction == "back"
    assert codes(move.problems) == ["archived"]
    assert "归档" in move.problems[0].message


def test_the_archive_has_no_stage_after_it():
    assert codes(unmet_conditions(Stage.ARCHIVED, ItemFacts(review="x", supervisor_verified=True))) == ["archived"]


def test_a_supervisor_may_send_back_from_review_with_a_reason():
    move = check_move(Stage.REVIEW, Stage.CLOSE, ItemFacts(), is_supervisor=True, reason="佐证不足")
    assert move.allowed and move.direction == "back" and move.problems == []
