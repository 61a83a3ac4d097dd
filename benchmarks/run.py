#!/usr/bin/env python3
"""closedloop at city scale, each figure beside a bare implementation of the same work.

Starts its own PostgreSQL on loopback (or uses --database-url: an empty, throw-away database on a
server where it may create more databases), builds the data set with generate.py, and measures:

  publish   one 晾晒 edition (metrics SQL, scoring, Markdown/HTML, hash, store) vs the bare metrics
            SQL, median of three periods; and the first edition after start-up (cold)
  scan      the deadline scan's light refresh over all items vs two bare SQL UPDATEs (goal lights,
            then item lights and completion); three rounds, the median of the three ratios
  update    a lead's goal update over HTTP: a 进度填报 of one goal value (dated ledger entry,
            actual, audit, light refresh) with a bearer token, vs a bare Litestar + asyncpg
            endpoint doing a versioned UPDATE of the goal's actual. Closed loop (32 clients),
            one client alone, and an open loop at a fixed offered rate of half the bare
            endpoint's closed-loop throughput (latency from each request's scheduled send time)
  workers   the closed-loop update throughput of ``serve --workers 2`` against one worker
  overdue   the supervisor's overdue list, first page, filtered by unit: p99 latency
  cockpit   GET /api/v1/cockpit and the /cockpit page (whole district): p95 latency (goal < 300 ms)
  upload    a 500-row Excel 台账 previewed and applied (benchmarks/ledger_upload.py, own database)
  import    the largest plan in ../shared/plans through the real importer (own database)
  memory    peak Python memory (tracemalloc) of publishing at 1× and 10× the data

``--monday`` runs the Monday-morning scenario instead: every unit uploads its weekly 100-row 台账
(previewed, then applied) at evenly spread times within a window (10 minutes at city scale) while
leads browse and the scan runs, then the week's edition publishes.

Prints a table and, as its last line, one JSON object.   python benchmarks/run.py [--small] [--monday]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import hashlib
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

from benchmarks.appdb import use_database  # noqa: E402
from benchmarks.generate import generate  # noqa: E402
from benchmarks.pg import Postgres, free_port  # noqa: E402

# ../shared/plans, found from the repository or any parent folder (git worktrees sit deeper)
PLANS = next((p / "shared" / "plans" for p in ROOT.parents if (p / "shared" / "plans").is_dir()), ROOT.parent / "shared" / "plans")

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


TEMPLATE_DB = "benchtemplate"


async def fresh_database(url: str, name: str) -> str:
    """An empty, migrated database ``name`` on the same server; returns its URL. The first call
    migrates a template database; the others copy it (``closedloop migrate`` in a new process
    took 10-15 s on the loaded machine, a copy of the empty schema well under a second)."""
    import asyncpg

    base = url.rsplit("/", 1)[0]
    con = await asyncpg.connect(url)
    try:
        if not await con.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", TEMPLATE_DB):
            await con.execute(f"CREATE DATABASE {TEMPLATE_DB}")
            migrate(f"{base}/{TEMPLATE_DB}")
        await con.execute(f"DROP DATABASE IF EXISTS {name}")
        await con.execute(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE_DB}")
    finally:
        await con.close()
    return f"{base}/{name}"


def pct(values: list[float], q: float) -> float:
    """The q-quantile (nearest rank) of ``values``, in ms."""
    if not values:
        return float("nan")
    v = sorted(values)
    return round(v[max(0, min(len(v) - 1, int(len(v) * q + 0.999999) - 1))] * 1000, 1)


async def bench_publish_and_scan(url: str, peak_only: bool = False) -> dict:
    import asyncpg

    async with use_database(url):
        from closedloop.db import sql
        from closedloop.services import lights, metrics, publishing

        out = {}
        today = dt.date.today()
        period = publishing.latest_due_period("weekly", dt.datetime.now(dt.timezone.utc))
        periods = [period]
        for _ in range(3):
            periods.append(publishing.previous_period("weekly", periods[-1]))
        # the oldest of four due periods first: the first edition after start-up (cold caches),
        # and the peak memory
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
        # (the first edition was timed with tracemalloc on, which slows Python down: the first
        # edition after start-up is timed again in a fresh process, bench_first_publish)
        out.update(publish_s=round(ours, 3), publish_bare_s=round(bare, 3), publish_ratio=round(ours / bare, 2),
                   publish_first_traced_s=round(first, 3))

        # Each side starts from the same state: every light cleared (so every row changes, the
        # worst case) and the two tables vacuumed, so neither pays for the other's dead rows.
        con = await asyncpg.connect(url)

        async def cleared():
            await con.execute("UPDATE goal SET light = NULL; UPDATE work_item SET light = NULL, completion = NULL")
            await con.execute("VACUUM goal")
            await con.execute("VACUUM work_item")

        bare_times, our_times, ratios = [], [], []
        for _ in range(3):
            await cleared()
            t = time.perf_counter()
            for statement in BARE_LIGHTS_SQL:
                await con.execute(statement, today)
            bare_times.append(time.perf_counter() - t)
            await cleared()
            t = time.perf_counter()
            await lights.refresh(today)
            our_times.append(time.perf_counter() - t)
            ratios.append(our_times[-1] / bare_times[-1])
        # the scan as it runs every 15 minutes: recomputes every light, writes what changed
        t = time.perf_counter()
        await lights.refresh(today)
        steady = time.perf_counter() - t
        await con.close()
        out.update(scan_s=round(statistics.median(our_times), 3), scan_bare_s=round(statistics.median(bare_times), 3),
                   scan_ratio=round(statistics.median(ratios), 2), scan_ratios=[round(r, 2) for r in ratios],
                   scan_steady_s=round(steady, 3))
    return out


async def bench_first_publish(url: str) -> float:
    """The first edition after start-up: a new Python process (empty caches, a new pool)
    publishes a 更正 of the latest due edition (the whole publication again, as a new
    edition). PostgreSQL itself keeps running, so its buffers are warm."""
    p = await asyncio.create_subprocess_exec(
        sys.executable, "-c", "import asyncio; from benchmarks.run import first_publish; asyncio.run(first_publish())",
        env=server_env(url), cwd=ROOT, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await p.communicate()
    if p.returncode != 0:
        raise RuntimeError(err.decode()[-3000:])
    return float(out.decode().split()[-1])


async def first_publish() -> None:
    """(In the fresh process) time the edition and print the seconds."""
    async with use_database(os.environ["CLOSEDLOOP_DATABASE_URL"]):
        from closedloop.db import sql
        from closedloop.services import publishing

        t = time.perf_counter()  # the modules are loaded and the pool started, as in a started server
        period = publishing.latest_due_period("weekly", dt.datetime.now(dt.timezone.utc))
        row = await sql.fetch_one("SELECT id FROM publication WHERE cadence = 'weekly' AND period = {} ORDER BY id DESC LIMIT 1", period)
        await publishing.publish("weekly", period, correct=row["id"] if row else None, reason="基准测试：启动后的第一期")
    print(round(time.perf_counter() - t, 3))


async def bench_import(url: str) -> dict:
    """The largest plan file in ../shared/plans through the real importer (parse and store)."""
    files = sorted((p for p in PLANS.glob("*") if p.suffix in (".txt", ".md", ".docx", ".pdf")), key=lambda p: p.stat().st_size)
    if not files:
        return {"import_largest_s": None, "import_file": None}
    largest = files[-1]
    async with use_database(url):
        from closedloop.services import plans
        from closedloop.services.common import Actor

        actor = Actor(id=None, username="bench", role="admin", display_name="基准测试")
        t = time.perf_counter()
        out = await plans.import_file(actor, largest.name, largest.read_bytes())
        took = time.perf_counter() - t
    return {"import_largest_s": round(took, 3), "import_file": largest.name, "import_kb": round(largest.stat().st_size / 1024, 1),
            "import_items": out.get("items") if isinstance(out, dict) else None}


async def bench_upload(url: str) -> dict:
    from benchmarks import ledger_upload

    r = await ledger_upload.bench(url)
    return {"upload_preview_s": r["preview_s"], "upload_apply_s": r["apply_s"], "upload_again_s": r["again_s"],
            "upload_500_s": max(r["preview_s"], r["apply_s"]), "upload_rows": r["rows"]}


# ---------------------------------------------------------------------------
# HTTP load

WARM_UP_S = 2.0


def report_period() -> str:
    """This week's period key (the lead's weekly 进度填报)."""
    from closedloop.domain import periods
    from closedloop.services.common import Clock

    return periods.containing("weekly", Clock.today()).key


async def send_report(h: httpx.AsyncClient, c: dict, n: int) -> bool:
    """A lead's goal update: this week's 进度填报 of the goal's value (a 更正 after the first)."""
    r = await h.post(
        f"/api/v1/items/{c['item']}/reports",
        json={"period": c["period"], "narrative": "按计划推进。", "reason": "基准测试更正", "goals": [{"goal_id": c["goal"], "value": float(n % 100)}]},
        headers={"Authorization": f"Bearer {c['token']}"},
    )
    return r.status_code in (200, 201)


