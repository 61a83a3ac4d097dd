"""Numbers nobody can quietly change: frozen targets and 目标调整申请, plan goals, 延期 moving goal
deadlines, verified facts locked until reopened, problem states, assignment, 销号 and 归档."""

import datetime as dt

from closedloop.db.tables import AuditEvent, Evidence, Goal, Problem, Result, WorkItem
from tests.factories import EvidenceFactory, GoalFactory, ResultFactory, WorkItemFactory

TODAY = dt.date(2024, 6, 3)


async def move(item, stage: str) -> None:
    await WorkItem.update({WorkItem.stage: stage}).where(WorkItem.id == item.id)


async def goal_row(goal_id: int) -> dict:
    return await Goal.select().where(Goal.id == goal_id).first()


# --- targets are frozen once 细算 is passed -----------------------------------------------


async def test_a_lead_sets_targets_while_calculating_but_not_after(client, world):
    h = world.headers["lead_a"]
    url = f"/api/v1/goals/{world.goal_a.id}"
    await move(world.item_a, "calculate")
    assert (await client.patch(url, json={"version": 1, "target": 340}, headers=h)).status_code == 200
    await move(world.item_a, "execute")
    r = await client.patch(url, json={"version": 2, "target": 320, "deadline": "2025-06-30", "baseline": 300}, headers=h)
    assert r.status_code == 409
    assert "目标调整申请" in r.json()["error"]["message"]
    assert [p["field"] for p in r.json()["error"]["problems"]] == ["target", "deadline"]  # baseline unchanged: not a change
    for field, value in (("comparator", ">"), ("measure_unit", "个"), ("milestones", [{"on": "2024-09-30", "value": 310}])):
        r = await client.patch(url, json={"version": 2, field: value}, headers=h)
        assert r.status_code == 409 and r.json()["error"]["problems"][0]["field"] == field
    g = await goal_row(world.goal_a.id)
    assert (g["target"], g["deadline"], g["version"]) == (340, dt.date(2024, 12, 31), 2)
    # the subject is not a number of the 晾晒: still the unit's to word
    assert (await client.patch(url, json={"version": 2, "subject": "高新技术企业数"}, headers=h)).status_code == 200
    # nor can the goal be deleted to be replaced by an easier one
    assert (await client.delete(f"/api/v1/goals/{world.goal_a.id}?version=3", headers=h)).status_code == 409


async def test_a_lead_adds_goals_while_calculating_but_not_after(client, world):
    """A goal added after 细算 would move the item's completion after the fact (an easy goal
    already met lifts it): a lead's is refused and nothing is written; an admin's is audited."""
    h, url = world.headers["lead_a"], f"/api/v1/items/{world.item_a.id}/goals"
    goal = {"subject": "新增企业数", "comparator": ">=", "target": 5, "measure_unit": "家", "deadline": "2024-12-31"}
    await move(world.item_a, "calculate")
    assert (await client.post(url, json=goal, headers=h)).status_code == 201
    before = [g["id"] for g in await Goal.select(Goal.id).where(Goal.item == world.item_a.id)]
    audits = await AuditEvent.count()
    for stage in ("levers", "execute", "close"):  # (in 复盘 the item is struck off: nothing is added)
        await move(world.item_a, stage)
        r = await client.post(url, json={**goal, "subject": "已完成的指标"}, headers=h)
        assert r.status_code == 409, (stage, r.text)
        assert r.json()["error"]["problems"][0]["code"] == "goal_frozen" and "管理员" in r.json()["error"]["message"]
    assert [g["id"] for g in await Goal.select(Goal.id).where(Goal.item == world.item_a.id)] == before
    assert await AuditEvent.count() == audits
    r = await client.post(url, json={**goal, "subject": "管理员补录"}, headers=world.headers["admin"])
    assert r.status_code == 201
    ev = await AuditEvent.select().where((AuditEvent.entity == "goal") & (AuditEvent.entity_id == r.json()["id"]))
    assert [e["action"] for e in ev] == ["create"]


