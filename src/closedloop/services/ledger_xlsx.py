"""The leads' Excel round trip (台账): a fill-in template for one unit and period, and its upload.

The template has one row per goal and per project that the unit answers for, on every open item
it leads or cooperates on. Hidden columns carry each row's item, record id and version, and a
very hidden sheet carries the period and the unit, so that the upload can match every row and
tell when someone changed a goal after the download. Only the input columns are unlocked.

An upload is validated row by row — every problem names the sheet, the row and the column as
Excel shows them ("第 7 行 K 列：不是数字") — and then filed as one progress report per item
through ``services.progress.create_reports`` (the rules of a report filed alone, with set-based
writes), all items in one transaction. A preview runs the
very same writes and rolls them back, so it reports exactly what applying would (the report
ledger's own rules included); applying keeps them only when no row has a problem.

Re-uploading a file whose values are already the period's report of an item changes nothing for
that item: it is shown as 无变化 and no second report is filed.

The one-page weekly report form (``web/ledger_pages.py``) feeds the same pipeline with entries
taken from form fields instead of sheet rows.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import zipfile
from dataclasses import dataclass, field
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Border, Font, NamedStyle, PatternFill, Protection, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.cell_range import MultiCellRange
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.merge import MergedCellRange

from closedloop.db import sql
from closedloop.db.engine import write_tx
from closedloop.domain import periods
from closedloop.domain.errors import Invalid, Issue, NotFound
from closedloop.domain.reported_values import BadValue, goal_value_bounds, goal_value_problem, parse_number, progress_problem
from closedloop.services import access, office, progress, values
from closedloop.services.access import LEAD_SCOPE_SQL
from closedloop.services.common import Actor, Clock
from closedloop.settings import get_settings

SHEET = "进度填报"
META_SHEET = "_meta"
FORMAT = "closedloop-ledger/1"
HEADER_ROW = 2
FIRST_ROW = 3
KIND_NAMES = {"goal": "目标", "project": "项目"}
# an .xlsx is a zip; its parts may not unpack to more than this many times the upload limit
MAX_UNPACK_RATIO = 40


@dataclass(frozen=True)
class Col:
    key: str
    header: str
    width: float
    input: bool = False
    hidden: bool = False


COLUMNS: tuple[Col, ...] = (
    Col("code", "事项编号", 9),
    Col("title", "事项", 30),
    Col("kind", "类型", 6),
    Col("subject", "目标 / 项目", 32),
    Col("measure_unit", "计量单位", 8),
    Col("baseline", "基期值", 10),
    Col("target", "目标值", 10),
    Col("deadline", "完成时限", 11),
    Col("latest", "最新实际值", 10),
    Col("latest_period", "最新值所属周期", 22),
    Col("actual", "本期实际值", 11, input=True),
    Col("progress", "项目进度（%）", 11, input=True),
    Col("narrative", "本期进展情况（每个事项填一处）", 40, input=True),
    Col("reason", "更正理由（本期已报送再改时填）", 22, input=True),
    Col("item_id", "事项ID", 8, hidden=True),
    Col("record", "记录类型", 8, hidden=True),
    Col("record_id", "记录ID", 8, hidden=True),
    Col("version", "版本", 6, hidden=True),
)
IDX = {c.key: n for n, c in enumerate(COLUMNS)}
LETTER = {c.key: get_column_letter(n + 1) for n, c in enumerate(COLUMNS)}


# -- what the unit answers for ------------------------------------------------------------

# open items of the unit (led or co-operated on) and, on them, the goals/projects the unit
# answers for (a record's unit, or the item's lead unit when it names none)
_OPEN_ITEM = f"w.kind = 'item' AND NOT w.closed AND w.archived_at IS NULL AND w.stage <> 'archived' AND {LEAD_SCOPE_SQL}"
GOALS_SQL = (
    "SELECT w.id AS item_id, w.code, w.title, w.lead_unit, g.id, g.subject, g.measure_unit, g.baseline, g.target, "
    "g.deadline, g.actual, g.version FROM goal g JOIN work_item w ON w.id = g.item "
    f"WHERE COALESCE(g.unit, w.lead_unit) = {{}} AND {_OPEN_ITEM} ORDER BY w.plan, w.seq, w.id, g.seq, g.id"
)
PROJECTS_SQL = (
    "SELECT w.id AS item_id, w.code, w.title, w.lead_unit, p.id, p.name AS subject, p.end_on AS deadline, "
    "p.progress, p.version FROM project p JOIN work_item w ON w.id = p.item "
    f"WHERE COALESCE(p.unit, w.lead_unit) = {{}} AND {_OPEN_ITEM} ORDER BY w.plan, w.seq, w.id, p.id"
)


def _latest_sql(kind: str) -> str:
    """Each of the unit's goals (or projects) with its current ledger value and that value's
    period: the ledger's own rule (``services/values.py``: the latest period wins, not the latest
    filing), as of the parameter given first and second."""
    value = values.value_as_of_sql("x.id", "{}", "value", of=kind)
    report = values.value_as_of_sql("x.id", "{}", "report", of=kind)
    return (
        f"SELECT x.id AS record, {value} AS value, (SELECT r.period FROM progress_report r WHERE r.id = {report}) AS period "
        f"FROM {kind} x JOIN work_item w ON w.id = x.item WHERE COALESCE(x.unit, w.lead_unit) = {{}} AND {_OPEN_ITEM}"
    )


# each item's latest report or 更正 of the period, for all the unit's items at once: what a new
# report would correct (as progress.create_reports finds it) and a re-upload is compared with
@dataclass
class Scope:
    unit_id: int
    unit_name: str
    goals: dict[int, dict]
    projects: dict[int, dict]
    latest: dict[tuple[str, int], tuple[str, float]] = field(default_factory=dict)  # (period, value) of the latest period


async def _unit(unit_id: int) -> dict:
    row = await sql.fetch_one("SELECT id, name FROM unit WHERE id = {}", unit_id)
    if row is None:
        raise NotFound("单位不存在")
    return row


async def load_scope(unit_id: int, *, latest: bool = False) -> Scope:
    """The goals and projects ``unit_id`` answers for on its open items, in sheet order."""
    unit = await _unit(unit_id)
    args = (unit_id, unit_id, unit_id)
    goals = {r["id"]: r for r in await sql.fetch(GOALS_SQL, *args)}
    projects = {r["id"]: r for r in await sql.fetch(PROJECTS_SQL, *args)}
    scope = Scope(unit_id, unit["name"], goals, projects)
    if latest:
        now = Clock.now()
        for kind in ("goal", "project"):
            for r in await sql.fetch(_latest_sql(kind), now, now, *args):
                if r["period"] is not None:
                    scope.latest[(kind, r["record"])] = (r["period"], r["value"])
    return scope


def reporting_period(text: str | None) -> periods.Period:
    """The period of a template or form: this week when not given; one not started yet is refused."""
    today = Clock.today()
    if not (text or "").strip():
        return periods.containing("weekly", today)
    problems: list[Issue] = []
    p = progress.parse_period(text or "", today, problems)
    if p is None:
        raise Invalid(problems[0].message, problems)
    return p


def period_text(p: periods.Period) -> str:
    """The period with its year: 2026年第48周（11月23日—11月29日）, 2026年11月."""
    return f"{p.year}年{p.label}" if p.cadence == "weekly" else p.label


def number_text(v: Any) -> str:
    """A number as people write it: 312, not 312.0; 1.5; — when there is none."""
    if v is None:
        return "—"
    f = float(v)
    return str(int(f)) if f.is_integer() and abs(f) < 1e15 else repr(f)


# -- the template -------------------------------------------------------------------------

THIN = Side(style="thin", color="B7B7B7")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
HEAD_FILL = PatternFill("solid", fgColor="DDE4EE")
INPUT_FILL = PatternFill("solid", fgColor="FFF6CC")
LOCKED_FILL = PatternFill("solid", fgColor="F2F2F2")
WRAP = Alignment(wrap_text=True, vertical="top")


def _named_styles(wb: Workbook) -> dict[str, str]:
    """The sheet's cell styles: plain and date (locked), input (unlocked, yellow), off (an input
    column that does not apply to the row: locked, grey)."""
    out = {}
    for name, fill, locked, fmt in (("cell", None, True, "General"), ("date", None, True, "yyyy-mm-dd"),
                                    ("input", INPUT_FILL, False, "General"), ("off", LOCKED_FILL, True, "General")):
        style = NamedStyle(name=f"closedloop-{name}", border=BORDER, alignment=WRAP, protection=Protection(locked=locked), number_format=fmt)
        if fill is not None:
            style.fill = fill
        wb.add_named_style(style)
        out[name] = style.name
    return out


def _sqref(key: str, rows: list[int]) -> str:
    """Cells of one column as ranges of consecutive rows: K3:K5 K8 K10:K12."""
    out, start, prev = [], None, None
    col = LETTER[key]
    for r in [*sorted(rows), None]:
        if start is not None and (r is None or r != prev + 1):  # type: ignore[operator]
            out.append(f"{col}{start}" if start == prev else f"{col}{start}:{col}{prev}")
            start = None
        if r is not None and start is None:
            start = r
        prev = r
    return " ".join(out)


def _date(v: Any) -> dt.date | None:
    if v is None or isinstance(v, dt.date):
        return v
    return dt.date.fromisoformat(str(v)[:10])


async def template(actor: Actor, *, period: str | None = None, unit_id: int | None = None) -> tuple[bytes, str]:
    """The .xlsx to fill in, and its file name."""
    uid = access.ledger_unit(actor, unit_id)
    p = reporting_period(period)
    scope = await load_scope(uid, latest=True)
    return build_workbook(scope, p), f"{scope.unit_name}-{p.title}-进度填报.xlsx"


def sheet_rows(scope: Scope) -> list[dict]:
    """The rows of the template: per item, its goals then its projects."""
    by_item: dict[int, list[dict]] = {}
    order: list[int] = []
    for kind, records in (("goal", scope.goals), ("project", scope.projects)):
        for r in records.values():
            if r["item_id"] not in by_item:
                by_item[r["item_id"]] = []
                order.append(r["item_id"])
            by_item[r["item_id"]].append({**r, "record": kind})
    # items in plan order (the goals query's order; an item with projects only comes last)
    return [row for item in order for row in sorted(by_item[item], key=lambda r: r["record"] != "goal")]


def build_workbook(scope: Scope, p: periods.Period) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET
    ws.cell(1, 1, office.cell(f"{scope.unit_name} · {period_text(p)} 进度填报"))
    ws.cell(1, 1).font = Font(bold=True, size=13)
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=IDX["latest_period"] + 1)
    ws.cell(1, IDX["actual"] + 1, "只填黄色格子；同一事项的进展情况填一处即可。")
    ws.cell(1, IDX["actual"] + 1).font = Font(color="7F6000")
    ws.merge_cells(start_row=1, start_column=IDX["actual"] + 1, end_row=1, end_column=IDX["reason"] + 1)
    ws.row_dimensions[1].height = 24
    for n, c in enumerate(COLUMNS, start=1):
        cell = ws.cell(HEADER_ROW, n, c.header)
        cell.font = Font(bold=True)
        cell.fill = INPUT_FILL if c.input else HEAD_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
        cell.border = BORDER
        ws.column_dimensions[get_column_letter(n)].width = c.width
        if c.hidden:
            ws.column_dimensions[get_column_letter(n)].hidden = True
    ws.row_dimensions[HEADER_ROW].height = 36
    ws.cell(HEADER_ROW, IDX["actual"] + 1).comment = Comment("填写本期末的累计实际值（与目标值同一计量单位）。", "closedloop")

    # one named style per kind of cell: setting border, alignment, fill and lock cell by cell
    # costs openpyxl a style lookup each time (seconds for 500 rows); a named style is one
    styles = _named_styles(wb)
    # data validation ranges collected as text and set once (adding cells one by one is quadratic)
    number_rows: dict[tuple[float, float], list[int]] = {}
    progress_rows: list[int] = []
    text_ranges: list[str] = []
    merges: list[str] = []
    rows = sheet_rows(scope)
    r = FIRST_ROW
    start_of_item = r
    for n, row in enumerate(rows):
        is_goal = row["record"] == "goal"
        latest = scope.latest.get((row["record"], row["id"]))
        values = {
            "code": row["code"], "title": row["title"], "kind": KIND_NAMES[row["record"]], "subject": row["subject"],
            "measure_unit": row.get("measure_unit") if is_goal else "%",
            "baseline": row.get("baseline") if is_goal else None, "target": row.get("target") if is_goal else 100,
            "deadline": _date(row.get("deadline")),
            "latest": latest[1] if latest else row.get("actual") if is_goal else row.get("progress"),
            "latest_period": periods.label_of(latest[0]) if latest else "",
            "item_id": row["item_id"], "record": row["record"], "record_id": row["id"], "version": row["version"],
        }
        usable = ("actual", "narrative", "reason") if is_goal else ("progress", "narrative", "reason")
        for col in COLUMNS:
            cell = ws.cell(r, IDX[col.key] + 1, office.cell(values.get(col.key)))
            if col.input:
                cell.style = styles["input"] if col.key in usable else styles["off"]
            else:
                cell.style = styles["date"] if col.key == "deadline" else styles["cell"]
        if is_goal:
            number_rows.setdefault(goal_value_bounds(row.get("measure_unit")), []).append(r)
        else:
            progress_rows.append(r)
        last_of_item = n + 1 == len(rows) or rows[n + 1]["item_id"] != row["item_id"]
        if last_of_item:
            text_ranges.append(f"{LETTER['narrative']}{start_of_item}:{LETTER['reason']}{r}")
            if r > start_of_item:  # one item, one narrative (and one reason): merged down its rows
                merges += [f"{LETTER[key]}{start_of_item}:{LETTER[key]}{r}" for key in ("narrative", "reason")]
            start_of_item = r + 1
        r += 1
    # set at once: ws.merge_cells() re-styles every cell of each block (seconds for 500 rows);
    # the cells under a block are styled alike and empty already
    ws.merged_cells = MultiCellRange([MergedCellRange(ws, m) for m in merges])
    for (lo, hi), numbered in number_rows.items():
        ws.add_data_validation(DataValidation(
            type="decimal", operator="between", formula1=f"{lo:g}", formula2=f"{hi:g}", allow_blank=True, sqref=_sqref("actual", numbered),
            showErrorMessage=True, errorTitle="本期实际值", error=f"请填写 {lo:g} 到 {hi:g} 之间的数字",
        ))
    if progress_rows:
        ws.add_data_validation(DataValidation(
            type="whole", operator="between", formula1="0", formula2="100", allow_blank=True, sqref=_sqref("progress", progress_rows),
            showErrorMessage=True, errorTitle="项目进度", error="请填写 0 到 100 之间的整数",
        ))
    if text_ranges:
        ws.add_data_validation(DataValidation(
            type="textLength", operator="lessThanOrEqual", formula1="2000", allow_blank=True, sqref=" ".join(text_ranges),
            showErrorMessage=True, errorTitle="文字过长", error="最多 2000 字",
        ))
    ws.freeze_panes = f"{LETTER['kind']}{FIRST_ROW}"
    ws.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToHeight = 0
    # locked cells stay selectable (WPS and Excel both honour this); no password: the lock
    # keeps hands off the ids, it is not a security boundary (the upload checks everything)
    ws.protection.sheet = True
    ws.protection.selectLockedCells = False
    ws.protection.selectUnlockedCells = False
    # still allowed on the locked sheet: widening columns, heightening rows, filtering by item
    ws.protection.formatColumns = False
    ws.protection.formatRows = False
    ws.protection.autoFilter = False
    if rows:
        ws.auto_filter.ref = f"A{HEADER_ROW}:{LETTER['reason']}{FIRST_ROW + len(rows) - 1}"
    meta = wb.create_sheet(META_SHEET)
    for k, v in (("format", FORMAT), ("period", p.key), ("unit_id", scope.unit_id), ("unit", scope.unit_name),
                 ("generated_at", Clock.now().isoformat(timespec="seconds"))):
        meta.append([k, office.cell(v)])  # the unit's name is any text an admin typed
    meta.sheet_state = "veryHidden"
    wb.active = 0
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# -- entries: what an upload or a form says ---------------------------------------------


@dataclass
class Entry:
    """One goal or project row as typed: from a sheet row or from the weekly form's fields."""

    item_id: int | None
    record: str | None  # goal | project
    record_id: int | None
    version: int | None
    actual: Any = None
    progress: Any = None
    narrative: Any = None
    reason: Any = None
    percent_format: bool = False  # the actual cell is formatted as a percentage (0.12 shown as 12%)
    row: int | None = None  # sheet row; None for the form


