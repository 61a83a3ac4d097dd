"""Periods: keys, first and last days, labels people read, parsing both forms, moving."""

import datetime as dt

import pytest
from hypothesis import given, strategies as st

from closedloop.domain import periods
from closedloop.domain.periods import Period, PeriodError


def test_week_48_of_2026_runs_monday_23_to_sunday_29_november():
    p = periods.parse("2026-W48")
    assert (p.start, p.end) == (dt.date(2026, 11, 23), dt.date(2026, 11, 29))
    assert p.label == "第48周（11月23日—11月29日）"
    assert p.title == "2026年第48周"


def test_month_and_quarter_labels_and_bounds():
    m = periods.parse("2026-02")
    assert (m.start, m.end, m.label) == (dt.date(2026, 2, 1), dt.date(2026, 2, 28), "2026年2月")
    q = periods.parse("2026-Q4")
    assert (q.start, q.end, q.label) == (dt.date(2026, 10, 1), dt.date(2026, 12, 31), "2026年第四季度")
    assert periods.parse("2028-02").end == dt.date(2028, 2, 29)


@pytest.mark.parametrize(
    "text, key",
    [
        ("2026年第48周", "2026-W48"),
        ("第48周", "2026-W48"),
        ("2026年11月", "2026-11"),
        ("2026年第四季度", "2026-Q4"),
        ("2026年第4季度", "2026-Q4"),
        ("2026年Q4", "2026-Q4"),
        (" 2026-W05 ", "2026-W05"),
    ],
)
def test_people_forms_parse_to_the_key(text, key):
    assert periods.parse(text, today=dt.date(2026, 11, 28)).key == key


@pytest.mark.parametrize("text", ["", "2026-W54", "2026-W00", "2025-W53", "2026-13", "2026-Q5", "2026年13月", "上周", "2026W48", "0000-W01", "0000-01", "9999-Q1"])
def test_what_is_no_period_is_refused_with_a_message(text):
    with pytest.raises(PeriodError) as e:
        periods.parse(text)
    assert str(e.value)


def test_iso_week_53_exists_only_in_long_years():
    assert periods.parse("2026-W53").start == dt.date(2026, 12, 28)
    with pytest.raises(PeriodError):
        periods.parse("2025-W53")


def test_the_year_boundary_week_belongs_to_its_iso_year():
    assert periods.containing("weekly", dt.date(2027, 1, 1)).key == "2026-W53"
    assert periods.containing("weekly", dt.date(2025, 12, 29)).key == "2026-W01"


def test_parse_key_insists_on_the_cadence_and_key_form():
    assert periods.parse_key("monthly", "2026-11") == Period("monthly", 2026, 11)
    for cadence, key in [("weekly", "2026-11"), ("weekly", "2026年第48周"), ("quarterly", "2026-Q7")]:
        with pytest.raises(PeriodError):
            periods.parse_key(cadence, key)


@given(st.sampled_from(periods.CADENCES), st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2100, 12, 31)))
def test_periods_tile_the_calendar(cadence, day):
    p = periods.containing(cadence, day)
    assert p.contains(day)
    assert p.next().start == p.end + dt.timedelta(days=1)
    assert p.previous().end == p.start - dt.timedelta(days=1)
    assert p.previous() < p < p.next()
    assert periods.parse(p.key) == p


def test_an_editions_cut_off_is_nine_the_morning_after_its_period_in_the_zone_given():
    from zoneinfo import ZoneInfo

    sh, utc = ZoneInfo("Asia/Shanghai"), dt.timezone.utc
    week = periods.parse("2026-W48")  # Monday 23 – Sunday 29 November
    assert periods.edition_cutoff(week, sh) == dt.datetime(2026, 11, 30, 9, tzinfo=sh)
    assert periods.edition_cutoff(week, utc) == dt.datetime(2026, 11, 30, 9, tzinfo=utc)
    # at 01:00 UTC on Monday 30 November it is 09:00 in Shanghai: that week is due there, not in UTC
    at = dt.datetime(2026, 11, 30, 1, tzinfo=utc)
    assert periods.latest_due("weekly", at, sh).key == "2026-W48"
    assert periods.latest_due("weekly", at, utc).key == "2026-W47"
    assert periods.latest_due("weekly", at - dt.timedelta(seconds=1), sh).key == "2026-W47"
    assert week.dated_label == "2026年第48周（11月23日—11月29日）"
    assert periods.parse("2026-11").dated_label == "2026年11月"


@pytest.mark.parametrize(("cadence", "key", "field"), [("daily", "2026-11", "cadence"), ("weekly", "2026-11", "period"), ("monthly", "2026-13", "period")])
def test_a_period_named_in_a_request_is_refused_by_its_field(cadence, key, field):
    from closedloop.domain.errors import Invalid

    with pytest.raises(Invalid) as refused:
        periods.of_cadence(cadence, key)
    assert [p.field for p in refused.value.problems] == [field]