async def test_an_admin_corrects_frozen_targets_directly_and_it_is_audited(client, world):
    await move(world.item_a, "execute")
    r = await client.patch(f"/api/v1/goals/{world.goal_a.id}", json={"version": 1, "target": 320}, headers=world.headers["admin"])
    assert r.status_code == 200 and r.json()["target"] == 320
    ev = await AuditEvent.select().where((AuditEvent.entity == "goal") & (AuditEvent.entity_id == world.goal_a.id)).output(load_json=True)
    assert [(e["action"], e["before"]["target"], e["after"]["target"]) for e in ev] == [("correct", 330.0, 320.0)]


async def test_a_change_request_approved_applies_the_values_and_keeps_the_original(client, world):
    await move(world.item_a, "execute")
    lead, sup = world.headers["lead_a"], world.headers["supervisor"]
    url = f"/api/v1/goals/{world.goal_a.id}/change-requests"
    bad = await client.post(url, json={"changes": {"target": 330}, "reason": "无变化"}, headers=lead)
    assert bad.status_code == 422 and bad.json()["error"]["problems"][0]["field"] == "changes"
    r = await client.post(url, json={"changes": {"target": 318, "deadline": "2025-03-31"}, "reason": "两家企业外迁"}, headers=lead)
    assert r.status_code == 201, r.text
    req = r.json()
    assert req["status"] == "pending" and req["changes"] == {"target": 318.0, "deadline": "2025-03-31"}
    assert req["original"]["target"] == 330.0 and req["original"]["deadline"] == "2024-12-31"
    assert (await client.post(url, json={"changes": {"target": 310}, "reason": "再改"}, headers=lead)).status_code == 409
    assert (await goal_row(world.goal_a.id))["target"] == 330  # nothing moves before the decision
    # another unit's lead (even a cooperating one) cannot ask for this goal
    assert (await client.post(url, json={"changes": {"target": 1}, "reason": "x"}, headers=world.headers["lead_b"])).status_code == 403
    assert (await client.post(f"/api/v1/change-requests/{req['id']}/decision", json={"version": 1, "approve": True}, headers=lead)).status_code == 403
    d = await client.post(f"/api/v1/change-requests/{req['id']}/decision", json={"version": 1, "approve": True, "reason": "情况属实"}, headers=sup)
    assert d.status_code == 200 and d.json()["status"] == "approved"
    g = await goal_row(world.goal_a.id)
    assert (g["target"], g["deadline"]) == (318, dt.date(2025, 3, 31))
    shown = (await client.get(f"/api/v1/items/{world.item_a.id}/change-requests", headers=lead)).json()
    assert shown[0]["original"]["target"] == 330.0 and shown[0]["changes"]["target"] == 318.0
    applied = await AuditEvent.select().where(AuditEvent.action == "apply_goal_change").output(load_json=True)
    assert applied[0]["before"]["target"] == 330.0 and applied[0]["after"]["target"] == 318.0
    again = await client.post(f"/api/v1/change-requests/{req['id']}/decision", json={"version": 2, "approve": False, "reason": "x"}, headers=sup)
    assert again.status_code == 409


async def test_a_change_request_rejected_leaves_the_goal_as_it_was(client, world):
    await move(world.item_a, "levers")
    r = await client.post(
        f"/api/v1/goals/{world.goal_a.id}/change-requests", json={"changes": {"target": 300}, "reason": "太难"}, headers=world.headers["lead_a"]
    )
    rid = r.json()["id"]
    sup = world.headers["supervisor"]
    no_reason = await client.post(f"/api/v1/change-requests/{rid}/decision", json={"version": 1, "approve": False}, headers=sup)
    assert no_reason.status_code == 422 and no_reason.json()["error"]["problems"][0]["field"] == "reason"
    d = await client.post(f"/api/v1/change-requests/{rid}/decision", json={"version": 1, "approve": False, "reason": "理由不充分"}, headers=sup)
    assert d.status_code == 200 and d.json()["status"] == "rejected"
    g = await goal_row(world.goal_a.id)
    assert (g["target"], g["version"]) == (330, 1)


