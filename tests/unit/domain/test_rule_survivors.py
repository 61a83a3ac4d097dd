"""Rules the mutation run of domain/ found unwatched by the unit tests (docs/testing.md): each
test pins one boundary or branch a single-character change would move unnoticed."""

from __future__ import annotations

import datetime as dt

import pytest

from closedloop.domain.errors import Invalid
from closedloop.domain.lights import UNDRILLED, Light, Thresholds, item_light, item_light_with_reason, unit_light
from closedloop.domain.plan_parser.documents import document_text
from closedloop.domain.plan_parser.tables import parse_indicator_cell, parse_indicator_rows
from closedloop.domain.reported_values import BadValue, goal_value_bounds, goal_value_problem, parse_number
from closedloop.domain.trajectory import cumulative, goal_start

D = dt.date

# --- a unit's light in an edition ----------------------------------------------------------


@pytest.mark.parametrize(
    ("behind", "overdue", "undrilled", "light"),
    [
        (None, 0, 0, Light.GREEN),  # no goals: on the trajectory
        (0.0, 0, 0, Light.GREEN),
        (30.0, 0, 0, Light.YELLOW),  # red only past 30 points
        (30.5, 0, 0, Light.RED),
        (10.0, 0, 0, Light.YELLOW),  # yellow from 10 points
        (9.9, 0, 0, Light.GREEN),
        (9.9, 0, 1, Light.YELLOW),  # an undrilled item: at least yellow
        (0.0, 1, 0, Light.RED),  # an overdue item: red
        (-10.0, 0, 0, Light.BLUE),  # 10 points ahead: blue
        (-9.9, 0, 0, Light.GREEN),
        (-20.0, 0, 1, Light.YELLOW),  # ahead, but an undrilled item
        (-20.0, 1, 0, Light.RED),
        (0.5, 0, 0, Light.GREEN),
    ],
)
def test_unit_light_thresholds(behind, overdue, undrilled, light):
    assert unit_light(behind, overdue, undrilled) == light


def test_unit_light_follows_configured_thresholds():
    t = Thresholds(ahead_points=5.0, yellow_points=4.0, red_points=8.0)
    assert unit_light(8.0, 0, 0, t) == Light.YELLOW and unit_light(8.1, 0, 0, t) == Light.RED
    assert unit_light(4.0, 0, 0, t) == Light.YELLOW and unit_light(-5.0, 0, 0, t) == Light.BLUE


# --- an item's light and its reason ----------------------------------------------------------

AS_OF = D(2024, 6, 3)
FAR = D(2024, 12, 31)


def test_an_undrilled_item_is_yellow_for_that_reason():
    got = item_light_with_reason([], deadline=FAR, done=False, as_of=AS_OF, is_undrilled=True)
    assert got.light == Light.YELLOW and got.reason == UNDRILLED
    assert item_light([], deadline=FAR, done=False, as_of=AS_OF, is_undrilled=True) == Light.YELLOW
    # without the flag (the default), the same item is green and has no reason of its own
    plain = item_light_with_reason([], deadline=FAR, done=False, as_of=AS_OF)
    assert plain.light == Light.GREEN and plain.reason is None
    assert item_light([], deadline=FAR, done=False, as_of=AS_OF) == Light.GREEN


def test_the_undrilled_reason_only_when_yellow_is_the_worst():
    red = item_light_with_reason([Light.RED], deadline=FAR, done=False, as_of=AS_OF, is_undrilled=True)
    assert red.light == Light.RED and red.reason is None
    yellow_goal = item_light_with_reason([Light.YELLOW], deadline=FAR, done=False, as_of=AS_OF)
    assert yellow_goal.light == Light.YELLOW and yellow_goal.reason is None
    undrilled_no_deadline = item_light_with_reason([None], deadline=None, done=False, as_of=AS_OF, is_undrilled=True)
    assert undrilled_no_deadline.light == Light.YELLOW and undrilled_no_deadline.reason == UNDRILLED


def test_item_light_passes_its_thresholds_on():
    t = Thresholds(due_soon_days=10)
    assert item_light([], deadline=AS_OF + dt.timedelta(days=7), done=False, as_of=AS_OF, t=t) == Light.YELLOW
    assert item_light([], deadline=AS_OF + dt.timedelta(days=7), done=False, as_of=AS_OF) == Light.GREEN


