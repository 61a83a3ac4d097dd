"""Webhook delivery with retries and backoff; spreadsheet exports of the ledger and a ranking."""

import csv
import datetime as dt
import io

import httpx
from openpyxl import load_workbook

from closedloop.db.tables import WebhookDelivery
from closedloop.services import publishing, webhooks
from closedloop.services.common import Clock
from closedloop.services.notify import notify
from tests.factories import UnitFactory
from tests.integration.test_scheduler import at, make_units


async def test_webhook_fails_retries_with_backoff_then_is_sent(clean_db):
    Clock.fixed = dt.datetime(2024, 6, 3, 2, 0, tzinfo=dt.timezone.utc)
    unit = await UnitFactory.create(webhook_url="https://robot.example/hook")
    await notify(unit_id=unit.id, kind="urge", title="【催办】一是 培育企业", body="请尽快推进")
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(500 if len(calls) == 1 else 200)

    transport = httpx.MockTransport(handler)
    try:
        assert await webhooks.deliver_pending(transport=transport) == (0, 1)
        row = await WebhookDelivery.select().first()
        assert row["status"] == "pending" and row["attempts"] == 1 and row["last_error"] == "HTTP 500"
        assert row["next_attempt_at"] == Clock.fixed + dt.timedelta(minutes=1)
        assert await webhooks.deliver_pending(transport=transport) == (0, 0)  # not due yet
        Clock.fixed += dt.timedelta(minutes=2)
        assert await webhooks.deliver_pending(transport=transport) == (1, 0)
    finally:
        Clock.fixed = None
    assert (await WebhookDelivery.select(WebhookDelivery.status).first())["status"] == "sent"
    payload = httpx.Response(200, content=calls[-1].content).json()  # DingTalk / WeCom robot text message
    assert payload["msgtype"] == "text" and "请尽快推进" in payload["text"]["content"]


async def test_ranking_and_ledger_exports(client, world):
    await make_units()
    Clock.fixed = at(dt.date(2024, 6, 5))
    pub, _ = await publishing.publish("weekly", "2024-W22")
    r = await client.get("/rankings/weekly/2024-W22/export?format=csv")
    assert r.status_code == 200 and "attachment" in r.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["排名", "单位", "得分"] and rows[1][1] == "甲局"
    x = await client.get("/rankings/weekly/2024-W22/export?format=xlsx")
    ws = load_workbook(io.BytesIO(x.content)).active
    assert ws["A1"].value == "排名" and ws["B2"].value == "甲局"
    # the ledger needs a login (the pages' session cookie)
    anon = await client.get(f"/export/ledger?plan_id={world.plan.id}&format=csv")
    assert anon.status_code in (302, 303, 307)
    client.cookies.set("closedloop_session", world.headers["lead_c"]["Authorization"].split()[1])
    ledger = await client.get(f"/export/ledger?plan_id={world.plan.id}&format=csv")
    client.cookies.clear()
    lines = list(csv.reader(io.StringIO(ledger.content.decode("utf-8-sig"))))
    assert lines[0] == ["序号", "分项", "事项", "牵头单位", "目标", "进展", "阶段", "亮灯", "完成时限"]
    assert lines[1][3] == "区科技局" and "一是" in lines[1][2]
