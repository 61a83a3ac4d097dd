"""The goal value ledger's rule: the latest period wins, then the latest filed; never typing order."""

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from closedloop.domain.ledger import Entry, current, value_as_of

T0 = dt.datetime(2024, 4, 1, 2, 0, tzinfo=dt.timezone.utc)
W14, W15 = dt.date(2024, 4, 7), dt.date(2024, 4, 14)


def test_a_late_report_for_an_earlier_period_does_not_rewind_the_value():
    w15 = Entry(305, W15, T0, 1)
    w14_late = Entry(303, W14, T0 + dt.timedelta(days=3), 2)
    assert value_as_of([w15, w14_late]) == 305


def test_a_correction_of_the_same_period_supersedes_the_report():
    first = Entry(305, W15, T0, 1)
    corrected = Entry(304, W15, T0 + dt.timedelta(hours=5), 2)
    assert value_as_of([corrected, first]) == 304


def test_the_value_as_of_an_instant_ignores_what_was_filed_after_it():
    first = Entry(305, W15, T0, 1)
    corrected = Entry(304, W15, T0 + dt.timedelta(hours=5), 2)
    assert value_as_of([first, corrected], T0 + dt.timedelta(hours=1)) == 305
    assert value_as_of([first, corrected], T0 - dt.timedelta(seconds=1)) is None


def test_entries_filed_at_the_same_instant_are_ordered_by_row():
    assert current([Entry(1, W15, T0, 7), Entry(2, W15, T0, 8)]).value == 2  # type: ignore[union-attr]


values = st.floats(0, 1000, allow_nan=False)


@given(st.lists(st.tuples(values, st.integers(0, 3)), min_size=1, max_size=8), st.randoms())
def test_any_interleaving_of_periods_gives_the_same_value_as_period_order(reports, rnd):
    """Each tuple is (value, number of later corrections); periods P1 < P2 < … in list order. Filing
    them in any order (corrections after their report) ends at the last period's last correction."""
    per_period = [[v + k for k in range(n + 1)] for v, n in reports]
    queues = [list(vs) for vs in per_period]
    entries: list[Entry] = []
    t = T0
    while any(queues):
        i = rnd.choice([i for i, q in enumerate(queues) if q])
        t += dt.timedelta(minutes=1)
        entries.append(Entry(queues[i].pop(0), W14 + dt.timedelta(weeks=i), t, len(entries) + 1))
    assert value_as_of(entries) == per_period[-1][-1]
