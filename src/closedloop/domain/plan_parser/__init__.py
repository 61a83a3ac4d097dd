"""Read a work plan (工作要点, 实施方案, 政府工作报告 …) written as plain text or Markdown.

Returns the title block (title, issuer, issue date, year), the plan-level goals, and the sections
of its task parts with their items and the quantified goals stated in each item. Pure and total:
any string gives a ``ParsedPlan`` (possibly empty, with ``missing()`` saying what was not found);
nothing raises.

- ``structure``: title block, parts and their roles, sections, items;
- ``targets``: quantified targets in a sentence;
- ``numerals``: Arabic and Chinese numerals;
- ``model``: the dataclasses returned.
"""

from closedloop.domain.plan_parser.model import COMPARATORS, ParsedGoal, ParsedItem, ParsedPlan, ParsedSection
from closedloop.domain.plan_parser.numerals import cn_to_int, to_number
from closedloop.domain.plan_parser.structure import parse_plan
from closedloop.domain.plan_parser.targets import extract_goals

__all__ = [
    "COMPARATORS",
    "ParsedGoal",
    "ParsedItem",
    "ParsedPlan",
    "ParsedSection",
    "cn_to_int",
    "extract_goals",
    "parse_plan",
    "to_number",
]
