"""Deletes and what blocks them, evidence downloads, the API refusing the pages' cookie, and
every page form refusing a post without its CSRF token.

A refused request is checked by its answer (status and the reason a user reads) and by the
database: every table as it was, the audit log included.
"""

from __future__ import annotations

import hashlib
import re

import pytest

from closedloop.db.tables import ALL_TABLES, AuditEvent, Evidence, Goal, Project
from tests.factories import (
    EvidenceFactory,
    GoalFactory,
    ProblemFactory,
    ProblemGoalFactory,
    ProgressReportFactory,
    ProgressValueFactory,
    ProjectFactory,
    ResultFactory,
)


async def snapshot() -> dict[str, list]:
    out = {}
    for table in ALL_TABLES:
        rows = await table.select().order_by(table.id)
        out[table._meta.tablename] = [sorted((k, repr(v)) for k, v in r.items()) for r in rows]
    return out


async def refused(client, method: str, url: str, headers: dict, status: int, words: str) -> None:
    """The request is answered with ``status`` and a message holding ``words``; nothing changed."""
    before = await snapshot()
    r = await client.request(method, url, headers=headers)
    assert r.status_code == status, r.text
    assert words in r.json()["error"]["message"], r.json()
    after = await snapshot()
    assert [t for t in before if before[t] != after[t]] == []


# --- deletes and their blockers ---------------------------------------------------------------


async def _goal_with_result(w):
    g = await GoalFactory.create(plan=w.plan, item=w.item_a.id)
    await ResultFactory.create(item=w.item_a, goal=g.id)
    return f"/api/v1/goals/{g.id}?version=1", "已有成效记录"


async def _goal_with_report(w):
    g = await GoalFactory.create(plan=w.plan, item=w.item_a.id)
    await ProgressValueFactory.create(report=await ProgressReportFactory.create(item=w.item_a), goal=g.id, value=3.0)
    return f"/api/v1/goals/{g.id}?version=1", "已有进度填报"


async def _goal_linked_to_a_problem(w):
    g = await GoalFactory.create(plan=w.plan, item=w.item_a.id)
    await ProblemGoalFactory.create(problem=w.problem_a, goal=g)
    return f"/api/v1/goals/{g.id}?version=1", "被问题或项目关联"


async def _project_with_report(w):
    p = await ProjectFactory.create(item=w.item_a, unit=w.unit_a.id)
    await ProgressValueFactory.create(report=await ProgressReportFactory.create(item=w.item_a), project=p.id, value=40.0)
    return f"/api/v1/projects/{p.id}?version=1", "已有进度填报"


async def _stale_version(w):
    g = await GoalFactory.create(plan=w.plan, item=w.item_a.id)
    return f"/api/v1/goals/{g.id}?version=2", "已被他人修改"


async def _verified_result(w):
    r = await ResultFactory.create(item=w.item_a, goal=w.goal_a.id, verified_by=w.users["supervisor"].id)
    return f"/api/v1/results/{r.id}?version=1", "已经督查室核验"


async def _evidence_of_a_verified_result(w):
    r = await ResultFactory.create(item=w.item_a, goal=w.goal_a.id, verified_by=w.users["supervisor"].id)
    ev = await EvidenceFactory.create(result=r)
    return f"/api/v1/evidence/{ev.id}", "已经督查室核验"


async def _verified_problem(w):
    p = await ProblemFactory.create(item=w.item_a, unit=w.unit_a.id, status="verified", resolution="已协调")
    return f"/api/v1/problems/{p.id}?version=1", "已经督查室核销"


async def _goal_past_calculate(w):
    from closedloop.db.tables import WorkItem

    await WorkItem.update({WorkItem.stage: "execute"}).where(WorkItem.id == w.item_a.id)
    g = await GoalFactory.create(plan=w.plan, item=w.item_a.id)
    return f"/api/v1/goals/{g.id}?version=1", "目标不能删除"


BLOCKED = {
    "a goal with a result": (_goal_with_result, 409),
    "a goal with a reported value": (_goal_with_report, 409),
    "a goal a problem refers to": (_goal_linked_to_a_problem, 409),
    "a project with a reported value": (_project_with_report, 409),
    "a stale version": (_stale_version, 409),
    "a verified result": (_verified_result, 409),
    "evidence of a verified result": (_evidence_of_a_verified_result, 409),
    "a verified problem": (_verified_problem, 409),
    "a goal of an item past 细算": (_goal_past_calculate, 409),
}


