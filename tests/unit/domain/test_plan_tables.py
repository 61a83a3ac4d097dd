"""The plan reader's tables (plan_parser/tables.py): which line heads a 责任分工 table or an
indicator table and what each column is, how each task row reads (its units, 完成时限, 责任人,
lines that continue it), where a table ends, and the 完成时限 wordings. Written for the
survivors of the mutation run (docs/testing.md, round 3)."""

from __future__ import annotations

from datetime import date

import pytest

from closedloop.domain.plan_parser import parse_plan
from closedloop.domain.plan_parser.tables import (
    header_columns,
    indicator_columns,
    parse_deadline,
    parse_indicator_rows,
    parse_rows,
    split_cells,
)

# --- cells ------------------------------------------------------------------------------------


def test_cells_split_at_tabs_pipes_or_runs_of_spaces():
    assert split_cells("1\t建设平台\t区科技局") == ["1", "建设平台", "区科技局"]
    assert split_cells("| 1 | 建设平台 | 区科技局 |") == ["1", "建设平台", "区科技局"]
    assert split_cells("1  建设平台   区科技局 2025年6月底") == ["1", "建设平台", "区科技局", "2025年6月底"]
    # only the pipes at the ends are table borders: a first cell opening with a letter stays whole
    assert split_cells("XR产业园建设 | 区经济信息委") == ["XR产业园建设", "区经济信息委"]


# --- the header of a 责任分工 table ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "columns"),
    [
        # three columns are enough when one of them names the unit or the deadline
        ("序号\t工作任务\t责任单位", {"code": 0, "task": 1, "lead": 2}),
        ("序号\t工作任务\t完成时限", {"code": 0, "task": 1, "deadline": 2}),
        ("工作任务\t责任单位\t完成时限", {"task": 0, "lead": 1, "deadline": 2}),
        # a short cell holding a column's word counts (主要工作任务, 牵头单位（部门）: 8 characters)
        ("序号\t主要工作任务\t牵头单位（部门）\t完成时限", {"code": 0, "task": 1, "lead": 2, "deadline": 3}),
        # a longer cell is text, not a header: 9 characters
        ("序号\t重点任务\t责任单位及配合单位\t完成时限", {"code": 0, "task": 1, "deadline": 3}),
        ("序号\t目标任务\t牵头单位\t配合单位\t完成时限\t责任人\t推进情况",
         {"code": 0, "task": 1, "lead": 2, "co": 3, "deadline": 4, "person": 5, "progress": 6}),
    ],
)
def test_a_table_header_names_its_columns(line, columns):
    assert header_columns(line) == columns


@pytest.mark.parametrize(
    "line",
    [
        "工作任务\t责任单位",  # two cells: a sentence with a tab, not a table
        "序号\t责任单位\t完成时限",  # no task column
        "工作任务\t具体说明\t备注",  # a task column, but neither units nor deadlines
        "序号\t工作任务\t推进情况",  # three roles without units or a deadline
    ],
)
def test_what_is_not_a_table_header(line):
    assert header_columns(line) is None


# --- 完成时限 -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "year", "deadline"),
    [
        ("2024年9月15日", None, date(2024, 9, 15)),
        ("2024.9.15", 2023, date(2024, 9, 15)),  # a written year wins over the plan's
        ("2024-11-20前", None, date(2024, 11, 20)),
        ("2024年2月30日", 2024, None),  # no such day
        ("2024年10月", None, date(2024, 10, 31)),
        ("6月底", 2024, date(2024, 6, 30)),  # the plan's year
        ("2月底前", 2024, date(2024, 2, 29)),  # a leap year's February
        ("1月底", 2025, date(2025, 1, 31)),
        ("12月底", 2025, date(2025, 12, 31)),
        ("六月底", 2024, date(2024, 6, 30)),  # a month in Chinese numerals
        ("十一月份", 2024, date(2024, 11, 30)),
        ("6月底", None, None),  # no year written and none known
        ("13月底", 2024, None),  # no such month
        ("年底前", 2024, date(2024, 12, 31)),
        ("全年", 2025, date(2025, 12, 31)),
        ("2025年底", None, date(2025, 12, 31)),
        ("2025年年末", 2024, date(2025, 12, 31)),
        ("年底", None, None),
        ("长期坚持", 2024, None),
        ("持续推进", 2024, None),
    ],
)
def test_a_deadline_as_tables_write_it(text, year, deadline):
    assert parse_deadline(text, year) == deadline