@dataclass
class CellError:
    message: str  # "第 7 行 K 列：不是数字" (a sheet) or the bare message (a form)
    row: int | None = None
    column: str | None = None
    field: str | None = None  # the form field
    sheet: str | None = None
    item_id: int | None = None  # the item whose report it stops

    def as_dict(self) -> dict:
        cell = f"{self.column}{self.row}" if self.column and self.row else None
        return {"sheet": self.sheet, "row": self.row, "column": self.column, "cell": cell, "field": self.field, "message": self.message}


class Where:
    """Names a place for an error: a sheet's row and column, or a form field."""

    def __init__(self, sheet: str | None) -> None:
        self.sheet = sheet

    def at(self, e: Entry | None, key: str, message: str, *, item_id: int | None = None) -> CellError:
        item = item_id if item_id is not None else (e.item_id if e is not None else None)
        if self.sheet is not None:
            row = e.row if e is not None else None
            col = LETTER[key]
            if row is None:
                return CellError(f"{self.sheet}：{message}", sheet=self.sheet, item_id=item)
            return CellError(f"第 {row} 行 {col} 列：{message}", row=row, column=col, sheet=self.sheet, item_id=item)
        if key in ("narrative", "reason"):
            name = f"{key}_{item}"
        elif e is not None:
            name = f"{e.record}_{e.record_id}"
        else:
            name = key
        return CellError(message, field=name, item_id=item)


