"""The deadline scan: recompute lights and walk the escalation ladder (督办).

Steps, each at most once per item and deadline (a unique ``dedupe_key``), each recorded as
a supervision action and sent to the lead unit's inbox (and webhook):
  T−3 临近提醒 → T+1 催办 (supervisors copied) → no response within 5 working days: listed
  for 通报 → the unit red in 2 consecutive 晾晒 editions: its red items listed for 约谈.
The steps and their offsets are ``domain/ladder.py``. The ladder follows the current deadline: an approved 延期 moves it, so the ladder stops;
scoring still uses the original deadline.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from closedloop.db.engine import write_tx
from closedloop.db.tables import Publication, PublicationRow, SupervisionAction, WorkItem
from closedloop.domain.ladder import RED_EDITIONS_FOR_INTERVIEW, REMINDER_DAYS_BEFORE, RESPONSE_WORKDAYS, STEP_NAMES, URGE_DAYS_AFTER
from closedloop.domain.stages import OPEN_STAGES
from closedloop.domain.workdays import workdays_between
from closedloop.services import lights, workdays
from closedloop.services.common import SYSTEM, Clock, audit, local_zone
from closedloop.services.notify import notify

@dataclass
class ScanReport:
    lights_changed: int = 0
    steps: dict[str, int] = field(default_factory=lambda: {"reminder": 0, "urge": 0, "circular": 0, "interview": 0})
    warnings: list[str] = field(default_factory=list)  # e.g. a year the calendar does not cover

    def summary(self) -> str:
        parts = "，".join(f"{STEP_NAMES[k]} {v} 项" for k, v in self.steps.items())
        return f"亮灯更新 {self.lights_changed} 项；{parts}"


async def _step(item: dict, kind: str, key: str, message: str) -> bool:
    """Record one ladder step unless it already happened (the unique key decides)."""
    async with write_tx():
        inserted = await SupervisionAction.insert(
            SupervisionAction(
                item=item["id"], unit=item["lead_unit"], kind=kind, deadline=item["deadline"], message=message,
                dedupe_key=key, created_at=Clock.now(),
            )
        ).on_conflict(target=SupervisionAction.dedupe_key, action="DO NOTHING").returning(SupervisionAction.id)
        if not inserted:
            return False
        action_id = inserted[0]["id"]
        title = f"【{STEP_NAMES[kind]}】{item['code']} {item['title']}"
        await notify(unit_id=item["lead_unit"], kind=kind, title=title, body=message, item_id=item["id"], action_id=action_id)
        if kind != "reminder":
            await notify(unit_id=None, kind="cc", title="抄送：" + title, body=message, item_id=item["id"], action_id=action_id)
        await audit(SYSTEM, kind, "supervision_action", action_id, item_id=item["id"], after={"kind": kind, "deadline": item["deadline"], "key": key})
    return True


DEADLOCK_RETRIES = 3


def _is_deadlock(exc: BaseException) -> bool:
    return getattr(exc, "sqlstate", None) == "40P01"  # PostgreSQL's deadlock_detected


async def _refresh_lights(today: dt.date) -> int:
    """Every light, recomputed. The scan and the reports lock rows in one order (items before
    goals, each in id order: ``services/lights``), so they do not deadlock each other; a writer
    outside that order (a goal edited, then its item's lights) still could. Each statement only
    writes what the rules compute from the committed rows, so running it again is safe: the
    scan retries instead of losing the run if PostgreSQL picks it as a deadlock's victim."""
    for attempt in range(DEADLOCK_RETRIES):
        try:
            return await lights.refresh(today)
        except Exception as exc:
            if not _is_deadlock(exc) or attempt == DEADLOCK_RETRIES - 1:
                raise
    raise AssertionError("unreachable")


async def scan(now: dt.datetime | None = None) -> ScanReport:
    today = (now or Clock.now()).astimezone(local_zone()).date()
    report = ScanReport(lights_changed=await _refresh_lights(today), warnings=await workdays.warnings(today))
    overrides = await workdays.overrides()
    soon = today + dt.timedelta(days=REMINDER_DAYS_BEFORE)
    candidates = await WorkItem.select(
        WorkItem.id, WorkItem.code, WorkItem.title, WorkItem.lead_unit, WorkItem.deadline, WorkItem.light
    ).where(
        (WorkItem.kind == "item") & WorkItem.stage.is_in(list(OPEN_STAGES)) & WorkItem.deadline.is_not_null() & WorkItem.withdrawn_at.is_null()
        & (WorkItem.deadline <= soon) & WorkItem.lead_unit.is_not_null()
    )
    urges = {}
    if candidates:
        for a in await SupervisionAction.select().where(
            SupervisionAction.item.is_in([c["id"] for c in candidates]) & (SupervisionAction.kind == "urge") & SupervisionAction.dedupe_key.is_not_null()
        ):
            urges[(a["item"], a["deadline"])] = a
    for item in candidates:
        deadline = item["deadline"]
        if today <= deadline:
            days = (deadline - today).days
            if await _step(item, "reminder", f"reminder:{item['id']}:{deadline}", f"距完成时限 {deadline} 还有 {days} 天，请抓紧推进。"):
                report.steps["reminder"] += 1
            continue
        if today >= deadline + dt.timedelta(days=URGE_DAYS_AFTER):
            msg = f"已超过完成时限 {deadline}，请立即推进并报送进展。"
            if await _step(item, "urge", f"urge:{item['id']}:{deadline}", msg):
                report.steps["urge"] += 1
                continue
        urge = urges.get((item["id"], deadline))
        if urge and urge["responded_at"] is None:
            urged_on = urge["created_at"].astimezone(local_zone()).date()
            if workdays_between(urged_on, today, overrides) >= RESPONSE_WORKDAYS:
                msg = f"催办后 {RESPONSE_WORKDAYS} 个工作日未回复，列入通报。"
                if await _step(item, "circular", f"circular:{item['id']}:{deadline}", msg):
                    report.steps["circular"] += 1
    report.steps["interview"] = await _interviews()
    return report


async def _interviews() -> int:
    """Units red in the latest periods of a cadence (``RED_EDITIONS_FOR_INTERVIEW`` of them),
    each read in its latest edition (a correction replaces the figures of the edition it
    corrects, and is not a period of its own): their red items are listed for 约谈."""
    count = 0
    for cadence_row in await Publication.select(Publication.cadence).distinct():
        cadence = cadence_row["cadence"]
        latest: dict[str, dict] = {}  # period → its latest edition, newest period first
        for pub in await Publication.select(Publication.id, Publication.period).where(Publication.cadence == cadence).order_by(
            Publication.period, ascending=False
        ).order_by(Publication.edition, ascending=False):
            if pub["period"] not in latest:
                if len(latest) == RED_EDITIONS_FOR_INTERVIEW:
                    break
                latest[pub["period"]] = pub
        last_two = list(latest.values())
        if len(last_two) < RED_EDITIONS_FOR_INTERVIEW:
            continue
        red = None
        for pub in last_two:
            units = {r["unit"] for r in await PublicationRow.select(PublicationRow.unit).where((PublicationRow.publication == pub["id"]) & (PublicationRow.light == "red"))}
            red = units if red is None else red & units
        if not red:
            continue
        period = last_two[0]["period"]
        items = await WorkItem.select(WorkItem.id, WorkItem.code, WorkItem.title, WorkItem.lead_unit, WorkItem.deadline).where(
            (WorkItem.kind == "item") & WorkItem.lead_unit.is_in(sorted(red)) & (WorkItem.light == "red") & WorkItem.stage.is_in(list(OPEN_STAGES))
        )
        for item in items:
            msg = f"单位连续两期晾晒亮红灯（截至 {period}），列入约谈。"
            if await _step(item, "interview", f"interview:{item['id']}:{item['deadline']}", msg):
                count += 1
    return count
