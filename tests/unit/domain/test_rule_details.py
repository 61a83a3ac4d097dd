"""What a user reads and where the rules draw their lines, pinned exactly.

Written from the mutation run over domain/ (docs/testing.md): each test here kills mutants
that the other tests let live, such as a gate message or the form field it points at
changed, a threshold moved by one, a rounding changed.
"""

from datetime import date, timedelta

import pytest

from closedloop.domain.lights import GoalState, Light, behind_points, goal_light, item_light
from closedloop.domain.scoring import UnitMetrics, Weights, score_units
from closedloop.domain.stages import (
    GoalFacts,
    ItemFacts,
    ProblemFacts,
    ProjectFacts,
    Stage,
    check_move,
    next_stage,
    unmet_conditions,
)
from closedloop.domain.trajectory import Milestone, clamp01, completion, completion_percent, expected_completion, expected_value, reached
from closedloop.domain.workdays import add_workdays, covered, is_workday, workdays_between

GOAL = GoalFacts(1, "高新技术企业", "家", ">=", 300, 330, date(2024, 12, 31), has_result=True)
EVIDENCED = GoalFacts(1, "高新技术企业", "家", ">=", 300, 330, date(2024, 12, 31), has_result=True, verified_with_evidence=True)


def triples(problems):
    return [(p.code, p.message, p.field) for p in problems]


# --- gates: the exact words and the field each problem points at ---------------------------


def test_drill_gate_words_and_fields():
    assert triples(unmet_conditions(Stage.DRILL, ItemFacts())) == [
        ("lead_unit_missing", "未指定牵头单位", "lead_unit_id"),
        ("responsible_person_missing", "未指定责任人", "responsible_person"),
        ("no_goal", "至少需要一个目标", "goals"),
    ]


def test_calculate_gate_words_and_fields():
    bare = GoalFacts(7, "科技成果登记", measure_unit="", comparator="", baseline=None, target=None, deadline=None)
    odd = GoalFacts(8, "技术合同登记金额", "亿元", "≈", 1, 2, date(2024, 1, 1))
    assert triples(unmet_conditions(Stage.CALCULATE, ItemFacts(goals=(bare, odd, GOAL)))) == [
        ("goal_incomplete", "目标「科技成果登记」缺少：计量单位、比较方式、基期值、目标值、完成时限", "goals[7]"),
        ("goal_incomplete", "目标「技术合同登记金额」缺少：比较方式（无效）", "goals[8]"),
    ]
    assert triples(unmet_conditions(Stage.CALCULATE, ItemFacts())) == [("no_goal", "至少需要一个目标", "goals")]


def test_levers_gate_words_and_fields():
    f = ItemFacts(
        projects=(ProjectFacts(1, "有单位无时间", unit_id=2, end_on=None), ProjectFacts(2, "有时间无单位", unit_id=None, end_on=date(2024, 9, 1))),
        problems=(
            ProblemFacts(3, "场地不足", "open", unit_id=2, due_on=None),
            ProblemFacts(4, "资金缺口", "open", unit_id=None, due_on=date(2024, 7, 1)),
            ProblemFacts(5, "已解决的", "verified", unit_id=None, due_on=None),
        ),
    )
    assert triples(unmet_conditions(Stage.LEVERS, f)) == [
        ("no_project", "至少需要一个已明确责任单位和完成时间的项目", "projects"),
        ("problem_unassigned", "问题「场地不足」缺少：解决时限", "problems[3]"),
        ("problem_unassigned", "问题「资金缺口」缺少：责任单位", "problems[4]"),
    ]