@dataclass
class ItemPlan:
    """What one item's rows add up to: the report that would be filed."""

    item_id: int
    code: str
    title: str
    entries: list[Entry]
    goal_values: list[tuple[int, float]] = field(default_factory=list)
    project_values: list[tuple[int, int]] = field(default_factory=list)
    narrative: str = ""
    reason: str = ""
    status: str = "report"  # report | late | correction | unchanged | error
    report_id: int | None = None


STATUS_NAMES = {"report": "新报送", "late": "补报", "correction": "更正", "unchanged": "无变化（已报送，不重复写入）",
                "error": "有错误", "skipped": "空行，跳过"}


def _int(v: Any) -> int | None:
    if isinstance(v, bool):
        return None
    if isinstance(v, int):
        return v
    if isinstance(v, float) and v.is_integer():
        return int(v)
    if isinstance(v, str) and v.strip().isdigit():
        return int(v.strip())
    return None


def _blank(v: Any) -> bool:
    return v is None or (isinstance(v, str) and not v.strip())


# -- reading the upload -------------------------------------------------------------------


def _refuse(message: str, code: str = "invalid_file") -> Invalid:
    return Invalid(message, [Issue(code, message, "file")])


def read_upload(filename: str | None, content: bytes) -> tuple[dict, list[Entry]]:
    """The meta data and the entries of an uploaded template; a file that is not one is refused
    as a whole (422 on ``file``) before anything is looked up."""
    s = get_settings()
    if not (filename or "").lower().endswith(".xlsx") or content[:4] != b"PK\x03\x04":
        raise _refuse("只接受 .xlsx 格式的填报模板（请用“下载模板”得到的文件）", "not_xlsx")
    if len(content) > s.ledger_upload_max_bytes:
        raise _refuse(f"文件过大：上限 {s.ledger_upload_max_bytes // 1024} KB", "too_large")
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as z:
            unpacked = sum(i.file_size for i in z.infolist())
    except zipfile.BadZipFile:
        raise _refuse("文件已损坏，无法作为 .xlsx 读取", "not_xlsx") from None
    if unpacked > MAX_UNPACK_RATIO * s.ledger_upload_max_bytes:
        raise _refuse("文件解压后过大，请使用下载的模板填报", "too_large")
    try:
        wb = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a file that is not a workbook
        raise _refuse("文件无法作为 .xlsx 读取，请确认是用 Excel 或 WPS 保存的 .xlsx 文件", "not_xlsx") from None
    try:
        if META_SHEET not in wb.sheetnames or SHEET not in wb.sheetnames:
            raise _refuse(f"这不是本系统的填报模板（缺少工作表“{SHEET}”或模板信息），请先下载模板")
        meta = {str(r[0]): r[1] for r in wb[META_SHEET].iter_rows(max_col=2, values_only=True) if r and r[0]}
        if meta.get("format") != FORMAT:
            raise _refuse("模板版本不符，请重新下载模板")
        ws = wb[SHEET]
        header = next(ws.iter_rows(min_row=HEADER_ROW, max_row=HEADER_ROW, values_only=True), ())
        for n, c in enumerate(COLUMNS):
            got = header[n] if n < len(header) else None
            if got != c.header:
                msg = f"{SHEET} 第 {HEADER_ROW} 行 {get_column_letter(n + 1)} 列：表头应为“{c.header}”，请勿增删或移动列，重新下载模板后填报"
                raise _refuse(msg, "header_changed")
        entries: list[Entry] = []
        width = len(COLUMNS)
        for cells in ws.iter_rows(min_row=FIRST_ROW, max_col=width):
            values = [getattr(c, "value", None) for c in cells] + [None] * (width - len(cells))
            if all(_blank(v) for v in values):
                continue
            if len(entries) >= s.ledger_upload_max_rows:
                raise _refuse(f"行数过多：一次最多 {s.ledger_upload_max_rows} 行", "too_many_rows")
            actual_cell = cells[IDX["actual"]] if len(cells) > IDX["actual"] else None
            fmt = getattr(actual_cell, "number_format", None) or ""
            row_no = getattr(cells[0], "row", None) or FIRST_ROW + len(entries)
            entries.append(Entry(
                item_id=_int(values[IDX["item_id"]]), record=values[IDX["record"]] if values[IDX["record"]] in KIND_NAMES else None,
                record_id=_int(values[IDX["record_id"]]), version=_int(values[IDX["version"]]),
                actual=values[IDX["actual"]], progress=values[IDX["progress"]], narrative=values[IDX["narrative"]],
                reason=values[IDX["reason"]], percent_format="%" in fmt, row=row_no,
            ))
    finally:
        wb.close()
    return meta, entries


