"""How far an item has gone up the escalation ladder (domain/ladder.py): the furthest step among
its supervision actions, whatever order they were taken in; a 督办单 is no ladder step."""

import pytest

from closedloop.domain.ladder import LADDER, STEP_NAMES, highest_step


@pytest.mark.parametrize(
    ("kinds", "step"),
    [
        (["reminder"], "reminder"),
        (["reminder", "urge"], "urge"),
        (["urge", "reminder"], "urge"),  # the furthest, not the latest
        (["circular", "urge", "reminder", "order"], "circular"),
        (["interview", "circular"], "interview"),
        (["order"], None),  # the office's own 督办单 is not a step
        ([], None),
    ],
)
def test_the_furthest_step_an_item_reached(kinds, step):
    assert highest_step(kinds) == step
    assert highest_step(iter(kinds)) == step  # any iterable, read once


def test_the_ladder_in_order_with_its_names():
    assert [STEP_NAMES[s] for s in LADDER] == ["临近提醒", "催办", "通报", "约谈"]
