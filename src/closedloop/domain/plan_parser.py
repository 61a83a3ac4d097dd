"""Read a work plan (工作要点) written as plain text or Markdown.

Returns the title block (title, issuer, issue date, year), the plan-level goals of its 目标
part, and the sections of its 重点工作 / 主要任务 part with their items and the quantified
goals stated in each item. Pure and total: any string gives a ``ParsedPlan`` (possibly empty,
with ``missing()`` saying what was not found); nothing raises.

Shapes handled, as seen in real plans:
- parts ``一、``; sections ``（一）`` or ``(一)``; items ``1.`` / ``1、`` / ``（1）``, or
  ``一是 … 二是 …`` written inline in one paragraph; ``——`` bullets carrying targets;
- full-width and ASCII punctuation, irregular whitespace, Markdown ``#`` and ``**``;
- a notice header (issuer, 关于印发《…》的通知, date) before the title.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import asdict, dataclass, field
from datetime import date

# ---------------------------------------------------------------------------
# Results


@dataclass
class ParsedGoal:
    subject: str
    comparator: str
    value: float
    unit: str
    plan_goal: int | None = None
    source: str = ""

    def key(self) -> tuple[str, float, str]:
        return (self.subject, self.value, self.unit)


@dataclass
class ParsedItem:
    code: str
    title: str
    text: str
    goals: list[ParsedGoal] = field(default_factory=list)


@dataclass
class ParsedSection:
    code: str
    title: str
    text: str
    items: list[ParsedItem] = field(default_factory=list)


@dataclass
class ParsedPlan:
    title: str
    issuer: str | None
    issued_on: date | None
    year: int | None
    goals: list[ParsedGoal] = field(default_factory=list)
    sections: list[ParsedSection] = field(default_factory=list)

    @property
    def item_count(self) -> int:
        return sum(len(s.items) for s in self.sections)

    def missing(self) -> list[tuple[str, str]]:
        """What a plan needs and this text lacks: (field, Chinese message) pairs."""
        out = []
        if not self.title:
            out.append(("title", "未找到计划标题"))
        if not self.sections:
            out.append(("sections", "未找到重点工作/主要任务部分的分项（如“（一）”）"))
        if not self.item_count:
            out.append(("items", "未找到任何工作事项（如“一是”“1.”“（1）”）"))
        return out

    def to_json(self) -> dict:
        """The JSON shape of ``closedloop import --json``."""
        return {
            "title": self.title,
            "issuer": self.issuer,
            "issued_on": self.issued_on.isoformat() if self.issued_on else None,
            "year": self.year,
            "goals": [_goal_json(g, with_link=False) for g in self.goals],
            "sections": [
                {
                    "code": s.code,
                    "title": s.title,
                    "items": [
                        {
                            "code": i.code,
                            "title": i.title,
                            "text": i.text,
                            "goals": [_goal_json(g, with_link=True) for g in i.goals],
                        }
                        for i in s.items
                    ],
                }
                for s in self.sections
            ],
        }


def _goal_json(g: ParsedGoal, with_link: bool) -> dict:
    d = asdict(g)
    d.pop("source")
    if not with_link:
        d.pop("plan_goal")
    if d["value"] == int(d["value"]) and abs(d["value"]) < 1e15:
        d["value"] = int(d["value"])
    return d


# ---------------------------------------------------------------------------
# Numerals

CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
CN_UNITS = {"十": 10, "百": 100, "千": 1000}
CN_NUM = "零〇一二两三四五六七八九十百千"
SEQ_NUMERALS = "一二三四五六七八九十"


def cn_to_int(s: str) -> int | None:
    """Chinese numeral below 万 to int: 二十 → 20, 五千九百 → 5900, 十二 → 12, 二〇二四 → 2024."""
    if not s:
        return None
    if all(c in CN_DIGITS for c in s):  # digit by digit: 二〇二四
        return int("".join(str(CN_DIGITS[c]) for c in s))
    total, digit = 0, None
    for c in s:
        if c in CN_DIGITS:
            digit = CN_DIGITS[c]
        elif c in CN_UNITS:
            total += (digit if digit is not None else 1) * CN_UNITS[c]
            digit = None
        else:
            return None
    if digit is not None:
        total += digit
    return total


def _to_number(s: str) -> float | None:
    s = s.replace(",", "").replace("，", "")
    try:
        return float(s)
    except ValueError:
        n = cn_to_int(s)
        return float(n) if n is not None else None


# ---------------------------------------------------------------------------
# Text normalisation

_SPACES = re.compile(r"[ \t\u00a0\u2002\u2003\u3000\ufeff]+")


def _normalise(text: str) -> list[str]:
    """Lines with full-width/ASCII spaces trimmed, Markdown marks removed, blanks dropped."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = []
    for raw in text.split("\n"):
        line = _SPACES.sub(" ", raw).strip()
        line = re.sub(r"^#{1,6}\s*", "", line)
        line = line.replace("**", "").replace("__", "").strip()
        line = re.sub(r"^>\s*", "", line)
        if line:
            lines.append(line)
    return lines