async def send_bare(h: httpx.AsyncClient, c: dict, n: int) -> bool:
    r = await h.patch(f"/goals/{c['goal']}", json={"version": c["version"], "actual": float(n % 100)})
    if r.status_code == 200:
        c["version"] = r.json()["version"]
        return True
    return False


async def closed_loop(base: str, clients: list[dict], seconds: float, send) -> dict:
    """Each client sends its next request when the last one answered, for ``WARM_UP_S`` +
    ``seconds``; only requests that start after the warm-up count (a fresh server prepares its
    statements on the first requests of each connection)."""
    latencies: list[float] = []
    errors = 0
    begin = time.monotonic() + WARM_UP_S
    stop = begin + seconds

    async def worker(c: dict):
        nonlocal errors
        n = 0
        async with httpx.AsyncClient(base_url=base, timeout=30, limits=httpx.Limits(max_connections=1)) as h:
            while time.monotonic() < stop:
                n += 1
                counted = time.monotonic() >= begin
                t = time.perf_counter()
                try:
                    ok = await send(h, c, n)
                except httpx.HTTPError:
                    ok = False
                if counted:
                    latencies.append(time.perf_counter() - t)
                errors += not ok

    await asyncio.gather(*[worker(c) for c in clients])
    return {"rps": round(len(latencies) / seconds, 1), "p99_ms": pct(latencies, 0.99), "p50_ms": pct(latencies, 0.5), "errors": errors}


