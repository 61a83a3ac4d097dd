"""Two rules of the plan reader that had no test: which known unit a plan's unit name means
(plan_parser/units.py), and which targets the import preview asks a person to look at
(plan_parser/doubts.py)."""

from __future__ import annotations

import pytest

from closedloop.domain.plan_parser.doubts import doubts
from closedloop.domain.plan_parser.model import ParsedGoal
from closedloop.domain.plan_parser.units import _abbreviates, core, match_unit

# --- the name without its region --------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("重庆市巴南区科学技术局", "科学技术局"),
        ("巴南区财政局", "财政局"),
        ("区科技局", "科技局"),  # the bare 区 of a district's own offices
        ("县教委", "教委"),
        ("街道办事处", "办事处"),
        (" 巴南区 财政局 ", "财政局"),  # spaces anywhere
        ("（区财政局）", "财政局"),  # brackets around the name
        ("科学技术局", "科学技术局"),
        ("巴南区", "巴南区"),  # a region alone stays itself, never empty
        ("巴南区委", "巴南区委"),  # one character left is no office: the name stays whole
        ("区委", "区委"),  # 区 + one character is a name, not a prefix
        ("", ""),
    ],
)
def test_core_drops_the_region_prefix_only(name, expected):
    assert core(name) == expected


# --- an abbreviation --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("short", "full"),
    [("科技局", "科学技术局"), ("发展改革委", "发展和改革委员会"), ("经济信息委", "经济和信息化委员会"), ("政府办", "政府办公室"),
     ("统计局", "统计局"), ("教委", "教育委员会")],
)
def test_an_abbreviation_keeps_the_full_names_characters_in_order(short, full):
    assert _abbreviates(short, full)


@pytest.mark.parametrize(
    ("short", "full"),
    [
        ("学技术局", "科学技术局"),  # another first character
        ("科技术", "科学技术局"),  # another last character
        ("科术技局", "科学技术局"),  # out of order
        ("科", "科科"),  # one character abbreviates nothing
        ("科学技术局局", "科学技术局"),  # longer than the name
        ("科学局", "科技局"),  # a character the name does not have
    ],
)
def test_what_is_not_an_abbreviation(short, full):
    assert not _abbreviates(short, full)


# --- matching a plan's unit to the known units ------------------------------------------------

KNOWN = {"区科学技术局": 1, "区财政局": 2, "区发展和改革委员会": 3, "区经济和信息化委员会": 4}


@pytest.mark.parametrize(
    ("name", "unit"),
    [
        ("区财政局", 2),  # exactly
        ("重庆市巴南区财政局", 2),  # the same office under its full region
        ("财政局", 2),
        ("科技局", 1),  # an abbreviation
        ("区发展改革委", 3),
        ("经济信息委", 4),
        ("重庆市巴南区科学技术局", 1),
        (" 区财政局 ", 2),
    ],
)
def test_a_unit_is_matched_by_name_short_form_or_abbreviation(name, unit):
    assert match_unit(name, KNOWN) == unit


@pytest.mark.parametrize("name", ["", "   ", "区教委", "市场监管局", "科"])
def test_an_unknown_or_empty_name_matches_nothing(name):
    assert match_unit(name, KNOWN) is None


def test_a_longer_plan_name_matches_the_known_short_one():
    assert match_unit("重庆市巴南区科学技术局", {"区科技局": 7}) == 7


def test_a_short_form_that_fits_two_units_matches_none():
    # guessing would assign the work to the wrong office
    assert match_unit("科技局", {"区科学技术局": 1, "区科技信息局": 2}) is None
    assert match_unit("财政局", {"区财政局": 1, "重庆市财政局": 2}) is None


def test_two_names_of_one_unit_are_one_match():
    assert match_unit("财政局", {"区财政局": 5, "巴南区财政局": 5}) == 5
    assert match_unit("科技局", {"区科学技术局": 5, "巴南区科学技术局": 5}) == 5


# --- what the import preview doubts -----------------------------------------------------------


def goal(value: float, unit: str = "家", subject: str = "高新技术企业", source: str = "", kind: str = "level") -> ParsedGoal:
    return ParsedGoal(subject=subject, comparator=">=", value=value, unit=unit, source=source, kind=kind)


def test_a_sound_target_has_no_doubt():
    assert doubts(goal(330, source="高新技术企业达到330家"), 2025) == []


def test_a_target_without_a_unit():
    assert doubts(goal(330, unit=""), 2025) == ["数值没有单位"]


@pytest.mark.parametrize("value", [1949, 2025, 2100])
def test_a_whole_number_that_reads_as_a_year(value):
    assert doubts(goal(value), None) == ["数值像年份，可能不是目标"]


@pytest.mark.parametrize(
    ("value", "unit"), [(1948, "家"), (2101, "家"), (2025.5, "家"), (2025, "万元"), (2025, "亿元"), (2025, "%"), (2025, "个百分点")]
)
def test_what_does_not_read_as_a_year(value, unit):
    assert "数值像年份，可能不是目标" not in doubts(goal(value, unit=unit, kind="growth"), None)


@pytest.mark.parametrize("source", ["已完成投资10亿元", "已经建成10家", "累计完成10家", "同比增长10家", "较上年增加10家", "比上年多10家"])
def test_words_of_a_result_already_achieved(source):
    assert doubts(goal(10, source=source), 2025) == ["像是已完成的业绩，不是目标"]


def test_an_earlier_year_is_a_result_unless_it_is_the_horizon():
    assert doubts(goal(10, source="2024年新增企业10家"), 2025) == ["像是已完成的业绩，不是目标"]
    assert doubts(goal(10, source="2025年新增企业10家"), 2025) == []  # the plan's own year
    assert doubts(goal(10, source="到2027年新增企业10家"), 2028) == []  # 到 before the year: a horizon
    assert doubts(goal(10, source="2024年新增企业10家"), None) == []  # no plan year to compare with


@pytest.mark.parametrize(("subject", "short"), [("企业", True), ("高企", True), ("高新企", False), ("高新技术企业", False)])
def test_a_subject_of_two_characters_or_fewer_is_too_short(subject, short):
    assert ("指标名称过短，请补全" in doubts(goal(10, subject=subject), None)) is short


@pytest.mark.parametrize(
    ("value", "unit", "kind", "over"),
    [(101, "%", "level", True), (100, "%", "level", False), (150, "个百分点", "level", True), (150, "‰", "level", True),
     (150, "%", "growth", False), (150, "家", "level", False)],
)
def test_a_percentage_level_above_100(value, unit, kind, over):
    assert ("百分比超过100" in doubts(goal(value, unit=unit, kind=kind), None)) is over


def test_a_target_of_zero():
    assert doubts(goal(0), None) == ["目标值为0"]


# --- round 3: the exact office wins over a second one its short form also fits ------------------


def test_a_name_that_is_one_units_short_form_is_that_unit():
    known = {"区科技局": 1, "区科技信息局": 2}  # 科技局 also abbreviates 科技信息局
    assert match_unit("科技局", known) == 1
    assert match_unit("重庆市巴南区科技局", known) == 1
    assert core("巴南区教委") == "教委"  # two characters left after the region: an office