def _first_sentence(text: str) -> str:
    m = re.match(r"(.+?)(?:[。！？!?；;]|$)", text.strip())
    s = (m.group(1) if m else text).strip()
    return s.rstrip("：:，,")


# ---------------------------------------------------------------------------
# Structure

PART_RE = re.compile(rf"^([{SEQ_NUMERALS}]+)\s*[、.．]\s*(.*)$")
SECTION_RE = re.compile(rf"^[（(]\s*([{SEQ_NUMERALS}]+)\s*[）)]\s*(.*)$")
NUM_ITEM_RE = re.compile(r"^(\d{1,3})\s*[.、．](?!\d)\s*(.*)$")
PAREN_ITEM_RE = re.compile(r"^[（(]\s*(\d{1,3})\s*[）)]\s*(.*)$")
DASH_RE = re.compile(r"^(?:——|—|--)\s*(.*)$")
INLINE_ITEM_RE = re.compile(rf"(?:^|(?<=[。；;：:！!]))\s*([{SEQ_NUMERALS}]{{1,3}})是")
DATE_RE = re.compile(r"^(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日$")
CN_DATE_RE = re.compile(rf"^([{CN_NUM}]{{4}})年([{CN_NUM}]{{1,3}})月([{CN_NUM}]{{1,3}})日$")

GOAL_PART_WORDS = ("目标",)
TASK_PART_WORDS = ("重点工作", "主要任务", "重点任务", "工作任务", "主要工作", "工作重点", "具体任务", "重点举措")
TITLE_WORDS = ("工作要点", "要点", "工作计划", "实施方案", "行动计划", "行动方案", "计划", "方案")
ISSUER_SUFFIXES = ("局", "委", "办", "政府", "委员会", "办公室", "厅", "部", "中心", "院", "处", "署")


def _parse_date(line: str) -> date | None:
    m = DATE_RE.match(line)
    if m:
        y, mo, d = (int(x) for x in m.groups())
    else:
        m = CN_DATE_RE.match(line)
        if not m:
            return None
        y, mo, d = (cn_to_int(x) for x in m.groups())  # type: ignore[misc]
        if None in (y, mo, d):
            return None
    try:
        return date(y, mo, d)  # type: ignore[arg-type]
    except ValueError:
        return None


def _title_block(lines: list[str]) -> tuple[str, str | None, date | None, int]:
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
        if issued_on is None and (d := _parse_date(line)):
            issued_on = d
            continue
        if "印发" in line or line.endswith("通知") or "通  知" in line:
            m = re.search(r"《(.+?)》", line)
            if m:
                notice_title = m.group(1)
            continue
        if (
            not title
            and len(line) <= 60
            and not re.search(r"[，。；]", line)
            and any(w in line for w in TITLE_WORDS)
        ):
            title, title_idx = line.strip("《》"), i
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
    return title, issuer, issued_on, title_idx + 1


