"""The permission matrix as data: every write operation × role × own or other unit.

Each row names a route (method and path template as registered) and the status each
actor expects. ``lead_own`` is the lead of the unit that answers for the record; ``lead_other``
a lead of an unrelated unit; ``lead_coop`` a lead of a cooperating unit on the same item.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Awaitable, Callable

ACTORS = ("admin", "supervisor", "lead_own", "lead_other", "lead_coop")


@dataclass(frozen=True)
class Op:
    name: str
    method: str
    route: str  # as registered in the app
    url: Callable[[Any], str]
    body: Callable[[Any], Any] | None
    expect: dict[str, int]


def allow(*who: str, ok: int = 200, deny: int = 403) -> dict[str, int]:
    return {a: (ok if a in who else deny) for a in ACTORS}


UNIT_DATA = ("admin", "lead_own")
SUPERVISION = ("admin", "supervisor")

OPS: list[Op] = [
    Op("update item", "PATCH", "/api/v1/items/{item_id:int}", lambda w: f"/api/v1/items/{w.item_a.id}",
       lambda w: {"version": 1, "responsible_person": "李四"}, allow(*UNIT_DATA)),
    Op("transition forward", "POST", "/api/v1/items/{item_id:int}/transitions", lambda w: f"/api/v1/items/{w.item_a.id}/transitions",
       lambda w: {"to": "calculate"}, allow(*UNIT_DATA)),
    Op("create goal", "POST", "/api/v1/items/{item_id:int}/goals", lambda w: f"/api/v1/items/{w.item_a.id}/goals",
       lambda w: {"subject": "专利授权", "target": 10}, allow(*UNIT_DATA, "lead_coop", ok=201)),
    Op("update goal", "PATCH", "/api/v1/goals/{goal_id:int}", lambda w: f"/api/v1/goals/{w.goal_a.id}",
       lambda w: {"version": 1, "subject": "高新技术企业（家）"}, allow(*UNIT_DATA)),
    # a goal's actual comes from reports; only an admin corrects it directly
    Op("correct goal actual", "PATCH", "/api/v1/goals/{goal_id:int}", lambda w: f"/api/v1/goals/{w.goal_a.id}",
       lambda w: {"version": 1, "actual": 310}, allow("admin")),
    Op("request goal change", "POST", "/api/v1/goals/{goal_id:int}/change-requests",
       lambda w: f"/api/v1/goals/{w.goal_a.id}/change-requests",
       lambda w: {"changes": {"target": 320}, "reason": "企业外迁，目标调整"}, allow(*UNIT_DATA, ok=201)),
    Op("decide goal change", "POST", "/api/v1/change-requests/{request_id:int}/decision",
       lambda w: f"/api/v1/change-requests/{w.change_request.id}/decision", lambda w: {"version": 1, "approve": True},
       allow(*SUPERVISION)),
    Op("delete goal", "DELETE", "/api/v1/goals/{goal_id:int}", lambda w: f"/api/v1/goals/{w.goal_spare.id}?version=1",
       None, allow(*UNIT_DATA, ok=204)),
    Op("create problem", "POST", "/api/v1/items/{item_id:int}/problems", lambda w: f"/api/v1/items/{w.item_a.id}/problems",
       lambda w: {"description": "用地指标不足"}, allow(*UNIT_DATA, "lead_coop", ok=201)),
    Op("update problem", "PATCH", "/api/v1/problems/{problem_id:int}", lambda w: f"/api/v1/problems/{w.problem_a.id}",
       lambda w: {"version": 1, "status": "resolved", "resolution": "已协调"}, allow(*UNIT_DATA)),
    Op("verify problem", "POST", "/api/v1/problems/{problem_id:int}/verify",
       lambda w: f"/api/v1/problems/{w.problem_resolved.id}/verify", lambda w: {"version": 1}, allow(*SUPERVISION)),
    Op("reopen problem", "POST", "/api/v1/problems/{problem_id:int}/reopen",
       lambda w: f"/api/v1/problems/{w.problem_verified.id}/reopen", lambda w: {"version": 1, "reason": "核销依据不足"},
       allow(*SUPERVISION)),
    Op("delete problem", "DELETE", "/api/v1/problems/{problem_id:int}", lambda w: f"/api/v1/problems/{w.problem_a.id}?version=1",
       None, allow(*UNIT_DATA, ok=204)),
    Op("create project", "POST", "/api/v1/items/{item_id:int}/projects", lambda w: f"/api/v1/items/{w.item_a.id}/projects",
       lambda w: {"name": "孵化器扩建"}, allow(*UNIT_DATA, "lead_coop", ok=201)),
    Op("update project", "PATCH", "/api/v1/projects/{project_id:int}", lambda w: f"/api/v1/projects/{w.project_a.id}",
       lambda w: {"version": 1, "progress": 30}, allow(*UNIT_DATA)),
    Op("delete project", "DELETE", "/api/v1/projects/{project_id:int}", lambda w: f"/api/v1/projects/{w.project_a.id}?version=1",
       None, allow(*UNIT_DATA, ok=204)),
    Op("create result", "POST", "/api/v1/items/{item_id:int}/results", lambda w: f"/api/v1/items/{w.item_a.id}/results",
       lambda w: {"description": "新认定高企 8 家"}, allow(*UNIT_DATA, "lead_coop", ok=201)),
    Op("update result", "PATCH", "/api/v1/results/{result_id:int}", lambda w: f"/api/v1/results/{w.result_a.id}",
       lambda w: {"version": 1, "value": 12}, allow(*UNIT_DATA)),
    Op("delete result", "DELETE", "/api/v1/results/{result_id:int}", lambda w: f"/api/v1/results/{w.result_a.id}?version=1",
       None, allow(*UNIT_DATA, ok=204)),
    Op("verify result", "POST", "/api/v1/results/{result_id:int}/verify", lambda w: f"/api/v1/results/{w.result_a.id}/verify",
       lambda w: {"version": 1}, allow(*SUPERVISION)),
    Op("reopen result", "POST", "/api/v1/results/{result_id:int}/reopen",
       lambda w: f"/api/v1/results/{w.result_verified.id}/reopen", lambda w: {"version": 1, "reason": "数值需更正"},
       allow(*SUPERVISION)),
    Op("delete evidence", "DELETE", "/api/v1/evidence/{evidence_id:int}", lambda w: f"/api/v1/evidence/{w.evidence_a.id}",
       None, allow(*UNIT_DATA, ok=204)),
    Op("add evidence link", "POST", "/api/v1/results/{result_id:int}/evidence/link",
       lambda w: f"/api/v1/results/{w.result_a.id}/evidence/link", lambda w: {"url": "https://example.org/a"},
       allow(*UNIT_DATA, ok=201)),
    Op("upload evidence", "POST", "/api/v1/results/{result_id:int}/evidence/file",
       lambda w: f"/api/v1/results/{w.result_a.id}/evidence/file", "multipart", allow(*UNIT_DATA, ok=201)),
    Op("progress report", "POST", "/api/v1/items/{item_id:int}/reports", lambda w: f"/api/v1/items/{w.item_a.id}/reports",
       lambda w: {"period": "2024-W23", "narrative": "进展", "goals": [{"goal_id": w.goal_a.id, "value": 305}]},
       allow(*UNIT_DATA, ok=201)),
    Op("request extension", "POST", "/api/v1/items/{item_id:int}/extensions", lambda w: f"/api/v1/items/{w.item_a.id}/extensions",
       lambda w: {"new_deadline": "2025-03-31", "reason": "设备到货延迟"}, allow(*UNIT_DATA, ok=201)),
    Op("decide extension", "POST", "/api/v1/extensions/{request_id:int}/decision",
       lambda w: f"/api/v1/extensions/{w.extension.id}/decision", lambda w: {"version": 1, "approve": True},
       allow(*SUPERVISION)),
    Op("urge", "POST", "/api/v1/supervision/urge", lambda w: "/api/v1/supervision/urge",
       # item_b: item_a has the matrix's own unanswered 督办 of today, and a second 催办 the same day is not sent
       lambda w: {"item_ids": [w.item_b.id], "message": "请加快进度"}, allow(*SUPERVISION, ok=201)),
    Op("order", "POST", "/api/v1/items/{item_id:int}/orders", lambda w: f"/api/v1/items/{w.item_a.id}/orders",
       lambda w: {"message": "请于本周报送整改方案", "respond_by": "2024-06-10"}, allow(*SUPERVISION, ok=201)),
    Op("respond to action", "POST", "/api/v1/actions/{action_id:int}/response",
       lambda w: f"/api/v1/actions/{w.action.id}/response", lambda w: {"version": 1, "response": "已落实"},
       allow("admin", "lead_own")),
    Op("closure", "POST", "/api/v1/items/{item_id:int}/closure", lambda w: f"/api/v1/items/{w.item_close.id}/closure",
       lambda w: {"approve": True}, allow(*SUPERVISION)),
    Op("correct publication", "POST", "/api/v1/publications/{publication_id:int}/corrections",
       lambda w: f"/api/v1/publications/{w.publication.id}/corrections", lambda w: {"reason": "更正单位名称"},
       allow(*SUPERVISION, ok=201)),
    Op("create unit", "POST", "/api/v1/units", lambda w: "/api/v1/units", lambda w: {"name": "区统计局"},
       allow("admin", ok=201)),
    Op("update unit", "PATCH", "/api/v1/units/{unit_id:int}", lambda w: f"/api/v1/units/{w.unit_c.id}",
       lambda w: {"version": 1, "name": "区教育委员会"}, allow("admin")),
    Op("create user", "POST", "/api/v1/users", lambda w: "/api/v1/users",
       lambda w: {"username": "newlead", "password": "long-enough", "role": "lead", "unit_id": w.unit_c.id},
       allow("admin", ok=201)),
    Op("update user", "PATCH", "/api/v1/users/{user_id:int}", lambda w: f"/api/v1/users/{w.users['lead_c'].id}",
       lambda w: {"version": 1, "display_name": "王五"}, allow("admin")),
    Op("choose the goal reporting a plan goal", "PUT", "/api/v1/plan-goals/{plan_goal_id:int}/reporter",
       lambda w: f"/api/v1/plan-goals/{w.plan_goal.id}/reporter", lambda w: {"goal_id": w.linked_goal.id}, allow("admin")),
    Op("import plan", "POST", "/api/v1/plans/import", lambda w: "/api/v1/plans/import",
       lambda w: {"text": "某区2025年工作要点\n二、重点工作\n（一）抓创新。一是建平台。", "preview": True}, allow("admin")),
    Op("import plan, stored", "POST", "/api/v1/plans/import", lambda w: "/api/v1/plans/import",
       lambda w: {"text": "某区2025年工作要点\n二、重点工作\n（一）抓创新。一是建平台。", "preview": False}, allow("admin")),
    # editing a plan by hand: admin only
    Op("add section", "POST", "/api/v1/plans/{plan_id:int}/sections", lambda w: f"/api/v1/plans/{w.plan.id}/sections",
       lambda w: {"title": "加强队伍建设"}, allow("admin", ok=201)),
    Op("add plan item", "POST", "/api/v1/plans/nodes/{section_id:int}/items", lambda w: f"/api/v1/plans/nodes/{_section(w)}/items",
       lambda w: {"title": "建设人才驿站", "position": 1}, allow("admin", ok=201)),
    Op("edit plan node", "PATCH", "/api/v1/plans/nodes/{node_id:int}", lambda w: f"/api/v1/plans/nodes/{_section(w)}",
       lambda w: {"version": 1, "title": "提升科技创新平台布局"}, allow("admin")),
    Op("move plan node", "POST", "/api/v1/plans/nodes/{node_id:int}/move", lambda w: f"/api/v1/plans/nodes/{w.item_b.id}/move",
       lambda w: {"version": 1, "position": 1}, allow("admin")),
    Op("delete plan node", "DELETE", "/api/v1/plans/nodes/{node_id:int}", lambda w: f"/api/v1/plans/nodes/{w.item_spare.id}?version=1",
       None, allow("admin", ok=204)),
    Op("withdraw item", "POST", "/api/v1/plans/nodes/{node_id:int}/withdraw", lambda w: f"/api/v1/plans/nodes/{w.item_a.id}/withdraw",
       lambda w: {"version": 1, "reason": "区委调整工作安排"}, allow("admin")),
    Op("restate plan goal", "POST", "/api/v1/plans/nodes/{node_id:int}/restate", lambda w: f"/api/v1/plans/nodes/{w.item_b.id}/restate",
       lambda w: {"plan_goal_id": w.plan_goal.id}, allow("admin", ok=201)),
    Op("add plan goal", "POST", "/api/v1/plans/{plan_id:int}/goals", lambda w: f"/api/v1/plans/{w.plan.id}/goals",
       lambda w: {"subject": "高新技术企业", "measure_unit": "家", "comparator": ">", "target": 330}, allow("admin", ok=201)),
    Op("edit plan goal", "PATCH", "/api/v1/plans/goals/{goal_id:int}", lambda w: f"/api/v1/plans/goals/{w.plan_goal.id}",
       lambda w: {"version": 1, "target": 340}, allow("admin")),
    Op("assign plan", "POST", "/api/v1/plans/{plan_id:int}/assign", lambda w: f"/api/v1/plans/{w.plan.id}/assign",
       lambda w: {"text": "序号\t目标任务\t责任单位\t完成时限\n1\t测试事项\t区科技局\t2024年12月底"}, allow("admin")),
    Op("delete plan goal", "DELETE", "/api/v1/plans/goals/{goal_id:int}", lambda w: f"/api/v1/plans/goals/{w.plan_goal_spare.id}?version=1",
       None, allow("admin", ok=204)),
]

# --- issue 18: the leads' Excel round trip --------------------------------------------------


@dataclass(frozen=True)
class Multipart:
    """A multipart body: ``files(world)`` as httpx takes them, plus plain form fields."""

    files: Callable[[Any], dict]
    data: dict


def _ledger_upload(w) -> dict:
    """Unit A's template for the tests' week with goal A filled in, as a liaison would send it."""
    import io

    from openpyxl import load_workbook

    from closedloop.domain import periods
    from closedloop.services import ledger_xlsx

    goal = {"item_id": w.item_a.id, "code": w.item_a.code, "title": w.item_a.title, "lead_unit": w.unit_a.id, "id": w.goal_a.id,
            "subject": "高新技术企业", "measure_unit": "家", "baseline": 300.0, "target": 330.0, "deadline": None, "actual": None, "version": 1}
    scope = ledger_xlsx.Scope(w.unit_a.id, "区科技局", {w.goal_a.id: goal}, {})
    wb = load_workbook(io.BytesIO(ledger_xlsx.build_workbook(scope, periods.parse("2024-W23"))))
    ws = wb[ledger_xlsx.SHEET]
    ws[f"{ledger_xlsx.LETTER['actual']}{ledger_xlsx.FIRST_ROW}"] = 310
    ws[f"{ledger_xlsx.LETTER['narrative']}{ledger_xlsx.FIRST_ROW}"] = "本周新认定 10 家"
    out = io.BytesIO()
    wb.save(out)
    return {"file": ("台账.xlsx", out.getvalue(), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")}


LEDGER_OPS: list[Op] = [
    # the template names its unit: only that unit's lead (and an admin) may file it
    Op("ledger upload", "POST", "/api/v1/ledger/upload", lambda w: "/api/v1/ledger/upload",
       Multipart(_ledger_upload, {"apply": "true"}), allow(*UNIT_DATA)),  # type: ignore[arg-type]
]
OPS += LEDGER_OPS


# Issue 17, the cockpit: explaining a data check is the supervision office's (the world has a
# problem marked resolved without resolution text, so the check is open).
OPS += [
    Op("explain data check", "POST", "/api/v1/checks/explanations", lambda w: "/api/v1/checks/explanations",
       lambda w: {"check_key": f"problem_no_resolution:{w.problem_unresolved_text.id}", "note": "已电话核实"},
       allow(*SUPERVISION, ok=201)),
    Op("set working day", "PUT", "/api/v1/workdays/{day:date}", lambda w: "/api/v1/workdays/2027-02-08",
       lambda w: {"is_workday": False, "note": "春节"}, allow("admin")),
    Op("clear working day", "DELETE", "/api/v1/workdays/{day:date}", lambda w: f"/api/v1/workdays/{w.workday_override.day}",
       None, allow("admin", ok=204)),
]

def _section(w) -> int:
    """The section of the world's items (a factory keeps the id it was given)."""
    return getattr(w.item_a.parent, "id", w.item_a.parent)

