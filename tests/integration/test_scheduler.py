"""The scan's escalation ladder and the 晾晒 publication, with a controllable clock."""

import asyncio
import datetime as dt
import json
import os
import subprocess
import sys
import time

import pytest

from closedloop.db.tables import Notification, Publication, PublicationRow, SupervisionAction, WorkItem
from closedloop.services import publishing, scan
from closedloop.services.common import Clock
from tests.conftest import cli_command
from tests.factories import GoalFactory, PlanFactory, ProgressReportFactory, ProgressValueFactory, UnitFactory, WorkItemFactory

SH = dt.timezone(dt.timedelta(hours=8))


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=SH)


def kinds(rows):
    return sorted(r["kind"] for r in rows)


@pytest.fixture
def clock():
    yield Clock
    Clock.fixed = None


async def test_ladder_steps_happen_once_each(clean_db, clock):
    deadline = dt.date(2024, 9, 27)  # a Friday before National Day
    unit = await UnitFactory.create()
    item = await WorkItemFactory.create(lead_unit=unit, deadline=deadline, original_deadline=deadline)
    steps = [
        (dt.date(2024, 9, 23), []),  # T−4: nothing
        (dt.date(2024, 9, 24), ["reminder"]),  # T−3
        (dt.date(2024, 9, 25), ["reminder"]),
        (dt.date(2024, 9, 28), ["reminder", "urge"]),  # T+1, a Saturday
        # working days since the urge: Sun 29 Sep (调休 make-up) 1, Mon 30 Sep 2,
        # 1–7 Oct National Day holiday, 8 Oct 3, 9 Oct 4, 10 Oct 5
        (dt.date(2024, 10, 7), ["reminder", "urge"]),
        (dt.date(2024, 10, 9), ["reminder", "urge"]),
        (dt.date(2024, 10, 10), ["circular", "reminder", "urge"]),
        (dt.date(2024, 10, 20), ["circular", "reminder", "urge"]),
    ]
    for day, expected in steps:
        clock.fixed = at(day)
        await scan.scan()
        await scan.scan()  # twice: still once each
        rows = await SupervisionAction.select().where(SupervisionAction.item == item.id)
        assert kinds(rows) == expected, day
    inbox = await Notification.select(Notification.kind).where(Notification.unit == unit.id)
    assert sorted(n["kind"] for n in inbox) == ["circular", "reminder", "urge"]
    copies = await Notification.select(Notification.kind).where(Notification.unit.is_null())
    assert [n["kind"] for n in copies] == ["cc", "cc"]


async def test_response_stops_the_circular(clean_db, clock):
    deadline = dt.date(2024, 6, 14)
    item = await WorkItemFactory.create(deadline=deadline, original_deadline=deadline)
    clock.fixed = at(dt.date(2024, 6, 17))
    await scan.scan()
    await SupervisionAction.update({SupervisionAction.responded_at: at(dt.date(2024, 6, 18))}).where(SupervisionAction.kind == "urge")
    clock.fixed = at(dt.date(2024, 6, 30))
    await scan.scan()
    assert kinds(await SupervisionAction.select().where(SupervisionAction.item == item.id)) == ["urge"]


async def test_extension_before_deadline_stops_the_ladder_but_original_deadline_scores(clean_db, clock):
    deadline = dt.date(2024, 6, 14)
    unit = await UnitFactory.create()
    item = await WorkItemFactory.create(lead_unit=unit, deadline=deadline, original_deadline=deadline)
    # approved extension: the deadline moves, the original stays
    await WorkItem.update({WorkItem.deadline: dt.date(2024, 9, 30), WorkItem.extension_count: 1}).where(WorkItem.id == item.id)
    clock.fixed = at(dt.date(2024, 6, 20))
    await scan.scan()
    assert await SupervisionAction.count().where(SupervisionAction.kind == "urge") == 0
    pub, _ = await publishing.publish("weekly", "2024-W24")
    row = await PublicationRow.select().where(PublicationRow.publication == pub["id"]).first()
    assert row["overdue_items"] == 1 and row["light"] == "red"


async def make_units():
    plan = await PlanFactory.create(year=2024)
    units = []
    for n, (name, actual) in enumerate([("甲局", 80.0), ("乙局", 40.0), ("丙局", 10.0)]):
        unit = await UnitFactory.create(name=name)
        item = await WorkItemFactory.create(plan=plan, lead_unit=unit, code=f"{n}是")
        # written in May: the editions of June read them (rows are as of the cut-off)
        goal = await GoalFactory.create(plan=plan, item=item.id, baseline=0.0, target=100.0, deadline=dt.date(2024, 12, 31), created_at=at(dt.date(2024, 5, 1)))
        report = await ProgressReportFactory.create(item=item, reported_on=dt.date(2024, 5, 31), created_at=at(dt.date(2024, 5, 31)))
        await ProgressValueFactory.create(report=report, goal=goal.id, value=actual)
        units.append((unit, item, goal))
    return plan, units


