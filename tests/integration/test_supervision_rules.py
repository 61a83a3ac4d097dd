"""督办 as the units and the supervision office meet it through the API (services/supervision.py):
who may answer a 催办 and what they are told otherwise, and an item's own list of actions and
延期 requests.

Written against the survivors of the services mutation run (docs/testing.md, "Services").
"""

import datetime as dt

from closedloop.db.tables import SupervisionAction
from closedloop.services.common import Clock


async def _urge(client, world) -> dict[int, int]:
    r = await client.post(
        "/api/v1/supervision/urge", json={"item_ids": [world.item_a.id, world.item_b.id], "message": "请本周内报送进展"},
        headers=world.headers["supervisor"],
    )
    assert r.status_code == 201
    return {a["item_id"]: a["id"] for a in r.json()}


async def _unanswered(action_id: int) -> bool:
    row = await SupervisionAction.select(SupervisionAction.response, SupervisionAction.responded_at).where(SupervisionAction.id == action_id).first()
    return row == {"response": None, "responded_at": None}


async def test_only_the_unit_urged_answers_and_the_others_are_told_why(client, world):
    actions = await _urge(client, world)
    a = actions[world.item_a.id]
    # 区财政局 (B) cooperates on A's item, but the 催办 was sent to A
    r = await client.post(f"/api/v1/actions/{a}/response", json={"version": 1, "response": "代为回复"}, headers=world.headers["lead_b"])
    assert r.status_code == 403 and r.json()["error"]["message"] == "只能回复发给本单位的督办"
    # the supervision office sent it; it does not answer it
    r = await client.post(f"/api/v1/actions/{a}/response", json={"version": 1, "response": "已阅"}, headers=world.headers["supervisor"])
    assert r.status_code == 403 and r.json()["error"]["message"] == "督办由责任单位回复"
    assert await _unanswered(a)


async def test_a_second_answer_or_a_stale_one_is_refused_with_a_reason(client, world):
    a = (await _urge(client, world))[world.item_a.id]
    lead = world.headers["lead_a"]
    stale = await client.post(f"/api/v1/actions/{a}/response", json={"version": 7, "response": "已部署"}, headers=lead)
    assert stale.status_code == 409 and "督办记录" in stale.json()["error"]["message"]
    assert await _unanswered(a)
    assert (await client.post(f"/api/v1/actions/{a}/response", json={"version": 1, "response": "已部署专班"}, headers=lead)).status_code == 200
    again = await client.post(f"/api/v1/actions/{a}/response", json={"version": 2, "response": "再答"}, headers=lead)
    assert again.status_code == 409 and again.json()["error"]["message"] == "该督办已回复"
    row = await SupervisionAction.select(SupervisionAction.response).where(SupervisionAction.id == a).first()
    assert row["response"] == "已部署专班"


async def test_an_items_actions_and_extensions_are_its_own_in_order(client, world):
    first = await _urge(client, world)
    Clock.fixed += dt.timedelta(days=1)  # an unanswered 催办 is not sent again the same day
    second = await _urge(client, world)
    r = await client.get(f"/api/v1/items/{world.item_a.id}/actions", headers=world.headers["lead_a"])
    assert r.status_code == 200
    assert [x["id"] for x in r.json()] == [first[world.item_a.id], second[world.item_a.id]]
    ext = await client.post(
        f"/api/v1/items/{world.item_b.id}/extensions", json={"new_deadline": "2025-03-31", "reason": "用地审批延后"}, headers=world.headers["lead_b"]
    )
    assert ext.status_code == 201
    assert (await client.get(f"/api/v1/items/{world.item_a.id}/extensions", headers=world.headers["lead_a"])).json() == []
    mine = (await client.get(f"/api/v1/items/{world.item_b.id}/extensions", headers=world.headers["lead_b"])).json()
    assert [x["id"] for x in mine] == [ext.json()["id"]]
    assert (await client.get("/api/v1/items/999999/actions", headers=world.headers["admin"])).status_code == 404