# Writes every logged-in user may do to their own session or inbox; not unit data.
SELF_SERVICE = {("POST", "/api/v1/auth/logout"), ("POST", "/api/v1/auth/login"), ("POST", "/api/v1/inbox/{notification_id:int}/read")}


@dataclass(frozen=True)
class PageOp:
    """A page form that writes: posted with the session cookie and the CSRF token of ``page``;
    ``changed`` tells whether the write happened (pages answer with a redirect or a page either
    way, so the effect is what is checked)."""

    name: str
    route: str
    page: Callable[[Any], str]
    url: Callable[[Any], str]
    form: Callable[[Any], dict]
    changed: Callable[[Any], Awaitable[bool]]
    allowed: tuple[str, ...]


async def _goal_changed_to(w: Any, field: str, value: Any) -> bool:
    from closedloop.db.tables import Goal

    return (await Goal.select(getattr(Goal, field)).where(Goal.id == w.goal_a.id).first())[field] == value


async def _change_requested(w: Any) -> bool:
    from closedloop.db.tables import GoalChangeRequest

    return await GoalChangeRequest.exists().where(GoalChangeRequest.goal == w.goal_a.id)


async def _change_decided(w: Any) -> bool:
    from closedloop.db.tables import GoalChangeRequest

    row = await GoalChangeRequest.select(GoalChangeRequest.status).where(GoalChangeRequest.id == w.change_request.id).first()
    return row["status"] == "approved"


