"""A plan file's bytes → the plain text the parser reads.

.txt / .md in UTF-8 (with or without BOM) or GB18030; .docx (python-docx: paragraphs in order with
Word's automatic numbering written out — 一、 （一） 1. — and tables as tab-separated rows); .pdf
with a text layer (pypdf; lines wrapped by the page are joined back into paragraphs); .xlsx
(openpyxl: every sheet's rows as tab-separated lines). A file that cannot be read raises
``Invalid`` with a Chinese message naming the problem; nothing here touches a database.
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import PurePath

from closedloop.domain.errors import Invalid, Issue

FORMATS = (".txt", ".md", ".markdown", ".docx", ".pdf", ".xlsx")
UNIT_LINE = re.compile(r"(?:局|委|办|中心|政府|街道|镇|乡|公司|部|院|会|厅|署|处|室)$")


def _invalid(code: str, message: str) -> Invalid:
    return Invalid(message, [Issue(code, message, "file")])


def decode_text(raw: bytes) -> str:
    """UTF-8 (BOM or not), else GB18030; anything else is refused with a message."""
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        text = raw.decode("gb18030")
    except UnicodeDecodeError:
        raise _invalid("encoding", "无法识别文件编码：请另存为 UTF-8 或 GB18030（GBK）编码的文本") from None
    # GB18030 decodes almost any byte string; a real Chinese text is mostly CJK and punctuation
    cjk = sum(1 for ch in text if "\u4e00" <= ch <= "\u9fff" or "\u3000" <= ch <= "\u303f" or "\uff00" <= ch <= "\uffef")
    visible = sum(1 for ch in text if not ch.isspace())
    if visible and cjk / visible < 0.2 and any(ord(ch) > 0x2000 for ch in text):
        raise _invalid("encoding", "无法识别文件编码：请另存为 UTF-8 或 GB18030（GBK）编码的文本")
    return text


def document_text(filename: str, raw: bytes) -> str:
    """The text of a plan file, chosen by its extension (a file without one is read as text)."""
    ext = PurePath(filename or "").suffix.lower()
    if not raw:
        raise _invalid("empty", "文件是空的")
    if ext in (".docx",):
        return docx_text(raw)
    if ext == ".pdf":
        return pdf_text(raw)
    if ext in (".xlsx", ".xlsm"):
        return xlsx_text(raw)
    if ext in (".doc", ".xls", ".wps", ".et"):
        raise _invalid("format", f"不支持旧版 {ext} 文件：请在 Office/WPS 中另存为 .docx 或 .xlsx 后再导入")
    if ext and ext not in FORMATS:
        if raw[:4] == b"PK\x03\x04" or raw[:5] == b"%PDF-":
            raise _invalid("format", f"不支持的文件类型 {ext}：请使用 .txt、.md、.docx、.pdf 或 .xlsx")
    if raw[:5] == b"%PDF-":
        return pdf_text(raw)
    if raw[:4] == b"PK\x03\x04":
        raise _invalid("format", "这是一个压缩包或 Office 文件：请以 .docx 或 .xlsx 为扩展名上传")
    return decode_text(raw)


# ---------------------------------------------------------------------------
# Word


CN_COUNT = "零一二三四五六七八九十"


def _chinese(n: int) -> str:
    if n <= 10:
        return CN_COUNT[n]
    if n < 20:
        return "十" + CN_COUNT[n - 10]
    if n < 100:
        return CN_COUNT[n // 10] + "十" + (CN_COUNT[n % 10] if n % 10 else "")
    return str(n)


def _format_counter(n: int, fmt: str) -> str:
    if fmt in ("chineseCounting", "chineseCountingThousand", "ideographTraditional", "taiwaneseCounting", "chineseLegalSimplified"):
        return _chinese(n)
    if fmt == "lowerLetter":
        return chr(ord("a") + (n - 1) % 26)
    if fmt == "upperLetter":
        return chr(ord("A") + (n - 1) % 26)
    if fmt == "bullet":
        return ""
    return str(n)


def docx_text(raw: bytes) -> str:
    try:
        import docx
        from docx.oxml.ns import qn
    except ImportError:  # pragma: no cover - a dependency of the package
        raise _invalid("format", "服务器未安装 Word 读取组件（python-docx）") from None
    try:
        document = docx.Document(io.BytesIO(raw))
    except (zipfile.BadZipFile, KeyError, ValueError, OSError):
        raise _invalid("format", "无法打开 Word 文件：文件已损坏或不是 .docx 格式") from None
    levels = _numbering_levels(document, qn)
    style_numbering = {}  # numbering set on a paragraph style (Word's List Number, headings)
    for style in document.styles:
        ppr = style.element.find(qn("w:pPr"))
        if ppr is not None and ppr.find(qn("w:numPr")) is not None:
            style_numbering[style.style_id] = ppr.find(qn("w:numPr"))
    counters: dict[tuple[str, int], int] = {}
    lines: list[str] = []
    body = document.element.body
    for child in body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            text = "".join(t.text or "" for t in child.iter(qn("w:t")))
            marker = _numbering_marker(child, levels, counters, qn, style_numbering)
            if text.strip() or marker:
                lines.append(marker + text)
        elif tag == "tbl":
            for row in child.iter(qn("w:tr")):
                cells = []
                for tc in row.iter(qn("w:tc")):
                    paras = ["".join(t.text or "" for t in p.iter(qn("w:t"))) for p in tc.iter(qn("w:p"))]
                    paras = [p.strip() for p in paras if p.strip()]
                    sep = "、" if paras and all(UNIT_LINE.search(p) for p in paras) else ""
                    cells.append(sep.join(paras))
                if any(cells):
                    lines.append("\t".join(c.replace("\t", " ") for c in cells))
    return "\n".join(lines)


def _numbering_levels(document, qn) -> dict[tuple[str, int], tuple[str, str]]:
    """(numId, level) → (numFmt, lvlText) from the document's numbering part."""
    out: dict[tuple[str, int], tuple[str, str]] = {}
    try:
        numbering = document.part.numbering_part.element
    except (KeyError, NotImplementedError, AttributeError):
        return out
    abstract = {}
    for a in numbering.iter(qn("w:abstractNum")):
        lv = {}
        for lvl in a.iter(qn("w:lvl")):
            fmt = lvl.find(qn("w:numFmt"))
            text = lvl.find(qn("w:lvlText"))
            lv[int(lvl.get(qn("w:ilvl")))] = (
                fmt.get(qn("w:val")) if fmt is not None else "decimal",
                text.get(qn("w:val")) if text is not None else "%1.",
            )
        abstract[a.get(qn("w:abstractNumId"))] = lv
    for num in numbering.iter(qn("w:num")):
        ref = num.find(qn("w:abstractNumId"))
        if ref is None:
            continue
        for ilvl, spec in abstract.get(ref.get(qn("w:val")), {}).items():
            out[(num.get(qn("w:numId")), ilvl)] = spec
    return out


