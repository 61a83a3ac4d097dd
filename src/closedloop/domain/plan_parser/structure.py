"""A plan's structure: title block, parts, sections, items, and which text holds plan goals.

Parts (一、… or an unnumbered heading line, or 1.总体目标 when a document has no 一、) get a role
from their heading: ``review`` (回顾/成就: achievements, never targets), ``goals`` (目标/指标),
``tasks`` or ``other``. Sections （一） inside non-review parts hold items; a section titled as
goals (（二）发展目标) holds plan goals. Items are ``1.`` / ``（1）`` lines, inline 一是…/一要…,
—— bullets, or, in government work reports, paragraphs that open with a short lead sentence
(“充分发挥规划统筹引领作用。…”). A section with no such markers is one item of its own.
Paragraphs outside sections (a 主要预期目标 paragraph, 具体指标：到2022年…, goal bullets) give
plan goals. Paragraphs that look back (这五年…, 过去一年…) give nothing.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

from closedloop.domain.plan_parser.model import ParsedGoal, ParsedItem, ParsedPlan, ParsedSection
from closedloop.domain.plan_parser.numerals import CN_NUM, SEQ_NUMERALS, cn_to_int
from closedloop.domain.plan_parser.tables import (
    IndicatorRow,
    TableRow,
    find_indicator_table,
    find_table,
    parse_deadline,
    parse_indicator_rows,
    parse_rows,
)
from closedloop.domain.plan_parser.targets import PAST_START, extract_goals

# tabs are kept: they separate the cells of a table (Word and Excel tables arrive that way)
_SPACES = re.compile(r"[ \u00a0\u2002\u2003\u3000\ufeff]+")

PART_RE = re.compile(rf"^([{SEQ_NUMERALS}]+)\s*[、.．]\s*(.*)$")
SECTION_RE = re.compile(rf"^[（(]\s*([{SEQ_NUMERALS}]+)\s*[）)]\s*(.*)$")
NUM_ITEM_RE = re.compile(r"^(\d{1,3})\s*[.、．](?!\d)\s*(.*)$")
PAREN_ITEM_RE = re.compile(r"^[（(]\s*(\d{1,3})\s*[）)]\s*(.*)$")
DASH_RE = re.compile(r"^(?:——|—|--)\s*(.*)$")
# a line opening an item with a word marker: 一是… / 二要… / 第三，…
LINE_ITEM_RE = re.compile(rf"^\s*(?:([{SEQ_NUMERALS}]{{1,3}})([是要])|第([{SEQ_NUMERALS}]{{1,3}})[，,、])")
INLINE_ITEM_RE = re.compile(
    rf"(?:^|(?<=[。；;：:！!]))\s*(?:([{SEQ_NUMERALS}]{{1,3}})(是|要)|(\d{{1,2}})([.、．])(?!\d)|第([{SEQ_NUMERALS}]{{1,3}})[，,、])"
)
DATE_RE = re.compile(r"((?:19|20)\d{2})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")
CN_DATE_RE = re.compile(rf"^([{CN_NUM}]{{4}})年([{CN_NUM}]{{1,3}})月([{CN_NUM}]{{1,3}})日$")
APPENDIX_RE = re.compile(r"^附件\s*\d*\s*[：:]?\s*(.*)$")

REVIEW_WORDS = ("回顾", "成就", "成绩", "总结", "完成情况", "进展情况", "工作情况")
GOAL_WORDS = ("目标", "指标")
TASK_WORDS = (
    "重点工作", "主要任务", "重点任务", "工作任务", "主要工作", "工作重点", "具体任务", "重点举措", "工作安排",
    "任务", "举措", "措施", "安排",
)
NON_TASK_SECTION = ("指导思想", "基本原则", "总体要求", "总体思路", "工作原则", "基本要求")
TITLE_WORDS = (
    "工作要点", "要点", "工作计划", "实施方案", "行动计划", "行动方案", "计划", "方案", "工作报告", "报告", "意见", "规划",
    "纲要", "任务清单", "责任分工", "分工", "台账",
)
ISSUER_SUFFIXES = ("局", "委", "办", "政府", "委员会", "办公室", "厅", "部", "中心", "院", "处", "署", "国务院")
# （农业农村部、工业和信息化部等负责） / （牵头单位：自治区人力资源社会保障厅）
UNITS_NOTE_RE = re.compile(r"[（(]((?:牵头单位|责任单位|牵头|责任)[：:][^（）()]{2,120}|[^（）()]{2,120}?负责)(?:[。，,；;][^（）()]*)?[）)]\s*[。；;]?$")


# full-width digits, letters and ％ as typed in Chinese documents; the structural full-width
# punctuation （）：，； is left alone (the patterns expect it)
_FULL_WIDTH = {0xFF10 + i: 0x30 + i for i in range(10)} | {0xFF21 + i: 0x41 + i for i in range(26)} | {
    0xFF41 + i: 0x61 + i for i in range(26)
} | {0xFF05: 0x25}


def normalise(text: str) -> list[str]:
    """Lines with full-width/ASCII spaces trimmed, Markdown marks removed, blanks dropped."""
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n").translate(_FULL_WIDTH)
    text = re.sub(r"(?<=\d)．(?=\d)", ".", text)
    lines = []
    for raw in text.split("\n"):
        line = re.sub(r" *\t *", "\t", _SPACES.sub(" ", raw)).strip(" \t")
        line = re.sub(r"^#{1,6}\s*", "", line)
        line = line.replace("**", "").replace("__", "").strip()
        line = re.sub(r"^>\s*", "", line)
        line = re.sub(r"^[-*+]\s+(?=\S)", "", line)
        if line:
            lines.append(line)
    return lines


def first_sentence(text: str) -> str:
    m = re.match(r"(.+?)(?:[。！？!?；;]|$)", text.strip())
    s = (m.group(1) if m else text).strip()
    return s.rstrip("：:，,")


# ---------------------------------------------------------------------------
# Title block


def _parse_date(line: str) -> date | None:
    m = DATE_RE.search(line)
    if m:
        y, mo, d = (int(x) for x in m.groups())
    else:
        m = CN_DATE_RE.match(line)
        if not m:
            return None
        y, mo, d = (cn_to_int(x) for x in m.groups())  # type: ignore[assignment, misc]  # None is checked on the next line
        if None in (y, mo, d):
            return None
    try:
        return date(y, mo, d)  # type: ignore[arg-type]  # None was ruled out just above
    except ValueError:
        return None


def _is_date_line(line: str) -> bool:
    """A line that is only a date, or a date note (——2026年1月25日在…会议上 / （2026年1月27日…））."""
    if not _parse_date(line):
        return False
    stripped = line.strip("（）() —-")
    return bool(re.match(r"^(?:(?:19|20)\d{2}\s*年|[" + CN_NUM + r"]{4}年)", stripped)) and len(line) <= 60


def title_block(lines: list[str]) -> tuple[str, str | None, date | None, int]:
    """Title, issuer, issue date, and the index of the first body line after the title."""
    issuer = None
    issued_on = None
    title = ""
    title_idx = -1
    notice_title = ""
    head = lines[:30]
    for i, line in enumerate(head):
        if PART_RE.match(line) or SECTION_RE.match(line):
            break
        if _is_date_line(line):
            if issued_on is None:
                issued_on = _parse_date(line)
            continue
        if "印发" in line or line.endswith("通知") or "通  知" in line:
            # 关于印发《…》的通知, or the same without the title marks
            m = re.search(r"《(.+?)》", line) or re.search(r"关于印发(.+?)的通知$", line)
            if m and not notice_title:
                notice_title = m.group(1)
            continue
        candidate = re.split(r"——|--", line)[0].strip() if not line.startswith("——") else ""
        if (
            not title
            and candidate
            and len(candidate) <= 60
            and not re.search(r"[，。；：:]", candidate)
            and any(w in candidate for w in TITLE_WORDS)
        ):
            title, title_idx = candidate.strip("《》"), i
            if candidate != line and issued_on is None:
                issued_on = _parse_date(line)
            continue
        if issuer is None and len(line) <= 40 and line.endswith(ISSUER_SUFFIXES) and not re.search(r"[，。：:]", line):
            issuer = line
    if not title and notice_title:
        title = notice_title
    if not title:
        for i, line in enumerate(head):
            if not PART_RE.match(line) and not SECTION_RE.match(line) and len(line) <= 60 and not _parse_date(line):
                title, title_idx = line, i
                break
    if issuer == title:
        issuer = None
    if issued_on is None:  # a date at the end: 国务院 / 2018年11月16日
        for line in lines[-6:]:
            if _is_date_line(line):
                issued_on = _parse_date(line)
    if issuer is None and issued_on is not None:
        tail = lines[-6:]
        for k, line in enumerate(tail):
            if _is_date_line(line) and k and _signs(tail[k - 1]):
                issuer = tail[k - 1]
    return title, issuer, issued_on, title_idx + 1


def _signs(line: str) -> bool:
    """A signature line above a closing date: the issuing office (某区人民政府办公室)."""
    return len(line) <= 20 and line.endswith(ISSUER_SUFFIXES)


def _without_signature(body: list[str]) -> list[str]:
    """The body without its closing signature (某区人民政府办公室 / 2025年3月5日): those lines
    belong to the title block, and read as text they ran into the last item, hiding its
    unit note."""
    end = len(body)
    if end and _is_date_line(body[end - 1]):
        end -= 1
        if end and _signs(body[end - 1]):
            end -= 1
    return body[:end]


# ---------------------------------------------------------------------------
# Parts


SUPPORT_WORDS = (
    "保障措施", "组织保障", "组织领导", "工作要求", "有关要求", "实施保障", "保障机制", "总体要求", "政策取向", "指导思想",
    "基本原则", "总体思路",
)


def _heading_role(heading: str) -> str:
    if any(w in heading for w in SUPPORT_WORDS):
        return "support"  # how the plan is carried out: no work items of its own
    review = any(w in heading for w in REVIEW_WORDS)
    goal = any(w in heading for w in GOAL_WORDS)
    task = any(w in heading for w in TASK_WORDS)
    if review and not goal and not re.search(r"重点工作|工作安排|任务", heading):
        return "review"
    if goal and not task:
        return "goals"
    if goal and task:
        return "goals+tasks"
    return "tasks" if task else "other"


def _bare_heading(line: str) -> bool:
    """An unnumbered heading line: short, no sentence punctuation, naming a review or a plan."""
    return (
        len(line) <= 30
        and not re.search(r"[，。；;：:！!？?,]", line)
        and bool(re.search(r"回顾|成就|目标|重点工作|工作安排|主要任务|保障措施", line))
    )


def _split_parts(body: list[str]) -> list[tuple[str, bool, list[str]]]:
    """(heading, numbered, lines) of each part; lines before the first heading form a part with
    an empty heading."""
    has_parts = any(PART_RE.match(x) and len(PART_RE.match(x).group(2)) <= 40 for x in body)  # type: ignore[union-attr]  # the same pattern matched just before in the same expression
    parts: list[tuple[str, bool, list[str]]] = [("", False, [])]
    for line in body:
        m = PART_RE.match(line)
        am = APPENDIX_RE.match(line)
        nm = NUM_ITEM_RE.match(line)
        if m and len(m.group(2)) <= 40:
            parts.append((m.group(2), True, []))
        elif am and len(line) <= 30:
            parts.append(("附件" + (("：" + am.group(1)) if am.group(1) else ""), True, []))
        elif (
            not has_parts
            and nm
            and len(nm.group(2)) <= 14
            and not re.search(r"[，。；;,]", nm.group(2))
            and re.search(r"目标|任务|措施|要求|保障|思路|重点|原则|安排", nm.group(2))
        ):
            parts.append((nm.group(2), True, []))  # 1.总体目标 in a document without 一、 parts
        elif _bare_heading(line) and not SECTION_RE.match(line) and not nm:
            parts.append((line, False, []))
        else:
            parts[-1][2].append(line)
    if not parts[0][2]:
        parts.pop(0)
    return parts


# ---------------------------------------------------------------------------
# Items


def _split_inline_items(text: str) -> tuple[str, list[tuple[str, str]]]:
    """Split ``preamble 一是… 二是…`` (or 一要… 二要…) into the preamble and (code, text) items."""
    marks = []
    expected = 1
    word = None
    for m in INLINE_ITEM_RE.finditer(text):
        if m.group(1):
            n, w = (cn_to_int(m.group(1)) if m.group(1) != "十" else 10), m.group(2)
        elif m.group(5):
            n, w = (cn_to_int(m.group(5)) if m.group(5) != "十" else 10), "第"
        else:
            n, w = int(m.group(3)), "."
        if n == expected and (word is None or w == word):
            marks.append(m)
            word = w
            expected += 1
    if len(marks) < 2 and not (marks and marks[0].start() == 0 and text[marks[0].start():].lstrip().startswith("一")):
        return text, []
    preamble = text[: marks[0].start()].strip()
    items = []
    for k, m in enumerate(marks):
        end = marks[k + 1].start() if k + 1 < len(marks) else len(text)
        code = m.group(1) + m.group(2) if m.group(1) else (f"第{m.group(5)}" if m.group(5) else m.group(3))
        items.append((code, text[m.start() : end].strip()))
    return preamble, items


def _units_note(body: str) -> tuple[str, list[str]]:
    """Strip a trailing （…负责） / （牵头单位：…） note; return the text and the unit names."""
    m = UNITS_NOTE_RE.search(body)
    if not m:
        return body, []
    note = m.group(0).strip().lstrip("（(").rstrip("）)。；; ")
    if re.match(r"(?:牵头单位|责任单位|牵头|责任)[：:]", note):
        # （牵头单位：区经济信息委；配合单位：区发展改革委、区财政局）
        parts = re.findall(r"(?:牵头单位|责任单位|配合单位|协办单位|牵头|责任|配合)[：:]([^；;。]+)", note)
        names = "、".join(parts)
    else:
        # （农业农村部、工业和信息化部等负责。列第一位者为牵头单位，下同）
        names = re.sub(r"(?:等(?:有关|相关)?(?:部门|单位)?)?(?:按职责分工)?负责$", "", re.split(r"[。；;]", note)[0])
    return body, clean_units(names)


GENERIC_UNIT = re.compile(r"各有关|有关部门|相关部门|有关单位|相关单位|各级|各县|各区|各街道|各镇|各乡|各部门|各单位|专班")


def clean_units(names: str) -> list[str]:
    """Unit names from a note: 市政府办公室、市审改办牵头，市级各有关部门按职责分工负责 →
    [市政府办公室, 市审改办]; words like 牵头/负责/配合 and collective names (各有关部门) dropped."""
    out = []
    for u in re.split(r"[、，,；;]", names):
        u = re.sub(r"(?:等(?:有关|相关)?(?:部门|单位)?)?(?:按职责分工|按职责)?(?:牵头|负责|配合|参与)$", "", u.strip())
        u = u.strip()
        if 1 < len(u) <= 40 and not GENERIC_UNIT.search(u) and u not in out:
            out.append(u)
    return out


UNIT_LINE_RE = re.compile(r"^(牵头单位|责任单位|主责单位|配合单位|协办单位|责任领导|责任人|完成时限|完成时间)[：:]\s*(.+)$")


def _make_item(code: str, body: str, year: int | None) -> ParsedItem:
    """An item from its text; the title is the first sentence without the code marker."""
    content = re.sub(rf"^\s*(?:[{SEQ_NUMERALS}]{{1,3}}[是要]|第[{SEQ_NUMERALS}]{{1,3}}[，,、])\s*", "", body)
    content = re.sub(r"^\s*(?:\d{1,3}\s*[.、．]|[（(]\s*\d{1,3}\s*[）)]|——|—)\s*", "", content)
    title = first_sentence(content) or content[:40]
    if len(title) > 60:
        title = re.split(r"[，,]", title)[0][:60]
    body, units = _units_note(body)
    return ParsedItem(code=code, title=title[:500], text=body, goals=extract_goals(body, year=year), units=units)


def join_lines(lines: list[str]) -> str:
    """Lines of one paragraph or item as one text; a heading-like line (short, no closing
    punctuation) ends its own sentence, so “推进重大项目信息公开” does not run into the next line."""
    out = ""
    for line in lines:
        if out and len(out) <= 40 and not re.search(r"[。；;：:！!？?，,、]$", out) and "\n" not in out:
            out += "。"
        out += line
    return out


def _lead_paragraph(line: str) -> bool:
    """A paragraph that opens with a short lead sentence: 大力提振消费。研究制定…"""
    m = re.match(r"^([^。！？!?；;]{2,24})[。！!]", line)
    return bool(m) and not re.search(r"[，,：:]", m.group(1)) and len(line) > len(m.group(0))  # type: ignore[union-attr]  # bool(m) guards it in the same expression


def _section_items(lines: list[str], year: int | None) -> tuple[str, list[ParsedItem]]:
    """Items of one section from its lines (the heading line's rest comes first)."""
    items: list[ParsedItem] = []
    preamble: list[str] = []
    current: tuple[str, list[str]] | None = None

    def flush():
        nonlocal current
        if current:
            items.append(_make_item(current[0], "".join(current[1]), year))
            current = None

    notes: dict[int, list[tuple[str, str]]] = {}  # item index → (label, value) lines under it
    for line in lines:
        um = UNIT_LINE_RE.match(line)
        if um and (current or items):
            # 牵头单位：区发改局 / 责任单位：… / 完成时限：… on lines of their own under an item
            flush()
            notes.setdefault(len(items) - 1, []).append((um.group(1), um.group(2)))
            continue
        m = NUM_ITEM_RE.match(line) or PAREN_ITEM_RE.match(line) or LINE_ITEM_RE.match(line)
        inline_codes = [c for c, _ in _split_inline_items(line)[1]]
        # "1.…2.…" in one line are items; "2、打造特色农业。一是…二是…" is one item with its points
        numbered = bool(NUM_ITEM_RE.match(line) or PAREN_ITEM_RE.match(line))
        if m and (len(inline_codes) < 2 or (numbered and not inline_codes[0].isdigit())):
            flush()
            if NUM_ITEM_RE.match(line):
                code = m.group(1)
            elif PAREN_ITEM_RE.match(line):
                code = f"（{m.group(1)}）"
            else:
                code = m.group(1) + m.group(2) if m.group(1) else f"第{m.group(3)}"
            current = (code, [line])
            continue
        pre, inline = _split_inline_items(line)
        if inline:
            flush()
            if pre:
                preamble.append(pre)
            for code, body in inline[:-1]:
                items.append(_make_item(code, body, year))
            current = (inline[-1][0], [inline[-1][1]])
            continue
        if current and not DASH_RE.match(line) and not _lead_paragraph(line):
            current[1].append(line)
        else:
            flush()
            preamble.append(line)
    flush()
    for idx, pairs in notes.items():
        it = items[idx]
        for label, value in pairs:
            if label in ("完成时限", "完成时间"):
                it.deadline = parse_deadline(value, year)
            elif label in ("责任领导", "责任人"):
                it.person = value.strip()[:100]
            else:
                it.units.extend(u for u in clean_units(value) if u not in it.units)
    if not items and any(DASH_RE.match(x) for x in preamble):  # a section of —— bullets
        rest = []
        for line in preamble:
            m = DASH_RE.match(line)
            if m:
                items.append(_make_item(f"——{len(items) + 1}", m.group(1), year))
            else:
                rest.append(line)
        preamble = rest
    if not items:  # paragraphs opening with a lead sentence (government work reports)
        leads = [x for x in preamble if _lead_paragraph(x)]
        if leads:
            rest = []
            for line in preamble:
                if _lead_paragraph(line) or (extract_goals(line, year=year) and line is not preamble[0]):
                    items.append(_make_item(str(len(items) + 1), line, year))
                else:
                    rest.append(line)
            preamble = rest
    return "".join(preamble), items


# ---------------------------------------------------------------------------
# The plan


def _past_paragraph(line: str) -> bool:
    return bool(PAST_START.match(line))


def parse_plan(text: str, default_title: str = "") -> ParsedPlan:
    """Parse a plan. Never raises; see ``ParsedPlan.missing()`` for what was not found.
    ``default_title`` (a file name) stands in when the text has no title (a bare 分工 table)."""
    if not isinstance(text, str):
        text = str(text)
    lines = normalise(text)
    if not lines:
        return ParsedPlan(title="", issuer=None, issued_on=None, year=None)
    table = find_table(lines[:40])
    head_end = table[0] if table else len(lines)
    title, issuer, issued_on, body_start = title_block(lines[:head_end])
    if table and not title:
        title, body_start = default_title, 0
    title = title or (default_title if not lines[0].strip() else title)
    year = end_year = None
    # 2024年… or a span (2022—2024年): the first year is the plan's, the last its end
    if m := re.search(r"((?:19|20)\d{2})\s*(?:年\s*)?(?:[—\-–~～至到]\s*((?:19|20)\d{2})\s*)?年", title):
        year = int(m.group(1))
        end_year = int(m.group(2)) if m.group(2) else None
    elif issued_on:
        year = issued_on.year

    goals: list[ParsedGoal] = []
    sections: list[ParsedSection] = []
    parts_found: list[tuple[str, str]] = []
    body = _without_signature(lines[body_start:])
    if table:
        start = table[0] - body_start
        rows, used = parse_rows(body[start + 1 :], table[1], year)
        if rows:
            sections.append(_table_section(rows, year))
            body = body[:start] + body[start + 1 + used :]
    indicators = find_indicator_table(body)
    if indicators:  # 主要指标 table: one plan goal per row
        start, cols = indicators
        rows, used = parse_indicator_rows(body[start + 1 :], cols, body[start])  # type: ignore[assignment]  # the indicator table's rows reuse the variable of the responsibility table's
        if rows:
            goals.extend(_indicator_goal(r) for r in rows)  # type: ignore[arg-type]  # rows here are the indicator rows assigned just above
            body = body[:start] + body[start + 1 + used :]
    zone = "other"  # the role of the last unnumbered heading: a review heading covers the parts under it
    for heading, numbered, part_lines in _split_parts(body):
        role = _heading_role(heading) if heading else "other"
        if heading and not numbered:
            zone = role
        elif heading:
            parts_found.append((heading, role))
        if role == "review" or (zone == "review" and not numbered):
            continue
        if role in ("goals", "support"):
            for line in part_lines:
                if not _past_paragraph(line):
                    goals.extend(extract_goals(DASH_RE.sub(r"\1", line), year=year))
            continue
        _read_part(heading, role, part_lines, year, goals, sections)

    for s in sections:
        for it in s.items:
            _link_to_plan_goals(it.goals, goals)
    return ParsedPlan(
        title=title, issuer=issuer, issued_on=issued_on, year=year, goals=goals, sections=sections, parts=parts_found,
        end_year=end_year,
    )


def _indicator_goal(r: IndicatorRow) -> ParsedGoal:
    kind = "growth" if re.search(r"增长|增速|增幅", r.name) and r.unit in ("%", "个百分点") else "level"
    if re.search(r"下降|降低", r.name) and r.unit in ("%", "个百分点"):
        kind = "decline"
    return ParsedGoal(
        subject=r.name[:60], comparator=r.comparator, value=r.value, unit=r.unit, source=r.name, kind=kind,
        approx=r.approx, plain=r.plain, upper=r.upper, horizon=r.horizon, baseline=r.baseline,
    )


def _table_section(rows: list[TableRow], year: int | None) -> ParsedSection:
    items = []
    for r in rows:
        title = first_sentence(r.task) or r.task[:40]
        if len(title) > 60:
            title = re.split(r"[，,]", title)[0][:60]
        items.append(
            ParsedItem(
                code=r.code, title=title, text=r.task, goals=extract_goals(r.task, year=year),
                units=r.lead_units + [u for u in r.co_units if u not in r.lead_units], deadline=r.deadline, person=r.person,
            )
        )
    return ParsedSection(code="", title="责任分工", text="", items=items)


def _read_part(
    heading: str, role: str, part_lines: list[str], year: int | None, goals: list[ParsedGoal], sections: list[ParsedSection]
) -> None:
    groups: list[tuple[str, str, list[str]]] = []
    loose: list[str] = []
    for line in part_lines:
        m = SECTION_RE.match(line)
        if m:
            groups.append((f"（{m.group(1)}）", m.group(2), []))
        elif groups:
            groups[-1][2].append(line)
        else:
            loose.append(line)
    loose = [x for x in loose if not _past_paragraph(x)]
    if loose:
        as_items = role != "goals+tasks" and (
            any(NUM_ITEM_RE.match(x) or PAREN_ITEM_RE.match(x) or LINE_ITEM_RE.match(x) for x in loose)
            or any(_split_inline_items(x)[1] for x in loose)
            or (not groups and sum(1 for x in loose if _lead_paragraph(x)) >= 2)  # a report's part without （一）
        )
        if as_items:
            text, items = _section_items(loose, year)
            if items:
                sections.append(ParsedSection(code="", title=heading or "重点工作", text=text, items=items))
                goals.extend(extract_goals(text, year=year))
            else:
                for line in loose:
                    goals.extend(extract_goals(DASH_RE.sub(r"\1", line), year=year))
        else:
            for line in loose:
                goals.extend(extract_goals(DASH_RE.sub(r"\1", line), year=year))
    for code, rest, more in groups:
        title = first_sentence(rest)
        if len(title) > 60:
            title = re.split(r"[，,]", title)[0][:60]
        more = [x for x in more if not _past_paragraph(x)]
        if any(w in title for w in GOAL_WORDS) and len(title) <= 12:
            for line in [rest] + more:
                goals.extend(extract_goals(DASH_RE.sub(r"\1", line), year=year))
            continue
        if title in NON_TASK_SECTION or any(title.startswith(w) for w in NON_TASK_SECTION):
            continue
        after_title = rest[len(title) :].lstrip("。；;：: ")
        first = [after_title] if after_title else []
        text, items = _section_items(first + more, year)
        if not items:  # a section with no item markers is one item of its own
            body, units = _units_note(join_lines([rest] + more))
            items = [ParsedItem(code=code, title=title, text=body, goals=extract_goals(body, year=year), units=units)]
        else:
            goals.extend(extract_goals(text, year=year))
        sections.append(ParsedSection(code=code, title=title, text=text, items=items))


def _bigrams(s: str) -> set[str]:
    return {s[i : i + 2] for i in range(len(s) - 1)}


def _link_to_plan_goals(item_goals: list[ParsedGoal], plan_goals: list[ParsedGoal]) -> None:
    """Point each item goal that restates a plan-level goal at it (same value and unit,
    overlapping subject)."""
    for g in item_goals:
        best, best_score = None, 0.0
        for idx, p in enumerate(plan_goals):
            if p.unit != g.unit or abs(p.value - g.value) > 1e-9:
                continue
            a, b = _bigrams(g.subject), _bigrams(p.subject)
            overlap = 2 * len(a & b) / max(1, len(a) + len(b))
            if g.subject in p.subject or p.subject in g.subject:
                overlap = max(overlap, 1.0)
            if overlap > best_score:
                best, best_score = idx, overlap
        if best is not None and best_score >= 0.6:
            g.plan_goal = best