async def test_plan_goals_change_only_by_admin_and_are_audited(client, world):
    plan_goal = await GoalFactory.create(plan=world.plan, item=None, target=330.0, comparator=">")
    url = f"/api/v1/goals/{plan_goal.id}"
    for who in ("lead_a", "supervisor"):
        r = await client.patch(url, json={"version": 1, "target": 300}, headers=world.headers[who])
        assert r.status_code == 403, who
    r = await client.patch(url, json={"version": 1, "target": 340}, headers=world.headers["admin"])
    assert r.status_code == 200 and r.json()["target"] == 340
    ev = await AuditEvent.select().where((AuditEvent.entity == "goal") & (AuditEvent.entity_id == plan_goal.id)).output(load_json=True)
    assert [(e["before"]["target"], e["after"]["target"]) for e in ev] == [(330.0, 340.0)]
    assert (await client.post(f"{url}/change-requests", json={"changes": {"target": 1}, "reason": "x"}, headers=world.headers["lead_a"])).status_code == 403


# --- 延期 ----------------------------------------------------------------------------------


async def test_an_approved_extension_moves_the_goal_deadlines_that_shared_the_old_one(client, world):
    own_deadline = await GoalFactory.create(plan=world.plan, item=world.item_a.id, deadline=dt.date(2024, 9, 30))
    r = await client.post(
        f"/api/v1/items/{world.item_a.id}/extensions", json={"new_deadline": "2025-03-31", "reason": "设备延迟"}, headers=world.headers["lead_a"]
    )
    await client.post(f"/api/v1/extensions/{r.json()['id']}/decision", json={"version": 1, "approve": True}, headers=world.headers["supervisor"])
    assert (await goal_row(world.goal_a.id))["deadline"] == dt.date(2025, 3, 31)
    assert (await goal_row(own_deadline.id))["deadline"] == dt.date(2024, 9, 30)
    assert (await goal_row(world.goal_b.id))["deadline"] == dt.date(2024, 12, 31)  # another item's goal
    moved = await AuditEvent.select().where(AuditEvent.action == "extend_goal_deadlines").output(load_json=True)
    assert moved[0]["before"]["goal_ids"] == [world.goal_a.id]


async def test_a_rejected_extension_moves_no_goal(client, world):
    r = await client.post(
        f"/api/v1/items/{world.item_a.id}/extensions", json={"new_deadline": "2025-03-31", "reason": "设备延迟"}, headers=world.headers["lead_a"]
    )
    await client.post(f"/api/v1/extensions/{r.json()['id']}/decision", json={"version": 1, "approve": False, "reason": "不同意"}, headers=world.headers["supervisor"])
    assert (await goal_row(world.goal_a.id))["deadline"] == dt.date(2024, 12, 31)


async def test_an_extension_filed_on_its_deadline_day_is_accepted_and_the_day_after_refused(client, world):
    due_today = await WorkItemFactory.create(plan=world.plan, lead_unit=world.unit_a, deadline=TODAY, original_deadline=TODAY)
    due_yesterday = await WorkItemFactory.create(plan=world.plan, lead_unit=world.unit_a, deadline=TODAY - dt.timedelta(days=1))
    body = {"new_deadline": "2024-09-30", "reason": "设备到货延迟"}
    ok = await client.post(f"/api/v1/items/{due_today.id}/extensions", json=body, headers=world.headers["lead_a"])
    assert ok.status_code == 201, ok.text
    late = await client.post(f"/api/v1/items/{due_yesterday.id}/extensions", json=body, headers=world.headers["lead_a"])
    assert late.status_code == 422 and late.json()["error"]["problems"][0]["code"] == "too_late"


# --- verified facts stay verified ------------------------------------------------------------