def _split_inline_items(text: str) -> tuple[str, list[tuple[str, str]]]:
    """Split ``preamble 一是… 二是…`` into the preamble and (code, text) items in order."""
    marks = []
    expected = 1
    for m in INLINE_ITEM_RE.finditer(text):
        n = cn_to_int(m.group(1))
        if n == expected:
            marks.append(m)
            expected += 1
    if not marks:
        return text, []
    preamble = text[: marks[0].start()].strip()
    items = []
    for k, m in enumerate(marks):
        end = marks[k + 1].start() if k + 1 < len(marks) else len(text)
        body = text[m.start() :end].strip()
        items.append((m.group(1) + "是", body))
    return preamble, items


def _make_item(code: str, body: str) -> ParsedItem:
    """An item from its text; the title is the first sentence without the code marker."""
    content = re.sub(rf"^\s*[{SEQ_NUMERALS}]{{1,3}}是\s*", "", body)
    content = re.sub(r"^\s*(?:\d{1,3}\s*[.、．]|[（(]\s*\d{1,3}\s*[）)]|——|—)\s*", "", content)
    title = _first_sentence(content) or content[:40]
    return ParsedItem(code=code, title=title[:500], text=body, goals=extract_goals(body))


def _section_items(lines: list[str]) -> tuple[str, list[ParsedItem]]:
    """Items of one section from its lines (the heading line's rest comes first)."""
    items: list[ParsedItem] = []
    preamble: list[str] = []
    current: tuple[str, list[str]] | None = None

    def flush():
        nonlocal current
        if current:
            items.append(_make_item(current[0], "".join(current[1])))
            current = None

    for line in lines:
        m = NUM_ITEM_RE.match(line) or PAREN_ITEM_RE.match(line)
        if m:
            flush()
            code = m.group(1) if NUM_ITEM_RE.match(line) else f"（{m.group(1)}）"
            current = (code, [line])
            continue
        pre, inline = _split_inline_items(line)
        if inline:
            flush()
            if pre:
                preamble.append(pre)
            for code, body in inline[:-1]:
                items.append(_make_item(code, body))
            current = (inline[-1][0], [inline[-1][1]])
            continue
        if current:
            current[1].append(line)
        else:
            preamble.append(line)
    flush()
    dash_only = not items and any(DASH_RE.match(x) for x in preamble)
    if dash_only:  # a section made of —— bullets: each bullet is an item
        rest = []
        for line in preamble:
            m = DASH_RE.match(line)
            if m:
                items.append(_make_item(f"——{len(items) + 1}", m.group(1)))
            else:
                rest.append(line)
        preamble = rest
    return "".join(preamble), items


def parse_plan(text: str) -> ParsedPlan:
    """Parse a plan. Never raises; see ``ParsedPlan.missing()`` for what was not found."""
    if not isinstance(text, str):
        text = str(text)
    text = unicodedata.normalize("NFC", text)
    lines = _normalise(text)
    if not lines:
        return ParsedPlan(title="", issuer=None, issued_on=None, year=None)
    title, issuer, issued_on, body_start = _title_block(lines)
    year = None
    if m := re.search(r"((?:19|20)\d{2})\s*年", title):
        year = int(m.group(1))
    elif issued_on:
        year = issued_on.year

    # Split the body into parts (一、…); when there are none the whole body is one part.
    body = lines[body_start:]
    parts: list[tuple[str, list[str]]] = []
    for line in body:
        m = PART_RE.match(line)
        if m and len(m.group(2)) <= 40:
            parts.append((m.group(2), []))
        elif parts:
            parts[-1][1].append(line)
        else:
            parts.append(("", [line]))

    def is_task(heading: str) -> bool:
        return any(w in heading for w in TASK_PART_WORDS)

    def is_goal(heading: str) -> bool:
        return any(w in heading for w in GOAL_PART_WORDS) and not is_task(heading)

    has_task_part = any(is_task(h) for h, _ in parts)
    goals: list[ParsedGoal] = []
    sections: list[ParsedSection] = []
    for heading, part_lines in parts:
        if is_goal(heading):
            for line in part_lines:
                goals.extend(extract_goals(DASH_RE.sub(r"\1", line)))
            continue
        if has_task_part and not is_task(heading):
            continue
        if not has_task_part and not any(SECTION_RE.match(x) for x in part_lines):
            continue
        sections.extend(_sections_of(heading, part_lines))

    _dedupe(goals)
    for s in sections:
        for it in s.items:
            _link_to_plan_goals(it.goals, goals)
    return ParsedPlan(title=title, issuer=issuer, issued_on=issued_on, year=year, goals=goals, sections=sections)


