"""Plan files as the reader turns them into text (plan_parser/documents.py): Excel cells and
rows, Word numbering and tables, PDF lines the page wrapped, and the message for a file it
cannot read. Written for the survivors of the mutation run (docs/testing.md, round 3)."""

from __future__ import annotations

import io

import pytest

from closedloop.domain.errors import Invalid
from closedloop.domain.plan_parser.documents import document_text


def _xlsx(*rows) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    for row in rows:
        wb.active.append(list(row))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_excel_rows_as_tab_separated_lines():
    raw = _xlsx(
        ["序号", "工作任务", "责任单位", "完成时限", None, None],
        [1, "推进 5G 基站建设\n新增基站30个", "区经济信息委\n区住房城乡建委", "2025年底"],
        [2, None, "区科技局", "6月底"],  # an empty cell inside a row keeps its place
        [3, "建设\t孵化器", "区科技局"],
    )
    assert document_text("fengong.xlsx", raw).split("\n") == [
        "序号\t工作任务\t责任单位\t完成时限",  # empty cells at a row's end are dropped
        # lines of one cell: unit names listed with 、, other text joined as it reads
        "1\t推进 5G 基站建设新增基站30个\t区经济信息委、区住房城乡建委\t2025年底",
        "2\t\t区科技局\t6月底",
        "3\t建设 孵化器\t区科技局",  # a tab inside a cell is not a column
    ]


def test_an_excel_formula_is_read_as_its_value_never_as_the_formula():
    # openpyxl stores no computed value: the cell reads as empty, not as “=B2*2”
    assert document_text("t.xlsx", _xlsx(["指标", "目标"], ["高新技术企业", "=B3*2"], ["基数", 150])).split("\n")[1] == "高新技术企业"


@pytest.mark.parametrize(
    ("name", "raw", "code", "message"),
    [
        ("fengong.xlsx", b"PK\x03\x04 not really a workbook", "format", "无法打开 Excel 文件：文件已损坏或不是 .xlsx 格式"),
        ("fengong.xlsx", _xlsx(), "empty", "Excel 文件中没有内容"),
    ],
)
def test_an_excel_file_that_cannot_be_read_says_why(name, raw, code, message):
    with pytest.raises(Invalid) as e:
        document_text(name, raw)
    assert (e.value.problems[0].code, e.value.problems[0].message, e.value.problems[0].field) == (code, message, "file")
    assert e.value.message == message


# --- Word: automatic numbering written out ----------------------------------------------------


def _numbered_docx(paragraphs) -> bytes:
    """A .docx whose list numbers exist only in its numbering part, as Word saves them: 一、
    for parts, （一） for sections, 1. for items (a level without a format counts in decimal)."""
    docx = pytest.importorskip("docx")
    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls

    d = docx.Document()
    numbering = d.part.numbering_part.element
    numbering.append(parse_xml(
        f'<w:abstractNum {nsdecls("w")} w:abstractNumId="90">'
        '<w:lvl w:ilvl="0"><w:numFmt w:val="chineseCounting"/><w:lvlText w:val="%1、"/></w:lvl>'
        '<w:lvl w:ilvl="1"><w:numFmt w:val="chineseCountingThousand"/><w:lvlText w:val="（%2）"/></w:lvl>'
        '<w:lvl w:ilvl="2"><w:lvlText w:val="%3."/></w:lvl>'
        "</w:abstractNum>"
    ))
    numbering.append(parse_xml(f'<w:num {nsdecls("w")} w:numId="90"><w:abstractNumId w:val="90"/></w:num>'))
    numbering.append(parse_xml(f'<w:num {nsdecls("w")} w:numId="91"><w:abstractNumId w:val="404"/></w:num>'))  # a list whose definition is gone
    numbering.insert(0, parse_xml(f'<w:num {nsdecls("w")} w:numId="92"/>'))  # a list without a definition, first
    for level, num_id, text in paragraphs:
        p = d.add_paragraph(text)
        if level is not None:
            num = f'<w:numId w:val="{num_id}"/>' if num_id is not None else ""  # numbering without a list: no number
            p._p.get_or_add_pPr().append(parse_xml(f'<w:numPr {nsdecls("w")}><w:ilvl w:val="{level}"/>{num}</w:numPr>'))
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