async def test_publication_ranks_units_and_is_one_per_period(clean_db, clock):
    await make_units()
    clock.fixed = at(dt.date(2024, 6, 5))
    pub, created = await publishing.publish("weekly", "2024-W22")
    again, created_again = await publishing.publish("weekly", "2024-W22")
    assert created and not created_again and again["id"] == pub["id"]
    rows = await PublicationRow.select().where(PublicationRow.publication == pub["id"]).order_by(PublicationRow.rank)
    assert [r["unit_name"] for r in rows] == ["甲局", "乙局", "丙局"]
    assert [r["rank"] for r in rows] == [1, 2, 3]
    # as of 2024-06-03 09:00 the trajectory, from the plan's issue on 3 April to 31 December,
    # expects 61/272 of the gap: 乙 (40%) is ahead and scores in full, 丙 (10%) is 12.4 points
    # behind and loses 12.4% of the goal-progress metric
    expected = 61 / 272
    assert rows[1]["goal_progress"] == 1.0
    assert rows[2]["goal_progress"] == pytest.approx(1 - (expected - 0.1), abs=1e-6)
    assert rows[2]["behind_points"] == pytest.approx((expected - 0.1) * 100, abs=1e-4)
    assert json.loads(rows[2]["breakdown"])["goal_progress"] == pytest.approx(60 * (1 - (expected - 0.1)), abs=1e-3)
    assert [r["light"] for r in rows] == ["blue", "blue", "yellow"]
    assert "| 1 | 甲局 |" in pub["body_md"] and "<table>" in pub["body_html"]
    assert await Publication.count() == 1


async def test_concurrent_publish_gives_one_edition(clean_db, clock):
    await make_units()
    clock.fixed = at(dt.date(2024, 6, 5))
    results = await asyncio.gather(*[publishing.publish("weekly", "2024-W22") for _ in range(4)])
    assert sum(1 for _, created in results if created) == 1
    assert await Publication.count() == 1


async def test_rank_change_and_catch_up_each_as_of_its_cutoff(clean_db, clock):
    _, units = await make_units()
    clock.fixed = at(dt.date(2024, 6, 4))
    await publishing.publish("weekly", "2024-W22")
    # 丙 reports a big jump on 6 June; the service is down until 19 June
    report = await ProgressReportFactory.create(item=units[2][1], period="2024-W23", reported_on=dt.date(2024, 6, 6), created_at=at(dt.date(2024, 6, 6)))  # one report per item and period
    await ProgressValueFactory.create(report=report, goal=units[2][2].id, value=95.0)
    clock.fixed = at(dt.date(2024, 6, 19))
    done = await publishing.publish_due("weekly")
    assert [p["period"] for p in done] == ["2024-W23", "2024-W24"]
    assert [p["cutoff"].date() for p in done] == [dt.date(2024, 6, 10), dt.date(2024, 6, 17)]
    w24 = await PublicationRow.select().where(PublicationRow.publication == done[0]["id"]).order_by(PublicationRow.rank)
    assert w24[0]["unit_name"] == "丙局" and w24[0]["previous_rank"] == 3
    assert await publishing.publish_due("weekly") == []


async def test_hash_chain_verifies_and_detects_tampering(clean_db, clock):
    await make_units()
    clock.fixed = at(dt.date(2024, 6, 19))
    for period in ("2024-W22", "2024-W23", "2024-W24"):
        await publishing.publish("weekly", period)
    count, breaks = await publishing.verify_chain()
    assert count == 3 and breaks == []
    pubs = await Publication.select().order_by(Publication.id)
    assert pubs[1]["previous_hash"] == pubs[0]["content_hash"]
    await PublicationRow.update({PublicationRow.score: 99.0}).where(PublicationRow.publication == pubs[1]["id"])
    _, breaks = await publishing.verify_chain()
    assert len(breaks) == 1 and "内容哈希不符" in breaks[0] and "2024-W23" in breaks[0]


