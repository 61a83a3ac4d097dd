"""Stage moves, supervision, extensions, closure, auth and plan import through the API."""

import datetime as dt

from closedloop.db.tables import Goal, Plan, StageTransition, SupervisionAction, WorkItem
from tests.conftest import require_shared
from tests.factories import EvidenceFactory, GoalFactory, PASSWORD, ProjectFactory, ResultFactory, WorkItemFactory


async def test_transition_refused_lists_every_reason(client, world):
    bare = await WorkItemFactory.create(plan=world.plan, code="四是", lead_unit=None, responsible_person=None)
    r = await client.post(f"/api/v1/items/{bare.id}/transitions", json={"to": "calculate"}, headers=world.headers["admin"])
    assert r.status_code == 409
    err = r.json()["error"]
    assert err["code"] == "gate_not_met"
    assert [p["code"] for p in err["problems"]] == ["lead_unit_missing", "responsible_person_missing", "no_goal"]
    assert all(p["message"] for p in err["problems"])
    assert (await WorkItem.select(WorkItem.stage).where(WorkItem.id == bare.id).first())["stage"] == "drill"
    assert await StageTransition.count() == 0


async def test_transitions_forward_with_gate_checklist_and_back_with_reason(client, world):
    h = world.headers["lead_a"]
    url = f"/api/v1/items/{world.item_a.id}"
    gate = (await client.get(f"{url}/gate", headers=h)).json()
    assert gate == {"stage": "drill", "stage_name": "下钻", "next_stage": "calculate", "ready": True, "unmet": []}
    r = await client.post(f"{url}/transitions", json={"to": "calculate"}, headers=h)
    assert r.status_code == 200 and r.json()["stage"] == "calculate"
    gate = (await client.get(f"{url}/gate", headers=h)).json()
    assert gate["ready"] is True  # the factory goal is complete
    assert (await client.post(f"{url}/transitions", json={"to": "levers"}, headers=h)).status_code == 200
    # 谋点 → 实干 needs a project with owner and end date and assigned problems; the world has them
    r = await client.post(f"{url}/transitions", json={"to": "execute"}, headers=h)
    assert r.status_code == 200, r.text
    # a lead cannot send back; a supervisor can, with a reason
    back = await client.post(f"{url}/transitions", json={"to": "levers", "reason": ""}, headers=h)
    assert back.status_code == 409
    assert {p["code"] for p in back.json()["error"]["problems"]} == {"back_needs_supervisor", "reason_required"}
    back = await client.post(f"{url}/transitions", json={"to": "levers", "reason": "项目未落地"}, headers=world.headers["supervisor"])
    assert back.status_code == 200 and back.json()["direction"] == "back"
    history = (await client.get(f"{url}/history", headers=h)).json()
    moves = [(e["before"]["stage"], e["after"]["stage"]) for e in history if e["action"] == "transition"]
    assert moves == [("drill", "calculate"), ("calculate", "levers"), ("levers", "execute"), ("execute", "levers")]


async def test_execute_gate_lists_unfinished_work(client, world):
    await WorkItem.update({WorkItem.stage: "execute"}).where(WorkItem.id == world.item_a.id)
    await ProjectFactory.create(item=world.item_a, unit=world.unit_a.id, progress=100)
    r = await client.post(f"/api/v1/items/{world.item_a.id}/transitions", json={"to": "close"}, headers=world.headers["lead_a"])
    assert r.status_code == 409
    codes = [p["code"] for p in r.json()["error"]["problems"]]
    assert codes == ["project_not_done", "problem_open", "problem_open"]
    assert "3 项条件未满足" in r.json()["error"]["message"]