def test_word_numbering_is_written_out_and_restarts_below_a_higher_level():
    from closedloop.domain.plan_parser import parse_plan

    raw = _numbered_docx([
        (None, None, "某区2025年科技创新工作要点"),
        (0, 90, "工作目标"),
        (None, None, "新增高新技术企业30家。"),
        (0, 90, "重点任务"),
        (1, 90, "培育创新主体"),
        (2, 90, "新增科技型企业100家。"),
        (2, 90, "建设孵化器2个。"),
        (1, 90, "建设创新平台"),
        (2, 90, "建成重点实验室1个。"),
        (0, 91, "附注"),
        (0, 92, "说明"),
        (0, None, "落款"),
    ])
    text = document_text("plan.docx", raw)
    assert text.split("\n") == [
        "某区2025年科技创新工作要点",
        "一、工作目标",
        "新增高新技术企业30家。",
        "二、重点任务",
        "（一）培育创新主体",
        "1.新增科技型企业100家。",
        "2.建设孵化器2个。",
        "（二）建设创新平台",
        "1.建成重点实验室1个。",  # a new section starts its items again at 1
        "附注",  # lists without a definition have no number
        "说明",
        "落款",
    ]
    p = parse_plan(text)
    assert [(g.subject, g.value) for g in p.goals] == [("高新技术企业", 30)]
    assert [(s.code, s.title, [i.code for i in s.items]) for s in p.sections] == [
        ("（一）", "培育创新主体", ["1", "2"]),
        ("（二）", "建设创新平台", ["1"]),
    ]


@pytest.mark.parametrize(("n", "text"), [(3, "三"), (10, "十"), (11, "十一"), (20, "二十"), (35, "三十五")])
def test_word_counts_in_chinese_for_the_legal_simplified_format_too(n, text):
    from closedloop.domain.plan_parser.documents import _format_counter

    assert _format_counter(n, "chineseLegalSimplified") == text


# --- text files: an encoding the reader cannot tell -------------------------------------------


def test_a_western_text_that_gb18030_would_decode_is_refused():
    from closedloop.domain.plan_parser.documents import decode_text

    # cp1252 bytes that happen to pair into GB18030 characters: 黵, 黤, 躡 among Latin letters
    raw = "Der Bürgermeister prüft die Übersicht".encode("cp1252")
    assert raw.decode("gb18030")  # it does decode
    with pytest.raises(Invalid) as e:
        decode_text(raw)
    message = "无法识别文件编码：请另存为 UTF-8 或 GB18030（GBK）编码的文本"
    assert (e.value.problems[0].code, e.value.problems[0].message, e.value.problems[0].field) == ("encoding", message, "file")
    with pytest.raises(Invalid) as e:
        decode_text(b"\x81\x30")  # a cut GB18030 sequence: the same message
    assert e.value.problems[0].message == message and e.value.problems[0].code == "encoding"


@pytest.mark.parametrize("text", ["2024年", "2024。", "2024，"])
def test_a_gbk_text_one_fifth_chinese_is_still_read(text):
    from closedloop.domain.plan_parser.documents import decode_text

    # ideographs, CJK punctuation and full-width forms all count as Chinese
    assert decode_text(text.encode("gb18030")) == text


