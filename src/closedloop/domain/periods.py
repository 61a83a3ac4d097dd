"""Reporting and publishing periods: weekly ``2026-W48``, monthly ``2026-11``, quarterly ``2026-Q4``.

The one home of what a period is: its key (the API's form), its first and last day, the label
people say (第48周（11月23日—11月29日）, 2026年11月, 2026年第四季度), parsing either form, the
period that contains a day, and the cut-off of a period's 晾晒 edition (09:00 on the day after
it ends, in the bureau's zone, which the caller passes: ``services/publishing.py`` binds it).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from closedloop.domain.errors import Invalid, Issue

CADENCES = ("weekly", "monthly", "quarterly")
CADENCE_NAMES = {"weekly": "周", "monthly": "月", "quarterly": "季度"}
QUARTER_NAMES = {1: "一", 2: "二", 3: "三", 4: "四"}
PUBLISH_HOUR = 9  # an edition's cut-off hour, on the day after its period ends

_KEY_RE = re.compile(r"^(\d{4})-(?:W(\d{2})|(\d{2})|Q([1-4]))$")
# what people type: 2026年第48周, 第48周 (this year), 2026年11月, 2026年第四季度 / 2026年4季度 / 2026年Q4
_CN_WEEK_RE = re.compile(r"^(?:(\d{4})\s*年\s*)?第?\s*(\d{1,2})\s*周")
_CN_MONTH_RE = re.compile(r"^(\d{4})\s*年\s*(\d{1,2})\s*月$")
_CN_QUARTER_RE = re.compile(r"^(\d{4})\s*年\s*(?:第\s*([一二三四1-4])\s*季度?|[Qq]([1-4]))$")
_CN_QN = {"一": 1, "二": 2, "三": 3, "四": 4, "1": 1, "2": 2, "3": 3, "4": 4}


class PeriodError(ValueError):
    """A text that names no period (the message is for the user)."""


@dataclass(frozen=True, order=True)
class Period:
    """One period. Ordered by cadence, then in time within a cadence."""

    cadence: str
    year: int
    number: int  # ISO week, month or quarter

    # -- the forms -------------------------------------------------------------------

    @property
    def key(self) -> str:
        if self.cadence == "weekly":
            return f"{self.year}-W{self.number:02d}"
        if self.cadence == "monthly":
            return f"{self.year}-{self.number:02d}"
        return f"{self.year}-Q{self.number}"

    def __str__(self) -> str:
        return self.key

    @property
    def start(self) -> dt.date:
        if self.cadence == "weekly":
            return dt.date.fromisocalendar(self.year, self.number, 1)
        if self.cadence == "monthly":
            return dt.date(self.year, self.number, 1)
        return dt.date(self.year, 3 * (self.number - 1) + 1, 1)

    @property
    def end(self) -> dt.date:
        """The last day of the period."""
        return self.next().start - dt.timedelta(days=1)

    @property
    def label(self) -> str:
        """As people say it: 第48周（11月23日—11月29日）, 2026年11月, 2026年第四季度."""
        if self.cadence == "weekly":
            s, e = self.start, self.end
            return f"第{self.number}周（{s.month}月{s.day}日—{e.month}月{e.day}日）"
        if self.cadence == "monthly":
            return f"{self.year}年{self.number}月"
        return f"{self.year}年第{QUARTER_NAMES[self.number]}季度"

    @property
    def dated_label(self) -> str:
        """The label with the year for every cadence: 2026年第48周（11月23日—11月29日）, 2026年11月."""
        return f"{self.year}年{self.label}" if self.cadence == "weekly" else self.label

    @property
    def title(self) -> str:
        """A heading with the year: 2026年第48周, 2026年11月, 2026年第四季度."""
        if self.cadence == "weekly":
            return f"{self.year}年第{self.number}周"
        return self.label

    # -- moving ----------------------------------------------------------------------

    def next(self) -> Period:
        if self.cadence == "weekly":
            return containing("weekly", self.start + dt.timedelta(days=7))
        if self.cadence == "monthly":
            return Period("monthly", self.year + self.number // 12, self.number % 12 + 1)
        return Period("quarterly", self.year + self.number // 4, self.number % 4 + 1)

    def previous(self) -> Period:
        return containing(self.cadence, self.start - dt.timedelta(days=1))

    def contains(self, day: dt.date) -> bool:
        return self.start <= day <= self.end


def containing(cadence: str, day: dt.date) -> Period:
    """The period of ``cadence`` that contains ``day``."""
    if cadence == "weekly":
        y, w, _ = day.isocalendar()
        return Period("weekly", y, w)
    if cadence == "monthly":
        return Period("monthly", day.year, day.month)
    if cadence == "quarterly":
        return Period("quarterly", day.year, (day.month - 1) // 3 + 1)
    raise PeriodError("周期类型必须是 weekly、monthly 或 quarterly")


def _checked(cadence: str, year: int, number: int) -> Period:
    if not 1900 < year < 3000:
        raise PeriodError("年份无效")
    if cadence == "weekly":
        weeks = dt.date(year, 12, 28).isocalendar()[1]  # 28 December is always in the last ISO week
        if not 1 <= number <= weeks:
            raise PeriodError(f"{year}年只有 {weeks} 周")
    elif cadence == "monthly" and not 1 <= number <= 12:
        raise PeriodError("月份应在 1 到 12 之间")
    elif cadence == "quarterly" and not 1 <= number <= 4:
        raise PeriodError("季度应在 1 到 4 之间")
    return Period(cadence, year, number)


def parse(text: str, *, today: dt.date | None = None) -> Period:
    """A period from its key (2026-W48, 2026-11, 2026-Q4) or as people write it
    (2026年第48周, 第48周 — this year's —, 2026年11月, 2026年第四季度); the cadence follows from the form."""
    s = (text or "").strip()
    m = _KEY_RE.match(s)
    if m:
        year = int(m.group(1))
        if m.group(2):
            return _checked("weekly", year, int(m.group(2)))
        if m.group(3):
            return _checked("monthly", year, int(m.group(3)))
        return _checked("quarterly", year, int(m.group(4)))
    m = _CN_WEEK_RE.match(s)
    if m and (m.group(1) or s.startswith("第")):
        year = int(m.group(1)) if m.group(1) else (today or dt.date.today()).isocalendar()[0]
        return _checked("weekly", year, int(m.group(2)))
    m = _CN_MONTH_RE.match(s)
    if m:
        return _checked("monthly", int(m.group(1)), int(m.group(2)))
    m = _CN_QUARTER_RE.match(s)
    if m:
        return _checked("quarterly", int(m.group(1)), _CN_QN[m.group(2) or m.group(3)])
    raise PeriodError("填报周期应写作 2026-W48（或 2026年第48周）、2026-11（2026年11月）或 2026-Q4（2026年第四季度）")


def parse_key(cadence: str, key: str) -> Period:
    """A period of a known cadence from its key form only (URLs, API)."""
    try:
        p = parse(key)
    except PeriodError:
        p = None
    if p is None or p.cadence != cadence or p.key != key:
        raise PeriodError("周期应为 2024-W15（周）、2024-05（月）或 2024-Q2（季度），并与 cadence 一致")
    return p


def check_cadence(cadence: str) -> None:
    """A cadence named in a request: Invalid on the ``cadence`` field unless it is one of ours."""
    if cadence not in CADENCES:
        raise Invalid("发布周期无效", [Issue("invalid", "cadence 必须是 weekly、monthly 或 quarterly", "cadence")])


def of_cadence(cadence: str, key: str) -> Period:
    """``parse_key`` for a request: a bad cadence or key is the domain's Invalid, naming the field."""
    check_cadence(cadence)
    try:
        return parse_key(cadence, key)
    except PeriodError as e:
        raise Invalid("周期格式无效", [Issue("invalid", str(e), "period")]) from None


def edition_cutoff(p: Period, tz: dt.tzinfo) -> dt.datetime:
    """The cut-off of a period's 晾晒 edition: 09:00 (in ``tz``) on the day after the period ends,
    the same rule for every cadence (the edition covers the whole period)."""
    return dt.datetime.combine(p.end + dt.timedelta(days=1), dt.time(PUBLISH_HOUR), tzinfo=tz)


def latest_due(cadence: str, now: dt.datetime, tz: dt.tzinfo) -> Period:
    """The latest period of ``cadence`` whose edition's cut-off has passed at ``now``."""
    local = now.astimezone(tz)
    p = containing(cadence, local.date())
    while edition_cutoff(p, tz) > local:
        p = p.previous()
    return p


def label_of(key: str) -> str:
    """The label of a period key, or the key itself when it is not one."""
    try:
        return parse(key).label
    except PeriodError:
        return key
