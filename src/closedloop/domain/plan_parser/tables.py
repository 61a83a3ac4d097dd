"""责任分工 tables and progress ledgers written as text: a header row (序号 / 目标任务 / 责任单位 /
完成时限 / 推进情况 …) then one row per task, cells separated by tabs, ``|`` or runs of spaces.

A row whose first cell is a number starts a task; a line holding only a unit name continues the
responsible units of the task above (tables copied from Word put each unit on its own line). The
推进情况 column is progress, never a target. Word and Excel tables reach this module as
tab-separated rows (see ``documents``).
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field
from datetime import date

from closedloop.domain.plan_parser.numerals import CN_NUM, cn_to_int

COLUMNS = {
    "code": ("序号", "编号"),
    "task": ("目标任务", "工作任务", "重点任务", "主要任务", "工作内容", "任务内容", "工作事项", "事项", "任务", "工作措施", "具体措施"),
    "lead": ("牵头单位", "责任单位", "主责单位", "责任部门", "牵头部门"),
    "co": ("配合单位", "协办单位", "协同单位", "配合部门"),
    "deadline": ("完成时限", "完成时间", "时限", "时间节点", "截止时间"),
    "person": ("责任人", "责任领导", "分管领导"),
    "progress": ("推进情况", "进展情况", "完成情况", "进度", "备注"),
}
UNIT_END = re.compile(r"(?:局|委|办|中心|政府|街道|镇|乡|公司|部|院|会|厅|署|处|室|队|所|站|馆|社|团|集团|办公室|管委会)$")


@dataclass
class TableRow:
    code: str
    task: str
    lead_units: list[str] = field(default_factory=list)
    co_units: list[str] = field(default_factory=list)
    deadline: date | None = None
    person: str = ""


def split_cells(line: str) -> list[str]:
    if "\t" in line:
        return [c.strip() for c in line.split("\t")]
    if "|" in line:
        return [c.strip() for c in line.strip().strip("|").split("|")]
    return [c.strip() for c in re.split(r"\s+", line.strip())]


def header_columns(line: str) -> dict[str, int] | None:
    """Column index by role when ``line`` is a table header (a task column and at least two of
    序号 / 责任单位 / 时限 …), else None."""
    cells = split_cells(line)
    if len(cells) < 3:
        return None
    cols: dict[str, int] = {}
    for i, cell in enumerate(cells):
        for role, words in COLUMNS.items():
            if role not in cols and any(cell == w or (len(cell) <= 8 and w in cell) for w in words):
                cols[role] = i
                break
    if "task" in cols and len(cols) >= 3 and ("lead" in cols or "deadline" in cols):
        return cols
    return None


def split_units(text: str) -> list[str]:
    parts = re.split(r"[、，,；;/\s]+|(?<=[局委办])及", text)
    return [p.strip("（）() ") for p in parts if 1 < len(p.strip("（）() ")) <= 40 and not re.fullmatch(r"[\d.]+", p)]


def parse_deadline(text: str, year: int | None) -> date | None:
    """2024年12月底 / 12月底前 / 2024年10月 / 2024.6.30 / 年底 → a date; None for 长期、持续推进."""
    t = text.strip()
    if m := re.search(r"((?:19|20)\d{2})[年.\-/](\d{1,2})[月.\-/](\d{1,2})日?", t):
        try:
            return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        except ValueError:
            return None
    m = re.search(r"(?:((?:19|20)\d{2})年)?(\d{1,2}|[" + CN_NUM + r"]{1,3})月(?:底|末|份)?", t)
    if m:
        y = int(m.group(1)) if m.group(1) else year
        mo = int(m.group(2)) if m.group(2).isdigit() else cn_to_int(m.group(2))
        if y and mo and 1 <= mo <= 12:
            return date(y, mo, calendar.monthrange(y, mo)[1])
    if re.search(r"年底|年末|全年", t) and (year or re.search(r"(?:19|20)\d{2}", t)):
        y = int(re.search(r"((?:19|20)\d{2})", t).group(1)) if re.search(r"(?:19|20)\d{2}", t) else year  # type: ignore[union-attr]  # the same pattern matched in the condition just before
        return date(y, 12, 31)  # type: ignore[arg-type]  # y is a year here: the pattern matched, or the plan's year was given
    return None


def find_table(lines: list[str]) -> tuple[int, dict[str, int]] | None:
    for i, line in enumerate(lines):
        cols = header_columns(line)
        if cols:
            return i, cols
    return None


def parse_rows(lines: list[str], cols: dict[str, int], year: int | None) -> tuple[list[TableRow], int]:
    """Rows after the header; returns the rows and how many lines were read."""
    rows: list[TableRow] = []
    used = 0
    for line in lines:
        if re.fullmatch(r"[|\-:\s]+", line):  # Markdown table rule
            used += 1
            continue
        cells = split_cells(line)
        first = cells[0] if cells else ""
        starts = re.fullmatch(rf"\d{{1,3}}|[{CN_NUM}]{{1,3}}", first) and len(cells) >= 2

        def cell(role: str) -> str:
            i = cols.get(role)
            return cells[i] if i is not None and i < len(cells) else ""  # noqa: B023 (called within this iteration only)

        if starts:
            lead = split_units(cell("lead"))
            rows.append(
                TableRow(
                    code=first,
                    task=cell("task"),
                    lead_units=lead[:1],
                    co_units=lead[1:] + split_units(cell("co")),
                    deadline=parse_deadline(cell("deadline"), year),
                    person=cell("person"),
                )
            )
        elif rows:
            content = [c for c in cells if c]
            if not content:
                used += 1
                continue
            if all(UNIT_END.search(c) and len(c) <= 30 for c in content):
                rows[-1].co_units.extend(u for c in content for u in split_units(c))
            elif len(content) == 1 and not re.search(r"[。；;]$", content[0]) and len(content[0]) > 30:
                rows[-1].task += content[0]
            else:
                break
        else:
            break
        used += 1
    return rows, used


# ---------------------------------------------------------------------------
# Indicator tables: 序号 / 指标名称 / 单位 / 2023年基数 / 2024年目标 …

INDICATOR_COLUMNS = {
    "name": ("指标名称", "主要指标", "指标项", "指标"),
    "unit": ("计量单位", "单位"),
    "target": ("目标值", "年度目标", "预期目标", "目标"),
    "baseline": ("基数", "基期值", "基期", "现状值", "上年完成", "完成值", "实际值"),
}
CELL_VALUE = re.compile(
    r"^(?P<cmp>≥|≤|>=|<=|>|<|＞|＜|不低于|不少于|不高于|不超过|达到|突破|超过)?\s*(?P<num>\d+(?:\.\d+)?)"
    r"(?:\s*[-—–~～至]\s*(?P<num2>\d+(?:\.\d+)?))?\s*(?P<unit>[%％‰]|个百分点)?\s*(?P<suffix>以上|以内|以下|左右)?$"
)


@dataclass
class IndicatorRow:
    name: str
    unit: str
    comparator: str
    value: float
    upper: float | None = None
    approx: bool = False
    plain: bool = False
    baseline: float | None = None
    horizon: int | None = None


def indicator_columns(line: str) -> dict[str, int] | None:
    """Column index by role when ``line`` heads an indicator table (a name and a target column)."""
    cells = split_cells(line)
    if len(cells) < 3:
        return None
    cols: dict[str, int] = {}
    for i, cell in enumerate(cells):
        c = re.sub(r"\s", "", cell)
        for role, words in INDICATOR_COLUMNS.items():
            if role in cols:
                continue
            if role == "target" and re.search(r"(?:19|20)\d{2}年?(?:目标|计划|预期)", c):
                cols[role] = i
                break
            if role == "baseline" and re.search(r"(?:19|20)\d{2}年?(?:基数|完成|实际)", c):
                cols[role] = i
                break
            if any(c == w or (len(c) <= 10 and c.endswith(w)) for w in words):
                cols[role] = i
                break
    return cols if "name" in cols and "target" in cols else None


def parse_indicator_cell(text: str) -> tuple[str, float, float | None, bool, bool, str] | None:
    """(comparator, value, upper, approx, plain, unit written in the cell) of a target cell."""
    m = CELL_VALUE.match(text.strip().replace("％", "%"))
    if not m:
        return None
    word = m.group("cmp") or ""
    comp = {"≥": ">=", ">=": ">=", "不低于": ">=", "不少于": ">=", "达到": ">=", "≤": "<=", "<=": "<=", "不高于": "<=",
            "不超过": "<=", ">": ">", "＞": ">", "突破": ">", "超过": ">", "<": "<", "＜": "<"}.get(word, ">=")
    suffix = m.group("suffix") or ""
    if suffix == "以上":
        comp = ">=" if comp not in (">", ">=") else comp
    elif suffix in ("以内", "以下"):
        comp = "<="
    plain = not word and not suffix
    return comp, float(m.group("num")), float(m.group("num2")) if m.group("num2") else None, suffix == "左右", plain, m.group("unit") or ""


def parse_indicator_rows(lines: list[str], cols: dict[str, int], header: str) -> tuple[list[IndicatorRow], int]:
    rows: list[IndicatorRow] = []
    used = 0
    horizon = None
    if hm := re.search(r"((?:19|20)\d{2})年?(?:目标|计划|预期)", header.replace(" ", "")):
        horizon = int(hm.group(1))
    for line in lines:
        if re.fullmatch(r"[|\-:\s]+", line):
            used += 1
            continue
        cells = split_cells(line)

        def cell(role: str) -> str:
            i = cols.get(role)
            return cells[i] if i is not None and i < len(cells) else ""  # noqa: B023 (called within this iteration only)

        name = re.sub(r"^\d{1,3}[.、．]?\s*", "", cell("name")).strip()
        target = parse_indicator_cell(cell("target"))
        if not name or target is None:
            if rows and len(cells) <= 1:
                break
            if not rows:
                break
            used += 1
            continue
        comp, value, upper, approx, plain, cell_unit = target
        unit = (cell("unit") or cell_unit).replace("％", "%")
        base = parse_indicator_cell(cell("baseline"))
        rows.append(
            IndicatorRow(
                name=name, unit=unit, comparator=comp, value=value, upper=upper, approx=approx, plain=plain,
                baseline=base[1] if base else None, horizon=horizon,
            )
        )
        used += 1
    return rows, used


def find_indicator_table(lines: list[str]) -> tuple[int, dict[str, int]] | None:
    for i, line in enumerate(lines):
        cols = indicator_columns(line)
        if cols:
            return i, cols
    return None
