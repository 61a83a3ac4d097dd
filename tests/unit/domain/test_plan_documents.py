"""Plan files in every accepted format and encoding read as the same plan."""

import io
from pathlib import Path

import pytest

from closedloop.domain.errors import Invalid
from closedloop.domain.plan_parser import parse_plan
from closedloop.domain.plan_parser.documents import decode_text, document_text

SHARED = next((p / "shared" for p in Path(__file__).resolve().parents if (p / "shared").is_dir()), None)
SEED = SHARED / "seed" / "banan-2024-plan.txt" if SHARED else None
# Debian package fonts-wqy-zenhei; a CJK PDF cannot be written without a CJK font file
CJK_FONT = Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc")


@pytest.fixture(scope="module")
def seed_text():
    if SEED is None or not SEED.exists():
        pytest.skip("../shared/seed is not beside the checkout")
    return SEED.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def seed_plan(seed_text):
    plan = parse_plan(seed_text).to_json()
    assert plan["title"] == "巴南区2024年科技创新工作要点" and len(plan["sections"]) == 6
    return plan


def _essentials(plan: dict) -> dict:
    """What the user sees of a plan: title block, goals, sections, items and their goals."""
    def goal(g):
        return (g["subject"], g["comparator"], g["value"], g["unit"], g.get("plan_goal"))

    return {
        "title": plan["title"],
        "issuer": plan["issuer"],
        "issued_on": plan["issued_on"],
        "goals": [goal(g) for g in plan["goals"]],
        "sections": [
            (s["code"], s["title"], [(i["code"], i["title"], [goal(g) for g in i["goals"]]) for i in s["items"]])
            for s in plan["sections"]
        ],
    }


def test_txt_md_and_encodings(seed_text, seed_plan):
    want = _essentials(seed_plan)
    for name, raw in [
        ("plan.txt", seed_text.encode("utf-8")),
        ("plan.txt", b"\xef\xbb\xbf" + seed_text.encode("utf-8")),
        ("plan.txt", seed_text.encode("gb18030")),
        ("plan.md", ("# " + seed_text.replace("\n一、", "\n## 一、").replace("\n二、", "\n## 二、")).encode("utf-8")),
        ("plan", seed_text.encode("gb18030")),
    ]:
        assert _essentials(parse_plan(document_text(name, raw)).to_json()) == want, name


def test_docx_paragraphs_and_automatic_numbering(seed_text, seed_plan):
    docx = pytest.importorskip("docx")
    d = docx.Document()
    for line in seed_text.splitlines():
        if line.strip():
            d.add_paragraph(line.strip())
    buf = io.BytesIO()
    d.save(buf)
    assert _essentials(parse_plan(document_text("plan.docx", buf.getvalue())).to_json()) == _essentials(seed_plan)

    # Word's own numbering: the numbers are not in the text, the reader writes them out
    d = docx.Document()
    d.add_paragraph("某区2025年工作要点")
    d.add_paragraph("工作目标", style="List Number")
    d.add_paragraph("新增高新技术企业30家。")
    d.add_paragraph("重点任务", style="List Number")
    d.add_paragraph("（一）培育企业。一是新增科技型企业100家。二是建设孵化器2个。")
    buf = io.BytesIO()
    d.save(buf)
    text = document_text("plan.docx", buf.getvalue())
    assert "1.工作目标" in text and "2.重点任务" in text
    p = parse_plan(text)
    assert [(g.subject, g.value) for g in p.goals] == [("高新技术企业", 30)]
    assert [i.code for s in p.sections for i in s.items] == ["一是", "二是"]


def test_docx_table_is_a_responsibility_table():
    docx = pytest.importorskip("docx")
    d = docx.Document()
    d.add_paragraph("某区2025年重点任务责任分工")
    t = d.add_table(rows=3, cols=4)
    for row, cells in zip(t.rows, [("序号", "目标任务", "责任单位", "完成时限"), ("1", "新增高新技术企业30家", "", "2025年12月底"), ("2", "建成孵化器2个", "区科技局", "2025年6月")]):
        for c, v in zip(row.cells, cells):
            c.text = v
    cell = t.rows[1].cells[2]
    cell.text = "区科技局"
    cell.add_paragraph("区经济信息委")  # several units on lines of their own in one cell
    buf = io.BytesIO()
    d.save(buf)
    p = parse_plan(document_text("fengong.docx", buf.getvalue()))
    items = p.sections[0].items
    assert [(i.code, i.units, i.deadline.isoformat()) for i in items] == [
        ("1", ["区科技局", "区经济信息委"], "2025-12-31"),
        ("2", ["区科技局"], "2025-06-30"),
    ]


def test_pdf_with_a_text_layer(seed_text, seed_plan):
    fpdf = pytest.importorskip("fpdf")
    if not CJK_FONT.exists():
        pytest.skip(f"no CJK font at {CJK_FONT} (Debian package fonts-wqy-zenhei)")
    pdf = fpdf.FPDF()
    pdf.add_page()
    pdf.add_font("wqy", fname=str(CJK_FONT))
    pdf.set_font("wqy", size=11)
    for line in seed_text.splitlines():
        if line.strip():
            pdf.multi_cell(0, 6, line.strip(), new_x="LMARGIN", new_y="NEXT")
    raw = bytes(pdf.output())
    assert _essentials(parse_plan(document_text("plan.pdf", raw)).to_json()) == _essentials(seed_plan)


def test_scanned_pdf_and_broken_files_get_a_clear_message():
    fpdf = pytest.importorskip("fpdf")
    pdf = fpdf.FPDF()
    pdf.add_page()
    pdf.rect(10, 10, 50, 50)  # a page with a picture and no text
    with pytest.raises(Invalid, match="没有可提取的文字"):
        document_text("scan.pdf", bytes(pdf.output()))
    with pytest.raises(Invalid, match="PDF"):
        document_text("broken.pdf", b"%PDF-1.4 garbage")
    with pytest.raises(Invalid, match="Word"):
        document_text("broken.docx", b"not a zip")
    with pytest.raises(Invalid, match="另存为 .docx"):
        document_text("old.doc", b"\xd0\xcf\x11\xe0")
    with pytest.raises(Invalid, match="编码"):
        decode_text("工作要点".encode("utf-16"))
    with pytest.raises(Invalid, match="空"):
        document_text("empty.txt", b"")


def test_xlsx_table():
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["序号", "目标任务", "牵头单位", "配合单位", "完成时限", "推进情况"])
    ws.append([1, "新增高新技术企业30家", "区科技局", "区经济信息委\n区财政局", "2025年12月底", "已完成60%"])
    ws.append([2, "技术合同成交额突破5亿元", "区科技局", None, "2025年12月底", None])
    buf = io.BytesIO()
    wb.save(buf)
    p = parse_plan(document_text("fengong.xlsx", buf.getvalue()), default_title="分工表")
    items = p.sections[0].items
    assert [(i.units, [(g.value, g.unit) for g in i.goals]) for i in items] == [
        (["区科技局", "区经济信息委", "区财政局"], [(30, "家")]),
        (["区科技局"], [(5, "亿元")]),
    ]
