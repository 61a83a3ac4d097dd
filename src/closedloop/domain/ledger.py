"""The goal value ledger's rule: which of a goal's dated values is its value at an instant.

Every value a goal ever had is an entry: the period it stands for (its last day,
``period_end``), when it was filed (``recorded_at``) and the value. A goal's value as of an
instant T is, among the entries filed at or before T, the one with the latest period; between
entries of the same period the later filed wins (a 更正 supersedes the report it corrects), and
between entries filed at the same instant the later written (``seq``, the row id). The order in
which entries were typed never matters otherwise: a 补报 for week 14 filed after week 15 does
not rewind the value.

This is the reference implementation; ``services/values.py`` states the same rule in SQL
(``value_as_of_sql``) and the tests hold the two equal.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Iterable


@dataclass(frozen=True)
class Entry:
    value: float
    period_end: dt.date
    recorded_at: dt.datetime
    seq: int = 0  # the row id: the tie-break between entries filed at the same instant


def rank(entry: Entry) -> tuple[dt.date, dt.datetime, int]:
    """The order of precedence: a higher rank wins."""
    return (entry.period_end, entry.recorded_at, entry.seq)


def current(entries: Iterable[Entry], at: dt.datetime | None = None) -> Entry | None:
    """The entry that gives the goal's value as of ``at`` (every entry when None)."""
    known = [e for e in entries if at is None or e.recorded_at <= at]
    return max(known, key=rank, default=None)


def value_as_of(entries: Iterable[Entry], at: dt.datetime | None = None) -> float | None:
    e = current(entries, at)
    return None if e is None else e.value
