"""Rules of the ladder, the webhooks and the ranking that the suite did not watch (issue 22).

Each test was written against a one-line mutation that the rest of the suite let pass: ladder
steps writing no audit event, webhook retries 7 instead of 6, 约谈 on one red edition of the
last two, the 催办 penalty counting reminders.
"""

import datetime as dt

import httpx
import pytest

from closedloop.db.tables import AuditEvent, PublicationRow, SupervisionAction, WebhookDelivery
from closedloop.services import publishing, scan, webhooks
from closedloop.services.common import Clock
from closedloop.services.notify import notify
from tests.factories import (
    GoalFactory,
    PlanFactory,
    PublicationFactory,
    PublicationRowFactory,
    SupervisionActionFactory,
    UnitFactory,
    WorkItemFactory,
)

SH = dt.timezone(dt.timedelta(hours=8))


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=SH)


# --- the ladder leaves a trail ----------------------------------------------------------------


async def test_every_ladder_step_writes_one_audit_event_by_the_system(clean_db):
    deadline = dt.date(2024, 6, 14)  # a Friday
    unit = await UnitFactory.create()
    item = await WorkItemFactory.create(lead_unit=unit, deadline=deadline, original_deadline=deadline)
    # T−3 reminder; T+1 urge; five working days without an answer: circular
    for day in (dt.date(2024, 6, 11), dt.date(2024, 6, 15), dt.date(2024, 6, 24)):
        Clock.fixed = at(day)
        await scan.scan()
        await scan.scan()  # a second scan adds neither a step nor an event
    actions = await SupervisionAction.select().where(SupervisionAction.item == item.id).order_by(SupervisionAction.id)
    assert [a["kind"] for a in actions] == ["reminder", "urge", "circular"]
    events = await AuditEvent.select().where(AuditEvent.entity == "supervision_action").order_by(AuditEvent.id).output(load_json=True)
    assert [(e["action"], e["entity_id"], e["item"]) for e in events] == [(a["kind"], a["id"], item.id) for a in actions]
    assert {e["actor"] for e in events} == {None} and {e["actor_name"] for e in events} == {"系统"}
    assert [e["after"]["kind"] for e in events] == ["reminder", "urge", "circular"]
    # each event is dated when its step happened
    assert [e["at"].astimezone(SH).date() for e in events] == [dt.date(2024, 6, 11), dt.date(2024, 6, 15), dt.date(2024, 6, 24)]


# --- webhooks give up after six tries -------------------------------------------------------


async def test_a_failing_webhook_is_tried_six_times_with_doubling_waits_then_given_up(clean_db):
    Clock.fixed = dt.datetime(2024, 6, 3, 2, 0, tzinfo=dt.timezone.utc)
    unit = await UnitFactory.create(webhook_url="https://robot.example/hook")
    await notify(unit_id=unit.id, kind="urge", title="【催办】一是 培育企业", body="请尽快推进")
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(503)

    transport = httpx.MockTransport(handler)
    for attempt in range(1, 7):
        assert await webhooks.deliver_pending(transport=transport) == (0, 1), attempt
        row = await WebhookDelivery.select().first()
        assert row["attempts"] == attempt and row["last_error"] == "HTTP 503"
        if attempt < 6:
            assert row["status"] == "pending", attempt
            # 1, 2, 4, 8, 16 minutes; not a second earlier
            assert row["next_attempt_at"] - Clock.fixed == dt.timedelta(minutes=2 ** (attempt - 1))
            Clock.fixed = row["next_attempt_at"] - dt.timedelta(seconds=1)
            assert await webhooks.deliver_pending(transport=transport) == (0, 0)
            Clock.fixed = row["next_attempt_at"]
    assert row["status"] == "failed"
    Clock.fixed += dt.timedelta(days=1)
    assert await webhooks.deliver_pending(transport=transport) == (0, 0)
    assert len(calls) == 6


# --- 约谈: red in both of the last two editions ---------------------------------------------


async def _red_unit_with_overdue_item(name: str):
    unit = await UnitFactory.create(name=name)
    deadline = dt.date(2024, 5, 31)
    item = await WorkItemFactory.create(lead_unit=unit, deadline=deadline, original_deadline=deadline)
    return unit, item