def test_execute_gate_words_and_fields():
    f = ItemFacts(
        goals=(GoalFacts(9, "科技型企业", has_result=False),),
        projects=(ProjectFacts(1, "孵化中心", 1, date(2024, 1, 1), 0),),
        problems=(ProblemFacts(2, "场地不足", "open"),),
    )
    assert triples(unmet_conditions(Stage.EXECUTE, f)) == [
        ("project_not_done", "项目「孵化中心」未完成（进度 0%）", "projects[1]"),
        ("problem_open", "问题「场地不足」尚未解决", "problems[2]"),
        ("goal_no_result", "目标「科技型企业」没有成效记录", "goals[9]"),
    ]
    assert triples(unmet_conditions(Stage.EXECUTE, ItemFacts())) == [("no_goal", "至少需要一个目标", "goals")]


def test_close_review_and_archive_words():
    assert triples(unmet_conditions(Stage.CLOSE, ItemFacts())) == [
        ("not_verified", "需督查室核验佐证后销号", None),
        ("no_goal", "事项没有目标，无法核验销号", "goals"),
    ]
    assert triples(unmet_conditions(Stage.REVIEW, ItemFacts())) == [("no_review", "需填写复盘记录（目标与结果对比、原因、经验）", "review")]
    assert triples(unmet_conditions(Stage.ARCHIVED, ItemFacts())) == [("archived", "事项已归档，不能再推进", None)]


def test_long_names_are_cut_at_twenty_characters_in_messages():
    twenty = "一二三四五六七八九十一二三四五六七八九十"
    f = ItemFacts(problems=(ProblemFacts(1, f"  {twenty}  ", "open"), ProblemFacts(2, twenty + "多", "open")), goals=(GOAL,))
    messages = [p.message for p in unmet_conditions(Stage.EXECUTE, f)]
    assert messages == [f"问题「{twenty}」尚未解决", f"问题「{twenty}…」尚未解决"]


def test_move_words_and_fields():
    assert triples(check_move(Stage.DRILL, Stage.DRILL, ItemFacts(), is_supervisor=True, reason=None).problems) == [
        ("same_stage", "事项已处于「下钻」阶段", "to")
    ]
    assert check_move(Stage.DRILL, Stage.DRILL, ItemFacts(), is_supervisor=True, reason=None).direction == "none"
    assert triples(check_move(Stage.CALCULATE, Stage.EXECUTE, ItemFacts(), is_supervisor=True, reason=None).problems) == [
        ("skip_stage", "只能推进到下一阶段「谋点」", "to")
    ]
    assert triples(check_move(Stage.LEVERS, Stage.DRILL, ItemFacts(), is_supervisor=False, reason="  ").problems) == [
        ("back_needs_supervisor", "退回只能由督查室操作", "to"),
        ("reason_required", "退回必须填写理由", "reason"),
    ]
    assert triples(check_move(Stage.ARCHIVED, Stage.REVIEW, ItemFacts(), is_supervisor=True, reason="x").problems) == [
        ("archived", "事项已归档，不能退回", "to")
    ]
    evidenced = ItemFacts(goals=(EVIDENCED,))
    lead_close = check_move(Stage.CLOSE, Stage.REVIEW, evidenced, is_supervisor=False, reason=None)
    assert triples(lead_close.problems) == [("close_needs_supervisor", "闭环销号只能由督查室操作", "to")]
    assert lead_close.direction == "forward" and not lead_close.allowed
    # a supervisor's strike-off still needs the verification
    assert triples(check_move(Stage.CLOSE, Stage.REVIEW, evidenced, is_supervisor=True, reason=None).problems) == [
        ("not_verified", "需督查室核验佐证后销号", None)
    ]


def test_a_move_back_several_stages_is_allowed_for_a_supervisor():
    move = check_move(Stage.CLOSE, Stage.DRILL, ItemFacts(), is_supervisor=True, reason="目标需重新分解")
    assert move.allowed and move.direction == "back" and move.problems == []


def test_next_stage_walks_the_six_stages_then_stops():
    walk, stage = [], Stage.DRILL
    while stage is not None:
        walk.append(stage.value)
        stage = next_stage(stage)
    assert walk == ["drill", "calculate", "levers", "execute", "close", "review", "archived"]


