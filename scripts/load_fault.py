#!/usr/bin/env python3
"""Load and a database fault on loopback: 100 leads update goals and file reports for 60 s while
editions are published; PostgreSQL is restarted in the middle. Afterwards every acknowledged
write must be stored and every attempted period must have exactly one edition.

Starts its own PostgreSQL 15 (initdb/pg_ctl in a temporary folder, as the `postgres` user when
run as root) and its own `closedloop serve`; stops both. Bounded in time; traffic only to
127.0.0.1. Prints the counts and exits 1 if anything acknowledged was lost or an edition is
duplicated or missing.

    python scripts/load_fault.py [--clients 100] [--seconds 60] [--restart-at 30]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.pg import Postgres, free_port  # noqa: E402  (the same private PostgreSQL helper)


def cli(env: dict, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "closedloop.cli", *args], env=env, capture_output=True, text=True, timeout=timeout)


async def seed(url: str, clients: int) -> list[dict]:
    """Units, leads, one item with a goal per lead; returns the lead logins and goal ids."""
    os.environ["CLOSEDLOOP_DATABASE_URL"] = url
    os.environ["PICCOLO_CONF"] = "closedloop.db.piccolo_conf"
    from closedloop.db.engine import close_engine, prepare_engine
    from closedloop.db.migrate import migrate
    from closedloop.db.tables import Goal, Plan, Unit, User, WorkItem
    from closedloop.services.passwords import hash_password

    await migrate()
    await prepare_engine()
    pw = await hash_password("load-test-pass")
    plan = (await Plan.insert(Plan(title="压力测试计划", year=dt.date.today().year, content_hash="load-test")).returning(Plan.id))[0]["id"]
    out = []
    for n in range(clients):
        unit = (await Unit.insert(Unit(name=f"压测单位{n:03d}")).returning(Unit.id))[0]["id"]
        await User.insert(User(username=f"load{n:03d}", display_name=f"联络员{n}", role="lead", unit=unit, password_hash=pw))
        item = (await WorkItem.insert(WorkItem(plan=plan, code=f"{n}是", title=f"压测事项{n}", lead_unit=unit, responsible_person="张三",
                                               deadline=dt.date(dt.date.today().year, 12, 31))).returning(WorkItem.id))[0]["id"]
        goal = (await Goal.insert(Goal(plan=plan, item=item, subject="指标", measure_unit="个", comparator=">=", baseline=0.0, target=1e6,
                                       deadline=dt.date(dt.date.today().year, 12, 31))).returning(Goal.id))[0]["id"]
        out.append({"username": f"load{n:03d}", "item": item, "goal": goal})
    await close_engine()
    return out


class Stats:
    def __init__(self) -> None:
        self.acknowledged = 0
        self.errors_5xx = 0
        self.unavailable_503 = 0
        self.connection_errors = 0
        self.conflicts = 0
        self.reports: set[int] = set()
        self.last_ack: dict[int, float] = {}
        self.attempted: dict[int, list[float]] = {}


async def lead_client(base: str, lead: dict, stop_at: float, stats: Stats) -> None:
    async with httpx.AsyncClient(base_url=base, timeout=10) as c:
        token = None
        while token is None and time.monotonic() < stop_at:
            try:
                r = await c.post("/api/v1/auth/login", json={"username": lead["username"], "password": "load-test-pass"})
                if r.status_code == 200:
                    token = r.json()["token"]
                else:
                    await asyncio.sleep(0.5)
            except httpx.HTTPError:
                await asyncio.sleep(0.5)
        h = {"Authorization": f"Bearer {token}"}
        version, value = None, 0.0
        goal = lead["goal"]
        stats.attempted[goal] = []
        while time.monotonic() < stop_at:
            try:
                if version is None:
                    r = await c.get(f"/api/v1/goals/{goal}", headers=h)
                    if r.status_code == 200:
                        version = r.json()["version"]
                    else:
                        count_status(r.status_code, stats)
                        await asyncio.sleep(0.2)
                    continue
                value += 1
                stats.attempted[goal].append(value)
                if int(value) % 2:
                    r = await c.patch(f"/api/v1/goals/{goal}", json={"version": version, "actual": value}, headers=h)
                    if r.status_code == 200:
                        stats.acknowledged += 1
                        stats.last_ack[goal] = value
                        version = r.json()["version"]
                        continue
                else:
                    r = await c.post(f"/api/v1/items/{lead['item']}/reports", headers=h,
                                     json={"period": f"{dt.date.today().isocalendar()[0]}-W{dt.date.today().isocalendar()[1]:02d}",
                                           "narrative": f"第 {int(value)} 次填报", "goals": [{"goal_id": goal, "value": value}]})
                    if r.status_code == 201:
                        stats.acknowledged += 1
                        stats.reports.add(r.json()["id"])
                        stats.last_ack[goal] = value
                        version = None  # the report bumped the goal's version
                        continue
                if r.status_code == 409:
                    stats.conflicts += 1
                    version = None
                else:
                    count_status(r.status_code, stats)
                    version = None
                    await asyncio.sleep(0.2)
            except httpx.HTTPError:
                stats.connection_errors += 1
                version = None
                await asyncio.sleep(0.2)


def count_status(status: int, stats: Stats) -> None:
    if status == 503:
        stats.unavailable_503 += 1
    elif status >= 500:
        stats.errors_5xx += 1


async def publisher(env: dict, stop_at: float, periods: list[str], done: list[str]) -> None:
    """Publish one past weekly period after another (two at once each time, to race)."""
    for period in periods:
        if time.monotonic() > stop_at:
            break
        results = await asyncio.gather(*[
            asyncio.to_thread(cli, env, "publish", "--cadence", "weekly", "--period", period) for _ in range(2)
        ])
        if any(r.returncode == 0 for r in results):
            done.append(period)
        else:  # the database was down: try this period again
            await asyncio.sleep(1)
            periods.append(period)
        await asyncio.sleep(2)


async def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clients", type=int, default=100)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--restart-at", type=float, default=30)
    args = ap.parse_args()

    pg = Postgres()
    server = None
    try:
        pg.start(restartable=True)
        print(f"PostgreSQL on 127.0.0.1:{pg.port}", flush=True)
        leads = await seed(pg.url, args.clients)
        port = free_port()
        env = {**os.environ, "CLOSEDLOOP_DATABASE_URL": pg.url, "CLOSEDLOOP_SCHEDULER": "off", "CLOSEDLOOP_LOGIN_MAX_FAILURES": "1000"}
        env.pop("PICCOLO_CONF", None)
        log = open(Path(tempfile.gettempdir()) / "closedloop-load-server.log", "w")
        server = subprocess.Popen([sys.executable, "-m", "closedloop.cli", "serve", "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        for _ in range(120):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                time.sleep(0.5)
        stats = Stats()
        start = time.monotonic()
        stop_at = start + args.seconds
        year = dt.date.today().isocalendar()[0]
        periods = [f"{year}-W{w:02d}" for w in range(1, 30)]
        done: list[str] = []

        async def fault():
            await asyncio.sleep(args.restart_at)
            print(f"t={time.monotonic() - start:.0f}s: restarting PostgreSQL", flush=True)
            await asyncio.to_thread(pg.restart)
            print(f"t={time.monotonic() - start:.0f}s: PostgreSQL is back", flush=True)

        await asyncio.gather(*[lead_client(base, lead, stop_at, stats) for lead in leads], publisher(env, stop_at, periods, done), fault())

        # what is stored
        os.environ["CLOSEDLOOP_DATABASE_URL"] = pg.url
        from closedloop.db.engine import close_engine, prepare_engine
        from closedloop.db.tables import Goal, ProgressReport, Publication

        await prepare_engine()
        stored_reports = {r["id"] for r in await ProgressReport.select(ProgressReport.id)}
        lost_reports = len(stats.reports - stored_reports)
        actuals = {g["id"]: g["actual"] for g in await Goal.select(Goal.id, Goal.actual)}
        lost_updates = 0
        for goal, last in stats.last_ack.items():
            stored = actuals.get(goal)
            # the stored value is the last acknowledged one, or a later attempt whose answer was lost
            if stored is None or stored < last or stored not in stats.attempted[goal]:
                lost_updates += 1
        editions = await Publication.select(Publication.period, Publication.edition)
        per_period: dict[str, int] = {}
        for e in editions:
            per_period[e["period"]] = per_period.get(e["period"], 0) + 1
        duplicated = sum(1 for n in per_period.values() if n > 1)
        missing = sum(1 for p in set(done) if p not in per_period)
        await close_engine()
        lost = lost_reports + lost_updates
        # reports are checked one by one; goal updates overwrite each other, so each goal's
        # final value is checked against its last acknowledged write
        stored = stats.acknowledged - lost
        print()
        print(f"{'clients':<28}{args.clients}")
        print(f"{'seconds':<28}{args.seconds:.0f} (PostgreSQL restarted at {args.restart_at:.0f}s)")
        print(f"{'acknowledged writes':<28}{stats.acknowledged}")
        print(f"{'  reports acknowledged':<28}{len(stats.reports)}")
        print(f"{'  reports stored':<28}{len(stored_reports & stats.reports)}")
        print(f"{'  goals checked':<28}{len(stats.last_ack)}")
        print(f"{'stored (ack - lost)':<28}{stored}")
        print(f"{'lost':<28}{lost}")
        print(f"{'5xx (not 503)':<28}{stats.errors_5xx}")
        print(f"{'503 during the outage':<28}{stats.unavailable_503}")
        print(f"{'connection errors':<28}{stats.connection_errors}")
        print(f"{'version conflicts (409)':<28}{stats.conflicts}")
        print(f"{'editions':<28}{len(editions)} for {len(set(done))} periods; duplicated {duplicated}; missing {missing}")
        print(f'{{"acknowledged": {stats.acknowledged}, "stored": {stored}, "lost": {lost}, '
              f'"5xx": {stats.errors_5xx}, "503": {stats.unavailable_503}, "editions": {len(editions)}, '
              f'"duplicated": {duplicated}, "missing": {missing}}}')
        return 1 if (lost or duplicated or missing) else 0
    finally:
        if server is not None:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
        pg.stop()


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