@pytest.mark.parametrize("case", list(BLOCKED))
async def test_a_delete_that_history_blocks_is_refused_and_changes_nothing(client, world, case):
    make, status = BLOCKED[case]
    url, words = await make(world)
    await refused(client, "DELETE", url, world.headers["lead_a"], status, words)


@pytest.mark.parametrize("url", ["/api/v1/goals/99999?version=1", "/api/v1/projects/99999?version=1", "/api/v1/evidence/99999"])
async def test_deleting_what_does_not_exist_is_404(client, world, url):
    await refused(client, "DELETE", url, world.headers["admin"], 404, "不存在")


async def test_an_admin_may_delete_evidence_of_a_verified_result(client, world):
    r = await ResultFactory.create(item=world.item_a, goal=world.goal_a.id, verified_by=world.users["supervisor"].id)
    ev = await EvidenceFactory.create(result=r)
    assert (await client.delete(f"/api/v1/evidence/{ev.id}", headers=world.headers["admin"])).status_code == 204
    assert not await Evidence.exists().where(Evidence.id == ev.id)


async def test_a_delete_without_blockers_removes_the_row_and_records_what_it_was(client, world):
    g = await GoalFactory.create(plan=world.plan, item=world.item_a.id, subject="待删指标", target=7.0)
    p = await ProjectFactory.create(item=world.item_a, unit=world.unit_a.id, name="待删项目")
    assert (await client.delete(f"/api/v1/goals/{g.id}?version=1", headers=world.headers["lead_a"])).status_code == 204
    assert (await client.delete(f"/api/v1/projects/{p.id}?version=1", headers=world.headers["lead_a"])).status_code == 204
    assert not await Goal.exists().where(Goal.id == g.id)
    assert not await Project.exists().where(Project.id == p.id)
    events = await AuditEvent.select().where(AuditEvent.action == "delete").order_by(AuditEvent.id)
    assert [(e["entity"], e["entity_id"]) for e in events] == [("goal", g.id), ("project", p.id)]
    before = events[0]["before"]
    before = before if isinstance(before, dict) else __import__("json").loads(before)
    assert before["subject"] == "待删指标" and before["target"] == 7.0
    # the same delete again: the row is gone
    await refused(client, "DELETE", f"/api/v1/goals/{g.id}?version=1", world.headers["lead_a"], 404, "不存在")


async def test_removing_the_blocker_lets_the_delete_through(client, world):
    g = await GoalFactory.create(plan=world.plan, item=world.item_a.id)
    res = await ResultFactory.create(item=world.item_a, goal=g.id)
    url = f"/api/v1/goals/{g.id}?version=1"
    assert (await client.delete(url, headers=world.headers["lead_a"])).status_code == 409
    assert (await client.delete(f"/api/v1/results/{res.id}?version=1", headers=world.headers["lead_a"])).status_code == 204
    assert (await client.delete(url, headers=world.headers["lead_a"])).status_code == 204


# --- evidence downloads -----------------------------------------------------------------------

PDF = b"%PDF-1.4 evidence"


async def _file_evidence(world):
    result = await ResultFactory.create(item=world.item_a, goal=world.goal_a.id)
    return await EvidenceFactory.create(
        result=result, kind="file", url=None, filename="认定名单.pdf", content_type="application/pdf", size=len(PDF), content=PDF,
        sha256=hashlib.sha256(PDF).hexdigest(),
    )


@pytest.mark.parametrize("who", ["admin", "supervisor", "lead_a", "lead_b", "lead_c"])
async def test_every_signed_in_user_downloads_evidence_as_an_attachment(client, world, who):
    """Evidence is open to every signed-in user (the desk and other units check it before 销号),
    always as a download, never rendered by the browser."""
    ev = await _file_evidence(world)
    r = await client.get(f"/api/v1/evidence/{ev.id}/file", headers=world.headers[who])
    assert r.status_code == 200 and r.content == PDF
    assert r.headers["content-disposition"].startswith("attachment;") and "%E8%AE%A4%E5%AE%9A" in r.headers["content-disposition"]
    assert r.headers["x-content-type-options"] == "nosniff" and "sandbox" in r.headers["content-security-policy"]
    assert r.headers["x-sha256"] == hashlib.sha256(PDF).hexdigest()
    # the page route, with the pages' session cookie
    client.cookies.set("closedloop_session", world.headers[who]["Authorization"].split(" ", 1)[1])
    page = await client.get(f"/evidence/{ev.id}")
    client.cookies.clear()
    assert page.status_code == 200 and page.content == PDF and page.headers["content-disposition"].startswith("attachment;")