# --- a goal's start and whether it counts upwards --------------------------------------------


def test_goal_start():
    plan = D(2024, 1, 15)
    assert goal_start(D(2024, 3, 1), plan, D(2024, 2, 1)) == D(2024, 3, 1)  # explicit first
    assert goal_start(D(2024, 1, 2), plan, None) == D(2024, 1, 2)
    assert goal_start(None, plan, D(2024, 2, 1)) == D(2024, 2, 1)  # assigned after the plan
    assert goal_start(None, plan, D(2024, 1, 10)) == plan  # assigned before it
    assert goal_start(None, plan, plan) == plan
    assert goal_start(None, plan, None) == plan


@pytest.mark.parametrize(
    ("comparator", "baseline", "target", "counts"),
    [(">=", 10.0, 20.0, True), (">=", 20.0, 20.0, False), (">", None, 5.0, True), (">", None, 0.0, False), (">=", None, 0.5, True),
     ("<=", 10.0, 20.0, False), (">=", 10.0, None, False), (None, 0.0, 5.0, False)],
)
def test_cumulative(comparator, baseline, target, counts):
    assert cumulative(comparator, baseline, target) is counts


# --- what a reported number may be ------------------------------------------------------------


@pytest.mark.parametrize(("raw", "value"), [("1 234", 1234.0), ("1,234.5", 1234.5), ("１２３", 123.0), (" 12.5% ", 12.5), (7, 7.0), ("", None)])
def test_parse_number_reads_what_people_type(raw, value):
    assert parse_number(raw) == value


@pytest.mark.parametrize("raw", [True, "abc", "nan", "inf", dt.date(2024, 6, 3), float("inf")])
def test_parse_number_names_what_is_not_a_number(raw):
    with pytest.raises(BadValue) as e:
        parse_number(raw)
    assert str(e.value) == "不是数字"


@pytest.mark.parametrize(
    ("value", "unit", "problem"),
    [
        (1e15, None, None), (1.5e15, None, "数值超出范围"), (-1e15, "", None),
        (-100.0, "%", None), (1000.0, "%", None), (-100.5, "%", "百分比应在 -100 到 1000 之间"), (1000.5, "％", "百分比应在 -100 到 1000 之间"),
        (0.0, "家", None), (-1.0, "家", "以“家”计的数值不能为负数"), (-0.5, "万元", "以“万元”计的数值不能为负数"), (0.5, "万元", None),
        (2.5, "家", "以“家”计的数值应为整数"), (-3.0, None, None), (-3.0, " 家 ", "以“家”计的数值不能为负数"),
    ],
)
def test_goal_value_problem(value, unit, problem):
    assert goal_value_problem(value, unit) == problem


@pytest.mark.parametrize(
    ("unit", "bounds"),
    [("%", (-100.0, 1000.0)), ("家", (0.0, 1e15)), ("亿元", (0.0, 1e15)), (None, (-1e15, 1e15)), ("", (-1e15, 1e15)), ("指数", (-1e15, 1e15))],
)
def test_goal_value_bounds(unit, bounds):
    assert goal_value_bounds(unit) == bounds


# --- a refused document names the file as the problem's field --------------------------------


@pytest.mark.parametrize(("name", "raw", "code"), [("plan.txt", b"", "empty"), ("plan.doc", b"x", "format"), ("plan.docx", b"not a zip", "format")])
def test_a_refused_document_says_why_on_the_file_field(name, raw, code):
    with pytest.raises(Invalid) as e:
        document_text(name, raw)
    [problem] = e.value.problems
    assert (problem.code, problem.field) == (code, "file") and problem.message == e.value.message and problem.message


