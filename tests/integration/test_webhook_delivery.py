"""Webhook delivery as a unit's group robot sees it: several posts in one run, what counts as
delivered, a robot that hangs or cannot be reached, and the size of one run.

Written against the survivors of the services mutation run (docs/testing.md, "Services"):
the run's counts, the 2xx boundary, the connection-error branch and the request timeout were
not watched.
"""

import asyncio
import datetime as dt
import time

import httpx
import msgspec
import pytest

from closedloop.db.tables import Notification, WebhookDelivery
from closedloop.services import webhooks
from closedloop.services.common import Clock
from closedloop.services.notify import notify
from closedloop.settings import get_settings
from tests.factories import UnitFactory

NOW = dt.datetime(2024, 6, 3, 2, 0, tzinfo=dt.timezone.utc)


async def _queue(n: int, url: str = "https://robot.example/hook") -> list[int]:
    """``n`` due deliveries to ``url``, one per notification, oldest first."""
    Clock.fixed = NOW
    unit = await UnitFactory.create(webhook_url=url)
    for i in range(n):
        await notify(unit_id=unit.id, kind="urge", title=f"【催办】{i}", body="请尽快推进")
    return [r["id"] for r in await WebhookDelivery.select(WebhookDelivery.id).order_by(WebhookDelivery.id)]


async def _rows() -> list[dict]:
    return await WebhookDelivery.select().order_by(WebhookDelivery.id)


async def test_one_run_sends_every_due_post_and_a_failing_robot_does_not_stop_the_others(clean_db):
    ids = await _queue(4)
    answers = {0: 200, 1: 503, 2: 204, 3: 404}
    seen = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(answers[len(seen) - 1])

    assert await webhooks.deliver_pending(transport=httpx.MockTransport(handler)) == (2, 2)
    rows = await _rows()
    assert [r["id"] for r in rows] == ids and len(seen) == 4
    assert [(r["status"], r["attempts"], r["last_error"]) for r in rows] == [
        ("sent", 1, None), ("pending", 1, "HTTP 503"), ("sent", 1, None), ("pending", 1, "HTTP 404"),
    ]


@pytest.mark.parametrize(("code", "status", "error"), [(299, "sent", None), (300, "pending", "HTTP 300"), (302, "pending", "HTTP 302")])
async def test_only_a_2xx_answer_counts_as_delivered(clean_db, code, status, error):
    await _queue(1)
    transport = httpx.MockTransport(lambda request: httpx.Response(code))
    assert await webhooks.deliver_pending(transport=transport) == ((1, 0) if status == "sent" else (0, 1))
    (row,) = await _rows()
    assert (row["status"], row["attempts"], row["last_error"]) == (status, 1, error)


async def test_an_unreachable_robot_is_retried_later_with_the_error_kept_short(clean_db):
    await _queue(1)
    reason = "连接被拒绝 " * 100  # a long driver message

    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError(reason, request=request)

    assert await webhooks.deliver_pending(transport=httpx.MockTransport(handler)) == (0, 1)
    (row,) = await _rows()
    assert row["status"] == "pending" and row["attempts"] == 1
    assert row["last_error"] == f"ConnectError: {reason}"[:500] and len(row["last_error"]) == 500
    assert row["next_attempt_at"] == NOW + dt.timedelta(minutes=1)


async def test_a_robot_that_never_answers_is_given_up_after_the_configured_timeout(clean_db, monkeypatch):
    """A hanging endpoint costs the job ``webhook_timeout_s``, not the default of the HTTP
    client nor forever: the post fails with a timeout and waits for its next try."""
    hung: list[asyncio.StreamWriter] = []

    async def never_answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        hung.append(writer)
        await reader.read(65536)  # take the request, say nothing

    server = await asyncio.start_server(never_answer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        await _queue(1, url=f"http://127.0.0.1:{port}/hook")
        quick = msgspec.structs.replace(get_settings(), webhook_timeout_s=0.3)
        monkeypatch.setattr(webhooks, "get_settings", lambda: quick)
        started = time.monotonic()
        result = await asyncio.wait_for(webhooks.deliver_pending(), timeout=4)
        assert time.monotonic() - started < 3
    finally:
        for w in hung:
            w.close()
        server.close()
        await server.wait_closed()
    assert result == (0, 1)
    (row,) = await _rows()
    assert row["status"] == "pending" and row["last_error"].startswith("ReadTimeout")


async def test_one_run_posts_at_most_a_hundred_the_rest_wait_for_the_next(clean_db):
    Clock.fixed = NOW
    unit = await UnitFactory.create(webhook_url="https://robot.example/hook")
    note = (await Notification.insert(Notification(unit=unit.id, kind="urge", title="【催办】", created_at=NOW)).returning(Notification.id))[0]["id"]
    await WebhookDelivery.insert(
        *[WebhookDelivery(notification=note, url="https://robot.example/hook", payload={"msgtype": "text"}, next_attempt_at=NOW) for _ in range(101)]
    )
    transport = httpx.MockTransport(lambda request: httpx.Response(200))
    assert await webhooks.deliver_pending(transport=transport) == (100, 0)
    rows = await _rows()
    assert [r["status"] for r in rows] == ["sent"] * 100 + ["pending"]  # the oldest first
    assert await webhooks.deliver_pending(transport=transport) == (1, 0)