# --- scoring: rounding, clamping, empty columns ----------------------------------------------


def test_score_parts_round_to_four_places_and_the_score_to_two():
    jia = UnitMetrics(1, "甲局", 0.123456, 1, 2, 1, 3)
    yi = UnitMetrics(2, "乙局", 1.2, 3, 0, 0, 0)
    rows = {r.metrics.unit_name: r for r in score_units([jia, yi], Weights())}
    assert rows["甲局"].parts == {
        "goal_progress": 7.4074,  # 60 × 0.123456 = 7.40736
        "problems_resolved": 6.6667,  # 20 × 1/3
        "results_verified": 20.0,
        "overdue_penalty": -5.0,
        "urge_penalty": -6.0,
    }
    assert rows["甲局"].score == 23.07  # 23.0741
    # progress above 1 counts as 1; a column nobody scored in gives nobody points
    assert rows["乙局"].parts["goal_progress"] == 60.0 and rows["乙局"].parts["results_verified"] == 0.0
    assert rows["乙局"].score == 80.0


def test_nobody_resolving_problems_gives_nobody_those_points():
    rows = score_units([UnitMetrics(1, "甲局", 0.5, 0, 0, 0, 0), UnitMetrics(2, "乙局", 0.25, 0, 0, 0, 0)], Weights())
    assert [r.parts["problems_resolved"] for r in rows] == [0.0, 0.0]
    assert [r.parts["results_verified"] for r in rows] == [0.0, 0.0]
    assert [r.score for r in rows] == [30.0, 15.0]
    assert score_units([], Weights()) == []


# --- lights: each threshold on both sides -------------------------------------------------------

START = date(2024, 1, 1)
DEADLINE = START + timedelta(days=100)  # 10 April: the trajectory expects k % after k days


def state(actual, *, last_report_on=None, reached_on=None, comparator=">=", baseline=0.0, target=100.0, deadline=DEADLINE):
    return GoalState(comparator, baseline, target, deadline, actual, START, last_report_on=last_report_on, reached_on=reached_on)


def light_at(day: int, actual, **kw):
    as_of = START + timedelta(days=day)
    kw.setdefault("last_report_on", as_of)
    return goal_light(state(actual, **kw), as_of)


def test_behind_points_measure_against_the_trajectory():
    assert behind_points(state(20.0), START + timedelta(days=50)) == 30.0
    assert behind_points(state(None), START + timedelta(days=50)) == 50.0  # no actual: at the baseline
    assert behind_points(state(None, baseline=None), START + timedelta(days=50)) == 50.0
    assert behind_points(state(250.0), START + timedelta(days=50)) == -50.0  # done beyond 100 % counts 100 %
    assert behind_points(state(1 / 3), START + timedelta(days=50)) == 49.666667
    assert behind_points(state(20.0, target=None), START) is None
    assert behind_points(state(20.0, deadline=None), START) is None
    assert behind_points(state(5.0, comparator=">=", baseline=None), START + timedelta(days=50)) == 45.0


@pytest.mark.parametrize(
    ("day", "actual", "light"),
    [
        (50, 20.0, Light.YELLOW),  # exactly 30 behind: still yellow
        (50, 19.99, Light.RED),  # more than 30 behind
        (50, 40.0, Light.YELLOW),  # exactly 10 behind: yellow
        (50, 40.01, Light.GREEN),
        (50, 60.0, Light.BLUE),  # exactly 10 ahead
        (50, 59.99, Light.GREEN),
        (97, 97.0, Light.YELLOW),  # on track, deadline in 3 days
        (96, 96.0, Light.GREEN),  # deadline in 4 days
        (101, 99.0, Light.RED),  # past the deadline, not reached
    ],
)
def test_goal_light_thresholds(day, actual, light):
    assert light_at(day, actual) == light


def test_goal_light_on_the_deadline_itself_is_a_warning_not_red():
    assert light_at(100, 99.0) == Light.YELLOW


