"""The scheduler: deadline scan every N minutes, 晾晒 per cadence on its cron, webhooks.

Downtime loses nothing because catching up lives in the database, not in APScheduler:
every publish job (and the start-up job) publishes *all* periods whose cut-off has passed
and that have no edition, each as of its own cut-off, claiming each under a unique key so
that several processes running the scheduler still publish one edition per period. Jobs
coalesce and have a generous misfire grace time, so a late wake-up runs once.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import logging
import os
import tempfile
from typing import IO

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from closedloop.services import cockpit, publishing, scan, webhooks
from closedloop.settings import get_settings

log = logging.getLogger("closedloop.scheduler")

CRONS: dict[str, dict[str, int | str]] = {
    "weekly": {"day_of_week": "mon", "hour": publishing.PUBLISH_HOUR, "minute": 0},
    "monthly": {"day": 1, "hour": publishing.PUBLISH_HOUR, "minute": 0},
    "quarterly": {"month": "1,4,7,10", "day": 1, "hour": publishing.PUBLISH_HOUR, "minute": 0},
}


_warned: set[tuple[str, object]] = set()


async def scan_job() -> None:
    try:
        report = await scan.scan()
        log.info("scan: %s", report.summary())
        for warning in report.warnings:
            # once a day per warning: a missing holiday calendar stays visible without flooding
            key = (warning, dt.date.today())
            if key not in _warned:
                _warned.add(key)
                log.warning("scan: %s", warning)
        log.info("cockpit: %s", await cockpit.after_scan())  # overdue 督办单 → 通报; review new editions
    except Exception:  # a failed run is retried on the next tick; never kill the scheduler
        log.exception("scan failed")


async def publish_job(cadence: str) -> None:
    try:
        done = await publishing.publish_due(cadence)
        for pub in done:
            log.info("published %s %s edition %s", cadence, pub["period"], pub["edition"])
    except Exception:
        log.exception("publish %s failed", cadence)


async def webhook_job() -> None:
    try:
        await webhooks.deliver_pending()
    except Exception:
        log.exception("webhook delivery failed")


def scheduler_lock(database_url: str) -> IO | None:
    """An exclusive lock on this host for the scheduler of one database, or None when another
    process (a web worker or ``closedloop scheduler``) holds it. Released when the returned
    file is closed or the process ends. Across hosts the claims in the database still make
    every run happen once; the lock only spares N workers from scanning N times."""
    name = hashlib.sha256(database_url.encode()).hexdigest()[:16]
    path = os.path.join(tempfile.gettempdir(), f"closedloop-scheduler-{name}.lock")
    f = open(path, "a+")
    try:
        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        f.close()
        return None
    return f


def build_scheduler() -> AsyncIOScheduler:
    s = get_settings()
    sched = AsyncIOScheduler(
        timezone=s.timezone,
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 6 * 3600},
    )
    now = dt.datetime.now(dt.timezone.utc)
    sched.add_job(scan_job, IntervalTrigger(minutes=s.scan_minutes), id="scan", next_run_time=now)
    sched.add_job(webhook_job, IntervalTrigger(minutes=1), id="webhooks")
    for cadence in s.cadences:
        if cadence not in CRONS:
            raise ValueError(f"CLOSEDLOOP_CADENCES: unknown cadence {cadence!r}")
        trigger = CronTrigger(timezone=s.timezone, **CRONS[cadence])
        # next_run_time=now: catch up on start-up, then follow the cron
        sched.add_job(publish_job, trigger, args=[cadence], id=f"publish-{cadence}", next_run_time=now)
    return sched