async def open_loop(base: str, clients: list[dict], rate: float, seconds: float, send, connections: int = 64) -> dict:
    """Requests on a fixed schedule (``rate`` per second), whatever the server's pace, over
    ``connections`` keep-alive connections: each connection takes the next scheduled request,
    waits for its time if it is early, and sends it. Each latency counts from the request's
    scheduled send time, so time spent queued (behind busy connections or in the server) is
    counted, not hidden."""
    loop = asyncio.get_running_loop()
    n = max(1, int(rate * seconds))
    latencies: list[float] = []
    errors = 0
    next_k = 0
    # the clients exist before the schedule starts (making one costs milliseconds of CPU: its
    # TLS context), and each opens its connection with a first request that is not counted
    pool = [httpx.AsyncClient(base_url=base, timeout=30, limits=httpx.Limits(max_connections=1)) for _ in range(connections)]
    await asyncio.gather(*[h.get("/favicon.ico") for h in pool], return_exceptions=True)
    start = loop.time() + 0.2

    async def connection(h: httpx.AsyncClient) -> None:
        nonlocal errors, next_k
        try:
            while next_k < n:
                k, next_k = next_k, next_k + 1
                at = start + k / rate
                await asyncio.sleep(max(0.0, at - loop.time()))
                try:
                    ok = await send(h, clients[k % len(clients)], k)
                except httpx.HTTPError:
                    ok = False
                latencies.append(loop.time() - at)
                errors += not ok
        finally:
            await h.aclose()

    await asyncio.gather(*[connection(h) for h in pool])
    return {"rate": round(rate, 1), "sent": n, "p99_ms": pct(latencies, 0.99), "p50_ms": pct(latencies, 0.5), "errors": errors}


def start_server(args: list[str], env: dict, port: int, ready_path: str = "/healthz") -> subprocess.Popen:
    """Start a server and return once it answers ``ready_path``: the port opens before the
    application has loaded (imports take over ten seconds on the loaded machine), and a closed
    loop started then measured the start-up (a smoke run's update figure was 4 req/s)."""
    proc = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT, start_new_session=True)
    for _ in range(480):
        try:
            if httpx.get(f"http://127.0.0.1:{port}{ready_path}", timeout=5).status_code < 500:
                return proc
        except httpx.HTTPError:
            pass
        if proc.poll() is not None:
            break
        time.sleep(0.25)
    raise RuntimeError("server did not start")


