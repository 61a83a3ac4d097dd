"""The ranking of an edition: every unit's 晾晒 figures as of a cut-off, scored and ranked, each
with its light and the rank and score it is compared with.

The figures are ``services/metrics.py``'s (the data as it stood at the cut-off); the score and
rank are ``domain.scoring``'s and each unit's light ``domain.lights.unit_light``. A regular
edition compares with the latest edition of the period before; a correction keeps the
comparison of the edition it corrects, so it differs from it only where the data before the
cut-off did.
"""

from __future__ import annotations

from closedloop.db.tables import Publication, PublicationRow
from closedloop.domain.lights import unit_light
from closedloop.domain.scoring import score_units
from closedloop.services import metrics
from closedloop.settings import Settings


async def previous_figures(cadence: str, period: str, corrects: dict | None) -> dict[int, tuple[int | None, float | None]]:
    """Per unit, the rank and score to compare with: a correction keeps those of the edition
    it corrects; a regular edition takes the latest edition of the period before."""
    if corrects is not None:
        rows = await PublicationRow.select(PublicationRow.unit, PublicationRow.previous_rank, PublicationRow.previous_score).where(
            PublicationRow.publication == corrects["id"]
        )
        return {r["unit"]: (r["previous_rank"], r["previous_score"]) for r in rows}
    prev = await Publication.select(Publication.id).where(
        (Publication.cadence == cadence) & (Publication.period < period)
    ).order_by(Publication.period, ascending=False).order_by(Publication.edition, ascending=False).first()
    if not prev:
        return {}
    rows = await PublicationRow.select(PublicationRow.unit, PublicationRow.rank, PublicationRow.score).where(PublicationRow.publication == prev["id"])
    return {r["unit"]: (r["rank"], r["score"]) for r in rows}


async def ranking_rows(cut: metrics.Cut, settings: Settings, previous: dict[int, tuple[int | None, float | None]]) -> list[dict]:
    """The edition's rows, in rank order: each unit's figures as of ``cut``, its score with the
    breakdown, its rank and light, and the changes against ``previous`` (``previous_figures``)."""
    scored = score_units(await metrics.compute_metrics(cut, settings.lights), settings.weights)
    rows = []
    for s in scored:
        m = s.metrics
        previous_rank, previous_score = previous.get(m.unit_id, (None, None))
        rows.append(
            {
                "unit": m.unit_id, "unit_name": m.unit_name, "rank": s.rank, "previous_rank": previous_rank,
                "rank_change": None if previous_rank is None else previous_rank - s.rank,
                "score": s.score, "previous_score": previous_score, "goal_progress": round(m.goal_progress, 6),
                "behind_points": None if m.behind_points is None else round(m.behind_points, 6),
                "problems_resolved": m.problems_resolved, "results_verified": m.results_verified,
                "overdue_items": m.overdue_items, "urges": m.urges, "extensions": m.extensions, "undrilled_items": m.undrilled_items,
                "light": unit_light(m.behind_points, m.overdue_items, m.undrilled_items, settings.lights).value,
                "breakdown": s.parts,
            }
        )
    return rows
