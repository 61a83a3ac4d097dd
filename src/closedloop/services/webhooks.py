"""Deliver queued webhook posts (DingTalk / WeCom group robots), retrying with backoff.

Runs as its own scheduler job, so a slow or failing endpoint never blocks the scan.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx

from piccolo.columns import Column

from closedloop.db.tables import WebhookDelivery
from closedloop.services.common import Clock
from closedloop.settings import get_settings

MAX_ATTEMPTS = 6


def backoff(attempts: int) -> dt.timedelta:
    """1, 2, 4, 8, 16 minutes between tries."""
    return dt.timedelta(minutes=2 ** max(0, attempts - 1))


async def deliver_pending(limit: int = 100, transport: httpx.AsyncBaseTransport | None = None) -> tuple[int, int]:
    """Post due deliveries; return (sent, failed attempts)."""
    due = await WebhookDelivery.select().where(
        (WebhookDelivery.status == "pending") & (WebhookDelivery.next_attempt_at <= Clock.now())
    ).order_by(WebhookDelivery.id).limit(limit).output(load_json=True)
    sent = failed = 0
    async with httpx.AsyncClient(timeout=get_settings().webhook_timeout_s, transport=transport) as client:
        for d in due:
            attempts = d["attempts"] + 1
            try:
                r = await client.post(d["url"], json=d["payload"])
                ok = r.status_code < 300
                error = None if ok else f"HTTP {r.status_code}"
            except httpx.HTTPError as exc:
                ok, error = False, f"{exc.__class__.__name__}: {exc}"[:500]
            values: dict[Column | str, Any]  # Piccolo's update() takes this (dict is invariant)
            if ok:
                sent += 1
                values = {WebhookDelivery.status: "sent", WebhookDelivery.attempts: attempts, WebhookDelivery.last_error: None}
            else:
                failed += 1
                values = {
                    WebhookDelivery.status: "failed" if attempts >= MAX_ATTEMPTS else "pending",
                    WebhookDelivery.attempts: attempts,
                    WebhookDelivery.next_attempt_at: Clock.now() + backoff(attempts),
                    WebhookDelivery.last_error: error,
                }
            await WebhookDelivery.update(values).where(WebhookDelivery.id == d["id"])
    return sent, failed
