"""晾晒: publish the ranking of units as of a period's cut-off as an immutable edition, and read
the editions back. The façade the rest of the code imports for editions.

Periods and cut-offs are ``domain/periods.py``'s (an edition ranks a period as of its END, the
first morning after it at 09:00 — weekly ``2024-W15`` (8–14 April) on Monday 15 April, monthly
``2024-05`` on 1 June, quarterly ``2024-Q2`` on 1 July); the functions below bind them to the
bureau's time zone. The parts of an edition live in their own modules:

- ``services/ranking.py``: the figures as of the cut-off, scored, ranked and lit;
- ``services/edition_render.py``: the Markdown, the HTML, the rule's wording, and the hash chain
  (every edition carries the SHA-256 of its content and the hash of the edition before it;
  ``verify_chain`` recomputes them);
- ``services/job_runs.py``: the run claims that make one process publish each period.

Editions are never edited: a correction is a new edition that names the one it corrects and
keeps its rank and score comparison.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict
from zoneinfo import ZoneInfo

from closedloop.db import sql
from closedloop.db.engine import write_tx
from closedloop.db.tables import Publication, PublicationRow
from closedloop.domain.errors import Invalid, NotFound, Issue
from closedloop.domain import periods
from closedloop.domain.periods import PUBLISH_HOUR
from closedloop.services import access, metrics, ranking
from closedloop.services.common import Actor, Clock, audit, local_zone
from closedloop.services.edition_render import (
    ALLOWED_TAGS,
    HASH_VERSION,
    chain_head,
    edition_hash,
    hash_payload,
    rank_arrow,
    render_html,
    render_markdown,
    rule_text,
    score_change_text,
    verify_chain,
)
from closedloop.services.job_runs import claim_run, finish_run
from closedloop.settings import get_settings

__all__ = [  # what callers take from here besides the functions defined below
    "ALLOWED_TAGS", "HASH_VERSION", "PUBLISH_HOUR", "claim_run", "edition_hash", "finish_run", "hash_payload", "rank_arrow",
    "render_html", "render_markdown", "rule_text", "score_change_text", "verify_chain",
]

MAX_CATCH_UP = 60


# ---------------------------------------------------------------------------
# Periods in the bureau's time zone (the rules: domain/periods.py)


def tz() -> ZoneInfo:
    return local_zone()


def period_start(cadence: str, period: str) -> dt.date:
    """The first day of a period."""
    return periods.of_cadence(cadence, period).start


def period_of(cadence: str, day: dt.date) -> str:
    """The period that contains ``day``."""
    periods.check_cadence(cadence)
    return periods.containing(cadence, day).key


def cutoff_of(cadence: str, period: str) -> dt.datetime:
    """The cut-off of a period's edition: 09:00 on the day after the period ends."""
    return periods.edition_cutoff(periods.of_cadence(cadence, period), tz())


def previous_period(cadence: str, period: str) -> str:
    return periods.of_cadence(cadence, period).previous().key


def latest_due_period(cadence: str, now: dt.datetime) -> str:
    """The latest period whose cut-off has passed at ``now``."""
    periods.check_cadence(cadence)
    return periods.latest_due(cadence, now, tz()).key


def period_label(cadence: str, period: str) -> str:
    """As people say it, with the year: 2026年第48周（11月23日—11月29日）, 2026年11月, 2026年第四季度."""
    return periods.of_cadence(cadence, period).dated_label


def period_title(cadence: str, period: str) -> str:
    return periods.of_cadence(cadence, period).title


# ---------------------------------------------------------------------------
# Publishing


ROW_COLUMNS = (
    "publication", "unit", "unit_name", "rank", "previous_rank", "score", "goal_progress", "problems_resolved",
    "results_verified", "overdue_items", "urges", "light", "extensions", "undrilled_items", "behind_points",
    "previous_score", "breakdown",
)


