"""The six stages 下钻 → 细算 → 谋点 → 实干 → 闭环 → 复盘 and the gate that leaves each.

A gate returns every unmet condition, never only the first, so a refused move can list
all that is missing at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from closedloop.domain.errors import Issue
from closedloop.domain.statuses import ProblemStatus


class Stage(StrEnum):
    DRILL = "drill"
    CALCULATE = "calculate"
    LEVERS = "levers"
    EXECUTE = "execute"
    CLOSE = "close"
    REVIEW = "review"
    ARCHIVED = "archived"


STAGE_ORDER: tuple[Stage, ...] = tuple(Stage)

STAGE_NAMES: dict[Stage, str] = {
    Stage.DRILL: "下钻",
    Stage.CALCULATE: "细算",
    Stage.LEVERS: "谋点",
    Stage.EXECUTE: "实干",
    Stage.CLOSE: "闭环",
    Stage.REVIEW: "复盘",
    Stage.ARCHIVED: "已归档",
}

COMPARATORS = (">=", ">", "<=", "<", "=")
DONE_PROBLEM_STATES = (ProblemStatus.RESOLVED.value, ProblemStatus.VERIFIED.value)

# An item is open (being worked on, can be overdue, is supervised) until 闭环; after it, done.
OPEN_STAGES: tuple[str, ...] = (Stage.DRILL.value, Stage.CALCULATE.value, Stage.LEVERS.value, Stage.EXECUTE.value)
OPEN_STAGES_SQL = "(" + ", ".join(f"'{s}'" for s in OPEN_STAGES) + ")"  # for fixed SQL text: w.stage IN …
DONE_STAGES: tuple[str, ...] = tuple(s.value for s in Stage if s.value not in OPEN_STAGES)  # 闭环, 复盘, 已归档


def next_stage(stage: Stage) -> Stage | None:
    i = STAGE_ORDER.index(stage)
    return STAGE_ORDER[i + 1] if i + 1 < len(STAGE_ORDER) else None


@dataclass(frozen=True)
class GoalFacts:
    id: int
    subject: str
    measure_unit: str | None = None
    comparator: str | None = None
    baseline: float | None = None
    target: float | None = None
    deadline: date | None = None
    has_result: bool = False
    # a result verified by the supervision office, with at least one piece of evidence (佐证)
    verified_with_evidence: bool = False


@dataclass(frozen=True)
class ProblemFacts:
    id: int
    description: str
    status: str = "open"
    unit_id: int | None = None
    due_on: date | None = None
    carry_reason: str | None = None


@dataclass(frozen=True)
class ProjectFacts:
    id: int
    name: str
    unit_id: int | None = None
    end_on: date | None = None
    progress: int = 0


@dataclass(frozen=True)
class ItemFacts:
    """What the gates look at, gathered by the service in one read."""

    lead_unit_id: int | None = None
    responsible_person: str | None = None
    goals: tuple[GoalFacts, ...] = ()
    problems: tuple[ProblemFacts, ...] = ()
    projects: tuple[ProjectFacts, ...] = ()
    supervisor_verified: bool = False
    review: str | None = None


def _short(text: str, n: int = 20) -> str:
    text = text.strip()
    return text if len(text) <= n else text[:n] + "…"


def _gate_drill(f: ItemFacts) -> list[Issue]:
    out = []
    if f.lead_unit_id is None:
        out.append(Issue("lead_unit_missing", "未指定牵头单位", "lead_unit_id"))
    if not (f.responsible_person or "").strip():
        out.append(Issue("responsible_person_missing", "未指定责任人", "responsible_person"))
    if not f.goals:
        out.append(Issue("no_goal", "至少需要一个目标", "goals"))
    return out


_GOAL_FIELDS = (
    ("measure_unit", "计量单位"),
    ("comparator", "比较方式"),
    ("baseline", "基期值"),
    ("target", "目标值"),
    ("deadline", "完成时限"),
)


def _gate_calculate(f: ItemFacts) -> list[Issue]:
    out = []
    if not f.goals:
        out.append(Issue("no_goal", "至少需要一个目标", "goals"))
    for g in f.goals:
        missing = [label for attr, label in _GOAL_FIELDS if getattr(g, attr) in (None, "")]
        if g.comparator not in (None, "") and g.comparator not in COMPARATORS:
            missing.append("比较方式（无效）")
        if missing:
            out.append(
                Issue(
                    "goal_incomplete",
                    f"目标「{_short(g.subject)}」缺少：{'、'.join(missing)}",
                    f"goals[{g.id}]",
                )
            )
    return out


def _gate_levers(f: ItemFacts) -> list[Issue]:
    out = []
    if not any(p.unit_id is not None and p.end_on is not None for p in f.projects):
        out.append(Issue("no_project", "至少需要一个已明确责任单位和完成时间的项目", "projects"))
    for p in f.problems:
        if p.status != "open":
            continue
        missing = []
        if p.unit_id is None:
            missing.append("责任单位")
        if p.due_on is None:
            missing.append("解决时限")
        if missing:
            out.append(
                Issue(
                    "problem_unassigned",
                    f"问题「{_short(p.description)}」缺少：{'、'.join(missing)}",
                    f"problems[{p.id}]",
                )
            )
    return out


def _gate_execute(f: ItemFacts) -> list[Issue]:
    out = []
    for p in f.projects:
        if p.progress < 100:
            out.append(
                Issue("project_not_done", f"项目「{_short(p.name)}」未完成（进度 {p.progress}%）", f"projects[{p.id}]")
            )
    for q in f.problems:
        carried = q.status == "carried_over" and (q.carry_reason or "").strip()
        if q.status not in DONE_PROBLEM_STATES and not carried:
            out.append(
                Issue("problem_open", f"问题「{_short(q.description)}」尚未解决", f"problems[{q.id}]")
            )
    for g in f.goals:
        if not g.has_result:
            out.append(Issue("goal_no_result", f"目标「{_short(g.subject)}」没有成效记录", f"goals[{g.id}]"))
    if not f.goals:
        out.append(Issue("no_goal", "至少需要一个目标", "goals"))
    return out


def _gate_close(f: ItemFacts) -> list[Issue]:
    """销号: the supervision office strikes the item off, and only when every goal has a verified
    result with at least one piece of evidence."""
    out = [] if f.supervisor_verified else [Issue("not_verified", "需督查室核验佐证后销号", None)]
    if not f.goals:
        out.append(Issue("no_goal", "事项没有目标，无法核验销号", "goals"))
    for g in f.goals:
        if not g.verified_with_evidence:
            out.append(
                Issue("goal_not_evidenced", f"目标「{_short(g.subject)}」没有经督查室核验且附佐证的成效", f"goals[{g.id}]")
            )
    return out


def _gate_review(f: ItemFacts) -> list[Issue]:
    if (f.review or "").strip():
        return []
    return [Issue("no_review", "需填写复盘记录（目标与结果对比、原因、经验）", "review")]


GATES = {
    Stage.DRILL: _gate_drill,
    Stage.CALCULATE: _gate_calculate,
    Stage.LEVERS: _gate_levers,
    Stage.EXECUTE: _gate_execute,
    Stage.CLOSE: _gate_close,
    Stage.REVIEW: _gate_review,
}


def unmet_conditions(stage: Stage, facts: ItemFacts) -> list[Issue]:
    """Every condition that keeps an item in ``stage`` (empty: the gate holds)."""
    gate = GATES.get(stage)
    return gate(facts) if gate else [Issue("archived", "事项已归档，不能再推进", None)]


@dataclass(frozen=True)
class MoveCheck:
    allowed: bool
    direction: str  # forward | back
    problems: list[Issue] = field(default_factory=list)


def check_move(current: Stage, to: Stage, facts: ItemFacts, *, is_supervisor: bool, reason: str | None) -> MoveCheck:
    """Whether ``current`` → ``to`` is allowed, with every reason if not.

    Forward moves go one step at a time and need the gate of ``current``; leaving 闭环 is
    the supervisor's 销号. Backward moves are for supervisors and need a reason.
    """
    ci, ti = STAGE_ORDER.index(current), STAGE_ORDER.index(to)
    if ti == ci:
        return MoveCheck(False, "none", [Issue("same_stage", f"事项已处于「{STAGE_NAMES[to]}」阶段", "to")])
    if ti < ci:
        problems = []
        if not is_supervisor:
            problems.append(Issue("back_needs_supervisor", "退回只能由督查室操作", "to"))
        if not (reason or "").strip():
            problems.append(Issue("reason_required", "退回必须填写理由", "reason"))
        if current == Stage.ARCHIVED:
            problems.append(Issue("archived", "事项已归档，不能退回", "to"))
        return MoveCheck(not problems, "back", problems)
    if ti > ci + 1:
        return MoveCheck(
            False,
            "forward",
            [Issue("skip_stage", f"只能推进到下一阶段「{STAGE_NAMES[STAGE_ORDER[ci + 1]]}」", "to")],
        )
    problems = unmet_conditions(current, facts)
    if current == Stage.CLOSE and not is_supervisor:
        problems = [Issue("close_needs_supervisor", "闭环销号只能由督查室操作", "to")] + [
            p for p in problems if p.code != "not_verified"
        ]
    return MoveCheck(not problems, "forward", problems)