async def _reported(w: Any) -> bool:
    from closedloop.db.tables import ProgressReport

    return await ProgressReport.exists().where(ProgressReport.item == w.item_a.id)


async def _resolved(w: Any) -> bool:
    from closedloop.db.tables import Problem

    return (await Problem.select(Problem.status).where(Problem.id == w.problem_a.id).first())["status"] == "resolved"


ITEM_PAGE = lambda w: f"/items/{w.item_a.id}"  # noqa: E731

PAGE_OPS: list[PageOp] = [
    PageOp("page: correct goal actual", "/items/{item_id:int}/goals/{goal_id:int}", ITEM_PAGE,
           lambda w: f"/items/{w.item_a.id}/goals/{w.goal_a.id}", lambda w: {"version": "1", "actual": "310"},
           lambda w: _goal_changed_to(w, "actual", 310.0), ("admin",)),
    PageOp("page: progress report", "/items/{item_id:int}/report", ITEM_PAGE, lambda w: f"/items/{w.item_a.id}/report",
           lambda w: {"period": "2024-W23", "narrative": "进展", f"goal_{w.goal_a.id}": "305"}, _reported, ("admin", "lead_own")),
    PageOp("page: resolve problem", "/items/{item_id:int}/problems/{problem_id:int}/resolve", ITEM_PAGE,
           lambda w: f"/items/{w.item_a.id}/problems/{w.problem_a.id}/resolve", lambda w: {"version": "1", "resolution": "已协调"},
           _resolved, ("admin", "lead_own")),
    PageOp("page: request goal change", "/items/{item_id:int}/goal-change", ITEM_PAGE, lambda w: f"/items/{w.item_a.id}/goal-change",
           lambda w: {"goal_id": str(w.goal_a.id), "target": "318", "reason": "企业外迁"}, _change_requested, ("admin", "lead_own")),
    PageOp("page: decide goal change", "/change-requests/{request_id:int}/decide", ITEM_PAGE,
           lambda w: f"/change-requests/{w.change_request.id}/decide", lambda w: {"version": "1", "decision": "approve", "confirmed": "1"},
           _change_decided, ("admin", "supervisor")),
]