def test_a_second_list_does_not_restart_the_first_and_a_level_can_show_its_parents_number():
    docx = pytest.importorskip("docx")
    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls

    d = docx.Document()
    numbering = d.part.numbering_part.element
    numbering.append(parse_xml(
        f'<w:abstractNum {nsdecls("w")} w:abstractNumId="95">'
        '<w:lvl w:ilvl="0"><w:numFmt w:val="chineseCounting"/><w:lvlText w:val="%1、"/></w:lvl>'
        '<w:lvl w:ilvl="1"><w:numFmt w:val="decimal"/><w:lvlText w:val="%1.%2"/></w:lvl>'
        "</w:abstractNum>"
    ))
    numbering.append(parse_xml(  # a list whose parent level is not defined: its number counts in decimal
        f'<w:abstractNum {nsdecls("w")} w:abstractNumId="96">'
        '<w:lvl w:ilvl="1"><w:numFmt w:val="decimal"/><w:lvlText w:val="%1.%2"/></w:lvl>'
        "</w:abstractNum>"
    ))
    for num_id, abstract in (("95", "95"), ("97", "95"), ("96", "96")):
        numbering.append(parse_xml(f'<w:num {nsdecls("w")} w:numId="{num_id}"><w:abstractNumId w:val="{abstract}"/></w:num>'))
    for level, num_id, text in [
        (1, 95, "开篇即第二级"),  # no first-level paragraph yet: its number counts as 1
        (0, 95, "重点任务"),
        (1, 95, "培育创新主体"),
        (0, 97, "另一个列表"),  # a separate list (its own numId) leaves the first one's count alone
        (1, 95, "建设创新平台"),
        (1, 96, "无上级定义"),
    ]:
        p = d.add_paragraph(text)
        ppr = p._p.get_or_add_pPr()
        ppr.append(parse_xml(f'<w:numPr {nsdecls("w")}><w:ilvl w:val="{level}"/><w:numId w:val="{num_id}"/></w:numPr>'))
    buf = io.BytesIO()
    d.save(buf)
    assert document_text("plan.docx", buf.getvalue()).split("\n") == [
        "一.1开篇即第二级",
        "一、重点任务",
        "一.1培育创新主体",
        "一、另一个列表",
        "一.2建设创新平台",
        "1.1无上级定义",
    ]


def test_word_runs_and_table_cells_as_text():
    docx = pytest.importorskip("docx")
    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls

    def empty_run():  # Word writes runs with an empty text element too
        return parse_xml(f"<w:r {nsdecls('w')}><w:t/></w:r>")

    d = docx.Document()
    p = d.add_paragraph("新增高新技术企业")
    p._p.append(empty_run())
    p.add_run("30家。")
    t = d.add_table(rows=2, cols=3)
    for c, v in zip(t.rows[0].cells, ("序号", "工作任务", "责任单位")):
        c.text = v
    row = t.rows[1].cells
    row[0].text = "1"
    row[1].text = "建设科技企业"
    row[1].paragraphs[0].add_run("孵化器")  # one line of a cell in two runs
    row[1].paragraphs[0]._p.append(empty_run())
    row[1].add_paragraph("新增孵化面积1万平方米")  # a task on two lines of one cell reads as one text
    row[2].text = "区科技局"
    row[2].add_paragraph("区财政局")  # units on lines of their own: a list
    buf = io.BytesIO()
    d.save(buf)
    assert document_text("plan.docx", buf.getvalue()).split("\n") == [
        "新增高新技术企业30家。",
        "序号\t工作任务\t责任单位",
        "1\t建设科技企业孵化器新增孵化面积1万平方米\t区科技局、区财政局",
    ]


@pytest.mark.parametrize(
    ("module", "name", "raw", "message"),
    [
        ("docx", "plan.docx", b"PK\x03\x04", "服务器未安装 Word 读取组件（python-docx）"),
        ("pypdf", "plan.pdf", b"%PDF-1.4", "服务器未安装 PDF 读取组件（pypdf）"),
    ],
)
def test_a_missing_reader_library_is_named(monkeypatch, module, name, raw, message):
    import sys

    monkeypatch.setitem(sys.modules, module, None)  # as if the package were not installed
    with pytest.raises(Invalid) as e:
        document_text(name, raw)
    assert (e.value.problems[0].code, e.value.problems[0].message) == ("format", message)


def test_a_broken_word_file_says_so():
    with pytest.raises(Invalid) as e:
        document_text("plan.docx", b"not a zip at all")
    assert (e.value.problems[0].code, e.value.message) == ("format", "无法打开 Word 文件：文件已损坏或不是 .docx 格式")


# --- PDF: lines the page wrapped ----------------------------------------------------------------

_PROSE = (
    "加快建设科技创新平台培育壮大高新技术企业群体推动产业向中高端迈进深化科技体制改革完善科技成果转化激励机制"
    "促进创新链产业链深度融合支持企业建设研发机构引导企业加大研发投入力度提升企业自主创新能力"
)


