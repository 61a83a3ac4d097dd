"""Record rules (services/records.py) as a unit or the supervision office meets them through the
API: a resolved problem keeps its resolution and date honest when only those are edited, a
reopening needs a reason that is not blank, a missing evidence file says so.

Written against the survivors of the services mutation run (docs/testing.md, "Services").
"""

from closedloop.db.tables import Problem, Result


async def _resolved(client, world) -> int:
    pid = world.problem_a.id
    r = await client.patch(
        f"/api/v1/problems/{pid}", json={"version": 1, "status": "resolved", "resolution": "已协调用地", "resolved_on": "2024-05-20"},
        headers=world.headers["lead_a"],
    )
    assert r.status_code == 200
    return pid


async def test_editing_only_the_resolution_of_a_resolved_problem_still_needs_a_text(client, world):
    pid = await _resolved(client, world)
    r = await client.patch(f"/api/v1/problems/{pid}", json={"version": 2, "resolution": "  "}, headers=world.headers["lead_a"])
    assert r.status_code == 422 and r.json()["error"]["problems"][0]["field"] == "resolution"
    row = await Problem.select(Problem.status, Problem.resolution, Problem.version).where(Problem.id == pid).first()
    assert row == {"status": "resolved", "resolution": "已协调用地", "version": 2}


async def test_editing_only_the_date_of_a_resolved_problem_cannot_move_it_into_the_future(client, world):
    pid = await _resolved(client, world)  # the client's clock: 3 June 2024
    r = await client.patch(f"/api/v1/problems/{pid}", json={"version": 2, "resolved_on": "2024-06-04"}, headers=world.headers["lead_a"])
    assert r.status_code == 422 and r.json()["error"]["problems"][0]["field"] == "resolved_on"
    r = await client.patch(f"/api/v1/problems/{pid}", json={"version": 2, "resolved_on": "2024-06-01"}, headers=world.headers["lead_a"])
    assert r.status_code == 200 and r.json()["resolved_on"] == "2024-06-01"


async def test_a_blank_reason_does_not_reopen_a_verified_result(client, world):
    sup = world.headers["supervisor"]
    res = world.result_a.id
    assert (await client.post(f"/api/v1/results/{res}/verify", json={"version": 1}, headers=sup)).status_code == 200
    r = await client.post(f"/api/v1/results/{res}/reopen", json={"version": 2, "reason": "   "}, headers=sup)
    assert r.status_code == 422
    assert r.json()["error"]["message"] == "请填写重新打开的理由" and r.json()["error"]["problems"][0]["field"] == "reason"
    assert (await Result.select(Result.verified_by).where(Result.id == res).first())["verified_by"] == world.users["supervisor"].id


async def test_downloading_a_missing_evidence_file_says_it_does_not_exist(client, world):
    r = await client.get("/api/v1/evidence/999999/file", headers=world.headers["admin"])
    assert r.status_code == 404 and r.json()["error"]["message"] == "佐证不存在"


async def test_rewording_a_resolution_keeps_the_day_the_problem_was_solved(client, world):
    pid = await _resolved(client, world)  # solved on 20 May; the clock says 3 June
    r = await client.patch(f"/api/v1/problems/{pid}", json={"version": 2, "resolution": "已协调用地，签订协议"}, headers=world.headers["lead_a"])
    assert r.status_code == 200 and r.json()["resolved_on"] == "2024-05-20"
    assert str((await Problem.select(Problem.resolved_on).where(Problem.id == pid).first())["resolved_on"]) == "2024-05-20"