async def test_closure_approve_and_reject(client, world):
    item = await WorkItemFactory.create(plan=world.plan, code="五是", lead_unit=world.unit_a, stage="close")
    goal = await GoalFactory.create(plan=world.plan, item=item.id)
    result = await ResultFactory.create(item=item, goal=goal.id, verified_by=world.users["supervisor"].id)
    await EvidenceFactory.create(result=result)
    sup = world.headers["supervisor"]
    rejected = await client.post(f"/api/v1/items/{item.id}/closure", json={"approve": False}, headers=sup)
    assert rejected.status_code == 422 and rejected.json()["error"]["problems"][0]["field"] == "reason"
    rejected = await client.post(f"/api/v1/items/{item.id}/closure", json={"approve": False, "reason": "佐证不足"}, headers=sup)
    assert rejected.status_code == 200 and rejected.json()["stage"] == "execute"
    await WorkItem.update({WorkItem.stage: "close"}).where(WorkItem.id == item.id)
    ok = await client.post(f"/api/v1/items/{item.id}/closure", json={"approve": True}, headers=sup)
    assert ok.status_code == 200 and ok.json()["stage"] == "review"
    r = await client.post(f"/api/v1/items/{item.id}/transitions", json={"to": "archived"}, headers=world.headers["lead_a"])
    assert r.status_code == 409 and r.json()["error"]["problems"][0]["code"] == "no_review"
    version = (await client.get(f"/api/v1/items/{item.id}", headers=sup)).json()["version"]
    review = {"version": version, "review": "目标完成，经验：提前对接企业。"}
    assert (await client.patch(f"/api/v1/items/{item.id}", json=review, headers=world.headers["lead_a"])).status_code == 200
    r = await client.post(f"/api/v1/items/{item.id}/transitions", json={"to": "archived"}, headers=world.headers["lead_a"])
    assert r.status_code == 200 and r.json()["stage"] == "archived"


async def test_urge_reaches_the_lead_units_inbox_and_the_answer_is_recorded(client, world):
    r = await client.post(
        "/api/v1/supervision/urge", json={"item_ids": [world.item_a.id, world.item_b.id], "message": "请本周内报送进展"},
        headers=world.headers["supervisor"],
    )
    assert r.status_code == 201 and len(r.json()) == 2
    inbox_a = (await client.get("/api/v1/inbox", headers=world.headers["lead_a"])).json()
    assert [n["kind"] for n in inbox_a] == ["urge"] and "请本周内报送进展" in inbox_a[0]["body"]
    inbox_sup = (await client.get("/api/v1/inbox", headers=world.headers["supervisor"])).json()
    assert {n["kind"] for n in inbox_sup} == {"cc"}
    action_id = inbox_a[0]["action_id"]
    ans = await client.post(f"/api/v1/actions/{action_id}/response", json={"version": 1, "response": "已部署专班推进"}, headers=world.headers["lead_a"])
    assert ans.status_code == 200 and ans.json()["response"] == "已部署专班推进"
    again = await client.post(f"/api/v1/actions/{action_id}/response", json={"version": 2, "response": "再答"}, headers=world.headers["lead_a"])
    assert again.status_code == 409
    read = await client.post(f"/api/v1/inbox/{inbox_a[0]['id']}/read", headers=world.headers["lead_a"])
    assert read.status_code == 200
    assert (await client.get("/api/v1/inbox?unread=true", headers=world.headers["lead_a"])).json() == []


async def test_overdue_list_with_days_and_ladder_step(client, world):
    late = await WorkItemFactory.create(plan=world.plan, code="六是", lead_unit=world.unit_b, deadline=dt.date(2024, 5, 20))
    await SupervisionAction(item=late.id, unit=world.unit_b.id, kind="urge", deadline=late.deadline).save()
    r = await client.get(f"/api/v1/supervision/overdue?unit_id={world.unit_b.id}", headers=world.headers["supervisor"])
    assert r.status_code == 200
    rows = r.json()["items"]
    assert [x["id"] for x in rows] == [late.id]
    assert rows[0]["days_overdue"] == 14 and rows[0]["ladder_step"] == "urge" and rows[0]["ladder_step_name"] == "催办"
    assert (await client.get("/api/v1/supervision/overdue", headers=world.headers["lead_a"])).status_code == 403