def stop_server(proc: subprocess.Popen) -> None:
    """Stop a server and its workers (its own process group, started for it)."""
    import signal

    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)


async def new_token(con, user_id: int, expires: dt.datetime) -> str:
    token = secrets.token_urlsafe(16)
    await con.execute("INSERT INTO auth_token (token_hash, \"user\", kind, created_at, expires_at) VALUES ($1, $2, 'api', now(), $3)",
                      hashlib.sha256(token.encode()).hexdigest(), user_id, expires)
    return token


async def prepare_clients(url: str, n: int) -> tuple[list[dict], str, int]:
    """n leads, each with a token and a goal of their own unit's item; a supervisor token."""
    import asyncpg

    con = await asyncpg.connect(url)
    rows = await con.fetch(
        "SELECT DISTINCT ON (w.lead_unit) g.id AS goal, g.item, g.version, w.lead_unit AS unit FROM goal g JOIN work_item w ON w.id = g.item "
        "WHERE w.stage NOT IN ('close', 'review', 'archived') ORDER BY w.lead_unit, g.id LIMIT $1", n)
    clients = []
    expires = dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=3)
    period = report_period()
    for k, r in enumerate(rows):
        uid = await con.fetchval("INSERT INTO app_user (username, display_name, role, unit, password_hash, active, created_at, version) "
                                 "VALUES ($1, $1, 'lead', $2, 'x', true, now(), 1) RETURNING id", f"bench{k}", r["unit"])
        clients.append({"goal": r["goal"], "item": r["item"], "version": r["version"], "token": await new_token(con, uid, expires), "period": period})
    sup = await con.fetchval("INSERT INTO app_user (username, display_name, role, password_hash, active, created_at, version) "
                             "VALUES ('benchsup', '督查', 'supervisor', 'x', true, now(), 1) RETURNING id")
    sup_token = await new_token(con, sup, expires)
    busiest = await con.fetchval("SELECT lead_unit FROM work_item WHERE kind = 'item' AND deadline < now() GROUP BY lead_unit ORDER BY COUNT(*) DESC LIMIT 1")
    await con.close()
    return clients, sup_token, busiest


async def bare_goals(url: str, n: int) -> list[dict]:
    """n distinct goals with their versions: the open loop sends requests concurrently, and
    two in flight on one goal would be a version conflict."""
    import asyncpg

    con = await asyncpg.connect(url)
    rows = await con.fetch("SELECT id AS goal, version FROM goal WHERE item IS NOT NULL ORDER BY id DESC LIMIT $1", n)
    await con.close()
    return [dict(r) for r in rows]


async def refresh_versions(url: str, clients: list[dict]) -> None:
    import asyncpg

    con = await asyncpg.connect(url)
    for c in clients:
        c["version"] = await con.fetchval("SELECT version FROM goal WHERE id = $1", c["goal"])
    await con.close()


async def timed_gets(base: str, path: str, n: int, headers: dict | None = None, cookies: dict | None = None) -> list[float]:
    lat = []
    async with httpx.AsyncClient(base_url=base, timeout=30, headers=headers, cookies=cookies) as h:
        for _ in range(n):
            t = time.perf_counter()
            r = await h.get(path)
            lat.append(time.perf_counter() - t)
            assert r.status_code == 200, (path, r.status_code, r.text[:500])
    return lat


def server_env(url: str) -> dict:
    env = {**os.environ, "CLOSEDLOOP_DATABASE_URL": url, "CLOSEDLOOP_SCHEDULER": "off", "CLOSEDLOOP_SECRET_KEY": "bench" * 8}
    env.pop("PICCOLO_CONF", None)
    return env


def serve(url: str, workers: int = 1) -> tuple[subprocess.Popen, str]:
    port = free_port()
    # no access log: the bare endpoint has none either (uvicorn --log-level warning)
    proc = start_server([sys.executable, "-m", "closedloop.cli", "serve", "--no-access-log", "--port", str(port), "--workers", str(workers)],
                        server_env(url), port)
    if workers > 1:  # the first worker answered; give the others the time it took to load
        time.sleep(10)
    return proc, f"http://127.0.0.1:{port}"