# -- checking and filing --------------------------------------------------------------------


class _Rollback(Exception):
    """Leaves the upload's transaction without keeping its writes (a preview, or errors)."""


async def _heads(period: str, item_ids: list[int]) -> dict[int, dict]:
    """Each item's latest report of the period with its values (for the no-op rule)."""
    head_ids = await progress.heads_of_period(item_ids, period)  # the rule of which report is the head: progress
    heads: dict[int, dict] = {}
    if head_ids:
        ids = list(head_ids.values())
        marks = ", ".join(["{}"] * len(ids))
        for r in await sql.fetch(f"SELECT id, item, narrative FROM progress_report WHERE id IN ({marks})", *ids):
            heads[r["item"]] = {**r, "goals": {}, "projects": {}}
        by_report = {h["id"]: h for h in heads.values()}
        for v in await sql.fetch(f"SELECT report, goal, project, value FROM progress_value WHERE report IN ({marks})", *ids):
            h = by_report[v["report"]]
            if v["goal"] is not None:
                h["goals"][v["goal"]] = float(v["value"])
            else:
                h["projects"][v["project"]] = int(v["value"])
    return heads


def check_entries(scope: Scope, entries: list[Entry], where: Where) -> tuple[list[ItemPlan], list[CellError], list[dict]]:
    """Match and validate every entry; group them into one plan per item.

    Returns the item plans, the errors, and a preview line per non-empty entry."""
    errors: list[CellError] = []
    lines: list[dict] = []
    seen: dict[tuple[str, int], Entry] = {}
    plans: dict[int, ItemPlan] = {}
    for e in entries:
        has_value = not (_blank(e.actual) and _blank(e.progress))
        has_text = not (_blank(e.narrative) and _blank(e.reason))
        if not (has_value or has_text):
            continue  # an empty row: nothing to report
        first_input = "actual" if not _blank(e.actual) else "progress" if not _blank(e.progress) else "narrative" if not _blank(e.narrative) else "reason"
        records = scope.goals if e.record == "goal" else scope.projects if e.record == "project" else {}
        rec = records.get(e.record_id) if e.record_id is not None else None
        line: dict[str, Any] = {"row": e.row, "item_id": e.item_id, "record": e.record, "record_id": e.record_id, "status": "ok", "message": "",
                "previous": None, "value": None}
        lines.append(line)
        bad = len(errors)
        if e.record is None or e.record_id is None or e.item_id is None:
            errors.append(where.at(e, first_input, "找不到对应的目标或项目（请勿自行插入行或改动隐藏列），请重新下载模板"))
        elif rec is None:
            errors.append(where.at(e, first_input, f"该{KIND_NAMES[e.record]}不存在、事项已办结，或不是本单位负责的{KIND_NAMES[e.record]}，不能填报"))
        elif rec["item_id"] != e.item_id:
            errors.append(where.at(e, first_input, f"{KIND_NAMES[e.record]}与事项不对应（隐藏列被改动），请重新下载模板"))
        elif (e.record, e.record_id) in seen:
            other = seen[(e.record, e.record_id)]
            errors.append(where.at(e, first_input, f"与第 {other.row} 行重复" if other.row else "重复填写"))
        if len(errors) > bad:
            line["status"] = "error"
            line["message"] = errors[-1].message
            continue
        assert rec is not None and e.record_id is not None and e.record is not None
        seen[(e.record, e.record_id)] = e
        line.update(code=rec["code"], title=rec["title"], subject=rec["subject"], kind=KIND_NAMES[e.record])
        plan = plans.get(rec["item_id"])
        if plan is None:
            plan = plans[rec["item_id"]] = ItemPlan(rec["item_id"], rec["code"], rec["title"], [])
        plan.entries.append(e)
        if e.record == "goal":
            line.update(measure_unit=rec["measure_unit"], previous=rec["actual"])
            if not _blank(e.progress):
                errors.append(where.at(e, "progress", "目标行不填项目进度"))
            try:
                value = parse_number(e.actual)
            except BadValue as exc:
                errors.append(where.at(e, "actual", str(exc)))
                value = None
            if value is not None:
                if e.percent_format:  # 12% typed in a percent-formatted cell arrives as 0.12
                    value = round(value * 100, 10)
                problem = goal_value_problem(value, rec["measure_unit"])
                if problem:
                    errors.append(where.at(e, "actual", problem))
                else:
                    plan.goal_values.append((e.record_id, value))
                    line["value"] = value
        else:
            line.update(measure_unit="%", previous=rec["progress"])
            if not _blank(e.actual):
                errors.append(where.at(e, "actual", "项目行请填写“项目进度”，不填本期实际值"))
            try:
                value = parse_number(e.progress)
            except BadValue as exc:
                errors.append(where.at(e, "progress", str(exc)))
                value = None
            if value is not None:
                if e.percent_format:
                    value = round(value * 100, 10)
                problem = progress_problem(value)
                if problem:
                    errors.append(where.at(e, "progress", problem))
                else:
                    plan.project_values.append((e.record_id, int(value)))
                    line["value"] = int(value)
        if len(errors) > bad:
            line["status"] = "error"
            line["message"] = "；".join(x.message for x in errors[bad:])
    for plan in plans.values():
        texts = [str(e.narrative).strip() for e in plan.entries if not _blank(e.narrative)]
        reasons = [str(e.reason).strip() for e in plan.entries if not _blank(e.reason)]
        plan.narrative = "\n".join(dict.fromkeys(texts))  # the same text on several rows counts once
        plan.reason = "；".join(dict.fromkeys(reasons))
        if len(plan.narrative) > 2000:
            errors.append(where.at(_first_with(plan, "narrative"), "narrative", "进展情况最多 2000 字", item_id=plan.item_id))
        if not plan.narrative:
            errors.append(where.at(plan.entries[0], "narrative", f"事项 {plan.code} 填写了数值，请填写本期进展情况", item_id=plan.item_id))
    return list(plans.values()), errors, lines


