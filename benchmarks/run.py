#!/usr/bin/env python3
"""closedloop at city scale, each figure beside a bare implementation of the same work.

Starts its own PostgreSQL on loopback (or uses --database-url, which must be an empty,
throw-away database), builds the data set with generate.py, and measures:

  publish   one 晾晒 edition (metrics SQL, scoring, Markdown/HTML, hash, store) vs the bare metrics SQL
  scan      the deadline scan's light refresh over all items vs two bare SQL UPDATEs (goal lights,
            then item lights and completion)
  update    a lead's goal PATCH over HTTP with auth (one uvicorn worker, 32 clients) vs a bare
            Litestar + asyncpg endpoint doing the same versioned UPDATE
  overdue   the supervisor's overdue list, first page, filtered by unit: p99 latency
  cockpit   GET /api/v1/cockpit (the supervisor's cockpit, whole district): p95 latency (goal < 300 ms)
  memory    peak Python memory (tracemalloc) of publishing at 1× and 10× the data

Prints a table and, as its last line, one JSON object.   python benchmarks/run.py [--small]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import secrets
import statistics
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.generate import generate  # noqa: E402
from benchmarks.pg import Postgres, free_port  # noqa: E402

# The bare light refresh: the same two writes as the scan (every goal's light, then every
# item's light and completion from its goals), as plain UPDATEs on the linear trajectory,
# without staleness, milestones, zero-gap or comparator handling and without skipping rows
# whose value is unchanged.
BARE_LIGHTS_SQL = [
    """
UPDATE goal g SET light = CASE
  WHEN g.actual >= g.target THEN 'blue'
  WHEN $1::date > g.deadline THEN 'red'
  WHEN (LEAST(1, GREATEST(0, ($1::date - make_date(p.year, 1, 1))::float / NULLIF(g.deadline - make_date(p.year, 1, 1), 0)))
        - LEAST(1, GREATEST(0, (COALESCE(g.actual, 0) - COALESCE(g.baseline, 0)) / NULLIF(g.target - COALESCE(g.baseline, 0), 0)))) * 100 > 30 THEN 'red'
  WHEN (LEAST(1, GREATEST(0, ($1::date - make_date(p.year, 1, 1))::float / NULLIF(g.deadline - make_date(p.year, 1, 1), 0)))
        - LEAST(1, GREATEST(0, (COALESCE(g.actual, 0) - COALESCE(g.baseline, 0)) / NULLIF(g.target - COALESCE(g.baseline, 0), 0)))) * 100 >= 10 THEN 'yellow'
  ELSE 'green' END
FROM plan p WHERE p.id = g.plan AND g.item IS NOT NULL
""",
    """
UPDATE work_item w SET
  light = CASE WHEN $1::date > w.deadline THEN 'red'
               ELSE (ARRAY['blue', 'green', 'yellow', 'red'])[a.worst + 1] END,
  completion = a.pct
FROM (SELECT item,
             MAX(CASE light WHEN 'blue' THEN 0 WHEN 'green' THEN 1 WHEN 'yellow' THEN 2 ELSE 3 END) AS worst,
             ROUND(100 * AVG(LEAST(1, GREATEST(0, (COALESCE(actual, 0) - COALESCE(baseline, 0)) / NULLIF(target - COALESCE(baseline, 0), 0)))))::int AS pct
      FROM goal WHERE item IS NOT NULL GROUP BY item) a
