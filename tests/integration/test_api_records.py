"""Leads keep their items current through the API: records, versions, reports, history."""

import asyncio
import hashlib

from closedloop.db.tables import Goal, ProgressReport, Project
from tests.integration.conftest import token_for


async def test_admin_corrects_an_actual_and_sees_light_and_history(client, world):
    h = world.headers["admin"]
    r = await client.patch(f"/api/v1/goals/{world.goal_a.id}", json={"version": 1, "actual": 320}, headers=h)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["actual"] == 320 and body["version"] == 2 and body["light"] in ("blue", "green")
    assert body["actual_on"] == "2024-06-03"
    assert (await client.get(f"/api/v1/goals/{world.goal_a.id}", headers=h)).json()["version"] == 2
    item = (await client.get(f"/api/v1/items/{world.item_a.id}", headers=h)).json()
    assert item["light"] is not None and item["completion"] == 67
    history = (await client.get(f"/api/v1/items/{world.item_a.id}/history", headers=h)).json()
    last = history[-1]
    assert last["action"] == "correct" and last["entity"] == "goal"
    assert last["before"]["actual"] is None and last["after"]["actual"] == 320
    assert last["actor_name"] == world.users["admin"].display_name
    # the correction is a dated value of the ledger: who, when, which period
    ledger = (await client.get(f"/api/v1/goals/{world.goal_a.id}/values", headers=h)).json()
    assert [(v["value"], v["kind"], v["period"], v["recorded_by_name"], v["current"]) for v in ledger] == [
        (320.0, "admin", "2024-W23", world.users["admin"].display_name, True)
    ]


async def test_stale_version_gets_409_and_nothing_is_overwritten(client, world):
    h = world.headers["admin"]
    first = await client.patch(f"/api/v1/goals/{world.goal_a.id}", json={"version": 1, "actual": 310}, headers=h)
    second = await client.patch(f"/api/v1/goals/{world.goal_a.id}", json={"version": 1, "actual": 999}, headers=h)
    assert first.status_code == 200 and second.status_code == 409
    assert "已被他人修改" in second.json()["error"]["message"]
    stored = await Goal.select(Goal.actual, Goal.version).where(Goal.id == world.goal_a.id).first()
    assert stored == {"actual": 310, "version": 2}


async def test_two_clients_same_version_at_once_one_wins(client, world):
    h1 = world.headers["admin"]
    h2 = await token_for(world.users["admin"])
    results = await asyncio.gather(
        client.patch(f"/api/v1/goals/{world.goal_a.id}", json={"version": 1, "actual": 111}, headers=h1),
        client.patch(f"/api/v1/goals/{world.goal_a.id}", json={"version": 1, "actual": 222}, headers=h2),
    )
    codes = sorted(r.status_code for r in results)
    assert codes == [200, 409]
    winner = next(r for r in results if r.status_code == 200).json()["actual"]
    stored = await Goal.select(Goal.actual).where(Goal.id == world.goal_a.id).first()
    assert stored["actual"] == winner


async def test_create_goal_validates_field_by_field(client, world):
    h = world.headers["lead_a"]
    url = f"/api/v1/items/{world.item_a.id}/goals"
    bad = await client.post(url, json={"subject": "专利授权", "target": "很多"}, headers=h)
    assert bad.status_code == 400
    err = bad.json()["error"]
    assert err["problems"][0]["field"] == "target" and "数字" in err["problems"][0]["message"]
    bad = await client.post(url, json={"subject": "专利授权", "comparator": "≈"}, headers=h)
    assert bad.status_code == 400 and bad.json()["error"]["problems"][0]["field"] == "comparator"
    bad = await client.post(url, json={"subject": "专利授权", "deadline": "明年"}, headers=h)
    assert bad.status_code == 400 and bad.json()["error"]["problems"][0]["field"] == "deadline"
    bad = await client.post(url, json={"subject": "", "oops": 1}, headers=h)
    assert bad.status_code == 400
    ok = await client.post(
        url,
        json={"subject": "专利授权", "measure_unit": "件", "comparator": ">=", "baseline": 100, "target": 150, "deadline": "2024-12-31"},
        headers=h,
    )
    assert ok.status_code == 201, ok.text
    assert ok.json()["plan_id"] == world.plan.id and ok.json()["item_id"] == world.item_a.id