def _first_with(plan: ItemPlan, key: str) -> Entry:
    return next((e for e in plan.entries if not _blank(getattr(e, key))), plan.entries[0])


def _same(plan: ItemPlan, head: dict) -> bool:
    """Whether filing ``plan`` would repeat the period's report as it stands (a re-upload)."""
    return (
        head["narrative"].strip() == plan.narrative.strip()
        and head["goals"] == {g: float(v) for g, v in plan.goal_values}
        and head["projects"] == {p: int(v) for p, v in plan.project_values}
    )


def _stale(scope: Scope, plan: ItemPlan, where: Where) -> list[CellError]:
    out = []
    for e in plan.entries:
        has_value = not (_blank(e.actual) and _blank(e.progress))
        rec = (scope.goals if e.record == "goal" else scope.projects)[e.record_id]  # type: ignore[index]
        if has_value and e.version != rec["version"]:
            key = "actual" if e.record == "goal" else "progress"
            out.append(where.at(e, key, f"该{KIND_NAMES[e.record]}在下载模板后已被修改（版本 {e.version} → {rec['version']}），请重新下载模板后填报"))  # type: ignore[index]
    return out


def _place_report_problem(plan: ItemPlan, p: Issue, where: Where) -> CellError:
    """A problem create_report found, placed on the item's row and column it concerns."""
    f = p.field or ""
    goals = [e for e in plan.entries if e.record == "goal" and not _blank(e.actual)]
    projects = [e for e in plan.entries if e.record == "project" and not _blank(e.progress)]
    if f.startswith("goals[") and f[6:].split("]")[0].isdigit() and int(f[6:].split("]")[0]) < len(goals):
        return where.at(goals[int(f[6:].split("]")[0])], "actual", p.message)
    if f.startswith("projects[") and f[9:].split("]")[0].isdigit() and int(f[9:].split("]")[0]) < len(projects):
        return where.at(projects[int(f[9:].split("]")[0])], "progress", p.message)
    key = "reason" if f == "reason" else "narrative"
    return where.at(_first_with(plan, key), key, p.message, item_id=plan.item_id)