WHERE a.item = w.id
""",
]


def migrate(url: str) -> None:
    env = {**os.environ, "CLOSEDLOOP_DATABASE_URL": url}
    env.pop("PICCOLO_CONF", None)
    subprocess.run([sys.executable, "-m", "closedloop.cli", "migrate"], env=env, check=True, capture_output=True)


async def bench_publish_and_scan(url: str, peak_only: bool = False) -> dict:
    import asyncpg

    os.environ["CLOSEDLOOP_DATABASE_URL"] = url
    os.environ["PICCOLO_CONF"] = "closedloop.db.piccolo_conf"
    from closedloop.settings import get_settings

    get_settings(reload=True)
    import closedloop.db.piccolo_conf as conf
    from closedloop.db.engine_factory import make_engine

    conf.DB = make_engine(url)  # a fresh engine per database (the benchmark uses two)
    for t in __import__("closedloop.db.tables", fromlist=["ALL_TABLES"]).ALL_TABLES:
        t._meta._db = conf.DB
    from closedloop.db.engine import close_engine, prepare_engine
    from closedloop.db import sql
    from closedloop.services import lights, metrics, publishing

    await prepare_engine()
    out = {}
    try:
        today = dt.date.today()
        period = publishing.latest_due_period("weekly", dt.datetime.now(dt.timezone.utc))
        periods = [period]
        for _ in range(3):
            periods.append(publishing.previous_period("weekly", periods[-1]))
        # the oldest of four due periods first: warms the caches, and gives the peak memory
        tracemalloc.start()
        t = time.perf_counter()
        await publishing.publish("weekly", periods.pop())
        first = time.perf_counter() - t
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        out["publish_peak_mb"] = round(peak / 2**20, 2)
        if peak_only:
            return out

        # then each of the other three: the bare metrics statement (the same SQL text and
        # parameters the service sends, straight to asyncpg), then the whole publication
        con = await asyncpg.connect(url)
        bare_times, our_times = [], []
        for p in reversed(periods):
            cutoff = publishing.cutoff_of("weekly", p)
            since = publishing.cutoff_of("weekly", publishing.previous_period("weekly", p))
            day = cutoff.astimezone(publishing.tz()).date()
            params = await metrics.cut_parameters(metrics.Cut(at=cutoff, day=day, since=since), lights.thresholds())
            t = time.perf_counter()
            for statement in metrics.statements():
                await con.fetch(sql._numbered(statement), *params)
            bare_times.append(time.perf_counter() - t)
            t = time.perf_counter()
            await publishing.publish("weekly", p)
            our_times.append(time.perf_counter() - t)
        await con.close()
        bare, ours = statistics.median(bare_times), statistics.median(our_times)
        out.update(publish_s=round(ours, 3), publish_bare_s=round(bare, 3), publish_ratio=round(ours / bare, 2), publish_first_s=round(first, 3))

        # Each side starts from the same state: every light cleared (so every row changes, the
        # worst case) and the two tables vacuumed, so neither pays for the other's dead rows.
        con = await asyncpg.connect(url)

        async def cleared():
            await con.execute("UPDATE goal SET light = NULL; UPDATE work_item SET light = NULL, completion = NULL")
            await con.execute("VACUUM goal")
            await con.execute("VACUUM work_item")

        bare_times, our_times = [], []
        for _ in range(2):
            await cleared()
            t = time.perf_counter()
            for statement in BARE_LIGHTS_SQL:
                await con.execute(statement, today)
            bare_times.append(time.perf_counter() - t)
            await cleared()
            t = time.perf_counter()
            await lights.refresh(today)
            our_times.append(time.perf_counter() - t)
        # the scan as it runs every 15 minutes: recomputes every light, writes what changed
        t = time.perf_counter()
        await lights.refresh(today)
        steady = time.perf_counter() - t
        await con.close()
        bare_s, scan_s = min(bare_times), min(our_times)
        out.update(scan_s=round(scan_s, 3), scan_bare_s=round(bare_s, 3), scan_ratio=round(scan_s / bare_s, 2), scan_steady_s=round(steady, 3))
    finally:
        await close_engine()
    return out


WARM_UP_S = 2.0


async def http_load(base: str, clients: list[dict], seconds: float, with_auth: bool) -> dict:
    """32 clients in a closed loop for ``WARM_UP_S`` + ``seconds``; only requests that start
    after the warm-up count (a fresh server prepares its statements on the first requests of
    each connection: those took up to 1.7 s and would otherwise be the whole p99)."""
    latencies: list[float] = []
    errors = 0
    begin = time.monotonic() + WARM_UP_S
    stop = begin + seconds

    async def worker(c: dict):
        nonlocal errors
        headers = {"Authorization": f"Bearer {c['token']}"} if with_auth else {}
        path = f"/api/v1/goals/{c['goal']}" if with_auth else f"/goals/{c['goal']}"
        version, value = c["version"], 0.0
        async with httpx.AsyncClient(base_url=base, timeout=10, limits=httpx.Limits(max_connections=1)) as h:
            while time.monotonic() < stop:
                value += 1
                counted = time.monotonic() >= begin
                t = time.perf_counter()
                try:
                    r = await h.patch(path, json={"version": version, "actual": value}, headers=headers)
                except httpx.HTTPError:
                    errors += 1
                    continue
                if counted:
                    latencies.append(time.perf_counter() - t)
                if r.status_code == 200:
                    version = r.json()["version"]
                else:
                    errors += 1

    await asyncio.gather(*[worker(c) for c in clients])
    latencies.sort()
    p99 = latencies[int(len(latencies) * 0.99) - 1] if latencies else float("nan")
    return {"rps": round(len(latencies) / seconds, 1), "p99_ms": round(p99 * 1000, 1), "errors": errors}


def start_server(args: list[str], env: dict, port: int) -> subprocess.Popen:
    proc = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)
    import socket

    for _ in range(120):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return proc
        except OSError:
            time.sleep(0.25)
    raise RuntimeError("server did not start")


async def prepare_clients(url: str, n: int) -> tuple[list[dict], str, int]:
    """n leads, each with a token and a goal of their own unit's item; a supervisor token."""
    import asyncpg
    import hashlib

    con = await asyncpg.connect(url)
    rows = await con.fetch(
        "SELECT DISTINCT ON (w.lead_unit) g.id AS goal, g.version, w.lead_unit AS unit FROM goal g JOIN work_item w ON w.id = g.item ORDER BY w.lead_unit, g.id LIMIT $1", n)
    clients = []
    expires = dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=2)
    for k, r in enumerate(rows):
        uid = await con.fetchval("INSERT INTO app_user (username, display_name, role, unit, password_hash, active, created_at, version) "
                                 "VALUES ($1, $1, 'lead', $2, 'x', true, now(), 1) RETURNING id", f"bench{k}", r["unit"])
        token = secrets.token_urlsafe(16)
        await con.execute("INSERT INTO auth_token (token_hash, \"user\", kind, created_at, expires_at) VALUES ($1, $2, 'api', now(), $3)",
                          hashlib.sha256(token.encode()).hexdigest(), uid, expires)
        clients.append({"goal": r["goal"], "version": r["version"], "token": token})
    sup = await con.fetchval("INSERT INTO app_user (username, display_name, role, password_hash, active, created_at, version) "
                             "VALUES ('benchsup', '督查', 'supervisor', 'x', true, now(), 1) RETURNING id")
    sup_token = secrets.token_urlsafe(16)
    await con.execute("INSERT INTO auth_token (token_hash, \"user\", kind, created_at, expires_at) VALUES ($1, $2, 'api', now(), $3)",
                      hashlib.sha256(sup_token.encode()).hexdigest(), sup, expires)
    busiest = await con.fetchval("SELECT lead_unit FROM work_item WHERE kind = 'item' AND deadline < now() GROUP BY lead_unit ORDER BY COUNT(*) DESC LIMIT 1")
    await con.close()
    return clients, sup_token, busiest