async def test_a_verified_result_is_locked_for_leads_until_a_supervisor_reopens_it(client, world):
    lead, sup = world.headers["lead_a"], world.headers["supervisor"]
    res = world.result_a.id
    ev = await EvidenceFactory.create(result=world.result_a)
    assert (await client.post(f"/api/v1/results/{res}/verify", json={"version": 1}, headers=sup)).status_code == 200
    assert (await client.patch(f"/api/v1/results/{res}", json={"version": 2, "value": 345}, headers=lead)).status_code == 409
    assert (await client.delete(f"/api/v1/results/{res}?version=2", headers=lead)).status_code == 409
    assert (await client.post(f"/api/v1/results/{res}/evidence/link", json={"url": "https://example.org/b"}, headers=lead)).status_code == 409
    assert (await client.delete(f"/api/v1/evidence/{ev.id}", headers=lead)).status_code == 409
    row = await Result.select(Result.value, Result.verified_by).where(Result.id == res).first()
    assert row == {"value": 10.0, "verified_by": world.users["supervisor"].id}
    assert await Evidence.count() == 1
    bare = await client.post(f"/api/v1/results/{res}/reopen", json={"version": 2, "reason": ""}, headers=sup)
    assert bare.status_code == 400  # the reason is required by the schema
    assert (await client.post(f"/api/v1/results/{res}/reopen", json={"version": 2, "reason": "x"}, headers=lead)).status_code == 403
    r = await client.post(f"/api/v1/results/{res}/reopen", json={"version": 2, "reason": "数值需更正"}, headers=sup)
    assert r.status_code == 200 and r.json()["verified_by_id"] is None
    fixed = await client.patch(f"/api/v1/results/{res}", json={"version": 3, "value": 345}, headers=lead)
    assert fixed.status_code == 200 and fixed.json()["verified_at"] is None
    assert (await client.delete(f"/api/v1/evidence/{ev.id}", headers=lead)).status_code == 204


async def test_a_verified_problem_is_locked_for_leads_until_reopened(client, world):
    lead, sup = world.headers["lead_a"], world.headers["supervisor"]
    pid = world.problem_a.id
    open_verify = await client.post(f"/api/v1/problems/{pid}/verify", json={"version": 1}, headers=sup)
    assert open_verify.status_code == 409  # only a resolved problem can be verified
    r = await client.patch(f"/api/v1/problems/{pid}", json={"version": 1, "status": "resolved", "resolution": "已协调用地"}, headers=lead)
    assert r.status_code == 200 and r.json()["resolved_on"] == "2024-06-03"
    assert (await client.patch(f"/api/v1/problems/{pid}", json={"version": 2, "status": "verified"}, headers=lead)).status_code == 403
    assert (await client.post(f"/api/v1/problems/{pid}/verify", json={"version": 2}, headers=lead)).status_code == 403
    v = await client.post(f"/api/v1/problems/{pid}/verify", json={"version": 2}, headers=sup)
    assert v.status_code == 200 and v.json()["status"] == "verified"
    assert (await client.patch(f"/api/v1/problems/{pid}", json={"version": 3, "status": "open"}, headers=lead)).status_code == 409
    assert (await client.delete(f"/api/v1/problems/{pid}?version=3", headers=lead)).status_code == 409
    assert (await Problem.select(Problem.status).where(Problem.id == pid).first())["status"] == "verified"
    back = await client.post(f"/api/v1/problems/{pid}/reopen", json={"version": 3, "reason": "整改不到位"}, headers=sup)
    assert back.status_code == 200 and back.json()["status"] == "resolved"
    assert (await client.patch(f"/api/v1/problems/{pid}", json={"version": 4, "resolution": "补充整改"}, headers=lead)).status_code == 200


async def test_a_problem_is_created_open_and_resolved_needs_a_text_and_a_date(client, world):
    lead = world.headers["lead_a"]
    r = await client.post(f"/api/v1/items/{world.item_a.id}/problems", json={"description": "用地不足", "status": "resolved", "resolution": "已解决"}, headers=lead)
    assert r.status_code == 422 and r.json()["error"]["problems"][0]["field"] == "status"
    assert await Problem.count() == 2  # the world's two
    pid = world.problem_a.id
    r = await client.patch(f"/api/v1/problems/{pid}", json={"version": 1, "status": "resolved"}, headers=lead)
    assert r.status_code == 422 and r.json()["error"]["problems"][0]["field"] == "resolution"
    r = await client.patch(f"/api/v1/problems/{pid}", json={"version": 1, "status": "resolved", "resolution": "已解决", "resolved_on": "2024-06-04"}, headers=lead)
    assert r.status_code == 422 and r.json()["error"]["problems"][0]["field"] == "resolved_on"
    r = await client.patch(f"/api/v1/problems/{pid}", json={"version": 1, "status": "resolved", "resolution": "已解决", "resolved_on": "2024-05-20"}, headers=lead)
    assert r.status_code == 200 and r.json()["resolved_on"] == "2024-05-20"
    # set by the owning unit only: B's lead cannot resolve A's problem
    other = await client.patch(
        f"/api/v1/problems/{world.problem_a.id}", json={"version": 2, "status": "open"}, headers=world.headers["lead_b"]
    )
    assert other.status_code == 403