# --- the rows of a 责任分工 table --------------------------------------------------------------

COLS = {"code": 0, "task": 1, "lead": 2, "co": 3, "deadline": 4, "person": 5}
LONG = "并同步完善科技创新券兑付细则，建立按季度调度和年度绩效评价机制"  # 31 characters, no closing mark


def test_task_rows_read_units_deadline_and_person():
    rows, used = parse_rows(
        [
            "1\t新增高新技术企业30家\t区科技局、区经济信息委\t区财政局\t6月底\t张伟",
            "区发展改革委",  # a unit alone on its line: one more unit of the task above
            "二\t建成科技企业孵化器2个\t区科技局\t\t2024年12月底\t",
            "3\t完善科技金融服务体系",  # a row with only its number and task
            "说明：以上任务按季度调度。",
        ],
        COLS,
        2024,
    )
    assert [(r.code, r.task, r.lead_units, r.co_units, r.deadline, r.person) for r in rows] == [
        ("1", "新增高新技术企业30家", ["区科技局"], ["区经济信息委", "区财政局", "区发展改革委"], date(2024, 6, 30), "张伟"),
        ("二", "建成科技企业孵化器2个", ["区科技局"], [], date(2024, 12, 31), ""),
        ("3", "完善科技金融服务体系", [], [], None, ""),
    ]
    assert used == 4  # the note after the table is not the table's


def test_a_long_line_without_a_closing_mark_continues_the_task_above():
    assert len(LONG) == 31
    rows, used = parse_rows(
        ["1\t建设科技服务平台\t区科技局\t\t\t", "2\t设立科技创新券\t区科技局\t\t\t", LONG, "3\t举办创新创业大赛\t区科技局\t\t\t"],
        COLS,
        2024,
    )
    assert [r.task for r in rows] == ["建设科技服务平台", "设立科技创新券" + LONG, "举办创新创业大赛"]
    assert used == 4


@pytest.mark.parametrize(
    "after",
    [
        LONG[:30],  # 30 characters: too short to be the rest of a task
        LONG + "。",  # a finished sentence: text after the table
        "备注：按季度调度",  # a short note
        LONG + "\t区科技局",  # two cells, the first not a number
    ],
)
def test_what_ends_a_table(after):
    rows, used = parse_rows(["1\t建设科技服务平台\t区科技局\t\t\t", after, "2\t表后的编号行\t区科技局\t\t\t"], COLS, 2024)
    assert [r.task for r in rows] == ["建设科技服务平台"] and used == 1


def test_a_line_of_unit_names_up_to_30_characters_continues_the_units():
    units = "区发展改革委、区科技局、区财政局、区经济信息委、区城市管理局"
    assert len(units) == 30
    rows, used = parse_rows(["1\t建设科技服务平台\t区科技局\t\t\t", units], COLS, 2024)
    assert rows[0].co_units == ["区发展改革委", "区科技局", "区财政局", "区经济信息委", "区城市管理局"] and used == 2


def test_a_long_line_ending_like_a_unit_name_is_still_the_task():
    more = "推进科技成果转化，支持企业与高校建设研发中心和区级技术创新中心"
    assert len(more) == 31
    rows, _ = parse_rows(["1\t建设科技服务平台\t区科技局\t\t\t", more], COLS, 2024)
    assert rows[0].task == "建设科技服务平台" + more and rows[0].co_units == []


def test_markdown_rules_and_blank_lines_inside_a_table_are_read_over():
    rows, used = parse_rows(
        ["|---|---|---|---|---|---|", "| 1 | 建设科技服务平台 | 区科技局 | | | |", "", "|:--|:--|", "| 2 | 举办创新创业大赛 | 区科技局 | | | |", "正文"],
        COLS,
        2024,
    )
    assert [r.code for r in rows] == ["1", "2"] and used == 5


