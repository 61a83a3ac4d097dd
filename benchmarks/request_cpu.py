#!/usr/bin/env python3
"""What one lead's goal update costs in CPU, beside the bare endpoint, whatever the machine's load.

On a shared machine the closed-loop throughput moves with the neighbours; the CPU time each
process spends per request does much less. One client sends ``--requests`` updates to each server
in turn (the same request as ``run.py``'s closed loop), and the script reads from /proc the CPU
time of the server process, of the PostgreSQL backends serving it and of itself (the load
generator) per request. Twice each, bare first.

    python benchmarks/request_cpu.py --database-url postgresql://…/city --pgdata /path/to/data [--requests 400]

``--database-url``: a database built by ``generate.py`` (city scale for the figures in
docs/performance.md) on a PostgreSQL whose data folder is ``--pgdata`` (its postmaster.pid names
the process whose children are the backends). It adds benchmark users and reports to it.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks import run as bench  # noqa: E402
from benchmarks.pg import free_port  # noqa: E402

TICKS = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> list[str]:
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def cpu_of(pid: int) -> float:
    """CPU seconds of a process and its waited-for children."""
    try:
        f = _stat(pid)
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    return (int(f[11]) + int(f[12]) + int(f[13]) + int(f[14])) / TICKS


def children(pid: int) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if _stat(int(entry.name))[1] == str(pid):
                    out.append(int(entry.name))
            except (FileNotFoundError, ProcessLookupError, IndexError):
                continue
    return out


def tree_cpu(pid: int) -> float:
    return cpu_of(pid) + sum(tree_cpu(c) for c in children(pid))


def backends_cpu(postmaster: int) -> float:
    """The client backends only (not autovacuum, the WAL writer or the checkpointer)."""
    total = 0.0
    for c in children(postmaster):
        try:
            if "127.0.0.1" in Path(f"/proc/{c}/cmdline").read_text():
                total += cpu_of(c)
        except (FileNotFoundError, ProcessLookupError):
            continue
    return total


async def measure(base: str, client: dict, send, n: int, server: int, postmaster: int) -> dict:
    async with httpx.AsyncClient(base_url=base, timeout=30) as h:
        for k in range(20):  # prepared statements, pools, caches
            await send(h, client, k)
        s0, b0, c0, t0 = tree_cpu(server), backends_cpu(postmaster), time.process_time(), time.perf_counter()
        for k in range(n):
            if not await send(h, client, k):
                raise RuntimeError("a request failed")
        s1, b1, c1, t1 = tree_cpu(server), backends_cpu(postmaster), time.process_time(), time.perf_counter()
    per = lambda a, b: round((b - a) / n * 1000, 3)  # noqa: E731
    return {"server_ms": per(s0, s1), "postgres_ms": per(b0, b1), "client_ms": per(c0, c1), "wall_ms": per(t0, t1)}


async def one_client(url: str) -> dict:
    """A lead of its own (a new user each run) and a goal of an open item its unit leads."""
    import datetime as dt
    import secrets

    import asyncpg

    con = await asyncpg.connect(url)
    try:
        r = await con.fetchrow("SELECT g.id AS goal, g.item, g.version, w.lead_unit AS unit FROM goal g JOIN work_item w ON w.id = g.item "
                               "WHERE w.stage NOT IN ('close', 'review', 'archived') ORDER BY g.id DESC LIMIT 1")
        name = f"cpu-{secrets.token_hex(4)}"
        uid = await con.fetchval("INSERT INTO app_user (username, display_name, role, unit, password_hash, active, created_at, version) "
                                 "VALUES ($1, $1, 'lead', $2, 'x', true, now(), 1) RETURNING id", name, r["unit"])
        token = await bench.new_token(con, uid, dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=1))
    finally:
        await con.close()
    return {"goal": r["goal"], "item": r["item"], "version": r["version"], "token": token, "period": bench.report_period()}


async def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--database-url", required=True)
    ap.add_argument("--pgdata", required=True, help="the server's data folder (for its postmaster.pid)")
    ap.add_argument("--requests", type=int, default=400)
    args = ap.parse_args()
    postmaster = int(Path(args.pgdata, "postmaster.pid").read_text().split()[0])
    clients = [await one_client(args.database_url)]
    bare_port = free_port()
    bare = bench.start_server([sys.executable, "-m", "uvicorn", "benchmarks.bare_app:app", "--port", str(bare_port), "--log-level", "warning"],
                              bench.server_env(args.database_url), bare_port)
    ours, base = bench.serve(args.database_url, 1)
    try:
        for _ in range(2):
            await bench.refresh_versions(args.database_url, clients)
            print("bare", await measure(f"http://127.0.0.1:{bare_port}", clients[0], bench.send_bare, args.requests, bare.pid, postmaster), flush=True)
            print("closedloop", await measure(base, clients[0], bench.send_report, args.requests, ours.pid, postmaster), flush=True)
    finally:
        bench.stop_server(bare)
        bench.stop_server(ours)
    print(f"load average {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