def _numbering_marker(p, levels, counters, qn, style_numbering) -> str:
    """The number Word would draw before a paragraph with automatic numbering (一、 （一） 1.)."""
    ppr = p.find(qn("w:pPr"))
    numpr = ppr.find(qn("w:numPr")) if ppr is not None else None
    if numpr is None and ppr is not None and ppr.find(qn("w:pStyle")) is not None:
        numpr = style_numbering.get(ppr.find(qn("w:pStyle")).get(qn("w:val")))
    if numpr is None:
        return ""
    num_id_el, ilvl_el = numpr.find(qn("w:numId")), numpr.find(qn("w:ilvl"))
    if num_id_el is None:
        return ""
    num_id = num_id_el.get(qn("w:val"))
    ilvl = int(ilvl_el.get(qn("w:val"))) if ilvl_el is not None else 0
    spec = levels.get((num_id, ilvl))
    if spec is None:
        return ""
    counters[(num_id, ilvl)] = counters.get((num_id, ilvl), 0) + 1
    for (nid, lv) in list(counters):  # a higher level restarts the lower ones
        if nid == num_id and lv > ilvl:
            counters.pop((nid, lv))
    fmt, text = spec

    def sub(m: re.Match) -> str:
        lv = int(m.group(1)) - 1
        return _format_counter(counters.get((num_id, lv), 1), fmt if lv == ilvl else levels.get((num_id, lv), ("decimal", ""))[0])

    return re.sub(r"%(\d)", sub, text)


# ---------------------------------------------------------------------------
# PDF


def pdf_text(raw: bytes) -> str:
    try:
        from pypdf import PdfReader
        from pypdf.errors import PdfReadError
    except ImportError:  # pragma: no cover - a dependency of the package
        raise _invalid("format", "服务器未安装 PDF 读取组件（pypdf）") from None
    try:
        reader = PdfReader(io.BytesIO(raw))
        if reader.is_encrypted:
            raise _invalid("format", "PDF 文件已加密：请先解除密码保护再导入")
        pages = [page.extract_text() or "" for page in reader.pages]
    except Invalid:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError):
        raise _invalid("format", "无法打开 PDF 文件：文件已损坏或不是 PDF 格式") from None
    text = "\n".join(pages)
    if len(re.sub(r"\s", "", text)) < 10:
        raise _invalid(
            "no_text_layer",
            "该 PDF 没有可提取的文字（可能是扫描件或图片）：请先做文字识别（OCR），或上传 Word/文本版本",
        )
    return reflow(text)


STRUCTURE_START = re.compile(r"^(?:[一二三四五六七八九十]+[、.．]|[（(][一二三四五六七八九十\d]+[）)]|\d{1,3}[.、．](?!\d)|——|[一二三四五六七八九十]+是)")


def reflow(text: str) -> str:
    """Join lines the page wrapped: a line nearly as long as the longest lines, not ending a
    sentence, continues on the next unless that one opens a heading or an item."""
    lines = [ln.rstrip() for ln in text.split("\n")]
    lengths = sorted(len(ln) for ln in lines if ln.strip())
    if not lengths:
        return text
    full = lengths[int(len(lengths) * 0.9)] if len(lengths) > 3 else lengths[-1]
    out: list[str] = []
    for ln in lines:
        if (
            out
            and ln.strip()
            and len(out[-1]) >= 0.8 * full
            and not re.search(r"[。；;：:！!？?]$", out[-1])
            and not STRUCTURE_START.match(ln.strip())
        ):
            out[-1] += ln.strip()
        else:
            out.append(ln)
    return "\n".join(out)


# ---------------------------------------------------------------------------
# Excel


def xlsx_text(raw: bytes) -> str:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError):
        raise _invalid("format", "无法打开 Excel 文件：文件已损坏或不是 .xlsx 格式") from None
    lines = []
    try:
        for ws in wb.worksheets:
            for row in ws.iter_rows(values_only=True):
                cells = []
                for v in row:
                    s = "" if v is None else str(v).strip()
                    if "\n" in s:
                        parts = [p.strip() for p in s.split("\n") if p.strip()]
                        s = ("、" if all(UNIT_LINE.search(p) for p in parts) else "").join(parts)
                    cells.append(s.replace("\t", " "))
                while cells and not cells[-1]:
                    cells.pop()
                if any(cells):
                    lines.append("\t".join(cells))
    finally:
        wb.close()
    if not lines:
        raise _invalid("empty", "Excel 文件中没有内容")
    return "\n".join(lines)