# Issue 17, the cockpit's page forms (the office's, and the admin's working days).
async def _explained(w: Any) -> bool:
    from closedloop.db.tables import CheckExplanation

    return await CheckExplanation.exists().where(CheckExplanation.check_key == f"problem_no_resolution:{w.problem_unresolved_text.id}")


async def _ordered(w: Any) -> bool:
    from closedloop.db.tables import SupervisionAction

    return await SupervisionAction.exists().where((SupervisionAction.item == w.item_a.id) & (SupervisionAction.kind == "order"))


async def _verified(w: Any) -> bool:
    from closedloop.db.tables import Result

    return (await Result.select(Result.verified_by).where(Result.id == w.result_a.id).first())["verified_by"] is not None


async def _workday_set(w: Any) -> bool:
    import datetime as dt

    from closedloop.db.tables import WorkdayOverride

    return await WorkdayOverride.exists().where(WorkdayOverride.day == dt.date(2027, 2, 8))


PAGE_OPS += [
    PageOp("page: explain data check", "/cockpit/checks/explain", ITEM_PAGE, lambda w: "/cockpit/checks/explain",
           lambda w: {"check_key": f"problem_no_resolution:{w.problem_unresolved_text.id}", "note": "已核实"}, _explained,
           ("admin", "supervisor")),
    PageOp("page: cockpit order", "/cockpit/items/{item_id:int}/order", ITEM_PAGE, lambda w: f"/cockpit/items/{w.item_a.id}/order",
           lambda w: {"message": "请本周报送整改方案", "respond_by": "2024-06-10"}, _ordered, ("admin", "supervisor")),
    PageOp("page: cockpit verify result", "/cockpit/results/{result_id:int}/verify", ITEM_PAGE,
           lambda w: f"/cockpit/results/{w.result_a.id}/verify", lambda w: {"version": "1"}, _verified, ("admin", "supervisor")),
    PageOp("page: set working day", "/admin/workdays", ITEM_PAGE, lambda w: "/admin/workdays",
           lambda w: {"day": "2027-02-08", "is_workday": "0", "note": "春节"}, _workday_set, ("admin",)),
]