async def test_extension_must_be_filed_before_deadline_and_keeps_original(client, world):
    h = world.headers["lead_a"]
    r = await client.post(f"/api/v1/items/{world.item_a.id}/extensions", json={"new_deadline": "2024-05-01", "reason": "x"}, headers=h)
    assert r.status_code == 422 and r.json()["error"]["problems"][0]["field"] == "new_deadline"
    r = await client.post(f"/api/v1/items/{world.item_a.id}/extensions", json={"new_deadline": "2025-03-31", "reason": "设备延迟"}, headers=h)
    assert r.status_code == 201
    ext = r.json()
    d = await client.post(f"/api/v1/extensions/{ext['id']}/decision", json={"version": 1, "approve": True}, headers=world.headers["supervisor"])
    assert d.status_code == 200 and d.json()["status"] == "approved"
    item = (await client.get(f"/api/v1/items/{world.item_a.id}", headers=h)).json()
    assert item["deadline"] == "2025-03-31" and item["original_deadline"] == "2024-12-31" and item["extension_count"] == 1
    overdue = await WorkItemFactory.create(plan=world.plan, code="七是", lead_unit=world.unit_a, deadline=dt.date(2024, 6, 1))
    late = await client.post(f"/api/v1/items/{overdue.id}/extensions", json={"new_deadline": "2024-09-30", "reason": "来不及"}, headers=h)
    assert late.status_code == 422 and "之前" in late.json()["error"]["message"]


async def test_login_logout_and_rate_limit(client, world):
    ok = await client.post("/api/v1/auth/login", json={"username": "lead_a", "password": PASSWORD})
    assert ok.status_code == 200
    token = ok.json()["token"]
    h = {"Authorization": f"Bearer {token}"}
    assert (await client.get("/api/v1/auth/me", headers=h)).json()["username"] == "lead_a"
    assert (await client.post("/api/v1/auth/logout", headers=h)).status_code == 200
    after = await client.get("/api/v1/auth/me", headers=h)
    assert after.status_code == 401 and after.json()["error"]["message"] == "登录已失效，请重新登录"
    for _ in range(5):
        bad = await client.post("/api/v1/auth/login", json={"username": "lead_b", "password": "wrong-pass"})
        assert bad.status_code == 401 and bad.json()["error"]["message"] == "用户名或密码错误"
    locked = await client.post("/api/v1/auth/login", json={"username": "lead_b", "password": PASSWORD})
    assert locked.status_code == 429 and int(locked.headers["retry-after"]) > 0


async def test_expired_token_is_refused(client, world):
    from closedloop.services.common import Clock

    from tests.integration.conftest import TOKEN_LIFE

    Clock.fixed = Clock.now() + TOKEN_LIFE + dt.timedelta(minutes=1)  # just past the token's expiry
    r = await client.get("/api/v1/auth/me", headers=world.headers["lead_a"])
    assert r.status_code == 401 and "过期" in r.json()["error"]["message"]


async def test_import_plan_preview_store_and_duplicate(client, world):
    text = require_shared("seed/banan-2024-plan.txt").read_text(encoding="utf-8")
    h = world.headers["admin"]
    preview = await client.post("/api/v1/plans/import", json={"text": text, "preview": True}, headers=h)
    assert preview.status_code == 200 and preview.json()["stored"] is False
    assert preview.json()["item_count"] == 18 and await Plan.count() == 1  # only the world's plan
    stored = await client.post("/api/v1/plans/import", json={"text": text}, headers=h)
    body = stored.json()
    assert body["stored"] is True and body["goal_count"] == 5 and body["item_goal_count"] == 5
    again = await client.post("/api/v1/plans/import", json={"text": text.replace("\n", "\n\n")}, headers=h)
    assert again.json()["already_imported"] is True and again.json()["plan_id"] == body["plan_id"]
    assert await Plan.count() == 2
    tree = (await client.get(f"/api/v1/plans/{body['plan_id']}", headers=world.headers["lead_c"])).json()
    assert len(tree["sections"]) == 6 and sum(len(s["items"]) for s in tree["sections"]) == 18
    linked = await Goal.select(Goal.plan_goal).where((Goal.plan == body["plan_id"]) & Goal.item.is_not_null() & Goal.plan_goal.is_not_null())
    assert len(linked) == 4
    assert all(i["stage"] == "drill" for s in tree["sections"] for i in s["items"])


