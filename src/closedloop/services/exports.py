"""Spreadsheet exports: the item ledger (台账) and any ranking edition, as .xlsx or CSV (the
bytes; the HTTP headers that carry them are in ``closedloop.http_common``)."""

from __future__ import annotations

import csv
import io
import json

from openpyxl import Workbook
from openpyxl.styles import Font

from closedloop.db.tables import Goal, Plan, WorkItem
from closedloop.domain.errors import NotFound
from closedloop.domain.lights import LIGHT_NAMES, Light
from closedloop.domain.stages import STAGE_NAMES, Stage
from closedloop.services import office

LEDGER_HEADER = ["序号", "分项", "事项", "牵头单位", "目标", "进展", "阶段", "亮灯", "完成时限"]
RANKING_HEADER = [
    "排名", "单位", "得分", "目标任务进度", "解决问题数量", "实际成效", "超期事项", "催办", "上期排名", "亮灯",
    "进度得分", "问题得分", "成效得分", "超期扣分", "催办扣分", "延期次数", "上期得分",
]


def _light(value: str | None) -> str:
    return LIGHT_NAMES[Light(value)] if value else ""


async def ledger_file(plan_id: int, format: str) -> tuple[bytes, str]:
    """The plan's item ledger as a file (``csv`` or ``xlsx``) and its name; NotFound for no plan."""
    plan = await Plan.select(Plan.title).where(Plan.id == plan_id).first()
    if plan is None:
        raise NotFound("计划不存在")
    rows = await ledger_rows(plan_id)
    body = to_csv(LEDGER_HEADER, rows) if format == "csv" else to_xlsx("台账", LEDGER_HEADER, rows)
    return body, f"{plan['title']}-台账.{format}"


async def ledger_rows(plan_id: int) -> list[list]:
    items = await WorkItem.select(
        WorkItem.id, WorkItem.code, WorkItem.title, WorkItem.stage, WorkItem.light, WorkItem.completion, WorkItem.deadline,
        WorkItem.lead_unit.name.as_alias("unit"), WorkItem.parent.code.as_alias("section"),
    ).where((WorkItem.plan == plan_id) & (WorkItem.kind == "item")).order_by(WorkItem.seq).order_by(WorkItem.id)
    goals: dict[int, list[str]] = {}
    progress: dict[int, list[str]] = {}
    for g in await Goal.select().where((Goal.plan == plan_id) & Goal.item.is_not_null()).order_by(Goal.id):
        unit = g["measure_unit"] or ""
        goals.setdefault(g["item"], []).append(f"{g['subject']} {g['comparator'] or ''} {_num(g['target'])}{unit}".strip())
        if g["actual"] is not None:
            progress.setdefault(g["item"], []).append(f"{g['subject']} {_num(g['actual'])}{unit}")
    rows = []
    for n, i in enumerate(items, start=1):
        done = f"完成度 {i['completion']}%" if i["completion"] is not None else ""
        rows.append([
            n, i["section"] or "", f"{i['code']} {i['title']}", i["unit"] or "", "；".join(goals.get(i["id"], [])),
            "；".join(progress.get(i["id"], []) + ([done] if done else [])), STAGE_NAMES[Stage(i["stage"])], _light(i["light"]),
            i["deadline"].isoformat() if i["deadline"] else "",
        ])
    return rows


def ranking_rows(pub: dict) -> list[list]:
    out = []
    for r in pub["rows"]:
        b = r.get("breakdown") or {}
        if isinstance(b, str):
            b = json.loads(b)
        out.append([
            r["rank"], r["unit_name"], r["score"], round(r["goal_progress"] * 100, 1), r["problems_resolved"], r["results_verified"],
            r["overdue_items"], r["urges"], r["previous_rank"] if r["previous_rank"] is not None else "", _light(r["light"]),
            *(b.get(k, "") for k in ("goal_progress", "problems_resolved", "results_verified", "overdue_penalty", "urge_penalty")),
            r.get("extensions") or 0, r["previous_score"] if r.get("previous_score") is not None else "",
        ])
    return out


def _num(v: float | None) -> str:
    if v is None:
        return ""
    return str(int(v)) if float(v).is_integer() else f"{v:g}"


def to_csv(header: list[str], rows: list[list]) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(header)
    for r in rows:
        w.writerow([office.cell(v) for v in r])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")  # BOM: Excel opens UTF-8 CSV correctly


def to_xlsx(title: str, header: list[str], rows: list[list]) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = title[:31]
    ws.append(header)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for r in rows:
        ws.append([office.cell(v) for v in r])
    for col, width in zip("ABCDEFGHIJ", (8, 10, 40, 18, 40, 40, 10, 14, 12, 12)):
        ws.column_dimensions[col].width = width
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()

