"""A unit's record across the published 晾晒 editions (the public unit page and its chart)."""

from __future__ import annotations

from closedloop.db.tables import PublicationRow, Unit
from closedloop.domain.errors import Invalid, NotFound
from closedloop.services import publishing


def period_label_or_raw(cadence: str, period: str) -> str:
    """A period as people say it; the raw text when it names no period."""
    try:
        return publishing.period_label(cadence, period)
    except Invalid:
        return f"{cadence} {period}"


async def unit_history(unit_id: int) -> tuple[dict, list[dict]]:
    """The unit (id, name) and its row in the latest edition of each weekly period, oldest
    first, with the number of units ranked in that edition; NotFound for no such unit."""
    unit = await Unit.select(Unit.id, Unit.name).where(Unit.id == unit_id).first()
    if unit is None:
        raise NotFound("单位不存在")
    rows = await PublicationRow.select(
        PublicationRow.rank, PublicationRow.score, PublicationRow.light, PublicationRow.publication.period.as_alias("period"),
        PublicationRow.publication.edition.as_alias("edition"), PublicationRow.publication.cadence.as_alias("cadence"),
        PublicationRow.publication.id.as_alias("pub_id"),
    ).where((PublicationRow.unit == unit_id) & (PublicationRow.publication.cadence == "weekly")).order_by(PublicationRow.publication.period)
    latest: dict[str, dict] = {}
    for r in rows:
        if r["period"] not in latest or r["edition"] > latest[r["period"]]["edition"]:
            latest[r["period"]] = r
    # the size of the editions shown only (it was a count over every publication row)
    shown = sorted({r["pub_id"] for r in latest.values()})
    counts: dict[int, int] = {}
    if shown:
        marks = ", ".join("{}" for _ in shown)
        counts = {r["publication"]: r["n"] for r in await PublicationRow.raw(
            f"SELECT publication, COUNT(*) AS n FROM publication_row WHERE publication IN ({marks}) GROUP BY publication", *shown
        )}
    history = [
        {**r, "units": counts.get(r["pub_id"], 0), "label": period_label_or_raw(r["cadence"], r["period"]), "short": publishing.period_title(r["cadence"], r["period"])}
        for r in sorted(latest.values(), key=lambda r: r["period"])
    ]
    return unit, history