async def test_evidence_is_not_for_anonymous_visitors(client, world):
    ev = await _file_evidence(world)
    assert (await client.get(f"/api/v1/evidence/{ev.id}/file")).status_code == 401
    page = await client.get(f"/evidence/{ev.id}")
    assert page.status_code in (302, 303) and "/login" in page.headers["location"]
    assert PDF not in page.content


async def test_a_link_or_a_missing_evidence_has_no_file(client, world):
    link = await EvidenceFactory.create(result=await ResultFactory.create(item=world.item_a, goal=world.goal_a.id))
    r = await client.get(f"/api/v1/evidence/{link.id}/file", headers=world.headers["lead_a"])
    assert r.status_code == 422 and r.json()["error"]["message"] == "该佐证是链接，没有文件"
    assert (await client.get("/api/v1/evidence/99999/file", headers=world.headers["lead_a"])).status_code == 404
    client.cookies.set("closedloop_session", world.headers["lead_a"]["Authorization"].split(" ", 1)[1])
    page = await client.get(f"/evidence/{link.id}")
    client.cookies.clear()
    assert page.status_code == 404 and "链接" in page.text


# --- the API and the pages' session -----------------------------------------------------------


async def test_the_api_refuses_a_write_carrying_only_the_pages_cookie(client, world):
    """A page session is not an API credential: a write with the cookie alone (what a forged
    cross-site request would carry) is 401 and changes nothing."""
    client.cookies.set("closedloop_session", world.headers["admin"]["Authorization"].split(" ", 1)[1])
    try:
        before = await snapshot()
        r = await client.post(f"/api/v1/items/{world.item_a.id}/problems", json={"description": "跨站写入"})
        assert r.status_code == 401
        r = await client.delete(f"/api/v1/goals/{world.goal_b.id}?version=1")
        assert r.status_code == 401
        after = await snapshot()
        assert [t for t in before if before[t] != after[t]] == []
    finally:
        client.cookies.clear()


# --- every page form needs its CSRF token -----------------------------------------------------


def _page_post_routes() -> list[str]:
    from closedloop.app import create_app

    return sorted({r.path for r in create_app().routes if "POST" in getattr(r, "methods", ()) and not r.path.startswith("/api/")})


PAGE_POSTS = _page_post_routes()


def _fill(path: str, w) -> str:
    ids = {
        "item_id": w.item_a.id, "goal_id": w.goal_a.id, "problem_id": w.problem_a.id, "request_id": 1, "result_id": w.result_a.id,
        "action_id": 1, "note_id": 1, "plan_id": w.plan.id, "node_id": w.item_a.id, "override_id": 1, "day": "2024-06-10",
    }
    return re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: str(ids[m.group(1)]), path)


@pytest.mark.parametrize("path", PAGE_POSTS)
async def test_every_page_form_refuses_a_post_without_its_csrf_token(client, world, path):
    """Signed in as an admin (who may do everything), a post without the token, or with a
    token of no session, is refused with the page that says what to do, and nothing changes."""
    client.cookies.set("closedloop_session", world.headers["admin"]["Authorization"].split(" ", 1)[1])
    try:
        for token in (None, "forged-token"):
            before = await snapshot()
            data = {"version": "1", "title": "x", "name": "区统计局", "message": "x", "reason": "x", "narrative": "x"}
            if token:
                data["_csrf_token"] = token
            r = await client.post(_fill(path, world), data=data, headers={"Origin": "http://testserver"})
            assert r.status_code == 403, (path, r.status_code, r.text[:200])
            assert "CSRF 校验失败" in r.text
            after = await snapshot()
            assert [t for t in before if before[t] != after[t]] == [], path
    finally:
        client.cookies.clear()


def test_the_csrf_check_covers_the_page_forms_of_every_area():
    """The list above is read from the app: it grows with every new form (45 when written)."""
    assert len(PAGE_POSTS) >= 40
    assert {"/login", "/logout", "/my/weekly", "/desk/urge", "/admin/users", "/items/{item_id:int}/report"} <= set(PAGE_POSTS)