# --- the effect of each write (issue 22) -------------------------------------------------------
# What an allowed request must have done to the database, checked before the request (it must
# not hold yet: the check can fail) and after it (it holds exactly for the allowed actors). A
# refused request must leave the whole database as it was, audit log included (the test compares
# every table). NO_WRITE marks the previews, which change nothing for anyone.

NO_WRITE = None


def _table(name: str):
    from closedloop.db import tables

    return getattr(tables, name)


def row_is(table: str, ident: Callable[[Any], int], **values: Any) -> Callable[[Any], Awaitable[bool]]:
    """The row ``ident(world)`` of ``table`` holds ``values``."""

    async def check(w: Any) -> bool:
        t = _table(table)
        row = await t.select().where(t.id == ident(w)).first()
        return row is not None and all(row[k] == v for k, v in values.items())

    return check


def row_has(table: str, ident: Callable[[Any], int], field: str) -> Callable[[Any], Awaitable[bool]]:
    """The row's ``field`` is set (not None)."""

    async def check(w: Any) -> bool:
        t = _table(table)
        row = await t.select().where(t.id == ident(w)).first()
        return row is not None and row[field] is not None

    return check


def gone(table: str, ident: Callable[[Any], int]) -> Callable[[Any], Awaitable[bool]]:
    async def check(w: Any) -> bool:
        t = _table(table)
        return not await t.exists().where(t.id == ident(w))

    return check