def test_a_month_without_a_report_is_a_warning():
    as_of = START + timedelta(days=60)
    assert goal_light(state(60.0, last_report_on=as_of - timedelta(days=30)), as_of) == Light.GREEN
    assert goal_light(state(60.0, last_report_on=as_of - timedelta(days=31)), as_of) == Light.YELLOW
    # never reported: counted from the trajectory's start
    assert goal_light(state(31.0), START + timedelta(days=31)) == Light.YELLOW
    assert goal_light(state(30.0), START + timedelta(days=30)) == Light.GREEN


def test_a_reached_target_is_blue_if_reached_by_the_deadline_else_green():
    assert light_at(50, 100.0) == Light.BLUE
    assert goal_light(state(100.0, reached_on=DEADLINE), DEADLINE + timedelta(days=5)) == Light.BLUE
    assert goal_light(state(100.0, reached_on=DEADLINE + timedelta(days=1)), DEADLINE + timedelta(days=5)) == Light.GREEN
    assert goal_light(state(100.0), DEADLINE + timedelta(days=1)) == Light.GREEN  # reached, but only now
    assert goal_light(state(100.0, target=None), START) is None
    assert goal_light(state(100.0, deadline=None), START) is None


def test_item_light_shows_the_worst_and_its_own_deadline():
    day = date(2024, 6, 3)
    assert item_light([Light.GREEN, Light.YELLOW, None], deadline=None, done=False, as_of=day) == Light.YELLOW
    assert item_light([Light.RED, Light.BLUE], deadline=None, done=False, as_of=day) == Light.RED
    assert item_light([], deadline=day - timedelta(days=1), done=False, as_of=day) == Light.RED
    assert item_light([Light.BLUE], deadline=day, done=False, as_of=day) == Light.YELLOW
    assert item_light([Light.BLUE], deadline=day + timedelta(days=3), done=False, as_of=day) == Light.YELLOW
    assert item_light([Light.BLUE], deadline=day + timedelta(days=4), done=False, as_of=day) == Light.BLUE
    assert item_light([], deadline=day + timedelta(days=4), done=False, as_of=day) == Light.GREEN
    assert item_light([None], deadline=None, done=False, as_of=day) is None
    assert item_light([], deadline=None, done=False, as_of=day) is None


def test_a_done_item_is_blue_unless_a_goal_was_not():
    day = date(2024, 6, 3)
    assert item_light([], deadline=day - timedelta(days=9), done=True, as_of=day) == Light.BLUE
    assert item_light([Light.BLUE, None], deadline=None, done=True, as_of=day) == Light.BLUE
    assert item_light([Light.BLUE, Light.GREEN], deadline=None, done=True, as_of=day) == Light.GREEN
    assert item_light([Light.RED], deadline=None, done=True, as_of=day) == Light.GREEN


# --- trajectory ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("actual", "comparator", "target", "expected"),
    [
        (5, ">=", 5, True), (4.99, ">=", 5, False), (5, ">", 5, False), (5.01, ">", 5, True),
        (5, "<=", 5, True), (5.01, "<=", 5, False), (5, "<", 5, False), (4.99, "<", 5, True),
        (5 + 1e-10, "=", 5, True), (5.001, "=", 5, False),
        (None, ">=", 5, False), (5, ">=", None, False),
    ],
)
def test_reached(actual, comparator, target, expected):
    assert reached(actual, comparator, target) is expected


def test_completion():
    assert completion(315, 300, 330) == 0.5
    assert completion(15, None, 30) == 0.5
    assert completion(40, 50, 30, "<=") == 0.5  # downwards
    assert completion(None, 0, 10) is None and completion(5, 0, None) is None
    assert completion(7, 7, 7, None) == 1.0  # zero gap, comparator defaults to ≥
    assert completion(6, 7, 7, ">=") == 0.0
    assert completion(6, 7, 7, "<=") == 1.0


