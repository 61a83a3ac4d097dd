"""The ledger migration on a database holding reports from before it: the data keeps its meaning.

Two reports of one item and period were both "the report" before; the later becomes a 更正 of the
earlier (filing order decided goal.actual until now, so the current value is the same); a report
filed after its period is marked 补报; the values carry their period end and filing instant.
"""

import json
import os
import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent(
    """
    import asyncio, datetime as dt, json, os
    os.environ["PICCOLO_CONF"] = "closedloop.db.piccolo_conf"

    async def main():
        from piccolo.apps.migrations.commands.forwards import run_forwards
        from closedloop.db.engine import get_engine
        from closedloop.db.migrate import migrate
        from piccolo.querystring import QueryString

        before = await run_forwards(app_name="closedloop", migration_id="2026-11-28T16:00:00:000000")
        assert before.success, before.message
        db = get_engine()
        run = lambda q, *a: db.run_querystring(QueryString(q, *a))
        t = lambda d, h: dt.datetime(2024, 5, d, h, tzinfo=dt.timezone.utc)
        await run("INSERT INTO unit (id, name, version) VALUES (1, 'A', 1)")
        await run("INSERT INTO plan (id, title, content_hash, source_text, created_at) VALUES (1, 'p', 'h', '', {})", t(1, 0))
        await run("INSERT INTO work_item (id, plan, kind, seq, code, title, text, stage, extension_count, closed, version, created_at, updated_at) "
                  "VALUES (1, 1, 'item', 0, 'a', 't', '', 'execute', 0, {}, 1, {}, {})", False, t(1, 0), t(1, 0))
        await run("INSERT INTO goal (id, plan, item, seq, subject, actual, version, created_at, updated_at) VALUES (1, 1, 1, 0, 'g', 312, 1, {}, {})", t(1, 0), t(1, 0))
        reports = [(1, "2024-W20", dt.date(2024, 5, 17), t(17, 2)), (2, "2024-W20", dt.date(2024, 5, 18), t(18, 2)), (3, "2024-W19", dt.date(2024, 5, 20), t(20, 2))]
        for rid, period, on, at in reports:
            await run("INSERT INTO progress_report (id, item, period, reported_on, narrative, created_at) VALUES ({}, 1, {}, {}, 'n', {})", rid, period, on, at)
        for vid, rid, value in ((1, 1, 305.0), (2, 2, 312.0), (3, 3, 300.0)):
            await run("INSERT INTO progress_value (id, report, goal, value, reported_on) VALUES ({}, {}, 1, {}, {})", vid, rid, value, dt.date(2024, 5, 17))
        applied = await migrate()
        reps = await run("SELECT id, kind, corrects, late, period_end, reason FROM progress_report ORDER BY id")
        vals = await run("SELECT id, period_end, recorded_at FROM progress_value ORDER BY id")
        from closedloop.services import values
        from closedloop.services.common import Clock
        Clock.fixed = t(31, 0)
        now = await values.values_as_of([1], Clock.fixed)
        print(json.dumps({"applied": applied, "reports": reps, "values": vals, "now": now[1]["value"]}, default=str))

    asyncio.run(main())
    """
)


def test_the_ledger_migration_keeps_existing_reports_meaning_the_same(tmp_path):
    env = {**os.environ, "CLOSEDLOOP_DATABASE_URL": f"sqlite:///{tmp_path}/old.sqlite3"}
    out = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    got = json.loads(out.stdout.strip().splitlines()[-1])
    # the ledger's two migrations are applied, in order (other areas' migrations may come before
    # or after them)
    ledger = ["2026-11-28T16:20:00:000000", "2026-11-28T16:20:01:000000"]
    assert [m for m in got["applied"] if m in ledger] == ledger
    reports = {r["id"]: r for r in got["reports"]}
    assert (reports[1]["kind"], reports[1]["corrects"]) == ("report", None)
    assert (reports[2]["kind"], reports[2]["corrects"]) == ("correction", 1) and reports[2]["reason"]
    assert [reports[i]["period_end"] for i in (1, 2, 3)] == ["2024-05-19", "2024-05-19", "2024-05-12"]
    assert [bool(reports[i]["late"]) for i in (1, 2, 3)] == [False, False, True]  # W19 was over on 20 May
    assert [v["period_end"] for v in got["values"]] == ["2024-05-19", "2024-05-19", "2024-05-12"]
    assert all(v["recorded_at"] for v in got["values"])
    # the stored actual (312, the last typed) is what the ledger says now; the 补报 for W19 does not rewind it
    assert got["now"] == 312.0
