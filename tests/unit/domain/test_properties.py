"""Invariants of gates, lights and scoring, checked on generated values."""

from datetime import date, timedelta

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from closedloop.domain.lights import SEVERITY, GoalState, goal_light
from closedloop.domain.scoring import UnitMetrics, Weights, goal_progress_of, score_units
from closedloop.domain.stages import STAGE_ORDER, GoalFacts, ItemFacts, ProblemFacts, ProjectFacts, Stage, check_move, unmet_conditions

names = st.text(alphabet="甲乙丙丁戊己庚辛", min_size=1, max_size=3)
metrics = st.builds(
    UnitMetrics,
    unit_id=st.integers(1, 10_000),
    unit_name=names,
    goal_progress=st.floats(0, 1),
    problems_resolved=st.integers(0, 50),
    results_verified=st.integers(0, 50),
    overdue_items=st.integers(0, 5),
    urges=st.integers(0, 5),
)


@given(st.lists(metrics, max_size=30, unique_by=lambda m: m.unit_id))
def test_ranks_are_a_permutation_and_ties_are_deterministic(units):
    ranked = score_units(units, Weights())
    assert sorted(r.rank for r in ranked) == list(range(1, len(units) + 1))
    again = score_units(list(reversed(units)), Weights())
    assert [r.metrics.unit_id for r in ranked] == [r.metrics.unit_id for r in again]
    scores = [r.score for r in ranked]
    assert scores == sorted(scores, reverse=True)


@given(st.lists(metrics, min_size=1, max_size=20, unique_by=lambda m: m.unit_id), st.data())
def test_score_never_falls_when_goal_progress_rises(units, data):
    i = data.draw(st.integers(0, len(units) - 1))
    better = data.draw(st.floats(units[i].goal_progress, 1))
    before = {r.metrics.unit_id: r.score for r in score_units(units, Weights())}
    raised = list(units)
    u = units[i]
    raised[i] = UnitMetrics(u.unit_id, u.unit_name, better, u.problems_resolved, u.results_verified, u.overdue_items, u.urges)
    after = {r.metrics.unit_id: r.score for r in score_units(raised, Weights())}
    assert after[u.unit_id] >= before[u.unit_id]


@given(st.floats(-300, 300), st.floats(-300, 300))
def test_goal_progress_falls_as_a_goal_falls_behind_and_stays_bounded(a, b):
    less, more = sorted((a, b))
    assert 0 <= goal_progress_of(more) <= goal_progress_of(less) <= 1


START, DEADLINE = date(2024, 1, 1), date(2024, 12, 31)


@settings(max_examples=300)
@given(st.floats(0, 200), st.floats(0, 200), st.integers(0, 400))
def test_more_progress_never_worsens_a_goal_light(x, y, day):
    lo, hi = sorted((x, y))
    on = START + timedelta(days=day)

    def light(actual):
        return goal_light(GoalState(">=", 0.0, 100.0, DEADLINE, actual, START, last_report_on=on), on)

    assert SEVERITY[light(hi)] <= SEVERITY[light(lo)]


goals = st.builds(
    GoalFacts,
    id=st.integers(1, 99),
    subject=names,
    measure_unit=st.one_of(st.none(), st.just("家")),
    comparator=st.one_of(st.none(), st.sampled_from([">=", "<=", ">"])),
    baseline=st.one_of(st.none(), st.floats(0, 10)),
    target=st.one_of(st.none(), st.floats(10, 20)),
    deadline=st.one_of(st.none(), st.just(DEADLINE)),
    has_result=st.booleans(),
)
facts = st.builds(
    ItemFacts,
    lead_unit_id=st.one_of(st.none(), st.integers(1, 5)),
    responsible_person=st.one_of(st.none(), st.just(""), st.just("张三")),
    goals=st.lists(goals, max_size=4).map(tuple),
    problems=st.lists(st.builds(ProblemFacts, id=st.integers(1, 99), description=names,
                                status=st.sampled_from(["open", "resolved", "verified", "carried_over"]),
                                unit_id=st.one_of(st.none(), st.integers(1, 5)), due_on=st.one_of(st.none(), st.just(DEADLINE)),
                                carry_reason=st.one_of(st.none(), st.just("跨年"))), max_size=3).map(tuple),
    projects=st.lists(st.builds(ProjectFacts, id=st.integers(1, 99), name=names, unit_id=st.one_of(st.none(), st.integers(1, 5)),
                                end_on=st.one_of(st.none(), st.just(DEADLINE)), progress=st.integers(0, 100)), max_size=3).map(tuple),
    supervisor_verified=st.booleans(),
    review=st.one_of(st.none(), st.just("经验")),
)


@given(st.sampled_from(STAGE_ORDER[:-1]), facts)
def test_a_forward_move_is_allowed_exactly_when_the_gate_has_nothing_unmet(stage, f):
    nxt = STAGE_ORDER[STAGE_ORDER.index(stage) + 1]
    unmet = unmet_conditions(stage, f)
    move = check_move(stage, nxt, f, is_supervisor=True, reason=None)
    assert move.allowed == (not unmet)
    assert [p.code for p in move.problems] == [p.code for p in unmet]
    assert all(p.message for p in unmet)


@given(st.sampled_from(STAGE_ORDER), st.sampled_from(STAGE_ORDER), facts)
def test_no_move_skips_a_stage_or_goes_back_without_a_supervisor(a, b, f):
    assume(a != b)
    lead = check_move(a, b, f, is_supervisor=False, reason="理由")
    if lead.allowed:
        assert STAGE_ORDER.index(b) == STAGE_ORDER.index(a) + 1 and a != Stage.CLOSE


@settings(max_examples=200)
@given(st.dates(date(2023, 1, 1), date(2025, 12, 31)), st.integers(1, 15))
def test_the_undrilled_threshold_day_is_exactly_the_last_assignment_day_that_is_undrilled(as_of, n):
    from closedloop.domain.lights import Thresholds, last_undrilled_assignment, undrilled

    t = Thresholds(drill_workdays=n)
    day = last_undrilled_assignment(as_of, t)
    assert undrilled(False, day, as_of, t) and not undrilled(False, day + timedelta(days=1), as_of, t)
    assert not undrilled(True, day, as_of, t)
