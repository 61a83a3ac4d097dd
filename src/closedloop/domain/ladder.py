"""The escalation ladder (督办): its steps in order, their names, and when each step comes.

  T−3 临近提醒 → T+1 催办 (supervisors copied) → no answer within 5 working days: listed for
  通报 → a unit red in 2 consecutive 晾晒 editions: its red items listed for 约谈.

``services/scan.py`` walks it; the cockpit and the desk show how far an item has gone.
"""

from __future__ import annotations

from collections.abc import Iterable

LADDER = ("reminder", "urge", "circular", "interview")
# the names of every supervision action kind (督办单 is the office's own, not a ladder step)
STEP_NAMES = {"reminder": "临近提醒", "urge": "催办", "order": "督办单", "circular": "通报", "interview": "约谈"}

REMINDER_DAYS_BEFORE = 3  # 临近提醒 from three days before the deadline (the lights' default due_soon_days too)
URGE_DAYS_AFTER = 1  # 催办 the day after the deadline
RESPONSE_WORKDAYS = 5  # a 催办 unanswered after five working days is listed for 通报
RED_EDITIONS_FOR_INTERVIEW = 2  # a unit red in this many consecutive editions: 约谈


def highest_step(kinds: Iterable[str]) -> str | None:
    """The furthest ladder step among an item's supervision actions (other kinds ignored)."""
    steps = [k for k in kinds if k in LADDER]
    return max(steps, key=LADDER.index) if steps else None
