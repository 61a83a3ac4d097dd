"""The issue-14 migrations on a database with data: assignment days come from the audit trail
(else the item's creation day), unassigned items stay unassigned, linked item goals take their
plan goal's target, comparator and unit, and earlier editions keep hash version 1."""

import json
import os
import sqlite3
import subprocess
import sys

BEFORE = "2026-11-28T16:00:00:000000"  # the last migration before this issue's


def _run(code: str, url: str) -> None:
    env = {**os.environ, "CLOSEDLOOP_DATABASE_URL": url, "PICCOLO_CONF": "closedloop.db.piccolo_conf"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=180)
    assert out.returncode == 0, out.stderr[-2000:]


def test_backfill_keeps_the_data_meaning(tmp_path):
    path = tmp_path / "old.sqlite3"
    url = f"sqlite:///{path}"
    _run(
        "import asyncio\nfrom piccolo.apps.migrations.commands.forwards import run_forwards\n"
        f"r = asyncio.run(run_forwards(app_name='closedloop', migration_id='{BEFORE}'))\nassert r.success, r.message",
        url,
    )
    con = sqlite3.connect(path)
    with con:
        con.execute("INSERT INTO unit (id, name, created_at, version) VALUES (1, '区科技局', '2024-01-01 00:00:00+00:00', 1)")
        con.execute("INSERT INTO plan (id, title, content_hash, source_text, created_at, issued_on, year) VALUES (1, '要点', 'h', '', '2024-04-01 00:00:00+00:00', '2024-04-03', 2024)")
        for n, (lead, created) in enumerate([(1, "2024-04-01 02:00:00+00:00"), (1, "2024-04-01 02:00:00+00:00"), (None, "2024-04-01 02:00:00+00:00")], start=1):
            con.execute(
                "INSERT INTO work_item (id, plan, kind, seq, code, title, text, lead_unit, stage, extension_count, closed, created_at, updated_at, version) "
                "VALUES (?, 1, 'item', ?, ?, '事项', '', ?, 'drill', 0, 0, ?, ?, 1)",
                (n, n, f"{n}是", lead, created, created),
            )
        # item 1 was given its lead unit on 8 April (Beijing time), after an update without one
        con.execute("INSERT INTO audit_event (at, actor_name, action, entity, entity_id, after) VALUES ('2024-04-06 01:00:00+00:00', 'a', 'update', 'item', 1, ?)", (json.dumps({"lead_unit": None}),))
        con.execute("INSERT INTO audit_event (at, actor_name, action, entity, entity_id, after) VALUES ('2024-04-07 17:00:00+00:00', 'a', 'update', 'item', 1, ?)", (json.dumps({"lead_unit": 1}),))
        con.execute("INSERT INTO goal (id, plan, seq, subject, measure_unit, comparator, target, created_at, updated_at, version) VALUES (1, 1, 0, '高新技术企业', '家', '>', 330, '2024-04-01', '2024-04-01', 1)")
        con.execute("INSERT INTO goal (id, plan, item, plan_goal, seq, subject, measure_unit, comparator, target, created_at, updated_at, version) VALUES (2, 1, 1, 1, 0, '高新技术企业', '个', '>=', 200, '2024-04-01', '2024-04-01', 1)")
        con.execute("INSERT INTO goal (id, plan, item, seq, subject, measure_unit, comparator, target, created_at, updated_at, version) VALUES (3, 1, 2, 0, '专利', '件', '>=', 50, '2024-04-01', '2024-04-01', 1)")
        con.execute(
            "INSERT INTO publication (id, cadence, period, edition, cutoff, published_at, weights, title, body_md, body_html, content_hash) "
            "VALUES (1, 'weekly', '2024-W15', 1, '2024-04-08 01:00:00+00:00', '2024-04-08 01:00:00+00:00', '{}', 't', 'b', 'h', 'x')"
        )
    con.close()
    _run("import asyncio\nfrom closedloop.db.migrate import migrate\nasyncio.run(migrate())", url)
    con = sqlite3.connect(path)
    assigned = dict(con.execute("SELECT id, assigned_on FROM work_item ORDER BY id").fetchall())
    assert assigned == {1: "2024-04-08", 2: "2024-04-01", 3: None}
    assert con.execute("SELECT target, comparator, measure_unit FROM goal WHERE id = 2").fetchone() == (330.0, ">", "家")
    assert con.execute("SELECT target, comparator, measure_unit FROM goal WHERE id = 3").fetchone() == (50.0, ">=", "件")
    assert con.execute("SELECT hash_version, reports_plan_goal FROM publication, goal WHERE goal.id = 2").fetchone() == (1, 0)
    con.close()
