"""The ledger and the change requests on the pages: the item page shows every value of a goal and
files a 目标调整申请; the desk decides it; the report form asks for a 更正 reason; a lead has no
actual to type."""

import datetime as dt
import re

from closedloop.db.tables import Goal, GoalChangeRequest, ProgressReport, WorkItem
from closedloop.services.common import Clock

ORIGIN = {"Origin": "http://testserver"}


async def sign_in(client, world, who: str) -> None:
    client.cookies.clear()
    client.cookies.set("closedloop_session", world.headers[who]["Authorization"].split(" ", 1)[1])


async def csrf(client, path: str) -> tuple[str, str]:
    r = await client.get(path)
    assert r.status_code == 200, r.text
    token = re.search(r'name="_csrf_token" value="([^"]+)"', r.text)
    return r.text, token.group(1) if token else ""


async def post_form(client, path: str, form_page: str, data: dict):
    _, token = await csrf(client, form_page)
    return await client.post(path, data={**data, "_csrf_token": token}, headers=ORIGIN)


async def test_the_item_page_shows_each_goals_value_history(client, world):
    api = f"/api/v1/items/{world.item_a.id}/reports"
    h = world.headers["lead_a"]
    await client.post(api, json={"period": "2024-W23", "narrative": "x", "goals": [{"goal_id": world.goal_a.id, "value": 305}]}, headers=h)
    Clock.fixed += dt.timedelta(minutes=5)  # type: ignore[operator]
    await client.post(api, json={"period": "2024-W14", "narrative": "补报", "goals": [{"goal_id": world.goal_a.id, "value": 303}]}, headers=h)
    await client.post(
        api, json={"period": "2024-W23", "narrative": "更正", "reason": "口径调整", "goals": [{"goal_id": world.goal_a.id, "value": 306}]}, headers=h
    )
    await sign_in(client, world, "lead_b")
    html, _ = await csrf(client, f"/items/{world.item_a.id}")
    ledger = html[html.index(f'id="goal-values-{world.goal_a.id}"'):]
    ledger = ledger[: ledger.index("</details>")]
    assert "实际值台账（3 条）" in ledger
    assert ledger.count("<tr><td>") == 3 and "（补报）" in ledger and "口径调整" in ledger
    assert "当前值" in ledger and "已被更正" in ledger
    assert world.users["lead_a"].display_name in ledger


async def test_a_lead_has_no_actual_to_type_on_the_page(client, world):
    await sign_in(client, world, "lead_a")
    html, _ = await csrf(client, f"/items/{world.item_a.id}")
    assert f'action="/items/{world.item_a.id}/goals/{world.goal_a.id}#' not in html
    r = await post_form(client, f"/items/{world.item_a.id}/goals/{world.goal_a.id}", f"/items/{world.item_a.id}", {"version": "1", "actual": "330"})
    assert r.status_code in (403, 422) and "进度填报" in r.text
    assert (await Goal.select(Goal.actual).where(Goal.id == world.goal_a.id).first())["actual"] is None
    await sign_in(client, world, "admin")
    html, _ = await csrf(client, f"/items/{world.item_a.id}")
    assert f'action="/items/{world.item_a.id}/goals/{world.goal_a.id}#' in html


async def test_the_report_form_asks_for_a_reason_to_correct_a_period(client, world):
    await sign_in(client, world, "lead_a")
    page = f"/items/{world.item_a.id}"
    form = {"period": "2024-W23", "narrative": "本周进展", f"goal_{world.goal_a.id}": "305"}
    assert (await post_form(client, f"{page}/report", page, form)).status_code in (302, 303)
    again = await post_form(client, f"{page}/report", page, {**form, f"goal_{world.goal_a.id}": "304"})
    assert again.status_code == 422 and 'data-field="reason"' in again.text and "更正理由" in again.text
    fixed = await post_form(client, f"{page}/report", page, {**form, f"goal_{world.goal_a.id}": "304", "reason": "统计有误"})
    assert fixed.status_code in (302, 303)
    kinds = [r["kind"] for r in await ProgressReport.select(ProgressReport.kind).order_by(ProgressReport.id)]
    assert kinds == ["report", "correction"]
    future = await post_form(client, f"{page}/report", page, {**form, "period": "2024-W30"})
    assert future.status_code == 422 and 'data-field="period"' in future.text


async def test_a_change_request_is_filed_on_the_item_page_and_decided_on_the_desk(client, world):
    await WorkItem.update({WorkItem.stage: "execute"}).where(WorkItem.id == world.item_a.id)
    page = f"/items/{world.item_a.id}"
    await sign_in(client, world, "lead_a")
    html, _ = await csrf(client, page)
    assert 'action="/items/%d/goal-change#' % world.item_a.id in html
    bare = await post_form(client, f"{page}/goal-change", page, {"goal_id": str(world.goal_a.id), "target": "318", "reason": ""})
    assert bare.status_code == 422 and 'data-field="reason"' in bare.text
    assert await GoalChangeRequest.count() == 0
    r = await post_form(client, f"{page}/goal-change", page, {"goal_id": str(world.goal_a.id), "target": "318", "reason": "两家企业外迁"})
    assert r.status_code in (302, 303)
    req = await GoalChangeRequest.select().first().output(load_json=True)
    assert req["changes"] == {"target": 318.0} and req["original"]["target"] == 330.0
    html, _ = await csrf(client, page)
    assert "330.0 → 318.0" in html and "待审批" in html
    # the desk
    await sign_in(client, world, "supervisor")
    desk, token = await csrf(client, "/desk")
    assert "待审批目标调整" in desk and "两家企业外迁" in desk
    ask = await client.post(f"/change-requests/{req['id']}/decide", data={"version": "1", "decision": "approve", "_csrf_token": token}, headers=ORIGIN)
    assert ask.status_code == 200 and "目标值由 330.0 改为 318.0" in ask.text  # the confirmation names the change
    assert (await Goal.select(Goal.target).where(Goal.id == world.goal_a.id).first())["target"] == 330
    d = await client.post(f"/change-requests/{req['id']}/decide", data={"version": "1", "decision": "approve", "confirmed": "1", "_csrf_token": token}, headers=ORIGIN)
    assert d.status_code in (302, 303)
    assert (await Goal.select(Goal.target).where(Goal.id == world.goal_a.id).first())["target"] == 318
    # a lead cannot decide through the page either
    await sign_in(client, world, "lead_a")
    _, token = await csrf(client, page)
    r = await post_form(client, f"{page}/goal-change", page, {"goal_id": str(world.goal_a.id), "target": "300", "reason": "再调"})
    rid = (await GoalChangeRequest.select(GoalChangeRequest.id).order_by(GoalChangeRequest.id, ascending=False).first())["id"]
    d = await client.post(f"/change-requests/{rid}/decide", data={"version": "1", "decision": "approve", "confirmed": "1", "_csrf_token": token}, headers=ORIGIN)
    assert (await Goal.select(Goal.target).where(Goal.id == world.goal_a.id).first())["target"] == 318
    assert (await GoalChangeRequest.select(GoalChangeRequest.status).where(GoalChangeRequest.id == rid).first())["status"] == "pending"