async def file_reports(
    actor: Actor, unit_id: int, period: periods.Period, entries: list[Entry], *, apply: bool, where: Where
) -> dict:
    """Check ``entries`` and file one report per item, all in one transaction; keep the writes
    only when ``apply`` and nothing is wrong. Returns the outcome per item and per row."""
    access.refuse_supervisor(actor, "督查室不直接填报单位的进度")
    access.check_unit(actor, unit_id, "只能填报本单位的进度")
    today = Clock.today()
    outcome: dict[str, Any] = {}
    try:
        async with write_tx():
            scope = await load_scope(unit_id)
            plans, errors, lines = check_entries(scope, entries, where)
            heads = await _heads(period.key, [p.item_id for p in plans])
            filing: list[ItemPlan] = []
            for plan in plans:
                head = heads.get(plan.item_id)
                if head is not None and _same(plan, head):
                    plan.status, plan.report_id = "unchanged", head["id"]
                    continue
                stale = _stale(scope, plan, where)
                if stale:
                    errors.extend(stale)
                    plan.status = "error"
                    continue
                if any(err.item_id == plan.item_id for err in errors):
                    plan.status = "error"
                    continue
                plan.status = "correction" if head is not None else "late" if period.end < today else "report"
                filing.append(plan)
            # every item's report in one call (one statement per step, not per item); it files
            # all of them or, when it refuses any, none
            try:
                filed = await progress.create_reports(actor, period.key, [
                    progress.ReportIn(plan.item_id, plan.narrative, plan.reason or None, plan.goal_values, plan.project_values)
                    for plan in filing
                ])
            except progress.ReportsRefused as refused:
                for n, exc in refused.errors.items():
                    plan = filing[n]
                    errors.extend([_place_report_problem(plan, p, where) for p in exc.problems] or [
                        _place_report_problem(plan, Issue("refused", exc.message), where)
                    ])
                    plan.status = "error"
            else:
                for plan, report in zip(filing, filed, strict=True):
                    plan.report_id = report["id"]
            outcome = _outcome(scope, period, plans, errors, lines, applied=apply and not errors)
            if not outcome["applied"]:
                raise _Rollback
    except _Rollback:
        pass
    return outcome