# --- an indicator table's target cell ---------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "parsed"),
    [
        ("330", (">=", 330.0, None, False, True, "")),
        ("≥330", (">=", 330.0, None, False, False, "")),
        ("不少于 330", (">=", 330.0, None, False, False, "")),
        ("＞5", (">", 5.0, None, False, False, "")),
        ("突破100", (">", 100.0, None, False, False, "")),
        ("≤3", ("<=", 3.0, None, False, False, "")),
        ("不超过3", ("<=", 3.0, None, False, False, "")),
        ("<2", ("<", 2.0, None, False, False, "")),
        ("5％", (">=", 5.0, None, False, True, "%")),
        ("6.5%左右", (">=", 6.5, None, True, False, "%")),
        ("5-6%", (">=", 5.0, 6.0, False, True, "%")),
        ("5至6个百分点", (">=", 5.0, 6.0, False, True, "个百分点")),
        ("100以上", (">=", 100.0, None, False, False, "")),
        ("超过100以上", (">", 100.0, None, False, False, "")),
        ("≤100以上", (">=", 100.0, None, False, False, "")),
        ("3‰以内", ("<=", 3.0, None, False, False, "‰")),
        ("≥3以下", ("<=", 3.0, None, False, False, "")),
        (" 12 ", (">=", 12.0, None, False, True, "")),
    ],
)
def test_parse_indicator_cell(cell, parsed):
    assert parse_indicator_cell(cell) == parsed


@pytest.mark.parametrize("cell", ["", "—", "待定", "约5", "5家", "≥"])
def test_a_cell_without_a_target_is_none(cell):
    assert parse_indicator_cell(cell) is None


def test_indicator_rows_read_names_units_targets_baselines_and_the_horizon():
    cols = {"name": 0, "unit": 1, "target": 2, "baseline": 3}
    lines = [
        "|---|---|---|---|",
        "| 1. 高新技术企业 | 家 | ≥330 | 300 |",
        "| 2、研发投入强度 |  | 2.5% | 2.2% |",
        "| 3 规上工业增加值增速 | ％ | 6左右 | |",
        "| 合计 | | 说明 | |",  # no target: skipped but counted as used
        "| 4．专利授权 | 件 | 1200 | 1100 |",
        "本段为说明文字",  # one cell after rows: the table has ended
        "| 5. 表外 | 家 | 10 | |",
    ]
    rows, used = parse_indicator_rows(lines, cols, "| 指标 | 单位 | 2025年目标 | 基数 |")
    assert [(r.name, r.unit, r.comparator, r.value, r.upper, r.approx, r.plain, r.baseline, r.horizon) for r in rows] == [
        ("高新技术企业", "家", ">=", 330.0, None, False, False, 300.0, 2025),
        ("研发投入强度", "%", ">=", 2.5, None, False, True, 2.2, 2025),
        ("规上工业增加值增速", "%", ">=", 6.0, None, True, False, None, 2025),
        ("专利授权", "件", ">=", 1200.0, None, False, True, 1100.0, 2025),
    ]
    assert used == 6


def test_indicator_rows_without_a_horizon_and_a_table_that_does_not_start():
    cols = {"name": 0, "target": 1}
    rows, used = parse_indicator_rows(["| 高新技术企业 | 330 |"], cols, "| 指标 | 目标 |")
    assert rows[0].horizon is None and rows[0].unit == "" and used == 1
    # the first line is not a row: nothing is read
    assert parse_indicator_rows(["| 说明 | 无 |", "| 高新技术企业 | 330 |"], cols, "| 指标 | 目标 |") == ([], 0)
    # a short row after rows ends the table, a full one without a target is skipped
    rows, used = parse_indicator_rows(["| 甲 | 1 |", "| 乙 | 无 |", "| 丙 | 2 |"], cols, "| 指标 | 目标 |")
    assert [r.name for r in rows] == ["甲", "丙"] and used == 3


# --- plan reader: shares and doublings without digits -----------------------------------------


@pytest.mark.parametrize(
    ("clause", "goal"),
    [
        ("高新技术企业数量翻一番", ("高新技术企业数量", ">=", 2.0, "倍", True)),
        ("研发投入翻番", ("研发投入", ">=", 2.0, "倍", True)),
        ("研发投入翻两番", ("研发投入", ">=", 4.0, "倍", True)),
        ("研发投入翻二番", ("研发投入", ">=", 4.0, "倍", True)),
        ("研发机构覆盖率超过一半", ("研发机构覆盖率", ">", 50.0, "%", False)),
        ("研发机构覆盖率超过一半以上", ("研发机构覆盖率", ">=", 50.0, "%", False)),
        ("研发机构覆盖率达到一半", ("研发机构覆盖率", ">=", 50.0, "%", False)),
        # the whole a share is of belongs to the subject, 一半 and 以上 do not
        ("实践性教学课时占总课时一半以上", ("实践性教学课时总课时", ">=", 50.0, "%", False)),
        ("实践性教学课时占总课时一半", ("实践性教学课时总课时", ">=", 50.0, "%", False)),
        ("有研发活动的企业占比一半以上", ("有研发活动的企业占比", ">=", 50.0, "%", False)),
        ("有研发活动的企业占比达到一半", ("有研发活动的企业占比", ">=", 50.0, "%", False)),
    ],
)
def test_a_share_or_a_doubling_written_in_words(clause, goal):
    from closedloop.domain.plan_parser import extract_goals

    [g] = extract_goals(clause, year=2025)
    assert (g.subject, g.comparator, g.value, g.unit, g.plain) == goal and g.source == clause