async def refresh_versions(url: str, clients: list[dict]) -> None:
    import asyncpg

    con = await asyncpg.connect(url)
    for c in clients:
        c["version"] = await con.fetchval("SELECT version FROM goal WHERE id = $1", c["goal"])
    await con.close()


async def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--small", action="store_true", help="a smoke run: small data, short load")
    ap.add_argument("--database-url", default=None, help="an empty throw-away PostgreSQL database instead of starting one")
    ap.add_argument("--seconds", type=float, default=None, help="load duration per HTTP benchmark (default 30, --small 5)")
    ap.add_argument("--skip-10x", action="store_true", help="skip the 10× memory run")
    args = ap.parse_args()
    seconds = args.seconds or (5 if args.small else 30)
    sizes = (50, 2_000, 10) if args.small else (1_000, 100_000, 20)

    pg = None
    if args.database_url:
        url = args.database_url
    else:
        pg = Postgres().start()
        url = pg.url
    procs = []
    result: dict = {}
    try:
        migrate(url)
        gen = await generate(url, *sizes)
        print(f"data: {gen}", flush=True)
        result.update(await bench_publish_and_scan(url))
        result["publish_peak_mb_1x"] = result.pop("publish_peak_mb")

        clients, sup_token, busiest = await prepare_clients(url, 32)
        env = {**os.environ, "CLOSEDLOOP_DATABASE_URL": url, "CLOSEDLOOP_SCHEDULER": "off", "CLOSEDLOOP_SECRET_KEY": "bench"}
        env.pop("PICCOLO_CONF", None)
        port = free_port()
        # no access log: the bare endpoint has none either (uvicorn --log-level warning)
        procs.append(start_server([sys.executable, "-m", "closedloop.cli", "serve", "--no-access-log", "--port", str(port)], env, port))
        ours = await http_load(f"http://127.0.0.1:{port}", clients, seconds, with_auth=True)
        await refresh_versions(url, clients)
        # one client alone: the request's own latency, without 31 others queued ahead of it
        alone = await http_load(f"http://127.0.0.1:{port}", clients[:1], min(seconds, 10), with_auth=True)
        lat = []
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as h:
            for _ in range(50 if args.small else 300):
                t = time.perf_counter()
                r = await h.get(f"/api/v1/supervision/overdue?unit_id={busiest}&page_size=50", headers={"Authorization": f"Bearer {sup_token}"})
                lat.append(time.perf_counter() - t)
                assert r.status_code == 200, r.text
            # the cockpit: every count, trend and cadence figure for the whole district
            cockpit_lat = []
            for _ in range(20 if args.small else 100):
                t = time.perf_counter()
                r = await h.get("/api/v1/cockpit", headers={"Authorization": f"Bearer {sup_token}"})
                cockpit_lat.append(time.perf_counter() - t)
                assert r.status_code == 200, r.text
        lat.sort()
        cockpit_lat.sort()
        procs.pop().terminate()
        await refresh_versions(url, clients)
        bare_port = free_port()
        procs.append(start_server([sys.executable, "-m", "uvicorn", "benchmarks.bare_app:app", "--port", str(bare_port), "--log-level", "warning"], env, bare_port))
        bare = await http_load(f"http://127.0.0.1:{bare_port}", clients, seconds, with_auth=False)
        procs.pop().terminate()
        result.update(
            update_rps=ours["rps"], update_p99_ms=ours["p99_ms"], update_errors=ours["errors"] + alone["errors"],
            update_p99_ms_1_client=alone["p99_ms"],
            update_bare_rps=bare["rps"], update_ratio=round(ours["rps"] / bare["rps"], 2) if bare["rps"] else None,
            overdue_p99_ms=round(lat[int(len(lat) * 0.99) - 1] * 1000, 1),
            cockpit_p95_ms=round(cockpit_lat[int(len(cockpit_lat) * 0.95) - 1] * 1000, 1),
        )
        if not args.skip_10x:
            import asyncpg

            con = await asyncpg.connect(url)
            await con.execute("DROP DATABASE IF EXISTS bench10")
            await con.execute("CREATE DATABASE bench10")
            await con.close()
            url10 = url.rsplit("/", 1)[0] + "/bench10"
            migrate(url10)
            await generate(url10, sizes[0], sizes[1] * 10, sizes[2])
            result["publish_peak_mb_10x"] = (await bench_publish_and_scan(url10, peak_only=True))["publish_peak_mb"]
    finally:
        for p in procs:
            p.terminate()
        if pg:
            pg.stop()
    print()
    print(f"{'measure':<24}{'closedloop':>14}{'bare':>12}{'ratio':>8}")
    print(f"{'publish (s)':<24}{result['publish_s']:>14}{result['publish_bare_s']:>12}{result['publish_ratio']:>8}")
    print(f"{'scan (s)':<24}{result['scan_s']:>14}{result['scan_bare_s']:>12}{result['scan_ratio']:>8}")
    print(f"{'scan, nothing changed (s)':<24}{result['scan_steady_s']:>14}")
    print(f"{'update (req/s)':<24}{result['update_rps']:>14}{result['update_bare_rps']:>12}{str(result['update_ratio']):>8}")
    print(f"{'update p99 (ms)':<24}{result['update_p99_ms']:>14}")
    print(f"{'update p99, 1 client (ms)':<24}{result['update_p99_ms_1_client']:>14}")
    print(f"{'update errors':<24}{result['update_errors']:>14}")
    print(f"{'overdue list p99 (ms)':<24}{result['overdue_p99_ms']:>14}")
    print(f"{'cockpit p95 (ms)':<24}{result['cockpit_p95_ms']:>14}")
    print(f"{'publish peak MB 1x':<24}{result['publish_peak_mb_1x']:>14}")
    if "publish_peak_mb_10x" in result:
        print(f"{'publish peak MB 10x':<24}{result['publish_peak_mb_10x']:>14}")
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
