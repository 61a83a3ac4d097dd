"""The escalation ladder (services/scan.py) as the people on it see it: what each step puts in
the lead unit's and the supervisors' inboxes, what the scan reports, which day it counts from,
and how it survives losing a deadlock.

Written against the survivors of the services mutation run (docs/testing.md, "Services").
"""

import datetime as dt

import pytest

from closedloop.db.tables import AuditEvent, Notification, SupervisionAction
from closedloop.services import lights, scan
from closedloop.services.common import Clock
from tests.factories import SupervisionActionFactory, UnitFactory, WorkdayOverrideFactory, WorkItemFactory

SH = dt.timezone(dt.timedelta(hours=8))


def at(day: dt.date, hour: int = 10, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=SH)


async def _item(deadline: dt.date, name: str = "区科技局"):
    unit = await UnitFactory.create(name=name)
    item = await WorkItemFactory.create(lead_unit=unit, deadline=deadline, original_deadline=deadline, code="一是", title="培育高新技术企业")
    return unit, item


async def _steps(item) -> list[str]:
    rows = await SupervisionAction.select(SupervisionAction.kind).where(SupervisionAction.item == item.id).order_by(SupervisionAction.id)
    return [r["kind"] for r in rows]


async def test_each_step_reaches_the_units_inbox_linked_to_its_item_and_action_and_is_copied_to_supervisors(clean_db):
    deadline = dt.date(2024, 6, 14)
    unit, item = await _item(deadline)
    for day in (dt.date(2024, 6, 11), dt.date(2024, 6, 15)):  # T−3 临近提醒, T+1 催办
        Clock.fixed = at(day)
        await scan.scan()
    actions = {a["kind"]: a for a in await SupervisionAction.select().where(SupervisionAction.item == item.id)}
    inbox = await Notification.select().where(Notification.unit == unit.id).order_by(Notification.id)
    assert [(n["kind"], n["title"], n["item"], n["action"]) for n in inbox] == [
        ("reminder", "【临近提醒】一是 培育高新技术企业", item.id, actions["reminder"]["id"]),
        ("urge", "【催办】一是 培育高新技术企业", item.id, actions["urge"]["id"]),
    ]
    assert [n["body"] for n in inbox] == [actions["reminder"]["message"], actions["urge"]["message"]]
    assert inbox[0]["body"] == "距完成时限 2024-06-14 还有 3 天，请抓紧推进。"
    assert inbox[1]["body"] == "已超过完成时限 2024-06-14，请立即推进并报送进展。"
    # the supervisors get a copy of the 催办, not of the reminder
    copies = await Notification.select().where(Notification.unit.is_null())
    assert [(n["kind"], n["title"], n["body"], n["item"], n["action"]) for n in copies] == [
        ("cc", "抄送：【催办】一是 培育高新技术企业", actions["urge"]["message"], item.id, actions["urge"]["id"]),
    ]
    events = await AuditEvent.select().where(AuditEvent.entity == "supervision_action").order_by(AuditEvent.id).output(load_json=True)
    assert [e["after"] for e in events] == [
        {"kind": "reminder", "deadline": "2024-06-14", "key": f"reminder:{item.id}:2024-06-14"},
        {"kind": "urge", "deadline": "2024-06-14", "key": f"urge:{item.id}:2024-06-14"},
    ]


async def test_the_scan_says_how_many_steps_it_took(clean_db):
    _, item = await _item(dt.date(2024, 6, 14))
    await _item(dt.date(2024, 6, 13), name="区财政局")
    Clock.fixed = at(dt.date(2024, 6, 11))
    report = await scan.scan()
    assert report.steps == {"reminder": 2, "urge": 0, "circular": 0, "interview": 0}
    assert report.summary() == f"亮灯更新 {report.lights_changed} 项；临近提醒 2 项，催办 0 项，通报 0 项，约谈 0 项"
    again = await scan.scan()  # nothing new
    assert again.steps == {"reminder": 0, "urge": 0, "circular": 0, "interview": 0}
    Clock.fixed = at(dt.date(2024, 6, 15))
    assert (await scan.scan()).steps == {"reminder": 0, "urge": 2, "circular": 0, "interview": 0}
    Clock.fixed = at(dt.date(2024, 6, 24))
    assert (await scan.scan()).steps == {"reminder": 0, "urge": 0, "circular": 2, "interview": 0}
    assert await _steps(item) == ["reminder", "urge", "circular"]