async def test_result_goal_must_belong_to_same_item(client, world):
    h = world.headers["lead_a"]
    r = await client.post(
        f"/api/v1/items/{world.item_a.id}/results", json={"description": "新增高企 5 家", "goal_id": world.goal_b.id}, headers=h
    )
    assert r.status_code == 422
    assert r.json()["error"]["problems"][0]["field"] == "goal_id"


async def test_progress_report_updates_goal_and_project_atomically(client, world):
    h = world.headers["lead_a"]
    r = await client.post(
        f"/api/v1/items/{world.item_a.id}/reports",
        json={
            "period": "2024-W23",
            "narrative": "新认定高企 12 家。",
            "goals": [{"goal_id": world.goal_a.id, "value": 312}],
            "projects": [{"project_id": world.project_a.id, "progress": 40}],
        },
        headers=h,
    )
    assert r.status_code == 201, r.text
    assert (await Goal.select(Goal.actual).where(Goal.id == world.goal_a.id).first())["actual"] == 312
    assert (await Project.select(Project.progress).where(Project.id == world.project_a.id).first())["progress"] == 40
    listed = (await client.get(f"/api/v1/items/{world.item_a.id}/reports", headers=h)).json()
    assert listed[0]["goals"] == [{"goal_id": world.goal_a.id, "value": 312.0}]


async def test_progress_report_failing_halfway_changes_nothing(client, world):
    h = world.headers["lead_a"]
    r = await client.post(
        f"/api/v1/items/{world.item_a.id}/reports",
        json={
            "period": "2024-W23",
            "narrative": "本周进展",
            "goals": [{"goal_id": world.goal_a.id, "value": 320}, {"goal_id": world.goal_b.id, "value": 5}],
            "projects": [{"project_id": world.project_a.id, "progress": 50}],
        },
        headers=h,
    )
    assert r.status_code == 422
    assert r.json()["error"]["problems"][0]["field"] == "goals[1].goal_id"
    assert (await Goal.select(Goal.actual).where(Goal.id == world.goal_a.id).first())["actual"] is None
    assert (await Project.select(Project.progress).where(Project.id == world.project_a.id).first())["progress"] == 0
    assert await ProgressReport.count() == 0


async def test_reports_are_immutable(client, world):
    h = world.headers["lead_a"]
    created = await client.post(
        f"/api/v1/items/{world.item_a.id}/reports", json={"period": "2024-06", "narrative": "月度进展"}, headers=h
    )
    assert created.status_code == 201
    for method in ("PATCH", "PUT", "DELETE"):
        r = await client.request(method, f"/api/v1/items/{world.item_a.id}/reports", headers=h)
        assert r.status_code == 405
    assert (await client.get(f"/api/v1/items/{world.item_a.id}/reports", headers=h)).json()[0]["narrative"] == "月度进展"


async def test_evidence_upload_hash_and_limits(client, world):
    h = world.headers["lead_a"]
    url = f"/api/v1/results/{world.result_a.id}/evidence/file"
    pdf = b"%PDF-1.4 test evidence"
    r = await client.post(url, files={"file": ("报告.pdf", pdf, "application/pdf")}, headers=h)
    assert r.status_code == 201, r.text
    assert r.json()["sha256"] == hashlib.sha256(pdf).hexdigest() and r.json()["size"] == len(pdf)
    dl = await client.get(f"/api/v1/evidence/{r.json()['id']}/file", headers=h)
    assert dl.content == pdf and dl.headers["x-content-type-options"] == "nosniff"
    assert "attachment" in dl.headers["content-disposition"]
    bad = await client.post(url, files={"file": ("x.html", b"<script>", "text/html")}, headers=h)
    assert bad.status_code == 422 and "文件类型" in bad.json()["error"]["message"]
    link = await client.post(f"/api/v1/results/{world.result_a.id}/evidence/link", json={"url": "https://gov.example/notice/1"}, headers=h)
    assert link.status_code == 201 and link.json()["kind"] == "link"
