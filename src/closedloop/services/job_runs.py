"""Run claims: exactly one process does a scheduled run, however many run the scheduler.

A run is claimed by inserting its unique key (``job_run.run_key``, e.g. ``publish:weekly:2026-W48``);
the insert that loses the race inserts nothing and the process skips the run. The claim is
finished with its outcome, so an operator can see what ran and when.
"""

from __future__ import annotations

from closedloop.db.tables import JobRun
from closedloop.services.common import Clock


async def claim_run(job: str, key: str) -> bool:
    """Claim a run under a unique key; False if another process already has it."""
    rows = await JobRun.insert(JobRun(job=job, run_key=key, started_at=Clock.now())).on_conflict(action="DO NOTHING").returning(JobRun.id)
    return bool(rows)


async def finish_run(key: str, status: str, detail: str = "") -> None:
    """Record how a claimed run ended (its status, e.g. ``done``, and a short detail)."""
    await JobRun.update({JobRun.finished_at: Clock.now(), JobRun.status: status, JobRun.detail: detail}).where(JobRun.run_key == key)