async def test_the_scan_counts_days_in_shanghai_whatever_the_hour_in_utc(clean_db):
    # 00:30 on 15 June in Shanghai is still 14 June in UTC: the day after the deadline here
    _, item = await _item(dt.date(2024, 6, 14))
    Clock.fixed = at(dt.date(2024, 6, 15), hour=0, minute=30)
    await scan.scan()
    assert await _steps(item) == ["urge"]


async def test_a_day_off_declared_by_the_admin_delays_the_circular(clean_db):
    # urged Saturday 15 June; Mon 17 … Fri 21 are five working days, unless the admin takes one off
    _, item = await _item(dt.date(2024, 6, 14))
    await WorkdayOverrideFactory.create(day=dt.date(2024, 6, 19), is_workday=False, note="区里停工一天")
    Clock.fixed = at(dt.date(2024, 6, 15))
    await scan.scan()
    Clock.fixed = at(dt.date(2024, 6, 21))
    await scan.scan()
    assert await _steps(item) == ["urge"]
    Clock.fixed = at(dt.date(2024, 6, 24))
    await scan.scan()
    assert await _steps(item) == ["urge", "circular"]


async def test_an_answered_urge_stays_answered_when_an_order_follows_it(clean_db):
    """The circular asks whether the 催办 was answered; an unanswered 督办单 on the same item
    is not a 催办."""
    unit, item = await _item(dt.date(2024, 6, 14))
    Clock.fixed = at(dt.date(2024, 6, 15))
    await scan.scan()
    await SupervisionAction.update({SupervisionAction.responded_at: at(dt.date(2024, 6, 17))}).where(SupervisionAction.kind == "urge")
    Clock.fixed = at(dt.date(2024, 6, 18))
    await SupervisionActionFactory.create(item=item, unit=unit.id, kind="order", deadline=dt.date(2024, 6, 14), message="请说明进度")
    # and a later 约谈 listing of the same item, not answered either
    await SupervisionActionFactory.create(
        item=item, unit=unit.id, kind="interview", deadline=dt.date(2024, 6, 14), message="列入约谈", dedupe_key=f"interview:{item.id}:2024-06-14"
    )
    Clock.fixed = at(dt.date(2024, 7, 1))
    await scan.scan()
    assert await _steps(item) == ["urge", "order", "interview"]


async def test_an_item_first_seen_on_its_deadline_day_gets_its_reminder_that_day(clean_db):
    unit, item = await _item(dt.date(2024, 6, 14))
    Clock.fixed = at(dt.date(2024, 6, 14))
    await scan.scan()
    assert await _steps(item) == ["reminder"]
    (note,) = await Notification.select().where(Notification.unit == unit.id)
    assert note["body"] == "距完成时限 2024-06-14 还有 0 天，请抓紧推进。"


async def test_the_five_working_days_count_from_the_urges_day_in_shanghai(clean_db):
    # deadline Monday 17 June; the scan urges at 00:30 on Tuesday in Shanghai (Monday in UTC):
    # Wed, Thu, Fri, Mon, Tue are the five working days, so the circular comes on Tuesday 25th
    _, item = await _item(dt.date(2024, 6, 17))
    Clock.fixed = at(dt.date(2024, 6, 18), hour=0, minute=30)
    await scan.scan()
    Clock.fixed = at(dt.date(2024, 6, 24))
    await scan.scan()
    assert await _steps(item) == ["urge"]
    Clock.fixed = at(dt.date(2024, 6, 25))
    await scan.scan()
    assert await _steps(item) == ["urge", "circular"]


class Deadlock(Exception):
    sqlstate = "40P01"  # PostgreSQL's deadlock_detected


async def test_the_scan_tries_its_light_update_three_times_then_reports_the_deadlock(clean_db, monkeypatch):
    real, calls = lights.refresh, []

    async def deadlocks(times):
        async def refresh(as_of, item_ids=None):
            calls.append(as_of)
            if len(calls) <= times:
                raise Deadlock("deadlock detected")
            return await real(as_of, item_ids)

        monkeypatch.setattr(lights, "refresh", refresh)

    await deadlocks(2)  # lost twice, the third try goes through
    await scan.scan(dt.datetime(2024, 6, 3, 2, tzinfo=dt.timezone.utc))
    assert len(calls) == 3
    calls.clear()
    await deadlocks(3)  # lost every time: the deadlock itself is reported
    with pytest.raises(Deadlock):
        await scan.scan(dt.datetime(2024, 6, 3, 2, tzinfo=dt.timezone.utc))
    assert len(calls) == 3


