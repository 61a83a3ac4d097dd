"""The deadline scan and lead reports (one report, or a 台账 upload's many) running at the same time on
PostgreSQL never deadlock: reports lock items before goals, each in id order, and the scan never
waits for a row a report holds (it leaves it to the report, which recomputes its items' lights).

On Monday morning, with a thousand units uploading while the scan ran, PostgreSQL broke
deadlocks between the two by failing one of them (a lost scan, or an upload answered with an
error). The test makes the interleaving that deadlocked happen every time: a report's
transaction holds its item and a goal, the scan (every light changing) locks its way up to that
goal and waits, and the same transaction then writes the item's other goal, the one the scan
had taken first when it locked in the planner's order (a scan that waited in id order instead
avoided the deadlock but queued behind every upload in turn: 428 s on Monday morning). SQLite
serialises writers, so there is nothing to test there.
"""

from __future__ import annotations

import asyncio
import contextvars
import datetime as dt

import pytest

from closedloop.db import sql
from closedloop.db.engine import write_tx
from closedloop.services import lights, progress
from closedloop.services.common import Actor
from tests.conftest import IS_PG
from tests.factories import GoalFactory, WorkItemFactory

pytestmark = pytest.mark.skipif(not IS_PG, reason="row locks are PostgreSQL's; SQLite serialises writers")

PERIOD = "2024-W23"  # the client fixture's week
# the scan as of a day before the trajectories start (the plan was issued on 3 April): every goal
# behind today turns green, so the scan changes (and locks) both goals of the item
BEFORE_THE_PLAN = dt.date(2024, 4, 1)


def _elsewhere(coro):
    """Run ``coro`` on its own pooled connection, outside the test's open transaction."""
    return asyncio.create_task(coro, context=contextvars.Context())


async def _sessions_waiting_for_locks() -> int:
    row = await sql.fetch_one(
        "SELECT COUNT(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    return int(row["n"])  # type: ignore[index]


async def _until_the_scan_waits_or_ends(scan: asyncio.Task, timeout: float = 20.0) -> None:
    """The scan either waits for the report's rows (as it did, in the planner's order) or, as
    it does now, passes them by and finishes."""
    loop = asyncio.get_running_loop()
    until = loop.time() + timeout
    while not scan.done() and await _elsewhere(_sessions_waiting_for_locks()) == 0:
        assert loop.time() < until, "the scan neither waited nor finished"
        await asyncio.sleep(0.02)


@pytest.mark.parametrize("first", ["one report", "an upload of two items"])
async def test_the_scan_and_reports_in_flight_do_not_deadlock(client, world, first):
    item = await WorkItemFactory.create(plan=world.plan, lead_unit=world.unit_a, stage="execute", deadline=dt.date(2024, 12, 31))
    low = await GoalFactory.create(plan=world.plan, item=item.id, baseline=0.0, target=100.0, deadline=dt.date(2024, 12, 31))
    high = await GoalFactory.create(plan=world.plan, item=item.id, baseline=0.0, target=100.0, deadline=dt.date(2024, 12, 31))
    other = await WorkItemFactory.create(plan=world.plan, lead_unit=world.unit_a, stage="execute", deadline=dt.date(2024, 12, 31))
    other_goal = await GoalFactory.create(plan=world.plan, item=other.id, baseline=0.0, target=100.0, deadline=dt.date(2024, 12, 31))
    assert low.id < high.id
    await lights.refresh(dt.date(2024, 6, 3))  # every light as of today: the first report changes only its own goal's
    lead = Actor(id=world.users["lead_a"].id, username="lead_a", role="lead", unit_id=world.unit_a.id)
    reports = [progress.ReportIn(item.id, "本周推进", None, [(high.id, 40.0)])]
    if first != "one report":
        reports.append(progress.ReportIn(other.id, "本周推进", None, [(other_goal.id, 30.0)]))

    async with write_tx():
        await progress.create_reports(lead, PERIOD, reports)
        scan = _elsewhere(lights.refresh(BEFORE_THE_PLAN))
        await _until_the_scan_waits_or_ends(scan)
        # the same transaction goes on to the item's other goal
        await progress.create_reports(lead, PERIOD, [progress.ReportIn(item.id, "更正", "口径有误", [(low.id, 45.0)])])
    changed = await asyncio.wait_for(scan, timeout=60)

    assert changed >= 1  # the scan finished, and changed what no one else held
    goals = {g["id"]: g["actual"] for g in await sql.fetch("SELECT id, actual FROM goal WHERE item = {}", item.id)}
    assert goals == {low.id: 45.0, high.id: 40.0}  # and both reports were filed