@pytest.mark.parametrize("clause", ["翻一番", "超过一半", "翻两番"])
def test_a_share_or_doubling_without_a_subject_is_no_goal(clause):
    from closedloop.domain.plan_parser import extract_goals

    assert extract_goals(clause) == []


def test_a_share_in_words_keeps_the_plans_horizon():
    from closedloop.domain.plan_parser import extract_goals

    [g] = extract_goals("到2027年，高新技术企业数量翻一番", year=2025)
    assert g.horizon == 2027 and g.subject == "高新技术企业数量"


# --- plan reader: text files ------------------------------------------------------------------


def test_decode_text_reads_utf8_with_or_without_bom_and_gb18030():
    from closedloop.domain.plan_parser.documents import decode_text

    text = "某区2025年科技工作要点\n一、重点工作"
    assert decode_text(text.encode("utf-8")) == text
    assert decode_text(b"\xef\xbb\xbf" + text.encode("utf-8")) == text
    assert decode_text(text.encode("gb18030")) == text
    assert decode_text("plain ascii 2025".encode()) == "plain ascii 2025"


def test_decode_text_refuses_bytes_that_only_gb18030_would_take():
    from closedloop.domain.plan_parser.documents import decode_text

    # Latin-1 accents decode as GB18030 into rare characters: not a Chinese text
    noise = "Ça déborde à l'été, où ça ?".encode("latin-1") * 3
    with pytest.raises(Invalid) as e:
        decode_text(noise)
    assert e.value.problems[0].code == "encoding" and e.value.problems[0].field == "file" and "UTF-8" in e.value.message
    with pytest.raises(Invalid):
        decode_text(b"\x81\x30")  # a cut GB18030 sequence


def test_decode_text_accepts_a_mostly_chinese_gb18030_text_with_some_latin():
    from closedloop.domain.plan_parser.documents import decode_text

    text = "高新技术企业达到330家（R&D投入强度2.5%）。" * 3
    assert decode_text(text.encode("gb18030")) == text


# --- plan reader: Word list numbering ---------------------------------------------------------


@pytest.mark.parametrize(
    ("n", "fmt", "text"),
    [
        (1, "chineseCounting", "一"), (10, "chineseCounting", "十"), (11, "chineseCounting", "十一"), (19, "chineseCounting", "十九"),
        (20, "chineseCountingThousand", "二十"), (23, "ideographTraditional", "二十三"), (99, "taiwaneseCounting", "九十九"),
        (100, "chineseLegalSimplified", "100"), (1, "lowerLetter", "a"), (27, "lowerLetter", "a"), (26, "lowerLetter", "z"),
        (2, "upperLetter", "B"), (28, "upperLetter", "B"), (3, "bullet", ""), (3, "decimal", "3"), (12, "decimalEnclosedCircle", "12"),
    ],
)
def test_word_list_numbers(n, fmt, text):
    from closedloop.domain.plan_parser.documents import _format_counter

    assert _format_counter(n, fmt) == text


# --- plan reader: what a parsed plan lacks ----------------------------------------------------