def _outcome(scope: Scope, period: periods.Period, plans: list[ItemPlan], errors: list[CellError], lines: list[dict], *, applied: bool) -> dict:
    status_of = {e.row: p.status for p in plans for e in p.entries if e.row is not None}
    errors_at: dict[int, list[str]] = {}
    for err in errors:
        if err.row is not None:
            errors_at.setdefault(err.row, []).append(err.message)
    for line in lines:
        if line["row"] in errors_at:
            line["status"] = "error"
            line["message"] = "；".join(errors_at[line["row"]])
        elif line["status"] != "error":
            line["status"] = status_of.get(line["row"], "report")
        line["status_name"] = STATUS_NAMES.get(line["status"], line["status"])
    counts = {k: sum(1 for p in plans if p.status == k) for k in ("report", "late", "correction", "unchanged", "error")}
    return {
        "period": period.key,
        "period_label": period_text(period),
        "unit_id": scope.unit_id,
        "unit_name": scope.unit_name,
        "applied": applied,
        "ok": not errors,
        "counts": counts,
        "items": [
            {"item_id": p.item_id, "code": p.code, "title": p.title, "status": p.status, "status_name": STATUS_NAMES[p.status],
             "report_id": p.report_id if applied or p.status == "unchanged" else None, "narrative": p.narrative,
             "goals": len(p.goal_values), "projects": len(p.project_values)}
            for p in plans
        ],
        "rows": lines,
        "errors": [e.as_dict() for e in errors],
    }


