"""Numbers as plans write them (plan_parser/numerals.py) and the JSON a parsed plan is shown as
(plan_parser/model.py: ``closedloop import --json`` and the import preview). Written for the
survivors of the mutation run (docs/testing.md, round 3)."""

from __future__ import annotations

from datetime import date

import pytest

from closedloop.domain.plan_parser import parse_plan
from closedloop.domain.plan_parser.model import ParsedGoal, ParsedItem, ParsedPlan, ParsedSection
from closedloop.domain.plan_parser.numerals import cn_to_int, to_number

# --- numerals ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("两千", 2000),
        ("两万五千", 25000),
        ("一万二千", 12000),
        ("十", 10),
        ("十万", 100000),  # place words only
        ("五", 5),
        ("一百二", 120),  # said, not written: 一百二 is 120 (the lenient reading)
        ("两百二", 220),
        ("二五", 25),  # digit by digit, as years and codes are written
        ("二〇二五", 2025),
        ("一〇", 10),
    ],
)
def test_chinese_numerals_of_any_shape(text, value):
    assert cn_to_int(text) == value


@pytest.mark.parametrize("text", ["", "12", "五a", "万万", "负五", "五点五"])
def test_what_is_not_a_chinese_numeral(text):
    assert cn_to_int(text) is None


@pytest.mark.parametrize(
    ("text", "value"),
    [("1,200", 1200.0), ("1，200", 1200.0), (" 3.5 ", 3.5), ("两千", 2000.0), ("12,000,000", 12_000_000.0)],
)
def test_numbers_with_thousands_separators_or_in_chinese(text, value):
    assert to_number(text) == value


@pytest.mark.parametrize("text", ["", "  ", "若干", "3.5.1", "1,2a"])
def test_what_is_not_a_number(text):
    assert to_number(text) is None


# --- a goal as JSON ----------------------------------------------------------------------------


def test_a_goal_in_json_carries_every_wording_it_was_read_with():
    g = ParsedGoal(
        "研发投入强度", ">=", 2.5, "%", plan_goal=1, source="研发投入强度达到2.5%—3%左右", kind="growth", approx=True,
        upper=3.0, stretch=3.2, horizon=2027, baseline=2.2,
    )
    assert g.to_json(with_link=True) == {
        "subject": "研发投入强度", "comparator": ">=", "value": 2.5, "unit": "%", "kind": "growth", "upper": 3,
        "stretch": 3.2, "approx": True, "horizon": 2027, "baseline": 2.2, "source": "研发投入强度达到2.5%—3%左右",
        "plan_goal": 1,
    }
    assert "plan_goal" not in g.to_json(with_link=False)


def test_a_plain_goal_in_json_says_only_what_was_written():
    g = ParsedGoal("高新技术企业", ">=", 330.0, "家", source="高新技术企业330家")
    d = g.to_json(with_link=True)
    assert d == {"subject": "高新技术企业", "comparator": ">=", "value": 330, "unit": "家", "kind": "level",
                 "source": "高新技术企业330家", "plan_goal": None}
    assert type(d["value"]) is int  # 330, not 330.0, as the plan wrote it


@pytest.mark.parametrize(("value", "shown"), [(330.0, 330), (0.0, 0), (2.5, 2.5), (-1.5, -1.5), (1e15, 1e15), (1e20, 1e20)])
def test_a_goal_value_is_shown_whole_when_it_is_whole(value, shown):
    v = ParsedGoal("科技型企业", ">=", value, "家").to_json(with_link=False)["value"]
    assert v == shown
    # from 1e15 on a value stays a float: a whole number that long is not a count a plan states
    assert type(v) is (int if value == int(value) and abs(value) < 1e15 else float)


# --- a plan as JSON ----------------------------------------------------------------------------


def test_a_plan_in_json_shows_its_parts_sections_items_units_and_deadlines():
    plan_goal = ParsedGoal("高新技术企业", ">", 330.0, "家", source="高新技术企业超过330家")
    item_goal = ParsedGoal("高新技术企业", ">", 330.0, "家", plan_goal=0, source="新增高新技术企业超过330家")
    item = ParsedItem("1", "培育科技企业", "1.培育科技企业。高新技术企业超过330家。", goals=[item_goal],
                      units=["区科技局", "区财政局"], deadline=date(2024, 12, 31))
    undated = ParsedItem("2", "建设孵化器", "2.建设孵化器。")
    plan = ParsedPlan(
        title="某区2024—2026年科技创新行动方案", issuer="某区科学技术局", issued_on=date(2024, 3, 1), year=2024, end_year=2026,
        goals=[plan_goal], sections=[ParsedSection("（一）", "培育创新主体", "", [item, undated])],
        parts=[("工作目标", "goals"), ("重点任务", "tasks")],
    )
    assert plan.to_json() == {
        "title": "某区2024—2026年科技创新行动方案", "issuer": "某区科学技术局", "issued_on": "2024-03-01", "year": 2024,
        "end_year": 2026,
        "parts": [{"heading": "工作目标", "role": "goals"}, {"heading": "重点任务", "role": "tasks"}],
        "goals": [{"subject": "高新技术企业", "comparator": ">", "value": 330, "unit": "家", "kind": "level",
                   "source": "高新技术企业超过330家"}],
        "sections": [{"code": "（一）", "title": "培育创新主体", "items": [
            {"code": "1", "title": "培育科技企业", "text": "1.培育科技企业。高新技术企业超过330家。", "units": ["区科技局", "区财政局"],
             "deadline": "2024-12-31",
             "goals": [{"subject": "高新技术企业", "comparator": ">", "value": 330, "unit": "家", "kind": "level",
                        "source": "新增高新技术企业超过330家", "plan_goal": 0}]},
            {"code": "2", "title": "建设孵化器", "text": "2.建设孵化器。", "units": [], "deadline": None, "goals": []},
        ]}],
    }


def test_an_empty_text_says_what_a_plan_lacks_in_chinese():
    assert parse_plan("").missing() == [
        ("title", "未找到计划标题"),
        ("sections", "未找到重点工作/主要任务部分的分项（如“（一）”），也未找到量化目标"),
        ("items", "未找到任何工作事项（如“一是”“1.”“（1）”）"),
    ]
    assert parse_plan("").to_json()["issued_on"] is None