def _sections_of(heading: str, part_lines: list[str]) -> list[ParsedSection]:
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
    sections = []
    if loose:
        text, items = _section_items(loose)
        if items:
            sections.append(ParsedSection(code="", title=heading or "重点工作", text=text, items=items))
    for code, rest, more in groups:
        title = _first_sentence(rest)
        after_title = rest[len(title) :].lstrip("。；;：: ")
        first = [after_title] if after_title else []
        text, items = _section_items(first + more)
        if not items:  # a section with no item markers is one item of its own
            items = [ParsedItem(code=code, title=title, text=rest + "".join(more), goals=extract_goals(rest + "".join(more)))]
        sections.append(ParsedSection(code=code, title=title, text=text, items=items))
    return sections


# ---------------------------------------------------------------------------
# Quantified targets

UNIT_RE = (
    r"(?:个百分点|百分点|[%％‰]|(?:[万亿千百])?(?:元|美元)|(?:万|亿)?(?:人次|家|个|名|项|人|件|所|座|户|台|套|篇|场|次|辆|吨|亩|公里|平方米|平方公里|千瓦|兆瓦|床|张|部|条|款|批|支|类|倍|家次|株|棵))"
)
NUMBER_RE = rf"(?:\d+(?:[.,]\d+)*|[{CN_NUM}]+)"
# Verbs in order of preference (longest first so 超过 wins over 超).
VERBS = {
    "不少于": ">=",
    "不低于": ">=",
    "不超过": "<=",
    "不高于": "<=",
    "控制在": "<=",
    "突破": ">",
    "超过": ">",
    "高于": ">",
    "多于": ">",
    "超": ">",
    "低于": "<",
    "少于": "<",
    "达到": ">=",
    "达": ">=",
    "完成": ">=",
    "实现": ">=",
    "增长": ">=",
    "增加": ">=",
    "新增": ">=",
    "保持在": "=",
    "培育": ">=",
    "引进": ">=",
    "选派": ">=",
    "建成": ">=",
    "举办": ">=",
}
# Verbs that take the counted thing as their object: 选派不少于20名科技特派员.
ACTION_VERBS = ("选派", "培育", "引进", "新增", "举办", "建成", "组织", "招引", "认定", "打造", "建设", "培养", "发展", "招募")
VERB_RE = "|".join(sorted(map(re.escape, VERBS), key=len, reverse=True))
GOAL_RE = re.compile(
    rf"(?P<verb>{VERB_RE})(?P<pre>(?:(?!{VERB_RE})[^，,。；;、“”\"'0-9{CN_NUM}]){{0,16}}?)"
    rf"(?P<num>{NUMBER_RE})\s*(?P<unit>{UNIT_RE})(?P<suffix>以上|以内|以下|左右)?"
)
PAIR_RE = re.compile(
    rf"(?P<subj>[^，,。；;]{{2,40}}?)分别(?P<verb>{VERB_RE})"
    rf"(?P<n1>{NUMBER_RE})\s*(?P<u1>{UNIT_RE})[、和及与,，]\s*(?P<n2>{NUMBER_RE})\s*(?P<u2>{UNIT_RE})(?P<suffix>以上|以内|以下)?"
)
LEAD_INS = re.compile(
    r"^(?:(?:力争|确保|全年|年内|全区|全市|全县|全镇|累计|奋力|努力|争取|推动|促进|到年底|年底前|(?:19|20)\d{2}年|其中)[，,]?)+"
)
AFTER_STOP = re.compile(r"(助力|开展|参与|用于|服务|支持|推动|参加|带动|实施|的|，|,|。|；|;|、|以|和|并|等)")
SUFFIX_NOUNS = ("企业", "单位", "机构", "项目", "人才", "平台", "园区")