async def _insert_rows(publication_id: int, rows: list[dict], chunk: int = 500) -> None:
    """The edition's rows, a few hundred per statement (the query builder took ~0.3 s for a
    thousand rows)."""
    one = "(" + ", ".join(["{}"] * len(ROW_COLUMNS)) + ")"
    for i in range(0, len(rows), chunk):
        part = rows[i : i + chunk]
        values = [
            v for r in part
            for v in [publication_id, *(sql.dump_json(r[c]) if c == "breakdown" else r[c] for c in ROW_COLUMNS[1:])]
        ]
        await sql.execute(
            f"INSERT INTO publication_row ({sql.columns_list(ROW_COLUMNS)}) VALUES {', '.join([one] * len(part))}", *values
        )


async def _lock_chain() -> None:
    """Serialise publishers so the hash chain has no forks (SQLite: the IMMEDIATE write
    transaction already does)."""
    if sql.is_postgres():
        await Publication.raw("SELECT pg_advisory_xact_lock(20240403)")


async def publish(cadence: str, period: str, *, actor: Actor | None = None, correct: int | None = None, reason: str | None = None) -> tuple[dict, bool]:
    """Publish the edition of ``cadence``/``period`` (or a correction of edition ``correct``).

    Returns (publication, created). Without ``correct``, an existing edition is returned
    unchanged: there is exactly one regular edition per cadence and period.
    """
    periods.check_cadence(cadence)
    cutoff = cutoff_of(cadence, period)
    if cutoff > Clock.now() and correct is None:
        raise Invalid("该期尚未到统计截止时间", [Issue("future", f"{period} 的截止时间 {cutoff:%Y-%m-%d %H:%M} 尚未到", "period")])
    since = cutoff_of(cadence, previous_period(cadence, period))
    settings = get_settings()
    weights = asdict(settings.weights)
    async with write_tx():
        await _lock_chain()
        existing = await Publication.select().where((Publication.cadence == cadence) & (Publication.period == period)).order_by(Publication.edition, ascending=False).first()
        corrects = None
        if correct is None:
            if existing:
                return existing, False
            edition = 1
        else:
            corrects = await Publication.select().where(Publication.id == correct).first()
            if corrects is None:
                raise NotFound("要更正的晾晒不存在")
            if (corrects["cadence"], corrects["period"]) != (cadence, period):
                raise Invalid("更正必须针对同一期", [Issue("mismatch", "更正必须针对同一期", "publication_id")])
            if not (reason or "").strip():
                raise Invalid("更正必须说明原因", [Issue("required", "更正必须说明原因", "reason")])
            edition = (existing["edition"] if existing else 0) + 1
        cut = metrics.Cut(at=cutoff, day=cutoff.astimezone(tz()).date(), since=since)
        previous = await ranking.previous_figures(cadence, period, corrects)
        rows = await ranking.ranking_rows(cut, settings, previous)
        plan_goals = await metrics.plan_goals_as_of(cut, settings.lights)
        title = f"{period_title(cadence, period)}工作晾晒"
        body_md = render_markdown(title, cadence, period, cutoff, rows, weights, corrects, reason, plan_goals)
        pub = {
            "cadence": cadence, "period": period, "edition": edition, "cutoff": cutoff.astimezone(dt.timezone.utc),
            "weights": weights, "body_md": body_md, "previous_hash": await chain_head(),
            "hash_version": HASH_VERSION, "title": title, "body_html": render_html(body_md), "plan_goals": plan_goals,
            "corrects": correct, "correction_reason": reason if correct else None,
            "published_at": Clock.now().astimezone(dt.timezone.utc),
        }
        digest = edition_hash(hash_payload(pub, rows))
        inserted = (
            await Publication.insert(Publication(**{k: v for k, v in pub.items()}, content_hash=digest)).returning(Publication.id)  # type: ignore[arg-type]  # Piccolo's Table(**kwargs) is typed for its first positional argument only
        )[0]["id"]
        await _insert_rows(inserted, rows)
        if actor is not None:
            await audit(actor, "publish" if correct is None else "correct", "publication", inserted, after={"cadence": cadence, "period": period, "edition": edition, "hash": digest})
        created = await Publication.select().where(Publication.id == inserted).first()
    return created, True  # type: ignore[return-value]  # the edition was inserted just above in this transaction