@pytest.mark.parametrize(
    "column, value",
    [
        (Publication.body_html, "<p>篡改后的正文</p>"),
        (Publication.title, "篡改后的标题"),
        (Publication.plan_goals, '[{"subject": "伪造目标"}]'),
        (Publication.published_at, dt.datetime(2030, 1, 1, tzinfo=dt.timezone.utc)),
        (PublicationRow.unit_name, "篡改单位"),
        (PublicationRow.breakdown, '{"goal_progress": 60.0}'),
        (PublicationRow.extensions, 7),
        (PublicationRow.previous_score, 1.0),
    ],
    ids=lambda x: getattr(getattr(x, "_meta", None), "name", "v"),
)
async def test_verify_detects_an_edit_to_anything_a_reader_sees(clean_db, clock, column, value):
    await make_units()
    clock.fixed = at(dt.date(2024, 6, 19))
    for period in ("2024-W22", "2024-W23"):
        await publishing.publish("weekly", period)
    assert (await publishing.verify_chain())[1] == []
    target = (await Publication.select(Publication.id).order_by(Publication.id).first())["id"]
    table = column._meta.table
    where = (Publication.id == target) if table is Publication else (PublicationRow.publication == target)
    await table.update({column: value}).where(where)
    count, breaks = await publishing.verify_chain()
    assert count == 2 and len(breaks) == 1 and "2024-W22" in breaks[0], breaks
    # the CLI says so and fails
    env = {**os.environ}
    out = subprocess.run([sys.executable, "-m", "closedloop.cli", "verify"], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 1 and "内容哈希不符" in out.stdout


async def test_correction_is_a_new_edition_naming_the_old(clean_db, clock):
    from closedloop.services.common import Actor

    await make_units()
    clock.fixed = at(dt.date(2024, 6, 5))
    first, _ = await publishing.publish("weekly", "2024-W22")
    sup = Actor(id=None, username="sup", role="supervisor")
    fixed = await publishing.correct(sup, first["id"], "单位名称有误")
    assert fixed["edition"] == 2 and fixed["corrects"] == first["id"] and fixed["previous_hash"] == first["content_hash"]
    assert "更正第 1 版" in fixed["body_md"]
    assert await Publication.count() == 2
    assert (await Publication.select(Publication.body_md).where(Publication.id == first["id"]).first())["body_md"] == first["body_md"]


async def test_unit_name_is_text_never_a_tag(client, clock):
    plan = await PlanFactory.create()
    evil = await UnitFactory.create(name="<script>alert(1)</script>")
    await WorkItemFactory.create(plan=plan, lead_unit=evil)
    clock.fixed = at(dt.date(2024, 6, 5))
    pub, _ = await publishing.publish("weekly", "2024-W22")
    assert "<script>" not in pub["body_html"] and "&lt;script&gt;alert(1)&lt;/script&gt;" in pub["body_html"]
    page = await client.get("/rankings")
    assert page.status_code == 200 and "<script>alert" not in page.text and "&lt;script&gt;alert(1)" in page.text


async def test_public_pages_and_json_need_no_login(client, clock):
    await make_units()
    clock.fixed = at(dt.date(2024, 6, 5))
    pub, _ = await publishing.publish("weekly", "2024-W22")
    r = await client.get("/rankings")
    assert r.status_code == 200 and "甲局" in r.text and "2024年第22周工作晾晒" in r.text
    assert (await client.get("/rankings/weekly/2024-W22")).status_code == 200
    assert (await client.get("/rankings/weekly/2030-W01")).status_code == 404
    listed = (await client.get("/api/v1/publications")).json()
    assert listed[0]["hash"] == pub["content_hash"] and listed[0]["period"] == "2024-W22"
    one = (await client.get(f"/api/v1/publications/{pub['id']}")).json()
    assert [r["unit_name"] for r in one["rows"]] == ["甲局", "乙局", "丙局"]
    # each row carries its score's parts, which add up to it, and 延期次数 and items overdue
    for r in one["rows"]:
        assert set(r["breakdown"]) == {"goal_progress", "problems_resolved", "results_verified", "overdue_penalty", "urge_penalty"}
        assert sum(r["breakdown"].values()) == pytest.approx(r["score"], abs=0.01)
        assert r["extensions"] == 0 and r["overdue_items"] == 0 and r["previous_score"] is None
    assert one["hash_version"] == 2 and one["plan_goals"] == []


def _cli(args, env):
    return subprocess.Popen(cli_command(*args), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


async def test_two_publish_commands_at_once_make_one_edition(clean_db, database_url):
    await make_units()
    env = {**os.environ, "CLOSEDLOOP_DATABASE_URL": database_url}
    procs = [_cli(["publish", "--cadence", "weekly", "--period", "2024-W22"], env) for _ in range(2)]
    outs = [p.communicate(timeout=60) for p in procs]
    assert all(p.returncode == 0 for p in procs), outs
    assert await Publication.count() == 1
    assert sum("已发布" in o for o, _ in outs) == 1 and sum("已存在" in o for o, _ in outs) == 1


def _catch_up_finished(log) -> bool:
    """APScheduler's own line once the start-up publish job (the catch-up) has returned."""
    text = log.read_text(encoding="utf-8", errors="replace") if log.exists() else ""
    return any("publish_job" in line and ("executed successfully" in line or "raised an exception" in line) for line in text.splitlines())


async def test_two_scheduler_processes_publish_each_missed_period_once(clean_db, database_url, tmp_path):
    """Two schedulers start after downtime: the missed weekly editions appear once each.

    Both processes run with their clock fixed (Wednesday 19 June 2024, 10:00 in Shanghai), so a
    real Monday 09:00 passing during the test changes nothing; the test waits until both have
    finished their catch-up (their log says so) instead of sleeping and hoping.
    """
    await make_units()
    now = at(dt.date(2024, 6, 19))
    Clock.fixed = now
    await publishing.publish("weekly", "2024-W22")  # the last edition before the downtime
    env = {**os.environ, "CLOSEDLOOP_DATABASE_URL": database_url, "CLOSEDLOOP_SCAN_MINUTES": "60", "CLOSEDLOOP_CADENCES": "weekly"}
    env.pop("PICCOLO_CONF", None)
    logs = [tmp_path / f"scheduler-{n}.log" for n in range(2)]
    files = [open(log, "w") for log in logs]
    procs = [subprocess.Popen(cli_command("scheduler", now=now), env=env, stdout=f, stderr=subprocess.STDOUT) for f in files]
    try:
        deadline = time.monotonic() + 90
        # a process either finishes its catch-up or leaves at once because another scheduler
        # already runs on this database (one per machine); at least one must do the work
        def settled(p, log):
            return _catch_up_finished(log) or p.poll() is not None

        while time.monotonic() < deadline and not all(settled(p, log) for p, log in zip(procs, logs)):
            await asyncio.sleep(0.3)
        assert all(settled(p, log) for p, log in zip(procs, logs)), [log.read_text() for log in logs]
        assert any(_catch_up_finished(log) for log in logs), [log.read_text() for log in logs]
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(timeout=30)
        for f in files:
            f.close()
    periods = [r["period"] for r in await Publication.select(Publication.period).order_by(Publication.period)]
    assert periods == ["2024-W22", "2024-W23", "2024-W24"]
    cutoffs = [r["cutoff"].date() for r in await Publication.select(Publication.cutoff).order_by(Publication.period)]
    assert cutoffs == [dt.date(2024, 6, 3), dt.date(2024, 6, 10), dt.date(2024, 6, 17)]


async def test_editions_published_before_hash_version_2_still_verify(clean_db, clock):
    await make_units()
    clock.fixed = at(dt.date(2024, 6, 19))
    pub, _ = await publishing.publish("weekly", "2024-W22")
    # as the first editions were hashed: Markdown and ranking figures only
    full = await publishing.get_publication(pub["id"])
    v1 = publishing.edition_hash(publishing.hash_payload({**full, "hash_version": 1}, full["rows"]))
    await Publication.update({Publication.hash_version: 1, Publication.content_hash: v1}).where(Publication.id == pub["id"])
    assert await publishing.verify_chain() == (1, [])
    await publishing.publish("weekly", "2024-W23")  # chains onto the old hash
    assert await publishing.verify_chain() == (2, [])
    await PublicationRow.update({PublicationRow.score: 1.0}).where(PublicationRow.publication == pub["id"])
    assert len((await publishing.verify_chain())[1]) == 1


async def test_the_scan_survives_losing_a_deadlock_to_a_report(clean_db, monkeypatch):
    """PostgreSQL may abort the scan's light UPDATE as a deadlock's victim while leads upload
    their 台账; the scan runs it again instead of losing the whole run. Anything else still fails."""
    import datetime as dt

    import pytest

    from closedloop.services import lights, scan as scan_service

    class Deadlock(Exception):
        sqlstate = "40P01"

    real, calls = lights.refresh, []

    async def first_call_deadlocks(as_of, item_ids=None):
        calls.append(as_of)
        if len(calls) == 1:
            raise Deadlock("deadlock detected")
        return await real(as_of, item_ids)

    monkeypatch.setattr(lights, "refresh", first_call_deadlocks)
    report = await scan_service.scan(dt.datetime(2024, 6, 3, 9, tzinfo=dt.timezone.utc))
    assert len(calls) == 2 and report.lights_changed == 0

    async def always_broken(as_of, item_ids=None):
        raise RuntimeError("disk full")

    monkeypatch.setattr(lights, "refresh", always_broken)
    with pytest.raises(RuntimeError):
        await scan_service.scan(dt.datetime(2024, 6, 3, 9, tzinfo=dt.timezone.utc))
