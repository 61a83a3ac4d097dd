"""撤销 (withdrawn) items leave the rankings from the first edition whose cut-off follows the
withdrawal; editions before it (and their corrections) still count them."""

import datetime as dt

import pytest

from closedloop.db.tables import PublicationRow, WorkItem
from closedloop.services import publishing
from closedloop.services.common import Clock
from tests.factories import PlanFactory, UnitFactory, WorkItemFactory

SH = dt.timezone(dt.timedelta(hours=8))


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=SH)


@pytest.fixture
def clock():
    yield Clock
    Clock.fixed = None


async def _overdue(pub_id: int, unit_id: int) -> int:
    row = await PublicationRow.select(PublicationRow.overdue_items).where(
        (PublicationRow.publication == pub_id) & (PublicationRow.unit == unit_id)
    ).first()
    return row["overdue_items"] if row else -1


async def test_a_withdrawn_item_leaves_the_rankings_after_its_withdrawal(clean_db, clock):
    clock.fixed = at(dt.date(2024, 1, 20))
    plan = await PlanFactory.create(year=2024, issued_on=dt.date(2024, 1, 15))
    unit = await UnitFactory.create(name="甲局")
    kept = await WorkItemFactory.create(plan=plan, lead_unit=unit, code="一是", assigned_on=dt.date(2024, 1, 20), deadline=dt.date(2024, 2, 1), original_deadline=dt.date(2024, 2, 1), stage="execute")
    gone = await WorkItemFactory.create(plan=plan, lead_unit=unit, code="二是", assigned_on=dt.date(2024, 1, 20), deadline=dt.date(2024, 2, 1), original_deadline=dt.date(2024, 2, 1), stage="execute")
    assert kept.id != gone.id
    clock.fixed = at(dt.date(2024, 3, 12))
    w10, _ = await publishing.publish("weekly", "2024-W10")  # cut off 11 March 09:00
    assert await _overdue(w10["id"], unit.id) == 2
    # withdrawn on 13 March, between the W10 and W11 cut-offs
    await WorkItem.update({WorkItem.withdrawn_at: at(dt.date(2024, 3, 13)), WorkItem.withdrawn_reason: "并入其他事项"}).where(WorkItem.id == gone.id)
    clock.fixed = at(dt.date(2024, 3, 19))
    w11, _ = await publishing.publish("weekly", "2024-W11")
    assert await _overdue(w11["id"], unit.id) == 1
    # a correction of W10 computed now still counts it: it was in the plan at W10's cut-off
    correction, _ = await publishing.publish("weekly", "2024-W10", correct=w10["id"], reason="核对")
    assert await _overdue(correction["id"], unit.id) == 2


async def test_the_office_can_hold_publication_while_data_checks_are_open(clean_db, clock, monkeypatch):
    """With CLOSEDLOOP_HOLD_PUBLICATION_ON_CHECKS=on an open data check (here a problem marked
    resolved with no resolution text) holds the scheduled edition; explained, it publishes,
    and the edition's internal review lists what was open at publication."""
    from closedloop.db.tables import EditionReview, Publication
    from closedloop.services import checks
    from closedloop.settings import get_settings
    from tests.factories import ProblemFactory

    clock.fixed = at(dt.date(2024, 3, 12))
    plan = await PlanFactory.create(year=2024, issued_on=dt.date(2024, 1, 15))
    unit = await UnitFactory.create(name="甲局")
    item = await WorkItemFactory.create(plan=plan, lead_unit=unit, code="一是", assigned_on=dt.date(2024, 1, 20))
    await ProblemFactory.create(item=item, status="resolved", resolution=None)
    assert await checks.open_checks()
    monkeypatch.setenv("CLOSEDLOOP_HOLD_PUBLICATION_ON_CHECKS", "on")
    get_settings(reload=True)
    try:
        assert await publishing.publish_due("weekly") == []
        assert await Publication.count() == 0
    finally:
        monkeypatch.undo()
        get_settings(reload=True)
    done = await publishing.publish_due("weekly")  # the default: publish, and note the open checks
    assert len(done) == 1
    review = await EditionReview.select().where(EditionReview.publication == done[0]["id"]).first()
    assert review is not None and review["open_checks"]
