"""The demo behind ``closedloop serve --demo``: a living system, deterministic, loaded once."""

import datetime as dt

from closedloop.db.tables import Plan, Publication, PublicationRow, SupervisionAction, Unit, User, WorkItem
from closedloop.demo import _load
from closedloop.services.common import Clock


async def test_demo_loads_a_living_system_once(clean_db):
    today = dt.date(2026, 11, 27)
    Clock.fixed = dt.datetime(2026, 11, 27, 2, 0, tzinfo=dt.timezone.utc)
    try:
        info = await _load(today)
        assert info.loaded and info.units == 16
        assert 9 <= info.editions <= 11
        latest = await Publication.select().order_by(Publication.cutoff, ascending=False).first()
        rows = await PublicationRow.select().where(PublicationRow.publication == latest["id"]).order_by(PublicationRow.rank)
        assert len(rows) >= 10
        assert any(r["previous_rank"] is not None and r["previous_rank"] != r["rank"] for r in rows), "no rank changes"
        lights = {r["light"] for r in await WorkItem.select(WorkItem.light).where(WorkItem.kind == "item")}
        assert {"red", "green"} <= lights
        ladder = {r["kind"] for r in await SupervisionAction.select(SupervisionAction.kind)}
        assert {"reminder", "urge"} <= ladder
        assert {u["role"] for u in await User.select(User.role)} == {"admin", "supervisor", "lead"}
        counts = (await Plan.count(), await Unit.count(), await Publication.count(), await WorkItem.count())
        again = await _load(today)
        assert not again.loaded
        assert (await Plan.count(), await Unit.count(), await Publication.count(), await WorkItem.count()) == counts
    finally:
        Clock.fixed = None
