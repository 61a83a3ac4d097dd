#!/usr/bin/env python3
"""Build a city-scale data set in PostgreSQL quickly, with COPY.

Default sizes: 1,000 units, 100,000 items (in 10 plans of 10,000 items), one goal, problem,
project and result per item (400,000 records), 20 progress reports per item (2,000,000).
``--small`` is a smoke run (50 units, 2,000 items, 20,000 reports). ``--scale K`` multiplies
items and reports. The database must be migrated (``closedloop migrate``) and empty.

    python benchmarks/generate.py --database-url postgresql://… [--small] [--scale 10]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import random
import time

import asyncpg

YEAR = dt.date.today().year


async def generate(url: str, units: int, items: int, reports_per_item: int, seed: int = 7) -> dict:
    rng = random.Random(seed)
    con = await asyncpg.connect(url)
    t0 = time.perf_counter()
    now = dt.datetime.now(dt.timezone.utc)
    start = dt.date(YEAR, 1, 1)
    end = dt.date(YEAR, 12, 31)
    try:
        await con.copy_records_to_table("unit", columns=["id", "name", "created_at", "version"],
                                        records=[(u, f"单位{u:05d}", now, 1) for u in range(1, units + 1)])
        plans = max(1, items // 10_000)
        await con.copy_records_to_table("plan", columns=["id", "title", "year", "content_hash", "source_text", "created_at"],
                                        records=[(p, f"区县{p}{YEAR}年工作要点", YEAR, f"bench-{p}", "", now) for p in range(1, plans + 1)])
        sections = [(p * 1_000_000 + s, p, None, "section", s, f"（{s}）", f"分项{s}", "", None, None, None, None, 0, "drill", None, None, None, None, False, now, now, 1)
                    for p in range(1, plans + 1) for s in range(1, 11)]
        item_rows = []
        today = dt.date.today()
        for i in range(1, items + 1):
            p = (i - 1) % plans + 1
            s = (i // plans) % 10 + 1
            deadline = end if rng.random() > 0.1 else today - dt.timedelta(days=rng.randrange(1, 60))
            item_rows.append((i, p, p * 1_000_000 + s, "item", i + 100, f"{i}是", f"事项{i}", "事项全文。", rng.randrange(1, units + 1),
                              "张三", deadline, deadline, 0, rng.choice(["levers", "execute", "execute", "execute"]), None, None, None, None, False, now, now, 1))
        cols = ["id", "plan", "parent", "kind", "seq", "code", "title", "text", "lead_unit", "responsible_person", "deadline",
                "original_deadline", "extension_count", "stage", "light", "completion", "review", "archived_at", "closed",
                "created_at", "updated_at", "version"]
        await con.copy_records_to_table("work_item", columns=cols, records=sections + item_rows)
        goal_rows = [(i, (i - 1) % plans + 1, i, None, None, 0, f"指标{i}", "个", ">=", 0.0, 100.0, item_rows[i - 1][10], None,
                      None, None, None, now, now, 1) for i in range(1, items + 1)]
        await con.copy_records_to_table("goal", columns=["id", "plan", "item", "plan_goal", "unit", "seq", "subject", "measure_unit",
                                                         "comparator", "baseline", "target", "deadline", "milestones", "actual", "actual_on", "light",
                                                         "created_at", "updated_at", "version"], records=goal_rows)
        lead = {r[0]: r[8] for r in item_rows}
        await con.copy_records_to_table("problem", columns=["id", "item", "description", "found_on", "unit", "due_on", "status", "resolution",
                                                            "resolved_at", "created_at", "updated_at", "version"],
                                        records=[(i, i, "问题", start, lead[i], end, "resolved" if rng.random() < 0.4 else "open", None,
                                                  now - dt.timedelta(days=rng.randrange(0, 200)), now, now, 1) for i in range(1, items + 1)])
        await con.copy_records_to_table("project", columns=["id", "item", "name", "unit", "start_on", "end_on", "budget", "progress",
                                                            "created_at", "updated_at", "version"],
                                        records=[(i, i, "项目", lead[i], start, end, 50.0, rng.randrange(0, 100), now, now, 1) for i in range(1, items + 1)])
        await con.copy_records_to_table("result", columns=["id", "item", "goal", "unit", "value", "description", "verified_at",
                                                           "created_at", "updated_at", "version"],
                                        records=[(i, i, i, lead[i], 10.0, "成效", now - dt.timedelta(days=rng.randrange(0, 200)) if rng.random() < 0.5 else None,
                                                  now, now, 1) for i in range(1, items + 1)])
        # progress reports and their goal values, in chunks
        rid = 0
        span = (today - start).days or 1
        for chunk in range(0, items, 10_000):
            reports, values = [], []
            for i in range(chunk + 1, min(items, chunk + 10_000) + 1):
                pace = rng.uniform(0.3, 1.3)
                for k in range(reports_per_item):
                    rid += 1
                    on = start + dt.timedelta(days=span * (k + 1) // (reports_per_item + 1))
                    reports.append((rid, i, f"{YEAR}-W{on.isocalendar()[1]:02d}", on, "按计划推进。", now))
                    values.append((rid, rid, i, round(min(100.0, 100 * (on - start).days / 365 * pace), 2), on))
            await con.copy_records_to_table("progress_report", columns=["id", "item", "period", "reported_on", "narrative", "created_at"], records=reports)
            await con.copy_records_to_table("progress_value", columns=["id", "report", "goal", "value", "reported_on"], records=values)
        await con.execute("""
            UPDATE goal g SET actual = v.value, actual_on = v.reported_on
            FROM (SELECT DISTINCT ON (pv.goal) pv.goal, pv.value, r.reported_on
                  FROM progress_value pv JOIN progress_report r ON r.id = pv.report
                  ORDER BY pv.goal, r.reported_on DESC) v
            WHERE v.goal = g.id""")
        await con.execute("""
            UPDATE work_item w SET last_report_on = r.last
            FROM (SELECT item, MAX(reported_on) AS last FROM progress_report GROUP BY item) r
            WHERE r.item = w.id""")
        for table in ("unit", "plan", "work_item", "goal", "problem", "project", "result", "progress_report", "progress_value"):
            await con.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))")
        await con.execute("ANALYZE")
    finally:
        await con.close()
    return {"units": units, "items": items, "records": items * 4, "reports": rid, "seconds": round(time.perf_counter() - t0, 1)}


def sizes(args) -> tuple[int, int, int]:
    if args.small:
        units, items, per = 50, 2_000, 10
    else:
        units, items, per = args.units, args.items, args.reports_per_item
    return units, items * args.scale, per


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--database-url", required=True)
    ap.add_argument("--small", action="store_true")
    ap.add_argument("--units", type=int, default=1_000)
    ap.add_argument("--items", type=int, default=100_000)
    ap.add_argument("--reports-per-item", type=int, default=20)
    ap.add_argument("--scale", type=int, default=1)
    args = ap.parse_args()
    print(asyncio.run(generate(args.database_url, *sizes(args))))


if __name__ == "__main__":
    main()