def test_a_table_whose_first_line_is_not_a_row_reads_nothing():
    assert parse_rows(["说明：本表由区科技局汇总", "1\t建设科技服务平台\t区科技局"], COLS, 2024) == ([], 0)


def test_a_plan_goes_on_after_its_table():
    p = parse_plan(
        "某区2024年科技创新任务分工\n"
        "序号\t工作任务\t责任单位\t完成时限\n"
        "1\t新增高新技术企业30家\t区科技局\t6月底\n"
        "2\t建成孵化器2个\t区科技局\t年底前\n"
        "一、工作目标\n"
        "科技型企业达到600家。\n"
    )
    (s,) = p.sections
    assert [(i.code, i.deadline) for i in s.items] == [("1", date(2024, 6, 30)), ("2", date(2024, 12, 31))]
    assert [(g.subject, g.value, g.unit) for g in p.goals] == [("科技型企业", 600, "家")]


# --- the header of an indicator table -------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "columns"),
    [
        ("指标名称\t单位\t目标值", {"name": 0, "unit": 1, "target": 2}),
        ("序号\t指  标\t计量单位\t目  标", {"name": 1, "unit": 2, "target": 3}),  # spaced as Word tables space them
        ("指标\t单位\t2025年目标\t2024年基数", {"name": 0, "unit": 1, "target": 2, "baseline": 3}),
        ("指标\t单位\t2025年计划\t2023年完成", {"name": 0, "unit": 1, "target": 2, "baseline": 3}),
        ("发展指标\t单位\t年度目标", {"name": 0, "unit": 1, "target": 2}),  # a name column ending in 指标
        ("经济社会发展主要指标\t单位\t目标", {"name": 0, "unit": 1, "target": 2}),  # 10 characters
    ],
)
def test_an_indicator_header_names_its_columns(line, columns):
    assert indicator_columns(line) == columns


@pytest.mark.parametrize(
    "line",
    [
        "指标名称\t目标值",  # two cells
        "指标名称\t单位\t备注",  # no target column
        "序号\t单位\t目标值",  # no name column
        "区经济社会发展主要指标\t单位\t目标",  # 11 characters: a caption, not a column name
    ],
)
def test_what_is_not_an_indicator_header(line):
    assert indicator_columns(line) is None


def test_indicator_rows_read_a_spaced_horizon_ranges_and_rules_between_rows():
    cols = {"name": 0, "unit": 1, "target": 2}
    rows, used = parse_indicator_rows(
        ["| 研发投入强度 | % | 2.5-3 |", "|---|---|---|", "| 高新技术企业 | 家 | ≥330 |"], cols, "| 指标 | 单位 | 2025 年目标 |"
    )
    assert [(r.name, r.value, r.upper, r.horizon) for r in rows] == [("研发投入强度", 2.5, 3.0, 2025), ("高新技术企业", 330.0, None, 2025)]
    assert used == 3


def test_unit_names_in_a_cell():
    from closedloop.domain.plan_parser.tables import split_units

    forty = ("重庆市巴南区人民政府龙洲湾街道办事处社区网格化服务管理中心第一分中心综合服务站点" * 2)[:40]
    assert split_units(f"（区科技局）、区委；区财政局，等 2025.6/{forty}/{forty}二") == ["区科技局", "区委", "区财政局", forty]


@pytest.mark.parametrize(
    ("cell", "comparator"),
    [(">=330", ">="), ("不低于330", ">="), ("达到330", ">="), ("<=3", "<="), ("不高于3", "<="), (">5", ">"), ("＜2", "<")],
)
def test_each_comparator_word_an_indicator_cell_may_hold(cell, comparator):
    from closedloop.domain.plan_parser.tables import parse_indicator_cell

    assert parse_indicator_cell(cell)[:2] == (comparator, float(cell.lstrip("<>=＜不低高于达到")))
