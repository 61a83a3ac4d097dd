"""Jinja filters of the pages.

``local``: a stored timestamp (UTC) as the bureau's wall-clock time. Pages show times of day
in the bureau's zone, as the 晾晒 does ("发布于 … 07:37" is Beijing time); a UTC time printed as
it is would put a 催办 sent at 07:21 on Monday on the Sunday before.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from closedloop.services.common import local_zone


def local(value: Any, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """``value`` (a datetime, or an ISO string as SQLite gives back) in the bureau's zone."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            return value
    if not isinstance(value, dt.datetime):
        return value.isoformat() if isinstance(value, dt.date) else str(value)  # a day has no time of day
    if value.tzinfo is None:  # stored without a zone: UTC, as every timestamp here is written
        value = value.replace(tzinfo=dt.timezone.utc)
    return value.astimezone(local_zone()).strftime(fmt)


FILTERS = {"local": local}


def register(engine: Any) -> None:
    """TemplateConfig's engine callback: the filters on the Jinja environment."""
    engine.engine.filters.update(FILTERS)