def some_row(table: str, **values: Any) -> Callable[[Any], Awaitable[bool]]:
    """A row of ``table`` holds ``values`` (a value may be a callable of the world, for ids)."""

    async def check(w: Any) -> bool:
        t = _table(table)
        rows = await t.select()
        want = {k: (v(w) if callable(v) else v) for k, v in values.items()}
        return any(all(r[k] == v for k, v in want.items()) for r in rows)

    return check


async def _item_b_moved_first(w: Any) -> bool:
    from closedloop.db.tables import WorkItem

    rows = await WorkItem.select(WorkItem.id).where(WorkItem.parent == _section(w)).order_by(WorkItem.seq).order_by(WorkItem.id)
    return rows[0]["id"] == w.item_b.id


def _date(text: str):
    import datetime as dt

    return dt.date.fromisoformat(text)


A = lambda w: w.item_a.id  # noqa: E731

EFFECTS: dict[str, Callable[[Any], Awaitable[bool]] | None] = {
    "update item": row_is("WorkItem", A, responsible_person="李四"),
    "transition forward": row_is("WorkItem", A, stage="calculate"),
    "create goal": some_row("Goal", item=A, subject="专利授权", target=10.0),
    "update goal": row_is("Goal", lambda w: w.goal_a.id, subject="高新技术企业（家）"),
    "correct goal actual": row_is("Goal", lambda w: w.goal_a.id, actual=310.0),
    "request goal change": some_row("GoalChangeRequest", goal=lambda w: w.goal_a.id, status="pending"),
    "decide goal change": row_is("GoalChangeRequest", lambda w: w.change_request.id, status="approved"),
    "delete goal": gone("Goal", lambda w: w.goal_spare.id),
    "create problem": some_row("Problem", item=A, description="用地指标不足"),
    "update problem": row_is("Problem", lambda w: w.problem_a.id, status="resolved", resolution="已协调"),
    "verify problem": row_is("Problem", lambda w: w.problem_resolved.id, status="verified"),
    "reopen problem": row_is("Problem", lambda w: w.problem_verified.id, status="resolved"),  # back to awaiting verification
    "delete problem": gone("Problem", lambda w: w.problem_a.id),
    "create project": some_row("Project", item=A, name="孵化器扩建"),
    "update project": row_is("Project", lambda w: w.project_a.id, progress=30),
    "delete project": gone("Project", lambda w: w.project_a.id),
    "create result": some_row("Result", item=A, description="新认定高企 8 家"),
    "update result": row_is("Result", lambda w: w.result_a.id, value=12.0),
    "delete result": gone("Result", lambda w: w.result_a.id),
    "verify result": row_has("Result", lambda w: w.result_a.id, "verified_by"),
    "reopen result": row_is("Result", lambda w: w.result_verified.id, verified_by=None),
    "delete evidence": gone("Evidence", lambda w: w.evidence_a.id),
    "add evidence link": some_row("Evidence", result=lambda w: w.result_a.id, url="https://example.org/a"),
    "upload evidence": some_row("Evidence", result=lambda w: w.result_a.id, filename="a.pdf"),
    "progress report": some_row("ProgressValue", goal=lambda w: w.goal_a.id, value=305.0),
    "request extension": some_row("ExtensionRequest", item=A, new_deadline=_date("2025-03-31"), status="pending"),
    "decide extension": row_is("ExtensionRequest", lambda w: w.extension.id, status="approved"),
    "urge": some_row("SupervisionAction", item=lambda w: w.item_b.id, kind="urge", message="请加快进度"),
    "order": some_row("SupervisionAction", item=A, kind="order", respond_by=_date("2024-06-10")),
    "respond to action": row_is("SupervisionAction", lambda w: w.action.id, response="已落实"),
    "closure": row_is("WorkItem", lambda w: w.item_close.id, closed=True),
    "correct publication": some_row("Publication", corrects=lambda w: w.publication.id, correction_reason="更正单位名称"),
    "create unit": some_row("Unit", name="区统计局"),
    "update unit": row_is("Unit", lambda w: w.unit_c.id, name="区教育委员会"),
    "create user": some_row("User", username="newlead", role="lead", unit=lambda w: w.unit_c.id),
    "update user": row_is("User", lambda w: w.users["lead_c"].id, display_name="王五"),
    "choose the goal reporting a plan goal": row_is("Goal", lambda w: w.linked_goal.id, reports_plan_goal=True),
    "import plan": NO_WRITE,  # a preview
    "import plan, stored": some_row("Plan", title="某区2025年工作要点", year=2025),
    "add section": some_row("WorkItem", kind="section", title="加强队伍建设"),
    "add plan item": some_row("WorkItem", parent=_section, title="建设人才驿站"),
    "edit plan node": row_is("WorkItem", _section, title="提升科技创新平台布局"),
    "move plan node": _item_b_moved_first,
    "delete plan node": gone("WorkItem", lambda w: w.item_spare.id),
    "withdraw item": row_has("WorkItem", A, "withdrawn_at"),
    "restate plan goal": some_row("Goal", item=lambda w: w.item_b.id, plan_goal=lambda w: w.plan_goal.id),
    "add plan goal": some_row("Goal", item=None, plan=lambda w: w.plan.id, comparator=">", target=330.0),
    "edit plan goal": row_is("Goal", lambda w: w.plan_goal.id, target=340.0),
    "assign plan": NO_WRITE,  # apply=false: a preview of the matching
    "delete plan goal": gone("Goal", lambda w: w.plan_goal_spare.id),
    "ledger upload": some_row("ProgressValue", goal=lambda w: w.goal_a.id, value=310.0),
    "explain data check": some_row("CheckExplanation", check_key=lambda w: f"problem_no_resolution:{w.problem_unresolved_text.id}"),
    "set working day": some_row("WorkdayOverride", day=_date("2027-02-08"), is_workday=False, note="春节"),
    "clear working day": gone("WorkdayOverride", lambda w: w.workday_override.id),
}
