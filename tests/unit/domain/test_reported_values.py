"""What a typed number may be: parsing cells and form fields, and each unit's range."""

import datetime as dt

import pytest

from closedloop.domain.reported_values import BadValue, goal_value_bounds, goal_value_problem, parse_number, progress_problem


@pytest.mark.parametrize("raw, value", [
    (12, 12.0), (12.5, 12.5), ("12.5", 12.5), (" 1,234 ", 1234.0), ("１２３", 123.0), ("12%", 12.0), ("-3", -3.0),
    (None, None), ("", None), ("  ", None),
])
def test_numbers_as_people_type_them(raw, value):
    assert parse_number(raw) == value


@pytest.mark.parametrize("raw", ["三十", "12家", "abc", True, dt.date(2026, 1, 1), "nan", "inf", float("nan")])
def test_what_is_not_a_number(raw):
    with pytest.raises(BadValue, match="不是数字"):
        parse_number(raw)


def test_each_unit_has_its_range():
    assert goal_value_problem(-1, "家") == "以“家”计的数值不能为负数"
    assert goal_value_problem(2.5, "家") == "以“家”计的数值应为整数"
    assert goal_value_problem(-1, "亿元") == "以“亿元”计的数值不能为负数"
    assert goal_value_problem(2.5, "亿元") is None
    assert goal_value_problem(-5, "%") is None and goal_value_problem(1001, "%") == "百分比应在 -100 到 1000 之间"
    assert goal_value_problem(-5, None) is None and goal_value_problem(2e15, None) == "数值超出范围"
    assert goal_value_bounds("%") == (-100, 1000) and goal_value_bounds("个")[0] == 0


def test_project_progress_is_a_whole_percent():
    assert progress_problem(0) is None and progress_problem(100) is None
    assert progress_problem(101) == "项目进度应在 0 到 100 之间"
    assert progress_problem(50.5) == "项目进度应为整数"