async def test_any_other_error_of_the_light_update_is_reported_at_once(clean_db, monkeypatch):
    calls = []

    async def broken(as_of, item_ids=None):
        calls.append(as_of)
        raise RuntimeError("disk full")

    monkeypatch.setattr(lights, "refresh", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        await scan.scan(dt.datetime(2024, 6, 3, 2, tzinfo=dt.timezone.utc))
    assert len(calls) == 1


async def test_interview_reads_each_periods_latest_edition_so_a_correction_counts(clean_db):
    """A correction replaces its edition's figures: a unit shown red by mistake and corrected
    is not listed for 约谈, and a correction is not a second period."""
    from closedloop.services import publishing
    from tests.factories import PublicationFactory, PublicationRowFactory

    jia, _ = await _item(dt.date(2024, 5, 31), name="甲局")
    yi, _ = await _item(dt.date(2024, 5, 31), name="乙局")

    async def edition(period: str, lights: list[tuple], number: int = 1, corrects=None):
        pub = await PublicationFactory.create(
            cadence="weekly", period=period, cutoff=publishing.cutoff_of("weekly", period), edition=number, corrects=corrects
        )
        for rank, (unit, light) in enumerate(lights, start=1):
            await PublicationRowFactory.create(publication=pub, unit=unit, unit_name=unit.name, rank=rank, light=light)
        return pub

    await edition("2024-W24", [(jia, "red"), (yi, "green")])
    w25 = await edition("2024-W25", [(jia, "red"), (yi, "red")])
    # 甲 was red by mistake in W25; 乙 stays red in the correction, but W25 is one period
    await edition("2024-W25", [(jia, "yellow"), (yi, "red")], number=2, corrects=w25.id)
    Clock.fixed = at(dt.date(2024, 6, 19))
    report = await scan.scan()
    assert await SupervisionAction.select().where(SupervisionAction.kind == "interview") == []
    assert report.steps["interview"] == 0
    # the next week both are red again: 乙 (red in W25 as corrected and in W26) is listed
    await edition("2024-W26", [(jia, "red"), (yi, "red")])
    Clock.fixed = at(dt.date(2024, 6, 26))
    await scan.scan()
    listed = await SupervisionAction.select(SupervisionAction.unit).where(SupervisionAction.kind == "interview")
    assert [r["unit"] for r in listed] == [yi.id]


@pytest.mark.parametrize("red_cadence", ["weekly", "monthly"])
async def test_interview_reads_each_cadence_on_its_own(clean_db, red_cadence):
    """Red in the last two monthly editions is enough whatever the weekly ones say, and the
    other way round; a cadence with no red unit does not end the search."""
    from closedloop.services import publishing
    from tests.factories import PublicationFactory, PublicationRowFactory

    unit, item = await _item(dt.date(2024, 5, 31), name="甲局")
    # a cadence with a single edition so far (written first, so SQLite reads it first) is no reason to stop either
    q1 = await PublicationFactory.create(cadence="quarterly", period="2024-Q1", cutoff=publishing.cutoff_of("quarterly", "2024-Q1"))
    await PublicationRowFactory.create(publication=q1, unit=unit, unit_name=unit.name, rank=1, light="green")
    periods = {"weekly": ["2024-W23", "2024-W24"], "monthly": ["2024-04", "2024-05"]}
    for cadence, names in periods.items():
        for period in names:
            pub = await PublicationFactory.create(cadence=cadence, period=period, cutoff=publishing.cutoff_of(cadence, period))
            light = "red" if cadence == red_cadence else "green"
            await PublicationRowFactory.create(publication=pub, unit=unit, unit_name=unit.name, rank=1, light=light)
    Clock.fixed = at(dt.date(2024, 6, 12))
    assert (await scan.scan()).steps["interview"] == 1
    assert (await scan.scan()).steps["interview"] == 0  # listed once, however often the scan runs
    listed = await SupervisionAction.select(SupervisionAction.item, SupervisionAction.message).where(SupervisionAction.kind == "interview")
    assert [r["item"] for r in listed] == [item.id]
    assert listed[0]["message"] == f"单位连续两期晾晒亮红灯（截至 {periods[red_cadence][1]}），列入约谈。"
