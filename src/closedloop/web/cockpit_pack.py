"""The weekly meeting pack (调度会材料) as a Word document and as a workbook.

Both are built from ``services.cockpit.pack_data``: the same six sections in the same order.
Word: body text in 宋体, headings in 黑体, set on the East Asian font slot (``w:eastAsia``)
as well as the Latin one, so WPS and Word both show Chinese in the intended face.
"""

from __future__ import annotations

import io

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Pt
from openpyxl import Workbook
from openpyxl.styles import Font

from closedloop.domain.lights import LIGHT_NAMES, Light
from closedloop.domain.stages import STAGE_NAMES, Stage
from closedloop.services import office

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

SECTIONS = ("一、计划目标", "二、晾晒排名及得分构成", "三、红灯和超期事项", "四、新增催办、督办及回复", "五、待说明的数据核查", "六、阶段变化事项")


def _light(value: str | None) -> str:
    try:
        return LIGHT_NAMES[Light(value)][:2] if value else "未亮灯"
    except ValueError:
        return value or ""


def _stage(value: str | None) -> str:
    try:
        return STAGE_NAMES[Stage(value)] if value else ""
    except ValueError:
        return value or ""


def _num(v) -> str:
    if v is None:
        return "—"
    return f"{v:g}" if isinstance(v, float) else str(v)


def _tables(data: dict) -> list[tuple[str, list[str], list[list[str]], str]]:
    """(section heading, header, rows, note when empty) for each of the six sections."""
    goals = [
        [g["subject"], f"{g['comparator'] or ''}{_num(g['target'])}{g['measure_unit'] or ''}", _num(g["actual"]),
         "—" if g["completion"] is None else f"{g['completion']:.1f}%", _light(g["light"])]
        for g in data["plan_goals"]
    ]
    ranking = []
    for r in data["ranking"]:
        p = r["parts"]
        ranking.append([
            str(r["rank"]), r["unit_name"], f"{r['score']:.2f}", f"{p.get('goal_progress', 0):.2f}", f"{p.get('problems_resolved', 0):.2f}",
            f"{p.get('results_verified', 0):.2f}", f"{p.get('overdue_penalty', 0) + p.get('urge_penalty', 0):.2f}", _light(r["light"]),
        ])
    overdue = [
        [f"{r.get('section_code') or ''}{r['code']}", r["title"], r.get("lead_unit_name") or "—", _light(r["light"]),
         str(r["deadline"] or "—"), str(r["days_overdue"]), r.get("ladder_step_name") or "—"]
        for r in data["overdue"]
    ]
    actions = [
        [("督办单" if a["kind"] == "order" else "催办"), f"{a['code']} {a['title']}", a.get("unit_name") or "—",
         a["message"], a["response"] or "未回复"]
        for a in data["actions"]
    ]
    checks = [[c["rule"], f"{c['item_code']} {c['item_title']}", c["unit_name"] or "—", c["detail"]] for c in data["checks"]]
    moves = [
        [f"{m['code']} {m['title']}", m.get("unit_name") or "—", f"{_stage(m['from_stage'])} → {_stage(m['to_stage'])}",
         "推进" if m["direction"] == "forward" else "退回", m["reason"] or ""]
        for m in data["moves"]
    ]
    return [
        (SECTIONS[0], ["目标", "目标值", "实际值", "完成度", "亮灯"], goals, "计划未设工作目标。"),
        (SECTIONS[1], ["排名", "单位", "得分", "目标进度分", "解决问题分", "实际成效分", "扣分", "亮灯"], ranking, "本期没有参与排名的单位。"),
        (SECTIONS[2], ["事项", "名称", "牵头单位", "亮灯", "完成时限", "超期天数", "督办阶段"], overdue, "没有红灯或超期事项。"),
        (SECTIONS[3], ["类型", "事项", "责任单位", "内容", "回复"], actions, "本期没有新的催办或督办。"),
        (SECTIONS[4], ["规则", "事项", "单位", "情况"], checks, "没有待说明的数据核查。"),
        (SECTIONS[5], ["事项", "牵头单位", "阶段变化", "方向", "理由"], moves, "本期没有事项变更阶段。"),
    ]


def _set_font(style, name: str, size: float | None = None, bold: bool | None = None) -> None:
    style.font.name = name
    if size:
        style.font.size = Pt(size)
    if bold is not None:
        style.font.bold = bold
    rpr = style.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = rpr.makeelement(qn("w:rFonts"), {})
        rpr.append(fonts)
    for slot in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(slot), name)


def to_docx(data: dict) -> bytes:
    period, pub = data["period"], data["publication"]
    doc = Document()
    _set_font(doc.styles["Normal"], "宋体", 10.5)
    for level, size in ((0, 20), (1, 15), (2, 13)):
        _set_font(doc.styles["Title" if level == 0 else f"Heading {level}"], "黑体", size, True)
    title = doc.add_heading(f"{period.title}工作调度会材料", level=0)
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    edition = f"第 {pub['edition']} 版" + ("（更正版）" if pub.get("corrects") else "")
    doc.add_paragraph(f"依据：{pub['title']}（{edition}，统计截止 {data['cutoff'].astimezone(_zone()):%Y年%m月%d日 %H:%M}）。"
                      f"红灯和超期事项、数据核查为生成材料时的情况。")
    for heading, header, rows, empty in _tables(data):
        doc.add_heading(heading, level=1)
        if not rows:
            doc.add_paragraph(empty)
            continue
        table = doc.add_table(rows=1, cols=len(header))
        table.style = "Table Grid"
        for cell, text in zip(table.rows[0].cells, header):
            cell.text = text
            for run in cell.paragraphs[0].runs:
                run.bold = True
        for row in rows:
            cells = table.add_row().cells
            for cell, text in zip(cells, row):
                cell.text = office.xml_text(text)
        if heading == SECTIONS[2] and data["overdue_total"] > len(rows):
            doc.add_paragraph(f"（共 {data['overdue_total']} 项，此处列出最紧迫的 {len(rows)} 项。）")
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def to_xlsx(data: dict) -> bytes:
    wb = Workbook()
    wb.remove(wb.active)
    for heading, header, rows, empty in _tables(data):
        ws = wb.create_sheet(heading.split("、", 1)[1][:28])
        ws.append(header)
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for row in rows:
            ws.append([office.cell(v) for v in row])
        if not rows:
            ws.append([empty])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _zone():
    from closedloop.services.common import local_zone

    return local_zone()