def test_what_a_parsed_plan_lacks():
    from closedloop.domain.plan_parser.model import ParsedGoal, ParsedItem, ParsedPlan, ParsedSection

    empty = ParsedPlan(title="", issuer=None, issued_on=None, year=None)
    assert [f for f, _ in empty.missing()] == ["title", "sections", "items"]
    goal = ParsedGoal("高新技术企业", ">=", 330.0, "家")
    only_goals = ParsedPlan(title="某区要点", issuer=None, issued_on=None, year=2025, goals=[goal])
    assert only_goals.missing() == []  # targets without a task part are still a plan
    no_items = ParsedPlan(title="某区要点", issuer=None, issued_on=None, year=2025, sections=[ParsedSection("（一）", "创新", "")])
    assert no_items.missing() == [("items", "未找到任何工作事项（如“一是”“1.”“（1）”）")]
    item = ParsedItem("一是", "建平台", "建平台", goals=[ParsedGoal("平台", ">=", 3.0, "个"), ParsedGoal("企业", ">=", 1.0, "家", plan_goal=0)])
    whole = ParsedPlan(title="某区要点", issuer=None, issued_on=None, year=2025, goals=[goal], sections=[ParsedSection("（一）", "创新", "", [item])])
    assert whole.missing() == []
    # the plan goals, and the item goals that do not restate one
    assert [g.subject for g in whole.all_goals()] == ["高新技术企业", "平台"]


# --- plan reader: unit notes and indicator goals ----------------------------------------------


@pytest.mark.parametrize(
    ("note", "units"),
    [
        ("市政府办公室、市审改办牵头，市级各有关部门按职责分工负责", ["市政府办公室", "市审改办"]),
        ("区科技局牵头；区财政局配合", ["区科技局", "区财政局"]),
        ("区科技局、区科技局", ["区科技局"]),
        ("区科技局等有关部门参与", ["区科技局"]),
        ("局、区财政局按职责负责", ["区财政局"]),
    ],
)
def test_unit_names_from_a_note(note, units):
    from closedloop.domain.plan_parser.structure import clean_units

    assert clean_units(note) == units


@pytest.mark.parametrize(
    ("name", "unit", "kind"),
    [("地区生产总值增长", "%", "growth"), ("研发投入增速", "个百分点", "growth"), ("能耗下降", "%", "decline"), ("单位GDP能耗降低", "个百分点", "decline"),
     ("营业收入增长", "亿元", "level"), ("研发投入强度", "%", "level")],
)
def test_an_indicator_rows_kind(name, unit, kind):
    from closedloop.domain.plan_parser.structure import _indicator_goal
    from closedloop.domain.plan_parser.tables import IndicatorRow

    row = IndicatorRow(name=name, unit=unit, comparator=">=", value=6.0, upper=7.0, approx=True, plain=False, baseline=5.0, horizon=2027)
    g = _indicator_goal(row)
    assert g.kind == kind
    assert (g.subject, g.comparator, g.value, g.unit, g.source, g.approx, g.plain, g.upper, g.horizon, g.baseline) == (
        name, ">=", 6.0, unit, name, True, False, 7.0, 2027, 5.0)


# --- the errors' HTTP mapping -----------------------------------------------------------------


def test_each_domain_error_says_its_status_code_and_headers():
    from closedloop.domain.errors import Conflict, DomainError, Forbidden, GateNotMet, NotFound, TooManyAttempts, Unauthorized

    table = [(DomainError, 400, "error"), (NotFound, 404, "not_found"), (Forbidden, 403, "forbidden"), (Unauthorized, 401, "unauthorized"),
             (Conflict, 409, "conflict"), (GateNotMet, 409, "gate_not_met"), (Invalid, 422, "invalid"), (TooManyAttempts, 429, "too_many_attempts")]
    for cls, status, code in table:
        e = cls("出错了")
        assert (e.status, e.code, str(e), e.problems) == (status, code, "出错了", [])
    assert Unauthorized("x").headers() == {"WWW-Authenticate": "Bearer"}
    assert TooManyAttempts("x").headers() == {"Retry-After": "60"}
    later = TooManyAttempts("x")
    later.retry_after = 7
    assert later.headers() == {"Retry-After": "7"}
    assert NotFound("x").headers() == {} and Invalid("x").headers() == {}


# --- trajectory: the direction a goal is judged by --------------------------------------------