async def bench_http(url: str, seconds: float, small: bool, procs: list) -> dict:
    clients, sup_token, busiest = await prepare_clients(url, 32)
    out: dict = {}

    # the bare endpoint first: its closed-loop throughput sets the open loop's offered rate
    bare_port = free_port()
    proc = start_server([sys.executable, "-m", "uvicorn", "benchmarks.bare_app:app", "--port", str(bare_port), "--log-level", "warning"],
                        server_env(url), bare_port)
    procs.append(proc)
    bare_base = f"http://127.0.0.1:{bare_port}"
    bare = await closed_loop(bare_base, clients, seconds, send_bare)
    rate = bare["rps"] / 2
    bare_open = await open_loop(bare_base, await bare_goals(url, int(rate * seconds) + 10), rate, seconds, send_bare)
    await refresh_versions(url, clients)
    bare_alone = await closed_loop(bare_base, clients[:1], min(seconds, 10), send_bare)
    stop_server(procs.pop())

    proc, base = serve(url, 1)
    procs.append(proc)
    ours = await closed_loop(base, clients, seconds, send_report)
    # one client alone: the request's own latency, without 31 others queued ahead of it
    alone = await closed_loop(base, clients[:1], min(seconds, 10), send_report)
    ours_open = await open_loop(base, clients, rate, seconds, send_report)
    sup = {"Authorization": f"Bearer {sup_token}"}
    overdue = await timed_gets(base, f"/api/v1/supervision/overdue?unit_id={busiest}&page_size=50", 50 if small else 300, headers=sup)
    # the cockpit: every count, trend and cadence figure for the whole district, as JSON and as the page
    cockpit = await timed_gets(base, "/api/v1/cockpit", 20 if small else 60, headers=sup)
    page = await timed_gets(base, "/cockpit", 20 if small else 60, cookies={"closedloop_session": sup_token})
    stop_server(procs.pop())

    # the same closed loop against two workers
    proc, base = serve(url, 2)
    procs.append(proc)
    two = await closed_loop(base, clients, seconds, send_report)
    stop_server(procs.pop())

    out.update(
        update_rps=ours["rps"], update_p99_ms=ours["p99_ms"], update_p50_ms=ours["p50_ms"],
        update_bare_rps=bare["rps"], update_bare_p99_ms=bare["p99_ms"],
        update_ratio=round(ours["rps"] / bare["rps"], 2) if bare["rps"] else None,
        update_p99_ms_1_client=alone["p99_ms"], update_bare_p99_ms_1_client=bare_alone["p99_ms"],
        update_open_rate=round(rate, 1), update_p99_open_ms=ours_open["p99_ms"], update_p50_open_ms=ours_open["p50_ms"],
        update_bare_p99_open_ms=bare_open["p99_ms"], update_bare_p50_open_ms=bare_open["p50_ms"],
        update_errors=ours["errors"] + alone["errors"] + ours_open["errors"] + two["errors"],
        update_bare_errors=bare["errors"] + bare_open["errors"] + bare_alone["errors"],
        update_rps_2_workers=two["rps"], workers_ratio=round(two["rps"] / ours["rps"], 2) if ours["rps"] else None,
        overdue_p99_ms=pct(overdue, 0.99),
        cockpit_p95_ms=pct(cockpit, 0.95), cockpit_page_p95_ms=pct(page, 0.95),
    )
    return out


# ---------------------------------------------------------------------------
# Monday morning