async def _editions(lights_by_unit: list[tuple], periods: list[str]):
    """One weekly edition per period, oldest first; each (unit, lights) lists the unit's light
    in each edition."""
    for n, period in enumerate(periods):
        pub = await PublicationFactory.create(cadence="weekly", period=period, cutoff=publishing.cutoff_of("weekly", period))
        for rank, (unit, lights) in enumerate(lights_by_unit, start=1):
            await PublicationRowFactory.create(publication=pub, unit=unit, unit_name=unit.name, rank=rank, light=lights[n])


async def _interviews() -> dict[int, list[str]]:
    Clock.fixed = at(dt.date(2024, 6, 19))
    await scan.scan()
    rows = await SupervisionAction.select(SupervisionAction.unit, SupervisionAction.message).where(SupervisionAction.kind == "interview")
    out: dict[int, list[str]] = {}
    for r in rows:
        out.setdefault(r["unit"], []).append(r["message"])
    return out


@pytest.mark.parametrize(
    ("older", "latest", "listed"),
    [("red", "red", True), ("green", "red", False), ("red", "yellow", False), ("yellow", "yellow", False)],
)
async def test_interview_needs_red_in_both_of_the_last_two_editions(clean_db, older, latest, listed):
    unit, _item = await _red_unit_with_overdue_item("甲局")
    await _editions([(unit, [older, latest])], ["2024-W24", "2024-W25"])
    interviews = await _interviews()
    assert (unit.id in interviews) is listed
    if listed:
        assert interviews[unit.id] == ["单位连续两期晾晒亮红灯（截至 2024-W25），列入约谈。"]


async def test_interview_looks_at_the_last_two_editions_only(clean_db):
    # 甲: red three weeks ago and last week, not in between; 乙: red in the last two
    jia, _ = await _red_unit_with_overdue_item("甲局")
    yi, _ = await _red_unit_with_overdue_item("乙局")
    await _editions([(jia, ["red", "green", "red"]), (yi, ["green", "red", "red"])], ["2024-W23", "2024-W24", "2024-W25"])
    assert set(await _interviews()) == {yi.id}


async def test_interview_lists_only_the_units_red_items(clean_db):
    unit, late = await _red_unit_with_overdue_item("甲局")
    on_track = await WorkItemFactory.create(lead_unit=unit, deadline=dt.date(2024, 12, 31), original_deadline=dt.date(2024, 12, 31))
    await _editions([(unit, ["red", "red"])], ["2024-W24", "2024-W25"])
    await _interviews()
    listed = {r["item"] for r in await SupervisionAction.select(SupervisionAction.item).where(SupervisionAction.kind == "interview")}
    assert listed == {late.id} and on_track.id not in listed


# --- the 催办 penalty ---------------------------------------------------------------------


async def test_the_urge_penalty_counts_urges_not_reminders_or_other_steps(clean_db):
    plan = await PlanFactory.create(year=2024)
    rows = {}
    for name, kinds in (("甲局", ["reminder", "reminder", "circular", "interview"]), ("乙局", ["urge", "reminder"]), ("丙局", ["urge", "urge"])):
        unit = await UnitFactory.create(name=name)
        item = await WorkItemFactory.create(plan=plan, lead_unit=unit)
        await GoalFactory.create(plan=plan, item=item.id)
        Clock.fixed = at(dt.date(2024, 6, 5))  # inside 2024-W23's window (3 June 09:00 – its cut-off, 10 June 09:00)
        for kind in kinds:
            await SupervisionActionFactory.create(item=item, unit=unit.id, kind=kind)
        rows[name] = unit
    Clock.fixed = at(dt.date(2024, 6, 12))
    pub, _ = await publishing.publish("weekly", "2024-W23")
    got = {r["unit_name"]: r for r in await PublicationRow.select().where(PublicationRow.publication == pub["id"]).output(load_json=True)}
    assert {name: r["urges"] for name, r in got.items()} == {"甲局": 0, "乙局": 1, "丙局": 2}
    # otherwise equal, the units' scores differ by 2 points per 催办
    assert got["甲局"]["score"] - got["乙局"]["score"] == pytest.approx(2.0)
    assert got["甲局"]["score"] - got["丙局"]["score"] == pytest.approx(4.0)
    assert [name for name, _ in sorted(got.items(), key=lambda kv: kv[1]["rank"])] == ["甲局", "乙局", "丙局"]