# --- assignment ------------------------------------------------------------------------------


async def test_a_cooperating_unit_assigns_its_records_to_itself_only(client, world):
    coop = world.headers["lead_b"]
    pid = world.problem_b_on_a.id  # B answers for it on A's item
    for unit in (None, world.unit_a.id):
        r = await client.patch(f"/api/v1/problems/{pid}", json={"version": 1, "unit_id": unit}, headers=coop)
        assert r.status_code == 403, unit
    assert (await Problem.select(Problem.unit).where(Problem.id == pid).first())["unit"] == world.unit_b.id
    made = await client.post(f"/api/v1/items/{world.item_a.id}/problems", json={"description": "资金不到位"}, headers=coop)
    assert made.status_code == 201 and made.json()["unit_id"] == world.unit_b.id
    given = await client.post(f"/api/v1/items/{world.item_a.id}/projects", json={"name": "x", "unit_id": world.unit_a.id}, headers=coop)
    assert given.status_code == 403


async def test_the_lead_unit_assigns_a_problem_or_project_to_a_cooperating_unit(client, world):
    lead = world.headers["lead_a"]
    r = await client.patch(f"/api/v1/problems/{world.problem_a.id}", json={"version": 1, "unit_id": world.unit_b.id}, headers=lead)
    assert r.status_code == 200 and r.json()["unit_id"] == world.unit_b.id
    p = await client.post(f"/api/v1/items/{world.item_a.id}/projects", json={"name": "联合攻关", "unit_id": world.unit_b.id}, headers=lead)
    assert p.status_code == 201 and p.json()["unit_id"] == world.unit_b.id
    # not to a unit outside the item, and goals and results stay with their unit
    r = await client.patch(f"/api/v1/projects/{world.project_a.id}", json={"version": 1, "unit_id": world.unit_c.id}, headers=lead)
    assert r.status_code == 422 and r.json()["error"]["problems"][0]["field"] == "unit_id"
    r = await client.patch(f"/api/v1/goals/{world.goal_a.id}", json={"version": 1, "unit_id": world.unit_b.id}, headers=lead)
    assert r.status_code == 403
    assert (await goal_row(world.goal_a.id))["unit"] is None


# --- 销号 and 归档 -----------------------------------------------------------------------------


async def test_closure_needs_a_verified_result_with_evidence_for_every_goal(client, world):
    item = await WorkItemFactory.create(plan=world.plan, lead_unit=world.unit_a, stage="close")
    done = await GoalFactory.create(plan=world.plan, item=item.id, subject="高新技术企业")
    open_goal = await GoalFactory.create(plan=world.plan, item=item.id, subject="科技特派员")
    unproven = await GoalFactory.create(plan=world.plan, item=item.id, subject="技术合同")
    ok = await ResultFactory.create(item=item, goal=done.id, verified_by=world.users["supervisor"].id)
    await EvidenceFactory.create(result=ok)
    pending = await ResultFactory.create(item=item, goal=open_goal.id)
    await EvidenceFactory.create(result=pending)
    await ResultFactory.create(item=item, goal=unproven.id, verified_by=world.users["supervisor"].id)  # verified, no evidence
    sup = world.headers["supervisor"]
    r = await client.post(f"/api/v1/items/{item.id}/closure", json={"approve": True}, headers=sup)
    assert r.status_code == 409
    problems = r.json()["error"]["problems"]
    assert [(p["code"], p["field"]) for p in problems] == [("goal_not_evidenced", f"goals[{open_goal.id}]"), ("goal_not_evidenced", f"goals[{unproven.id}]")]
    assert "科技特派员" in problems[0]["message"]
    assert (await WorkItem.select(WorkItem.stage).where(WorkItem.id == item.id).first())["stage"] == "close"
    assert (await client.post(f"/api/v1/results/{pending.id}/verify", json={"version": 1}, headers=sup)).status_code == 200
    await EvidenceFactory.create(result=await ResultFactory.create(item=item, goal=unproven.id, verified_by=world.users["supervisor"].id))
    r = await client.post(f"/api/v1/items/{item.id}/closure", json={"approve": True}, headers=sup)
    assert r.status_code == 200 and r.json()["stage"] == "review"