async def publish_due(cadence: str, *, limit: int = MAX_CATCH_UP) -> list[dict]:
    """Publish every period whose cut-off has passed and has no edition yet, oldest first,
    each as of its own cut-off. With no edition at all, only the latest due period is published.
    When the office holds publication while data checks are open (``hold_publication_on_checks``),
    nothing is published until they are explained; each new edition's open checks are kept in its
    internal review for the supervisors at once."""
    from closedloop.services import checks

    if await checks.hold_publication():
        return []
    now = Clock.now()
    latest = latest_due_period(cadence, now)
    last = await Publication.select(Publication.period).where(Publication.cadence == cadence).order_by(Publication.period, ascending=False).first()
    due = [latest]
    if last is not None:
        if latest <= last["period"]:
            return []
        p = previous_period(cadence, latest)
        while p > last["period"] and len(due) < limit:
            due.append(p)
            p = previous_period(cadence, p)
    out = []
    for period in reversed(due):
        claim = f"publish:{cadence}:{period}"
        if not await claim_run("publish", claim):
            continue
        pub, created = await publish(cadence, period)
        await finish_run(claim, "done", f"edition {pub['edition']}")
        if created:
            out.append(pub)
            await checks.review_edition(pub["id"])
    return out


# ---------------------------------------------------------------------------
# Reading and verifying


async def list_publications(cadence: str | None = None) -> list[dict]:
    q = Publication.select(*Publication.all_columns(exclude=[Publication.body_md, Publication.body_html]))
    if cadence:
        q = q.where(Publication.cadence == cadence)
    return await q.order_by(Publication.id, ascending=False).output(load_json=True)


async def get_publication(pub_id: int) -> dict:
    pub = await Publication.select().where(Publication.id == pub_id).first().output(load_json=True)
    if pub is None:
        raise NotFound("晾晒不存在")
    pub["rows"] = await PublicationRow.select().where(PublicationRow.publication == pub_id).order_by(PublicationRow.rank).output(load_json=True)
    return pub


async def latest_edition(cadence: str | None = None, period: str | None = None) -> dict | None:
    q = Publication.select(Publication.id)
    if cadence:
        q = q.where(Publication.cadence == cadence)
    if period:
        q = q.where(Publication.period == period)
    row = await q.order_by(Publication.cutoff, ascending=False).order_by(Publication.edition, ascending=False).first()
    return await get_publication(row["id"]) if row else None


async def edition(cadence: str, period: str, number: int) -> dict | None:
    """One edition of a period by its number (第 n 版)."""
    row = await Publication.select(Publication.id).where(
        (Publication.cadence == cadence) & (Publication.period == period) & (Publication.edition == number)
    ).first()
    return await get_publication(row["id"]) if row else None


async def editions_of(cadence: str, period: str) -> list[dict]:
    """Every edition of a period, oldest first (id, edition, corrects)."""
    return await Publication.select(Publication.id, Publication.edition, Publication.corrects, Publication.cadence, Publication.period).where(
        (Publication.cadence == cadence) & (Publication.period == period)
    ).order_by(Publication.edition)


async def correct(actor: Actor, publication_id: int, reason: str) -> dict:
    access.require_office(actor, "更正晾晒由督查室操作")
    original = await Publication.select(Publication.cadence, Publication.period).where(Publication.id == publication_id).first()
    if original is None:
        raise NotFound("晾晒不存在")
    pub, _ = await publish(original["cadence"], original["period"], actor=actor, correct=publication_id, reason=reason)
    return pub