def _comparator(verb: str, suffix: str | None) -> str:
    comp = VERBS.get(verb, ">=")
    if suffix == "以上" and comp not in (">", ">="):
        comp = ">="
    elif suffix in ("以内", "以下"):
        comp = "<="
    elif suffix == "左右":
        comp = "="
    return comp


def _clean_subject(s: str) -> str:
    s = s.strip(" ，,、：:；;（）()“”\"'")
    prev = None
    while prev != s:
        prev = s
        s = LEAD_INS.sub("", s).strip(" ，,")
    return s


def _subject_after(text: str) -> str:
    m = AFTER_STOP.search(text)
    return _clean_subject(text[: m.start()] if m else text[:12])[:20]


def extract_goals(text: str) -> list[ParsedGoal]:
    """Quantified targets stated in ``text``; numbers that are names are left alone."""
    goals: list[ParsedGoal] = []
    taken: list[tuple[int, int]] = []
    for clause_m in re.finditer(r"[^。；;！!？?\n]+", text):
        clause = clause_m.group(0)
        base = clause_m.start()
        for m in PAIR_RE.finditer(clause):
            subj = re.split(r"[，,]", m.group("subj"))[-1]
            parts = re.split(r"和|及|与|、", _clean_subject(subj))
            if len(parts) != 2:
                continue
            a, b = (_clean_subject(x) for x in parts)
            if not a or not b:
                continue
            for noun in SUFFIX_NOUNS:
                if b.endswith(noun) and not a.endswith(noun):
                    a += noun
                    break
            v1, v2 = _to_number(m.group("n1")), _to_number(m.group("n2"))
            if v1 is None or v2 is None:
                continue
            comp = _comparator(m.group("verb"), m.group("suffix"))
            goals.append(ParsedGoal(a, comp, v1, _unit(m.group("u1")), source=m.group(0)))
            goals.append(ParsedGoal(b, comp, v2, _unit(m.group("u2")), source=m.group(0)))
            taken.append((base + m.start(), base + m.end()))
        for m in GOAL_RE.finditer(clause):
            start, end = base + m.start(), base + m.end()
            if any(s <= start < e or s < end <= e for s, e in taken):
                continue
            num_start = m.start("num")
            if num_start > 0 and clause[num_start - 1] in "“\"'‘《":
                continue
            unit_end = m.end("unit")
            if unit_end < len(clause) and clause[unit_end] in "”\"'’》":
                continue
            if m.group("unit").endswith(("届", "次")) and m.group("pre"):
                continue
            value = _to_number(m.group("num"))
            if value is None:
                continue
            verb = m.group("verb")
            # the subject usually precedes the verb: 科技成果登记超200个
            before = clause[: m.start()]
            before = re.split(r"[，,、：:]", before)[-1]
            subject = _clean_subject(before)
            pre = _clean_subject(m.group("pre"))
            after = _subject_after(clause[unit_end + len(m.group("suffix") or "") :])
            if pre and (not subject or verb in ("完成", "实现", "达到") or verb in ACTION_VERBS):
                subject = pre  # 完成科技成果登记200个
            elif not pre and (not subject or subject.endswith(ACTION_VERBS) or verb in ACTION_VERBS):
                subject = after or subject  # 选派不少于20名科技特派员
            if len(subject) < 2:
                continue
            goals.append(
                ParsedGoal(subject, _comparator(verb, m.group("suffix")), value, _unit(m.group("unit")), source=m.group(0))
            )
            taken.append((start, end))
    _dedupe(goals)
    return goals


def _unit(u: str) -> str:
    return u.replace("％", "%")


def _dedupe(goals: list[ParsedGoal]) -> None:
    seen = set()
    keep = []
    for g in goals:
        if g.key() not in seen:
            seen.add(g.key())
            keep.append(g)
    goals[:] = keep


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
            overlap = len(a & b) / max(1, min(len(a), len(b)))
            if g.subject in p.subject or p.subject in g.subject:
                overlap = max(overlap, 1.0)
            if overlap > best_score:
                best, best_score = idx, overlap
        if best is not None and best_score >= 0.5:
            g.plan_goal = best
