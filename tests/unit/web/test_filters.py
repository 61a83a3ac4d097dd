"""Pages show stored (UTC) times as the bureau's wall-clock time."""

import datetime as dt

from closedloop.web.filters import local


def test_a_utc_time_is_shown_in_beijing_time_the_day_it_was_there():
    # a 催办 sent at 07:21 on Monday morning in Beijing is stored as Sunday 23:21 UTC
    sent = dt.datetime(2026, 11, 29, 23, 21, tzinfo=dt.timezone.utc)
    assert local(sent) == "2026-11-30 07:21"
    assert local(sent, "%Y-%m-%d") == "2026-11-30"


def test_what_sqlite_gives_back_and_what_has_no_zone_are_read_as_utc():
    assert local("2026-11-29 23:21:05.123456+00:00") == "2026-11-30 07:21"
    assert local(dt.datetime(2026, 11, 29, 23, 21)) == "2026-11-30 07:21"
    assert local(None) == "" and local(dt.date(2026, 11, 30)) == "2026-11-30"