async def test_import_without_structure_is_422_naming_what_is_missing(client, world):
    r = await client.post("/api/v1/plans/import", json={"text": "会议纪要：请各单位做好准备。"}, headers=world.headers["admin"])
    assert r.status_code == 422
    fields = [p["field"] for p in r.json()["error"]["problems"]]
    assert "sections" in fields and "items" in fields


async def test_a_second_urge_the_same_day_is_not_sent_and_an_item_without_a_lead_unit_is_refused(client, world):
    """Each 催办 costs the unit points: a form sent twice (or a second click) must not urge the
    same item twice the same day while the first is unanswered, and a 催办 that nobody would
    receive is refused, naming the item."""
    h = world.headers["supervisor"]
    first = await client.post("/api/v1/supervision/urge", json={"item_ids": [world.item_a.id], "message": "请本周内报送进展"}, headers=h)
    assert first.status_code == 201 and len(first.json()) == 1
    again = await client.post("/api/v1/supervision/urge", json={"item_ids": [world.item_a.id], "message": "请本周内报送进展"}, headers=h)
    assert again.status_code == 409 and again.json()["error"]["problems"][0]["field"] == "item_ids"
    both = await client.post("/api/v1/supervision/urge", json={"item_ids": [world.item_a.id, world.item_b.id], "message": "再催"}, headers=h)
    assert both.status_code == 201 and [a["item_id"] for a in both.json()] == [world.item_b.id]
    assert await SupervisionAction.count().where((SupervisionAction.item == world.item_a.id) & (SupervisionAction.kind == "urge")) == 1
    # answered, the item can be urged again the same day
    action_id = first.json()[0]["id"]
    await client.post(f"/api/v1/actions/{action_id}/response", json={"version": 1, "response": "已推进"}, headers=world.headers["lead_a"])
    assert (await client.post("/api/v1/supervision/urge", json={"item_ids": [world.item_a.id], "message": "仍滞后"}, headers=h)).status_code == 201
    orphan = await WorkItemFactory.create(plan=world.plan, code="七是", lead_unit=None)
    r = await client.post("/api/v1/supervision/urge", json={"item_ids": [orphan.id], "message": "x"}, headers=h)
    assert r.status_code == 422 and "未指定牵头单位" in r.json()["error"]["message"] and "七是" in r.json()["error"]["message"]
    assert await SupervisionAction.count().where(SupervisionAction.item == orphan.id) == 0


async def test_the_desks_count_of_unanswered_items_is_the_length_of_its_list(client, world):
    """The summary's 未回复催办 number links to the list: both count items (an item with two
    unanswered 督办 is one), of the unit's open items."""
    from closedloop.services import workspace

    for kind in ("urge", "order"):
        await SupervisionAction(item=world.item_a.id, unit=world.unit_a.id, kind=kind, deadline=world.item_a.deadline).save()
    done = await WorkItemFactory.create(plan=world.plan, code="八是", lead_unit=world.unit_a, stage="archived")
    await SupervisionAction(item=done.id, unit=world.unit_a.id, kind="urge", deadline=done.deadline).save()
    [row] = [r for r in await workspace.desk_summary() if r["id"] == world.unit_a.id]
    listed, total = await workspace.desk_list("unanswered", unit_id=world.unit_a.id)
    assert row["unanswered"] == total == len(listed) == 1