def test_clamp_and_percent():
    assert [clamp01(x) for x in (None, -0.5, 0.3, 1.5)] == [0.0, 0.0, 0.3, 1.0]
    assert completion_percent([]) is None
    assert completion_percent([0.125]) == 13  # halves round up
    assert completion_percent([0.1, 0.2]) == 15
    assert completion_percent([0.124]) == 12


def test_expected_value_is_piecewise_linear_through_milestones():
    start, deadline = date(2024, 1, 1), date(2024, 1, 11)
    ms = [Milestone(date(2024, 1, 6), 80.0), Milestone(date(2024, 1, 1), 999.0), Milestone(date(2024, 1, 11), 999.0), Milestone(date(2023, 12, 1), 999.0)]
    ev = lambda day, **kw: expected_value(day, start=start, deadline=deadline, baseline=kw.get("baseline", 0.0), target=100.0, milestones=kw.get("milestones", ms))  # noqa: E731
    assert ev(date(2023, 12, 25)) == 0.0 and ev(start) == 0.0
    assert ev(date(2024, 1, 3)) == 32.0  # 2/5 of the way to 80
    assert ev(date(2024, 1, 6)) == 80.0
    assert ev(date(2024, 1, 8)) == 88.0  # 2/5 of the way from 80 to 100
    assert ev(deadline) == 100.0 and ev(date(2024, 2, 1)) == 100.0
    assert ev(date(2024, 1, 6), milestones=None) == 50.0
    assert ev(date(2024, 1, 6), baseline=None, milestones=None) == 50.0
    assert ev(date(2024, 1, 6), baseline=20.0, milestones=None) == 60.0
    # milestones given out of order are taken in date order
    two = [Milestone(date(2024, 1, 9), 90.0), Milestone(date(2024, 1, 3), 10.0)]
    assert ev(date(2024, 1, 6), milestones=two) == 50.0


def test_expected_completion():
    start, deadline = date(2024, 1, 1), date(2024, 1, 11)
    ec = lambda day, base, target: expected_completion(day, start=start, deadline=deadline, baseline=base, target=target)  # noqa: E731
    assert ec(date(2024, 1, 6), 0.0, 100.0) == 0.5
    assert ec(date(2024, 1, 6), None, 100.0) == 0.5
    assert ec(date(2024, 1, 6), 100.0, 50.0) == 0.5  # downwards
    assert ec(date(2024, 1, 10), 5.0, 5.0) == 0.0 and ec(deadline, 5.0, 5.0) == 1.0  # zero gap: due on the deadline


# --- working days -------------------------------------------------------------------------------


def test_calendar_coverage_and_the_weekday_fallback():
    assert covered(2024) and not covered(2100)
    assert not is_workday(date(2100, 1, 2)) and is_workday(date(2100, 1, 4))  # a Saturday, a Monday
    assert is_workday(date(2024, 9, 29))  # a Sunday, 调休 make-up day
    assert not is_workday(date(2024, 10, 1))
    assert is_workday(date(2024, 10, 1), {date(2024, 10, 1): True})
    assert not is_workday(date(2024, 10, 8), {date(2024, 10, 8): False})


def test_add_workdays_both_ways_over_a_holiday():
    assert add_workdays(date(2024, 9, 27), 0) == date(2024, 9, 27)
    assert add_workdays(date(2024, 9, 27), 3) == date(2024, 10, 8)  # Sun 29 (调休), Mon 30, then Tue 8 Oct
    assert add_workdays(date(2024, 10, 8), -3) == date(2024, 9, 27)
    assert add_workdays(date(2100, 1, 1), 1) == date(2100, 1, 4)  # a Friday: next Monday


def test_workdays_between_counts_the_days_after_start_up_to_end():
    assert workdays_between(date(2024, 9, 27), date(2024, 9, 27)) == 0
    assert workdays_between(date(2024, 9, 27), date(2024, 9, 20)) == 0
    assert workdays_between(date(2024, 9, 27), date(2024, 9, 29)) == 1
    assert workdays_between(date(2024, 9, 27), date(2024, 10, 8)) == 3
    assert workdays_between(date(2024, 9, 27), date(2024, 10, 8), {date(2024, 10, 8): False}) == 2