async def process_upload(actor: Actor, *, filename: str | None, content: bytes, apply: bool) -> dict:
    """Preview (``apply`` False) or apply an uploaded template; the outcome says whether it was
    applied (never when any row has a problem). A file that is not a usable template is refused."""
    access.refuse_supervisor(actor, "督查室不直接填报单位的进度")
    # reading the workbook is pure CPU (a quarter of a second for 500 rows, more on a busy
    # machine): in a worker thread, so the server keeps answering other requests meanwhile
    meta, entries = await asyncio.to_thread(read_upload, filename, content)
    unit_id = _int(meta.get("unit_id"))
    if unit_id is None or not meta.get("period"):
        raise _refuse("模板信息缺失，请重新下载模板")
    access.check_unit(actor, unit_id, "这是其他单位的填报模板，只能上传本单位的模板")
    try:
        period = reporting_period(str(meta["period"]))
    except Invalid as exc:
        raise _refuse(f"模板的填报周期：{exc.message}") from None
    return await file_reports(actor, unit_id, period, entries, apply=apply, where=Where(SHEET))


async def upload(actor: Actor, *, filename: str | None, content: bytes, apply: bool) -> dict:
    """The API's upload: as ``process_upload``, and applying a file with any problem is an
    Invalid listing every problem by its cell (422), with nothing written."""
    out = await process_upload(actor, filename=filename, content=content, apply=apply)
    if apply and not out["applied"]:
        n = len(out["errors"])
        problems = [Issue("cell", e["message"], f"{e['sheet']}!{e['cell']}" if e["cell"] else "file") for e in out["errors"]]
        raise Invalid(f"表格有 {n} 处错误，未写入任何数据", problems)
    return out