async def test_after_archiving_nothing_changes_except_by_admin(client, world):
    await move(world.item_a, "archived")
    lead, sup, admin = world.headers["lead_a"], world.headers["supervisor"], world.headers["admin"]
    item = world.item_a.id
    refused = [
        await client.post(f"/api/v1/items/{item}/problems", json={"description": "x"}, headers=lead),
        await client.patch(f"/api/v1/goals/{world.goal_a.id}", json={"version": 1, "subject": "改名"}, headers=lead),
        await client.post(f"/api/v1/items/{item}/reports", json={"period": "2024-W23", "narrative": "x"}, headers=lead),
        await client.patch(f"/api/v1/items/{item}", json={"version": 1, "review": "改写复盘"}, headers=lead),
        await client.post(f"/api/v1/results/{world.result_a.id}/verify", json={"version": 1}, headers=sup),
        await client.post("/api/v1/supervision/urge", json={"item_ids": [item]}, headers=sup),
        await client.post(f"/api/v1/items/{item}/orders", json={"message": "x", "respond_by": "2024-06-10"}, headers=sup),
    ]
    assert [r.status_code for r in refused] == [409] * len(refused)
    assert all("归档" in r.json()["error"]["message"] for r in refused)
    audit_before = await AuditEvent.count()
    r = await client.patch(f"/api/v1/goals/{world.goal_a.id}", json={"version": 1, "target": 320}, headers=admin)
    assert r.status_code == 200
    assert await AuditEvent.count() == audit_before + 1


async def test_after_closure_the_unit_writes_its_review_and_nothing_else(client, world):
    """Struck off (销号, the item in 复盘): the goal values, records and evidence the office
    verified stay as verified; the unit still writes its 复盘 record; an admin corrects."""
    await move(world.item_a, "review")
    lead, admin = world.headers["lead_a"], world.headers["admin"]
    item = world.item_a.id
    audit_before = await AuditEvent.count()
    refused = [
        await client.post(f"/api/v1/items/{item}/problems", json={"description": "补登问题"}, headers=lead),
        await client.post(f"/api/v1/items/{item}/results", json={"description": "补登成效", "goal_id": world.goal_a.id}, headers=lead),
        await client.patch(f"/api/v1/problems/{world.problem_a.id}", json={"version": 1, "description": "改写"}, headers=lead),
        await client.delete(f"/api/v1/projects/{world.project_a.id}?version=1", headers=lead),
        await client.post(f"/api/v1/results/{world.result_a.id}/evidence/link", json={"url": "https://example.gov.cn/a.pdf"}, headers=lead),
        await client.post(f"/api/v1/items/{item}/reports", json={"period": "2024-W23", "narrative": "补报", "goals": [{"goal_id": world.goal_a.id, "value": 1}]}, headers=lead),
    ]
    assert [r.status_code for r in refused] == [409] * len(refused), [r.text for r in refused]
    assert all("销号" in r.json()["error"]["message"] for r in refused)
    assert await AuditEvent.count() == audit_before
    r = await client.patch(f"/api/v1/items/{item}", json={"version": 1, "review": "经验：提前对接企业"}, headers=lead)
    assert r.status_code == 200 and r.json()["review"] == "经验：提前对接企业"
    assert (await client.post(f"/api/v1/items/{item}/problems", json={"description": "管理员补录"}, headers=admin)).status_code == 201