# --- from the survivors of the second mutation run ----------------------------------------------


def test_item_light_ranks_red_above_yellow_by_severity_not_by_name():
    assert item_light([Light.YELLOW, Light.RED, Light.GREEN], deadline=None, done=False, as_of=date(2024, 6, 3)) == Light.RED


def test_behind_points_use_the_baseline_milestones_and_comparator():
    day50 = START + timedelta(days=50)
    # no actual yet: the goal stands at its baseline, not at zero
    assert behind_points(state(None, baseline=50.0), day50) == 50.0
    # a milestone of 80 on day 50, from a baseline of 50 towards 100: 60 % expected
    with_milestone = GoalState(">=", 50.0, 100.0, DEADLINE, 70.0, START, milestones=(Milestone(day50, 80.0),), last_report_on=day50)
    assert behind_points(with_milestone, day50) == 20.0
    # zero gap, a ≤ goal already met: complete, ahead of a trajectory that expects it on the deadline
    assert behind_points(state(90.0, comparator="<=", baseline=100.0, target=100.0), day50) == -100.0


def test_trajectory_edges():
    assert completion(0.5, 0.0, 1.0) == 0.5  # a gap of exactly 1
    assert completion(7, 7, 7) == 1.0  # zero gap, no comparator given: ≥
    assert reached(1e-9, "=", 0.0) is False
    day = date(2024, 1, 6)
    assert expected_completion(day, start=date(2024, 1, 1), deadline=date(2024, 1, 11), baseline=0.0, target=1.0) == 0.5
    assert expected_completion(
        day, start=date(2024, 1, 1), deadline=date(2024, 1, 11), baseline=0.0, target=100.0, milestones=[Milestone(day, 80.0)]
    ) == 0.8


def test_working_days_honour_the_admins_overrides_and_count_the_first_day():
    assert add_workdays(date(2100, 1, 1), 1, {date(2100, 1, 4): False}) == date(2100, 1, 5)
    assert workdays_between(date(2024, 6, 3), date(2024, 6, 4)) == 1  # Monday → Tuesday


def test_levers_gate_looks_past_a_closed_problem_and_names_both_missing_fields():
    f = ItemFacts(
        projects=(ProjectFacts(1, "孵化中心", unit_id=2, end_on=date(2024, 9, 1)),),
        problems=(ProblemFacts(5, "已解决的", "resolved"), ProblemFacts(6, "场地不足", "open")),
    )
    assert triples(unmet_conditions(Stage.LEVERS, f)) == [("problem_unassigned", "问题「场地不足」缺少：责任单位、解决时限", "problems[6]")]


def test_refused_moves_say_so_plainly():
    same = check_move(Stage.LEVERS, Stage.LEVERS, ItemFacts(), is_supervisor=True, reason=None)
    assert same.allowed is False and same.direction == "none"
    skip = check_move(Stage.DRILL, Stage.EXECUTE, ItemFacts(), is_supervisor=True, reason=None)
    assert skip.allowed is False and skip.direction == "forward"


def test_fractional_weights_and_shares_are_rounded_to_four_places():
    w = Weights(overdue_penalty=2.123456, urge_penalty=0.333333)
    rows = {r.metrics.unit_name: r for r in score_units([UnitMetrics(1, "甲局", 0.0, 0, 1, 1, 1), UnitMetrics(2, "乙局", 0.0, 0, 3, 0, 0)], w)}
    assert rows["甲局"].parts["results_verified"] == 6.6667  # 20 × 1/3
    assert rows["甲局"].parts["overdue_penalty"] == -2.1235
    assert rows["甲局"].parts["urge_penalty"] == -0.3333
