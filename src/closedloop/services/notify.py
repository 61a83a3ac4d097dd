"""Notifications: the in-app inbox, and a webhook per unit (DingTalk / WeCom robot JSON)."""

from __future__ import annotations

from closedloop.db.tables import Notification, Unit, WebhookDelivery
from closedloop.domain.errors import NotFound
from closedloop.services import access
from closedloop.services.common import Actor, Clock


def robot_payload(title: str, body: str) -> dict:
    """A text message both DingTalk and WeCom group robots accept."""
    return {"msgtype": "text", "text": {"content": f"{title}\n{body}".strip()}}


async def notify(
    *, unit_id: int | None, kind: str, title: str, body: str = "", item_id: int | None = None, action_id: int | None = None
) -> int:
    """Add an inbox entry (unit_id None: the supervisors' inbox) and queue the unit's webhook."""
    row = (
        await Notification.insert(
            Notification(unit=unit_id, item=item_id, action=action_id, kind=kind, title=title, body=body, created_at=Clock.now())
        ).returning(Notification.id)
    )[0]
    if unit_id is not None:
        unit = await Unit.select(Unit.webhook_url).where(Unit.id == unit_id).first()
        if unit and unit["webhook_url"]:
            await WebhookDelivery.insert(
                WebhookDelivery(notification=row["id"], url=unit["webhook_url"], payload=robot_payload(title, body), next_attempt_at=Clock.now())
            )
    return row["id"]


def _inbox_where(actor: Actor):
    if access.is_lead(actor):
        return (Notification.unit == actor.unit_id) | (Notification.user == actor.id)
    return Notification.unit.is_null() | (Notification.user == actor.id)


async def inbox(actor: Actor, unread_only: bool = False, limit: int = 100) -> list[dict]:
    where = _inbox_where(actor)
    if unread_only:
        where &= Notification.read_at.is_null()
    return await Notification.select().where(where).order_by(Notification.id, ascending=False).limit(limit)


async def mark_read(actor: Actor, notification_id: int) -> None:
    done = await Notification.update({Notification.read_at: Clock.now()}).where(
        (Notification.id == notification_id) & _inbox_where(actor)
    ).returning(Notification.id)
    if not done:
        raise NotFound("通知不存在")