def test_lines_a_pdf_page_wrapped_are_joined_back_into_paragraphs():
    from closedloop.domain.plan_parser.documents import reflow

    full, short24, long60 = _PROSE[:30], _PROSE[30:54], _PROSE[:59] + "。"
    ends = _PROSE[60:89] + "。"
    text = "\n".join([
        "（一）培育创新主体",
        full,  # as long as the page's lines, no closing mark: it continues
        "形成梯次培育格局。",
        ends,  # a finished sentence: the next line is new
        short24,  # 24 characters, four fifths of a full line: still wrapped
        "持续发力。",
        "1.建设创新平台",
        full,
        "2.引进高端人才",  # an item opens a new line even after a full one
        long60,  # one line longer than the rest does not set the page width
        full,
        "",  # a blank line ends the paragraph
        "完善服务体系。",
    ])
    assert reflow(text).split("\n") == [
        "（一）培育创新主体",
        full + "形成梯次培育格局。",
        ends,
        short24 + "持续发力。",
        "1.建设创新平台",
        full,
        "2.引进高端人才",
        long60,
        full,
        "",
        "完善服务体系。",
    ]


def _pdf(*pages: str) -> bytes:
    fpdf = pytest.importorskip("fpdf")
    pdf = fpdf.FPDF()
    for text in pages:
        pdf.add_page()
        if text:
            pdf.set_font("helvetica", size=11)
            pdf.cell(0, 10, text)
    return bytes(pdf.output())


def test_a_pdf_with_ten_characters_of_text_is_read_and_one_without_text_is_refused():
    assert "ABCDE 12345" in document_text("plan.pdf", _pdf("ABCDE 12345"))  # ten visible characters
    with pytest.raises(Invalid) as e:
        document_text("scan.pdf", _pdf("", "", ""))  # three pages of pictures
    assert (e.value.problems[0].code, e.value.message) == (
        "no_text_layer", "该 PDF 没有可提取的文字（可能是扫描件或图片）：请先做文字识别（OCR），或上传 Word/文本版本"
    )


def test_an_encrypted_or_broken_pdf_says_why():
    pypdf = pytest.importorskip("pypdf")
    writer = pypdf.PdfWriter()
    writer.add_blank_page(width=200, height=200)
    writer.encrypt("secret")
    buf = io.BytesIO()
    writer.write(buf)
    with pytest.raises(Invalid) as e:
        document_text("plan.pdf", buf.getvalue())
    assert (e.value.problems[0].code, e.value.message) == ("format", "PDF 文件已加密：请先解除密码保护再导入")
    with pytest.raises(Invalid) as e:
        document_text("plan.pdf", b"%PDF-1.4 not really")
    assert (e.value.problems[0].code, e.value.message) == ("format", "无法打开 PDF 文件：文件已损坏或不是 PDF 格式")


@pytest.mark.parametrize(
    ("name", "raw", "code", "message"),
    [
        ("plan.txt", b"", "empty", "文件是空的"),
        ("plan.pdf", "某区工作要点".encode(), "format", "无法打开 PDF 文件：文件已损坏或不是 PDF 格式"),  # named .pdf: read as one
        ("plan.wps", b"\xd0\xcf\x11\xe0", "format", "不支持旧版 .wps 文件：请在 Office/WPS 中另存为 .docx 或 .xlsx 后再导入"),
        ("plan.et", b"\xd0\xcf\x11\xe0", "format", "不支持旧版 .et 文件：请在 Office/WPS 中另存为 .docx 或 .xlsx 后再导入"),
        ("plan.txt", b"PK\x03\x04rest", "format", "这是一个压缩包或 Office 文件：请以 .docx 或 .xlsx 为扩展名上传"),
        ("plan.zip", b"PK\x03\x04rest", "format", "不支持的文件类型 .zip：请使用 .txt、.md、.docx、.pdf 或 .xlsx"),
    ],
)
def test_what_a_file_is_read_as_follows_its_name(name, raw, code, message):
    with pytest.raises(Invalid) as e:
        document_text(name, raw)
    assert (e.value.problems[0].code, e.value.message) == (code, message)


def test_a_macro_workbook_is_read_as_excel():
    assert document_text("fengong.xlsm", _xlsx(["序号", "工作任务"], [1, "建设孵化器"])).split("\n") == ["序号\t工作任务", "1\t建设孵化器"]


def test_a_pdf_without_an_extension_is_read_as_a_pdf():
    assert "ABCDE 12345" in document_text("plan", _pdf("ABCDE 12345"))
