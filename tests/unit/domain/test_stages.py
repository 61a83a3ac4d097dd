"""Stage gates: each condition of DOMAIN.md, and a refusal lists all of them at once."""

from datetime import date

from closedloop.domain.stages import (
    GoalFacts,
    ItemFacts,
    ProblemFacts,
    ProjectFacts,
    Stage,
    check_move,
    unmet_conditions,
)

FULL_GOAL = GoalFacts(1, "高新技术企业", "家", ">=", 300, 330, date(2024, 12, 31), has_result=True)


def codes(problems):
    return [p.code for p in problems]


def test_drill_gate_lists_every_missing_condition():
    problems = unmet_conditions(Stage.DRILL, ItemFacts())
    assert codes(problems) == ["lead_unit_missing", "responsible_person_missing", "no_goal"]
    assert all(p.message for p in problems)
    assert "牵头单位" in problems[0].message


def test_drill_gate_holds_with_lead_person_and_goal():
    f = ItemFacts(lead_unit_id=3, responsible_person="张三", goals=(GoalFacts(1, "x"),))
    assert unmet_conditions(Stage.DRILL, f) == []


def test_drill_gate_blank_person_is_missing():
    f = ItemFacts(lead_unit_id=3, responsible_person="  ", goals=(GoalFacts(1, "x"),))
    assert codes(unmet_conditions(Stage.DRILL, f)) == ["responsible_person_missing"]


def test_calculate_gate_names_each_missing_goal_field():
    g = GoalFacts(7, "科技成果登记", measure_unit=None, comparator=">", baseline=None, target=200, deadline=None)
    problems = unmet_conditions(Stage.CALCULATE, ItemFacts(goals=(g, FULL_GOAL)))
    assert codes(problems) == ["goal_incomplete"]
    assert problems[0].field == "goals[7]"
    for word in ("计量单位", "基期值", "完成时限"):
        assert word in problems[0].message
    assert "目标值" not in problems[0].message


def test_calculate_gate_rejects_unknown_comparator():
    g = GoalFacts(2, "x", "家", "≈", 1, 2, date(2024, 1, 1))
    assert "比较方式" in unmet_conditions(Stage.CALCULATE, ItemFacts(goals=(g,)))[0].message


def test_levers_gate_needs_ready_project_and_assigned_open_problems():
    f = ItemFacts(
        projects=(ProjectFacts(1, "孵化中心", unit_id=None, end_on=date(2024, 9, 1)),),
        problems=(
            ProblemFacts(1, "场地不足", "open", unit_id=None, due_on=None),
            ProblemFacts(2, "资金缺口", "resolved", unit_id=None, due_on=None),
        ),
    )
    problems = unmet_conditions(Stage.LEVERS, f)
    assert codes(problems) == ["no_project", "problem_unassigned"]
    assert "责任单位" in problems[1].message and "解决时限" in problems[1].message


def test_levers_gate_holds():
    f = ItemFacts(
        projects=(ProjectFacts(1, "孵化中心", unit_id=2, end_on=date(2024, 9, 1)),),
        problems=(ProblemFacts(1, "场地不足", "open", unit_id=2, due_on=date(2024, 6, 1)),),
    )
    assert unmet_conditions(Stage.LEVERS, f) == []


def test_execute_gate_lists_projects_problems_and_goals_without_results():
    f = ItemFacts(
        goals=(FULL_GOAL, GoalFacts(2, "科技型企业", has_result=False)),
        projects=(ProjectFacts(1, "A", 1, date(2024, 1, 1), 100), ProjectFacts(2, "B", 1, date(2024, 1, 1), 60)),
        problems=(
            ProblemFacts(1, "已解决", "resolved"),
            ProblemFacts(2, "结转无理由", "carried_over", carry_reason=""),
            ProblemFacts(3, "结转有理由", "carried_over", carry_reason="跨年度项目"),
            ProblemFacts(4, "仍未解决", "open"),
        ),
    )
    problems = unmet_conditions(Stage.EXECUTE, f)
    assert codes(problems) == ["project_not_done", "problem_open", "problem_open", "goal_no_result"]
    assert "60%" in problems[0].message
    assert [p.field for p in problems[1:3]] == ["problems[2]", "problems[4]"]


def test_close_needs_supervisor_and_review_needs_record():
    evidenced = (GoalFacts(1, "高新技术企业", has_result=True, verified_with_evidence=True),)
    assert codes(unmet_conditions(Stage.CLOSE, ItemFacts(goals=evidenced))) == ["not_verified"]
    assert unmet_conditions(Stage.CLOSE, ItemFacts(supervisor_verified=True, goals=evidenced)) == []
    assert codes(unmet_conditions(Stage.REVIEW, ItemFacts(review=" "))) == ["no_review"]
    assert unmet_conditions(Stage.REVIEW, ItemFacts(review="目标完成，经验是…")) == []


def test_forward_move_one_step_only():
    f = ItemFacts(lead_unit_id=1, responsible_person="张三", goals=(FULL_GOAL,))
    assert check_move(Stage.DRILL, Stage.CALCULATE, f, is_supervisor=False, reason=None).allowed
    skip = check_move(Stage.DRILL, Stage.LEVERS, f, is_supervisor=False, reason=None)
    assert not skip.allowed and codes(skip.problems) == ["skip_stage"]


def test_back_move_is_for_supervisors_with_a_reason():
    lead = check_move(Stage.EXECUTE, Stage.LEVERS, ItemFacts(), is_supervisor=False, reason="")
    assert codes(lead.problems) == ["back_needs_supervisor", "reason_required"]
    sup = check_move(Stage.EXECUTE, Stage.LEVERS, ItemFacts(), is_supervisor=True, reason="项目未落实")
    assert sup.allowed and sup.direction == "back"


def test_leaving_close_is_the_supervisors_strike_off():
    evidenced = GoalFacts(1, "高新技术企业", has_result=True, verified_with_evidence=True)
    lead = check_move(Stage.CLOSE, Stage.REVIEW, ItemFacts(goals=(evidenced,)), is_supervisor=False, reason=None)
    assert codes(lead.problems) == ["close_needs_supervisor"]
    sup = check_move(Stage.CLOSE, Stage.REVIEW, ItemFacts(supervisor_verified=True, goals=(evidenced,)), is_supervisor=True, reason=None)
    assert sup.allowed


def test_strike_off_needs_a_verified_result_with_evidence_for_every_goal():
    ok = GoalFacts(1, "高新技术企业", has_result=True, verified_with_evidence=True)
    bare = GoalFacts(2, "科技特派员", has_result=True, verified_with_evidence=False)
    sup = check_move(Stage.CLOSE, Stage.REVIEW, ItemFacts(supervisor_verified=True, goals=(ok, bare)), is_supervisor=True, reason=None)
    assert not sup.allowed
    assert [(p.code, p.field) for p in sup.problems] == [("goal_not_evidenced", "goals[2]")]
    assert "科技特派员" in sup.problems[0].message
    none = check_move(Stage.CLOSE, Stage.REVIEW, ItemFacts(supervisor_verified=True), is_supervisor=True, reason=None)
    assert codes(none.problems) == ["no_goal"]