def test_effective_comparator_and_what_it_decides():
    from closedloop.domain.trajectory import completion, effective_comparator, plan_date, reached

    assert effective_comparator("<", 10.0, 20.0) == "<"  # its own first
    assert effective_comparator(None, 10.0, 5.0) == "<="  # falling from the baseline
    assert effective_comparator(None, 10.0, 10.0) == ">="
    assert effective_comparator(None, None, -1.0) == "<=" and effective_comparator(None, None, 0.5) == ">="  # baseline 0
    assert effective_comparator(None, 10.0, None) == ">="
    # reached and completion follow it
    assert reached(4.0, None, 5.0, 10.0) and not reached(6.0, None, 5.0, 10.0)
    assert reached(6.0, "~", 5.0) and not reached(4.0, "~", 5.0)  # an unknown comparator follows the direction too
    assert completion(5.0, 5.0, 5.0, None) == 1.0 and completion(5.0, 5.0, 5.0, "<") == 0.0  # no gap: reached or not
    assert completion(5.0, 5.0, 5.0, "<=") == 1.0
    assert completion(6.0, 0.0, 5.0, "=") == pytest.approx(0.8) and completion(4.0, 0.0, 5.0, "=") == pytest.approx(0.8)
    assert completion(5.0, None, 10.0, "=") == pytest.approx(0.5)
    assert completion(7.5, 10.0, 5.0, None) == pytest.approx(0.5)  # a falling goal half way
    # a plan's date: issued, else 1 January of its year, else the day it was imported
    assert plan_date(D(2024, 3, 5), 2024, D(2024, 4, 1)) == D(2024, 3, 5)
    assert plan_date(None, 2025, D(2024, 12, 20)) == D(2025, 1, 1)
    assert plan_date(None, None, D(2024, 12, 20)) == D(2024, 12, 20)
    assert goal_start(None, D(2024, 1, 15), D(2024, 1, 15)) == D(2024, 1, 15)


# --- periods: bounds and the messages people read ---------------------------------------------


def test_period_bounds_and_messages():
    from closedloop.domain import periods

    today = D(2030, 6, 1)
    assert periods.parse("1901-W01").key == "1901-W01" and periods.parse("2999-12").key == "2999-12"
    for text, message in [("1900-W01", "年份无效"), ("3000-01", "年份无效"), ("2026-W00", "2026年只有 53 周"), ("2026-W54", "2026年只有 53 周"),
                          ("2026-13", "月份应在 1 到 12 之间"), ("2026-00", "月份应在 1 到 12 之间")]:
        with pytest.raises(periods.PeriodError) as e:
            periods.parse(text)
        assert str(e.value) == message, text
    assert periods.parse("2026-W01").key == "2026-W01" and periods.parse("2026-W53").key == "2026-W53"
    assert periods.parse("2026-Q4").key == "2026-Q4" and periods.parse("2026年第一季度").key == "2026-Q1"
    with pytest.raises(periods.PeriodError) as e:
        periods.parse("2026-Q5")
    assert str(e.value).startswith("填报周期应写作 2026-W48")
    with pytest.raises(periods.PeriodError) as e:
        periods.parse("")
    assert str(e.value).startswith("填报周期应写作 2026-W48")
    assert periods.parse("第3周", today=today).key == "2030-W03"  # a week without a year: the given day's year
    with pytest.raises(periods.PeriodError) as e:
        periods.containing("daily", today)
    assert str(e.value) == "周期类型必须是 weekly、monthly 或 quarterly"
    with pytest.raises(periods.PeriodError) as e:
        periods.parse_key("weekly", "2026-11")
    assert str(e.value) == "周期应为 2024-W15（周）、2024-05（月）或 2024-Q2（季度），并与 cadence 一致"
    assert periods.label_of("2026-Q4") == "2026年第四季度" and periods.label_of("bad") == "bad"
    assert periods.parse("2026-W01").previous().key == "2025-W52" and periods.parse("2026-W52").next().key == "2026-W53"
    assert periods.parse("2026-W53").next().key == "2027-W01" and periods.parse("2027-W01").previous().key == "2026-W53"
    assert periods.parse("2026-01").previous().key == "2025-12" and periods.parse("2026-Q1").previous().key == "2025-Q4"


# --- scoring and the goal light with a falling goal -------------------------------------------


def test_a_falling_goal_is_judged_by_its_direction():
    from closedloop.domain.lights import GoalState, goal_light

    falling = GoalState(comparator=None, baseline=10.0, target=5.0, deadline=D(2024, 12, 31), actual=4.0, start=D(2024, 1, 1))
    assert goal_light(falling, D(2024, 6, 3)) == Light.BLUE  # at or below 5: reached