async def monday(url: str, units: int, window: float, rows: int, workers: int, procs: list) -> dict:
    """Every unit previews and applies its weekly 台账 (``rows`` filled rows) at evenly spread
    times within ``window`` seconds, while leads browse (one list request a second from each of
    8 leads), a supervisor watches the cockpit and the scan runs; then the edition publishes."""
    import asyncpg

    from benchmarks import ledger_upload

    expires = dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=6)
    t0 = time.perf_counter()
    files: list[tuple[str, bytes]] = []
    async with use_database(url):
        from closedloop.services import ledger_xlsx

        con = await asyncpg.connect(url)
        unit_ids = [r["id"] for r in await con.fetch("SELECT id FROM unit ORDER BY id LIMIT $1", units)]
        period = ledger_xlsx.reporting_period(None)
        for u in unit_ids:
            uid = await con.fetchval("INSERT INTO app_user (username, display_name, role, unit, password_hash, active, created_at, version) "
                                     "VALUES ($1, $1, 'lead', $2, 'x', true, now(), 1) RETURNING id", f"monday{u}", u)
            token = await new_token(con, uid, expires)
            # the unit's own template, as the download builds it (without the latest-value column,
            # which the upload does not read: it saves a second per unit here), filled with openpyxl
            content = ledger_xlsx.build_workbook(await ledger_xlsx.load_scope(u), period)
            filled, _n = ledger_upload.fill(content, rows)
            files.append((token, filled))
        sup = await con.fetchval("INSERT INTO app_user (username, display_name, role, password_hash, active, created_at, version) "
                                 "VALUES ('mondaysup', '督查', 'supervisor', 'x', true, now(), 1) RETURNING id")
        sup_token = await new_token(con, sup, expires)
        await con.close()
    setup_s = time.perf_counter() - t0

    proc, base = serve(url, workers)
    procs.append(proc)
    loop = asyncio.get_running_loop()
    start = loop.time() + 1.0
    uploads: list[float] = []
    browse: list[float] = []
    scans: list[float] = []
    errors = 0
    failures: list[str] = []
    last_done = 0.0
    done = asyncio.Event()
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

    async with httpx.AsyncClient(base_url=base, timeout=300, limits=httpx.Limits(max_connections=1024, max_keepalive_connections=64)) as h:

        async def upload(k: int, token: str, content: bytes) -> None:
            nonlocal errors, last_done
            at = start + window * k / len(files)
            await asyncio.sleep(max(0.0, at - loop.time()))
            headers = {"Authorization": f"Bearer {token}"}
            try:
                for apply in ("false", "true"):
                    r = await h.post("/api/v1/ledger/upload", files={"file": ("台账.xlsx", content, xlsx)}, data={"apply": apply}, headers=headers)
                    if r.status_code != 200 or not r.json().get("ok"):
                        errors += 1
                        failures.append(f"upload {k} apply={apply}: {r.status_code} {r.text[:300]}")
                        break
            except httpx.HTTPError as exc:
                errors += 1
                failures.append(f"upload {k}: {exc!r}")
            uploads.append(loop.time() - at)
            last_done = max(last_done, loop.time())

        async def browser(k: int) -> None:
            nonlocal errors
            token = files[k * len(files) // 8][0]
            while not done.is_set():
                t = loop.time()
                try:
                    r = await h.get("/api/v1/items?page_size=50", headers={"Authorization": f"Bearer {token}"})
                    if r.status_code != 200:
                        errors += 1
                        failures.append(f"browse: {r.status_code} {r.text[:300]}")
                except httpx.HTTPError as exc:
                    errors += 1
                    failures.append(f"browse: {exc!r}")
                browse.append(loop.time() - t)
                await asyncio.sleep(1.0)

        async def supervisor() -> None:
            nonlocal errors
            while not done.is_set():
                t = loop.time()
                try:
                    r = await h.get("/api/v1/cockpit", headers={"Authorization": f"Bearer {sup_token}"})
                    if r.status_code != 200:
                        errors += 1
                        failures.append(f"cockpit: {r.status_code} {r.text[:300]}")
                except httpx.HTTPError as exc:
                    errors += 1
                    failures.append(f"cockpit: {exc!r}")
                browse.append(loop.time() - t)
                await asyncio.sleep(5.0)

        async def scanner() -> None:
            """The deadline scan, as the scheduler runs it (in its own process here), at the
            start of the window and then every third of it."""
            nonlocal errors
            env = server_env(url)
            while not done.is_set():
                t = loop.time()
                p = await asyncio.create_subprocess_exec(sys.executable, "-c", "import asyncio; from benchmarks.run import run_scan; asyncio.run(run_scan())",
                                                         env=env, cwd=ROOT, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
                _, err = await p.communicate()
                if p.returncode != 0:
                    errors += 1
                    failures.append(f"scan: {err.decode()[-1500:]}")
                scans.append(loop.time() - t)
                try:
                    await asyncio.wait_for(done.wait(), timeout=window / 3)
                except asyncio.TimeoutError:
                    pass

        async with use_database(url):  # the publisher's engine, ready before the morning starts
            from closedloop.services import publishing

            background = [asyncio.create_task(browser(k)) for k in range(8)] + [asyncio.create_task(supervisor()), asyncio.create_task(scanner())]
            await asyncio.gather(*[upload(k, tok, c) for k, (tok, c) in enumerate(files)])
            # the edition as soon as the last upload has answered, the server and the leads still there
            publish_started = loop.time()
            await publishing.publish("weekly", publishing.latest_due_period("weekly", dt.datetime.now(dt.timezone.utc)))
            published = loop.time()
            done.set()
            await asyncio.gather(*background)
    stop_server(procs.pop())
    for f in failures[:20]:
        print("Monday error:", f, file=sys.stderr)
    return {
        "monday_units": len(files), "monday_rows_per_upload": rows, "monday_window_s": window, "monday_workers": workers,
        "monday_setup_s": round(setup_s, 1),
        "monday_upload_slowest_s": round(max(uploads), 2), "monday_upload_p95_s": round(pct(uploads, 0.95) / 1000, 2),
        "monday_upload_median_s": round(statistics.median(uploads), 2),
        "monday_browse_p95_ms": pct(browse, 0.95), "monday_scans": len(scans), "monday_scan_slowest_s": round(max(scans), 2) if scans else None,
        "monday_publish_after_last_upload_s": round(published - last_done, 2), "monday_publish_s": round(published - publish_started, 2),
        "monday_errors": errors,
    }


async def run_scan() -> None:
    """One deadline scan against CLOSEDLOOP_DATABASE_URL (the Monday scenario's scanner)."""
    os.environ["PICCOLO_CONF"] = "closedloop.db.piccolo_conf"
    from closedloop.db.engine import close_engine, prepare_engine
    from closedloop.services import scan

    await prepare_engine()
    try:
        await scan.scan()
    finally:
        await close_engine()


# ---------------------------------------------------------------------------


def row(name: str, ours, bare="", ratio="", goal="") -> str:
    return f"{name:<44}{str(ours):>12}{str(bare):>12}{str(ratio):>8}  {goal}"


def print_table(r: dict) -> None:
    print()
    print(row("measure", "closedloop", "bare", "ratio", "goal"))
    if "publish_s" in r:
        print(row("publish one edition (s, median of 3)", r["publish_s"], r["publish_bare_s"], r["publish_ratio"], "≤ 1.5×, < 2 s"))
        print(row("publish, first edition after start-up (s)", r["publish_first_s"], "", "", "< 2 s"))
        print(row("scan, every light changes (s, median of 3)", r["scan_s"], r["scan_bare_s"], r["scan_ratio"], "≤ 1.5× (median ratio)"))
        print(row("  the three ratios", " ".join(map(str, r["scan_ratios"]))))
        print(row("scan, nothing changes (s)", r["scan_steady_s"]))
    if "update_rps" in r:
        print(row("update, 32 clients closed loop (req/s)", r["update_rps"], r["update_bare_rps"], r["update_ratio"], "≥ 0.7×"))
        print(row("update p99, 32 clients (ms)", r["update_p99_ms"], r["update_bare_p99_ms"]))
        print(row(f"update p99, open loop {r['update_open_rate']}/s (ms)", r["update_p99_open_ms"], r["update_bare_p99_open_ms"], "", "≤ 50 ms"))
        print(row("update p50, open loop (ms)", r["update_p50_open_ms"], r["update_bare_p50_open_ms"]))
        print(row("update p99, one client (ms)", r["update_p99_ms_1_client"], r["update_bare_p99_ms_1_client"]))
        print(row("update errors", r["update_errors"], r["update_bare_errors"], "", "0"))
        print(row("update, serve --workers 2 (req/s)", r["update_rps_2_workers"], r["update_rps"], r["workers_ratio"], "≥ 1.6× with the cores"))
        print(f"  (the 'bare' column of that row is one worker; this machine has {os.cpu_count()} cores for the load generator,")
        print("   PostgreSQL and the workers together, so a second worker has no core of its own: see docs/performance.md)")
        print(row("overdue list p99 (ms)", r["overdue_p99_ms"], "", "", "≤ 50 ms"))
        print(row("GET /api/v1/cockpit p95 (ms)", r["cockpit_p95_ms"], "", "", "< 300 ms"))
        print(row("/cockpit page p95 (ms)", r["cockpit_page_p95_ms"], "", "", "< 300 ms"))
    if "upload_500_s" in r:
        print(row("台账 500 rows: preview / apply (s)", f"{r['upload_preview_s']} / {r['upload_apply_s']}", "", "", "< 2 s each"))
    if "import_largest_s" in r:
        print(row(f"import {r['import_file']} (s)", r["import_largest_s"], "", "", "< 1 s"))
    if "publish_peak_mb_1x" in r:
        print(row("publish peak MB 1x / 10x", f"{r['publish_peak_mb_1x']} / {r.get('publish_peak_mb_10x', '—')}", "", "", "10× ≤ 1.2 × 1×"))
    if "monday_units" in r:
        print(row(f"Monday: {r['monday_units']} uploads of {r['monday_rows_per_upload']} rows in {r['monday_window_s']:.0f} s", ""))
        print(row("  slowest upload, preview + apply (s)", r["monday_upload_slowest_s"]))
        print(row("  upload p95 / median (s)", f"{r['monday_upload_p95_s']} / {r['monday_upload_median_s']}"))
        print(row("  leads' browsing p95 (ms)", r["monday_browse_p95_ms"]))
        print(row("  scans run / slowest (s)", f"{r['monday_scans']} / {r['monday_scan_slowest_s']}"))
        print(row("  publish after the last upload (s)", r["monday_publish_after_last_upload_s"]))
        print(row("  errors", r["monday_errors"], "", "", "0"))
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores at the end (the machine is shared)")


async def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    ap.add_argument("--small", action="store_true", help="a smoke run: small data, short load")
    ap.add_argument("--database-url", default=None, help="an empty throw-away PostgreSQL database instead of starting one")
    ap.add_argument("--seconds", type=float, default=None, help="load duration per HTTP benchmark (default 30, --small 3)")
    ap.add_argument("--skip-10x", action="store_true", help="skip the 10× memory run")
    ap.add_argument("--monday", action="store_true", help="run the Monday-morning scenario (only)")
    ap.add_argument("--monday-window", type=float, default=None, help="seconds over which the uploads are spread (default 600, --small 60)")
    ap.add_argument("--monday-workers", type=int, default=2, help="serve --workers for the Monday scenario")
    ap.add_argument("--monday-units", type=int, default=None,
                    help="how many units upload (default all); with a window shortened in proportion, the arrival rate stays the same")
    args = ap.parse_args()
    seconds = args.seconds or (3 if args.small else 30)
    sizes = (50, 2_000, 10) if args.small else (1_000, 100_000, 20)
    t_start = time.perf_counter()

    pg = None
    if args.database_url:
        server = args.database_url
    else:
        pg = Postgres().start()
        server = pg.url
    procs: list = []
    result: dict = {}
    try:
        url = await fresh_database(server, "benchcity")
        gen = await generate(url, *sizes)
        print(f"data: {gen}", flush=True)
        if args.monday:
            units = args.monday_units or sizes[0]
            window = args.monday_window or (60 if args.small else 600) * units / sizes[0]
            result.update(await monday(url, units, window, 100, args.monday_workers, procs))
        else:
            result.update(await bench_publish_and_scan(url))
            result["publish_peak_mb_1x"] = result.pop("publish_peak_mb")
            result["publish_first_s"] = round(await bench_first_publish(url), 3)
            print(f"publish and scan done at {time.perf_counter() - t_start:.0f} s", flush=True)
            result.update(await bench_http(url, seconds, args.small, procs))
            print(f"HTTP done at {time.perf_counter() - t_start:.0f} s", flush=True)
            result.update(await bench_upload(await fresh_database(url, "benchupload")))
            result.update(await bench_import(await fresh_database(url, "benchimport")))
            # everything but the 10× memory figure (its data take ten times as long to build)
            print(json.dumps({"partial": True, **result}, ensure_ascii=False), flush=True)
            if not args.skip_10x:
                url10 = await fresh_database(url, "bench10")
                await generate(url10, sizes[0], sizes[1] * 10, sizes[2])
                result["publish_peak_mb_10x"] = (await bench_publish_and_scan(url10, peak_only=True))["publish_peak_mb"]
    finally:
        for p in procs:
            stop_server(p)
        if pg:
            pg.stop()
    result["total_s"] = round(time.perf_counter() - t_start, 1)
    result["load_average"] = round(os.getloadavg()[0], 1)
    print_table(result)
    print(json.dumps(result, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
