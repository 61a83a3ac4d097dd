"""Quantified targets in a sentence: 城镇新增就业不少于28万人 → (城镇新增就业, >=, 28, 万人).

Every number with a unit in a clause is a candidate; the words around it say whether it is a
target and which: the subject (before it, or after it when a verb comes first: 新增5000张家庭
养老床位), the comparator (以上 不少于 达到 → ≥; 突破 超过 → >; 控制在…以内 不高于 下降至 → ≤;
左右 → approximate; a bare amount → plain), a growth or decline rate (增长6%, 降低2.5%), a range
(4.5%–5%), 分别/均 lists (A、B分别增长3%、5%), a 确保…、争取… second tier, and the horizon
(到2027年). Numbers that are names, conditions or policy parameters are left alone: quoted
(“3个100”), followed by 级/型/制 (30万千瓦级), 的-modifiers (超过100人的企业), caps (最高不超过
15万元), comparisons with last year (比上年增加), forecasts (预计), ages and durations.
"""

from __future__ import annotations

import re

from closedloop.domain.plan_parser.model import ParsedGoal
from closedloop.domain.plan_parser.numerals import CN_NUM, to_number

# ---------------------------------------------------------------------------
# Units

MAGNITUDE = r"(?:[十百千]?万亿|[十百千]?亿|[十百千]?万|千|百)"
_BASE = sorted(
    """元 美元 家 个 名 项 人 件 所 座 户 台 套 篇 场 辆 吨 亩 公里 平方米 平方公里 立方米 千瓦时 千瓦 兆瓦 瓦 度
    床 张 部 条 款 批 支 类 倍 家次 人次 亩次 株 棵 栋 处 例 斤 艘 架 间 根 头 只 羽 标箱 吨标准煤 标准煤 千米 岁 年
    所次 场次 册 份 种 门 微克 毫克 公顷 余人 个工作日 工作日""".split(),
    key=len,
    reverse=True,
)
BASE_UNIT = "(?:" + "|".join(map(re.escape, _BASE)) + ")"
LATIN_UNIT = r"(?:[EP]?FLOPS|[EP]?Flops|[EP]flops|GW|MW|kW|TB|PB)"
UNIT = (
    rf"(?:个百分点|百分点|[%％‰]|{LATIN_UNIT}|{MAGNITUDE}?{BASE_UNIT}(?:/{MAGNITUDE}?{BASE_UNIT})?"
    rf"|{MAGNITUDE}(?=[，,。；;、）)\s]|$))"
)
# Possessive and bounded repetition (Python 3.11): a number is matched in one pass, so text
# with thousands of digits or numerals (pasted tables, a fuzzer) cannot make the regex
# backtrack for minutes while the server waits (it did: 3,000 digits took 19 s). A match
# never needed the backtracking: no unit starts with a digit or a space; and a number starts
# where its digits start.
ARABIC = r"(?<!\d)\d++(?:,\d{3})*+(?:\.\d++)?+"
NUMBER = rf"(?:{ARABIC}|[{CN_NUM}]{{2,12}}|[二两三四五六七八九](?=[十百千万亿]))"
RANGE_SEP = r"[-—–~～至到]"
QUALIFIER = r"(?:以上|以内|以下|左右|上下|多)"
VALUE_RE = re.compile(
    rf"(?P<num>{NUMBER})(?:\s*+(?P<u0>{UNIT})?\s*+{RANGE_SEP}{{1,2}}\s*+(?P<num2>{NUMBER}))?\s*+(?P<unit>{UNIT})(?P<suffix>{QUALIFIER})?"
)

# ---------------------------------------------------------------------------
# Words around a number

GT_WORDS = ("突破", "超过", "高于", "多于", "超")
GE_WORDS = ("不少于", "不低于", "达到", "提高到", "提高至", "提升至", "提升到", "增加到", "增至", "达", "稳定在", "至少")
LE_WORDS = ("不高于", "不超过", "下降至", "下降到", "降至", "降到", "降低到", "减少到", "控制在", "压减至", "压缩至", "压缩到", "缩短至", "缩短到", "压减到")
LT_WORDS = ("低于", "少于")
GROWTH_WORDS = ("增长", "增速", "增幅", "提高", "提升", "上涨", "涨幅", "增加")
DECLINE_WORDS = ("下降", "降低", "减少", "压减")
LOWER_IS_BETTER = ("失业率", "能耗", "排放", "浓度", "死亡率", "事故", "涨幅", "赤字", "负债率", "发生率", "费用", "比率")
# verbs that take the counted thing as object: 新增5000张家庭养老床位, 选派不少于20名科技特派员
ACTION_VERBS = (
    "新增", "新建", "建设", "建成", "培育", "引进", "选派", "打造", "推进", "打通", "实施", "完成", "提供", "改造", "创建",
    "举办", "组织", "招引", "认定", "培养", "发展", "招募", "推出", "开展", "设置", "布局", "落地", "立项", "建立", "抓好",
    "支持", "扶持", "引导", "带动", "吸引", "服务", "帮扶", "救助", "发放", "释放", "发布", "增加", "再", "新", "在", "为",
    "对", "向", "给", "实现", "攻坚突破", "加快推进", "加快建设", "推动", "整合", "纳规", "再纳规", "认证",
    "做好", "办好", "建好", "管好", "改建", "扩建", "新改建", "整治", "治理", "修复", "创成", "评选", "命名",
)
LEAD_INS = re.compile(
    r"^(?:(?:力争|确保|全年|年内|今年|明年|全区|全市|全县|全镇|全省|全国|累计|奋力|努力|争取|推动|促进|到年底|年底前|"
    r"到(?:19|20)\d{2}年(?:底|末)?|(?:19|20)\d{2}年(?:底|末)?|其中|力争全年|每年|年均|总体|基本|初步|进一步|持续|再|要|将|并|同时|"
    r"此外|另外|加快|全力|着力|大力|共|还|约)[，,]?)+"
)
TRAILING_VERBS = re.compile(
    r"(?:分别|均|都|全部|全面|原则上|一般为|一般|拟按|拟安排|安排|按|为|在|要|将|"
    + "|".join(sorted(map(re.escape, GT_WORDS + GE_WORDS + LE_WORDS + LT_WORDS + ("保持", "保持在", "稳定", "控制")), key=len, reverse=True))
    + r")+$"
)
# a number that is a condition, parameter, name or comparison, not a target
SKIP_BEFORE = re.compile(
    r"(?:(?:最高|最低|最多)(?:不超过|不低于|可达|为)?|(?:每人|每生|每户|每名|每个|每年每|比上年|比去年|较上年|较去年|比上年年初|海拔|首批|前|第|近|由)\S{0,6}|[个家条项座所等的])$"
)
# counts of the document's own parts (设置了29项主要指标, 重点做好十方面工作), not targets
META_NOUN = re.compile(r"^(?:主要指标|指标|项?任务举措|任务|举措|维度|方面|条意见|政策措施|措施|重点工作|条)")
SKIP_AFTER = re.compile(r"^(?:级|型|制|线|号|周年|次会议|届|倍速|大|强|内|后|前|间|期间|年|月|日|天|小时|周|的|之|多年|万?千伏|以来|起|期|和\d)")
POLICY_SENTENCE = re.compile(r"可申请|可按|可享受|申领|申请条件|可返还|贷款|贴息|至\d{4}年\d{1,2}月")
# a subject that only makes sense with the one before it: 新增高新技术企业80家，总量突破550家
GENERIC_SUBJECT = re.compile(r"^(?:总量|总数|总额|规模|比重|占比|增速|其中|累计)$|^占")
# verbs that do not belong in a subject's name (完成植树造林1200亩 → 植树造林); 新增/新建 do
STRIP_VERBS = re.compile(r"^(?:新增|完成|培育|引进|选派|实施|打造|推进|抓好|开展|组织|举办|提供|实现|招引|认定|推出|建成|累计)")
COUNT_UNIT = re.compile(r"[个家条所座项处栋批]")
QUOTES = {"“": "”", "\"": "\"", "‘": "’", "《": "》", "「": "」"}
CLAUSE_SPLIT = re.compile(r"[，,；;：:]")
HORIZON_RE = re.compile(r"(?:到|至|在)((?:19|20)\d{2})年")
HEAD_NOUNS = ("企业", "单位", "机构", "项目", "人才", "平台", "园区", "机械化率", "参保率", "覆盖率", "增加值", "收入", "产量", "基地")


def _inside_quotes(text: str, pos: int) -> bool:
    """Whether ``pos`` falls inside a quotation (“…”, 《…》) opened before it in ``text``."""
    depth = 0
    for ch in text[:pos]:
        if ch in QUOTES and QUOTES[ch] != ch:
            depth += 1
        elif ch in QUOTES.values() and ch not in QUOTES:
            depth = max(0, depth - 1)
        elif ch == '"':
            depth = 1 - depth
    return depth > 0


ITEM_MARK = re.compile(rf"^(?:\d{{1,3}}\s*[.、．](?!\d)|[（(]\s*\d{{1,3}}\s*[）)]|[{CN_NUM}]{{1,3}}[是要]|第[{CN_NUM}]{{1,3}}[，,、])")


def _clean_subject(s: str) -> str:
    s = s.split("——")[-1]  # “三个倍增”——农村居民人均可支配收入…: the group heading is not the subject
    s = s.strip(" ，,、：:；;（）()“”\"'—-")
    s = ITEM_MARK.sub("", s).strip()
    for q in "\"“”":  # 建设第三轮“美丽街区”3个 cut inside a quotation: drop the stray mark
        if s.count(q) % 2 or (q in "“”" and s.count("“") != s.count("”")):
            s = s.replace(q, "")
    prev = None
    while prev != s:
        prev = s
        s = LEAD_INS.sub("", s).strip(" ，,、")
        s = TRAILING_VERBS.sub("", s).strip(" ，,、")
    return s


def _noun_after(text: str) -> str:
    """The counted noun after a number: 5000张[家庭养老床位]，…"""
    m = re.match(r"([^，,。；;、：:（(]{1,24})", text)
    if not m:
        return ""
    noun = m.group(1)
    cut = re.search(r"(?:提质升级|高效运行|加快建设|建设运营|等工作|工作|任务|的|，|助力|参与|用于|服务于|参加|带动|以|并)", noun)
    if cut and cut.start() >= 2:
        noun = noun[: cut.start()] if cut.group(0) not in ("工作",) else noun[: cut.end()]
    return noun.strip()


def _comparator(words: str, suffix: str, subject: str) -> tuple[str, bool, bool, str]:
    """(comparator, approx, plain, kind) from the words between subject and number and the suffix."""
    kind = "level"
    tail = words[-6:]
    if any(w in tail for w in GROWTH_WORDS) and not re.search(r"(?:到|至)$", words):
        kind = "growth"
    if any(w in tail for w in DECLINE_WORDS) and not re.search(r"(?:到|至)$", words):
        kind = "decline"
    approx = suffix in ("左右", "上下") or words.endswith("约")
    comp, plain = ">=", False
    if any(w in words for w in LE_WORDS):
        comp = "<="
    elif re.search(r"不(?:少|低)于", words):
        comp = ">="
    elif any(w in words for w in LT_WORDS):
        comp = "<"
    elif any(words.endswith(w) or w in tail for w in GT_WORDS) and "不超过" not in words:
        comp = ">"
    elif any(w in tail for w in GE_WORDS):
        comp = ">="
    else:
        plain = True
    if suffix == "以上" and comp not in (">", ">="):
        comp, plain = ">=", False
    elif suffix == "以上":
        plain = False
    elif suffix in ("以内", "以下"):
        comp, plain = "<=", False
    if approx:
        plain = False
        if comp not in ("<=", "<") and kind == "level" and any(w in subject for w in LOWER_IS_BETTER):
            comp = "<="
        if kind == "growth" and any(w in subject for w in ("涨幅",)):
            comp = "<="
    if "保持" in words[-4:] and not suffix:
        plain = True
    return comp, approx, plain, kind


def _unit(u: str) -> str:
    return u.replace("％", "%")


def _split_subjects(subject: str, n: int) -> list[str]:
    """``n`` subjects from ``A、B和C`` (or 一二三产增加值), completing shared heads: 城镇和农村常住居民人均
    可支配收入 → 城镇常住居民人均可支配收入, 农村常住居民人均可支配收入."""
    m = re.match(rf"^(.*?)([{CN_NUM}]{{{n}}})(产|类|级)(.*)$", subject)
    if m:
        return [f"{m.group(1)}{c}{m.group(3)}{m.group(4)}" for c in m.group(2)]
    parts = [p for p in re.split(r"、|和|及|与|以及", subject) if p]
    if len(parts) != n:
        return [f"{subject}（{k + 1}）" for k in range(n)]
    last = parts[-1]
    out = []
    for p in parts[:-1]:
        if len(p) <= 2 and len(last) > len(p) + 1:
            p = p + last[len(p) :]
        else:
            for noun in HEAD_NOUNS:
                if last.endswith(noun) and not p.endswith(noun):
                    p += noun
                    break
        out.append(p)
    out.append(last)
    return out


def extract_goals(text: str, *, year: int | None = None) -> list[ParsedGoal]:
    """Quantified targets stated in ``text``. ``year`` is the plan's year: a sentence about an
    earlier year (2023年完成…) states an achievement, not a target."""
    goals: list[ParsedGoal] = []
    horizon = None  # 到2025年… governs the sentences after it in the same paragraph
    for sent_m in re.finditer(r"[^。！!？?\n]+", text):
        sentence = sent_m.group(0)
        if POLICY_SENTENCE.search(sentence) or _past_sentence(sentence, year):
            continue
        if hm := HORIZON_RE.search(sentence):
            horizon = int(hm.group(1))
        elif (lead := re.match(r"^\s*((?:19|20)\d{2})年[，,]", sentence)) and (year is None or int(lead.group(1)) >= year):
            horizon = int(lead.group(1))  # 2022年，全市新建5G基站2600个以上
        goals.extend(_sentence_goals(sentence, horizon, year))
    _attach_stretch(goals)
    dedupe(goals)
    return goals


PAST_START = re.compile(r"^(?:——)?(?:这五年|过去一年|过去五年|一年来|五年来|去年|上年|回顾)")


def _past_sentence(sentence: str, year: int | None) -> bool:
    s = sentence.strip()
    if PAST_START.match(s):
        return True
    if year and (m := re.match(r"^((?:19|20)\d{2})年", s)):
        return int(m.group(1)) < year and not re.search(r"到|力争|争取|确保|计划|预期", s[:12])
    return False


def _sentence_goals(sentence: str, horizon: int | None, year: int | None = None) -> list[ParsedGoal]:
    out: list[ParsedGoal] = []
    taken: list[tuple[int, int]] = []
    # 分别 / 均 lists: A、B分别增长3%、5%以上
    for m in re.finditer(
        r"(分别|(?<![平年人户日月])均(?=增长|达到|达|为|提高|超过|在|不低于|不少于|稳定在|保持在|控制在|下降|实现)|都(?=达到|增长)"
        r"|(?<=[\u4e00-\u9fff])各(?=\d))",
        sentence,
    ):
        start = max(
            (sentence.rfind(c, 0, m.start()) for c in "，,；;：:"),
            default=-1,
        )
        subject = _clean_subject(sentence[start + 1 : m.start()])
        if not subject and start > 0:
            # A和B在2022年的基础上实现“双倍增”，分别超过90家和870家: the subjects lead the clause before
            prev = re.split(r"[，,；;：:]", sentence[:start])[-1]
            subject = _clean_subject(re.split(r"在|实现|要|将|力争|达到|均|都", prev)[0])
        rest = sentence[m.end() :]
        verb_m = re.match(r"[^\d，,；;、]{0,8}?(?=\d|[" + CN_NUM + r"]{2})", rest)
        if not verb_m or not subject:
            continue
        words = verb_m.group(0)
        values = []
        pos = verb_m.end()
        while True:
            vm = VALUE_RE.match(rest, pos)
            if not vm:
                break
            values.append(vm)
            sep = re.match(r"(?:、|和|与|及|，|,)", rest[vm.end() :])
            if not sep or m.group(1) != "分别":
                break
            pos = vm.end() + sep.end()
        if not values or (m.group(1) == "分别" and len(values) < 2) or (m.group(1) == "各" and "、" not in subject and "和" not in subject):
            continue
        n = len(values) if m.group(1) == "分别" else len(re.split(r"、|和|及|与", subject))
        if n < 2:
            continue
        if len(STRIP_VERBS.sub("", subject)) >= 2:
            subject = STRIP_VERBS.sub("", subject)  # 完成绿叶菜基地、绿色防控基地各8000亩
        subjects = _split_subjects(subject, n)
        last_suffix = values[-1].group("suffix") or ""
        src_end = m.end() + values[-1].end()
        source = sentence[start + 1 : src_end]
        for k, subj in enumerate(subjects):
            vm = values[k] if m.group(1) == "分别" else values[0]
            g = _goal_from(subj, words, vm, vm.group("suffix") or last_suffix, source, horizon)
            if g:
                out.append(g)
        taken.append((start + 1, src_end))
    # clauses end at commas and colons, but not at a thousands separator (1,200家)
    for clause_m in re.finditer(r"(?:[^，,；;：:]|(?<=\d),(?=\d{3}(?!\d)))+", sentence):
        clause = clause_m.group(0)
        base = clause_m.start()
        if base and _past_sentence(clause, year):  # …，2025年完成研发投入12亿元: last year's result
            continue
        for vm in VALUE_RE.finditer(clause):
            a, b = base + vm.start(), base + vm.end()
            if any(s <= a < e for s, e in taken):
                continue
            if out and re.search(r"(?:^|[、，,])\s*(?:争取|力争)(?:达到|达|突破|超过|实现)?$", clause[: vm.start()]):
                prev = out[-1]  # 确保45万亩以上、争取46万亩: the second tier of the goal before
                v = to_number(vm.group("num"))
                if v is not None and prev.unit == _unit(vm.group("unit")) and v > prev.value:
                    prev.stretch = v
                    taken.append((a, b))
                    continue
            g = _single(sentence, clause, base, vm, horizon)
            if g:
                if GENERIC_SUBJECT.search(g.subject) and out:
                    g.subject = (out[-1].subject + g.subject)[:60]
                out.extend(_shared_rate(clause[: vm.start()], g))
                out.append(g)
                taken.append((a, b))
        for sm in re.finditer(r"(超过|达到|达|占[^，,；;]{0,12}?)一半(以上)?|翻(一|两|二)?番", clause):
            g = _special(clause, sm, horizon)
            if g:
                out.append(g)
    return out


def _shared_rate(before: str, g: ParsedGoal) -> list[ParsedGoal]:
    """基本养老、医疗保险参保率稳定在95%以上: one rate for two subjects sharing its head; the goal
    for the first (the second is ``g``)."""
    parts = before.split("、")
    if g.unit not in ("%", "‰") or not g.subject.endswith("率") or len(parts) != 2:
        return []
    first = _clean_subject(parts[0])
    # 完成造林绿化、森林覆盖率达到45%: a task before the rate, not a second subject of it
    if not (2 <= len(first) <= 6) or re.search(r"\d", first) or STRIP_VERBS.match(first):
        return []
    twin = ParsedGoal(**{**g.__dict__})
    twin.subject = _split_subjects(f"{first}、{g.subject}", 2)[0]
    return [twin]


def _goal_from(subject: str, words: str, vm: re.Match, suffix: str, source: str, horizon: int | None) -> ParsedGoal | None:
    num, unit = vm.group("num"), _unit(vm.group("unit"))
    if not num[0].isdigit() and num[-1] in "万亿" and len(num) > 1 and not unit.startswith(("万", "亿")):
        num, unit = num[:-1], num[-1] + unit  # 一百亿元 → 100 亿元, as written
    value = to_number(num)
    if value is None or not subject or len(subject) < 2:
        return None
    comp, approx, plain, kind = _comparator(words, suffix, subject)
    upper = to_number(vm.group("num2")) if vm.group("num2") else None
    return ParsedGoal(
        subject=subject[:60], comparator=comp, value=value, unit=unit, source=source.strip(),
        kind=kind, approx=approx, plain=plain, upper=upper, horizon=horizon,
    )


def _single(sentence: str, clause: str, base: int, vm: re.Match, horizon: int | None) -> ParsedGoal | None:
    unit = vm.group("unit")
    num = vm.group("num")
    before_all = clause[: vm.start()]
    after = clause[vm.end() :]
    prev_char = clause[vm.start() - 1] if vm.start() else ""
    if prev_char and (prev_char.isascii() and prev_char.isalnum() or prev_char in "第.·×*/"):
        return None
    if _inside_quotes(sentence, base + vm.start()):
        return None
    if SKIP_BEFORE.search(before_all) or SKIP_AFTER.match(after) or clause.lstrip().startswith("预计"):
        return None
    if META_NOUN.match(after.lstrip()):
        return None
    if re.search(r"的$", before_all) and unit in ("%", "％"):
        return None  # 返还…失业保险费的50%: a share of something, a parameter
    if unit in ("岁", "年") or unit.endswith(("/岁", "/年")):
        if not re.search(r"寿命|年限", before_all):
            return None
    if unit in ("万", "亿", "万亿", "千", "百") and not re.search(r"人口|人$", before_all):
        return None
    if not num[0].isdigit():
        v = to_number(num)
        if v is None or v < 2:
            return None
    value = to_number(num)
    if value is None:
        return None
    if re.fullmatch(r"(?:19|20)\d{2}", num) and unit in ("年",):
        return None
    # the words before the number: subject then verb (城镇新增就业不少于28万人); 3个A和15个B
    before = re.split(r"[、（(]|(?<=[个家条项座所])(?:和|及|与)", before_all)[-1]
    subject_raw = before
    words_m = re.search(
        r"(?:"
        + "|".join(sorted(map(re.escape, GT_WORDS + GE_WORDS + LE_WORDS + LT_WORDS + GROWTH_WORDS + DECLINE_WORDS + ("保持", "约", "为", "按", "拟安排", "安排")), key=len, reverse=True))
        + r")+了?$",
        before,
    )
    words = ""
    if words_m:
        words = before[words_m.start() :]
        subject_raw = before[: words_m.start()]
        if any(before[words_m.start():].startswith(w) for w in GROWTH_WORDS + DECLINE_WORDS) and not re.search(r"(?:到|至)", words):
            subject_raw = before[: words_m.start()] + re.match(r"(?:" + "|".join(GROWTH_WORDS + DECLINE_WORDS) + ")", words).group(0)  # type: ignore[union-attr]  # the words were matched against these words in the condition just before
    # "确保…达40%以上": lead words before the verb belong to neither
    subject = _clean_subject(subject_raw)
    noun = _noun_after(after)
    verbish = not subject or subject.endswith(ACTION_VERBS) or subject in ACTION_VERBS or len(subject) < 2
    verbish = verbish or (len(subject) <= 2 and bool(noun) and not words)  # 做好300个重大项目信息公开
    listed = "、" in re.split(r"[，,；;：:]", before_all)[-1]
    if noun and not verbish and not words and COUNT_UNIT.fullmatch(unit) and listed:
        return None  # 呼和浩特、鄂尔多斯、满洲里3个综保区: existing things counted, not a target
    if noun and not verbish and not words and re.fullmatch(rf"{MAGNITUDE}?(?:吨|千瓦|兆瓦|瓦|千伏|立方米)", unit):
        return None  # XX炼化150万吨乙烯: a plant's capacity names the project, not a target
    if not subject and not noun and base > 0:
        # 新增1000处信号灯联网，累计达8000处: the subject is the clause before
        prev = re.split(r"[，,；;：:]", sentence[: base].rstrip("，,；;：:"))[-1]
        subject = _clean_subject(re.sub(rf"{NUMBER}\s*{UNIT}(?:{QUALIFIER})?", "", prev))
        subject = re.sub("(?:" + "|".join(GROWTH_WORDS + DECLINE_WORDS) + ")$", "", subject)  # 产值增长8%，力争达到1200亿元
        subject = subject + "累计" if "累计" in before_all and subject else subject
    if verbish and noun:
        verb = subject if subject.endswith(("新增", "新建")) else ""
        subject = _clean_subject(verb + noun)
    elif not subject and not noun:
        return None
    elif not words or not subject.startswith("新增"):
        # the verb is the sentence's (完成植树造林1200亩); 新增就业岗位不少于… names an indicator
        subject = STRIP_VERBS.sub("", subject) if len(STRIP_VERBS.sub("", subject)) >= 2 else subject
    if len(subject) < 2 or re.fullmatch(r"[\d.%％]+", subject):
        return None
    source = clause.strip()
    return _goal_from(subject, words or before[-4:], vm, vm.group("suffix") or "", source, horizon)


def _special(clause: str, sm: re.Match, horizon: int | None) -> ParsedGoal | None:
    """一半以上 / 超过一半 (50%) and 翻一番 (2 倍), which have no digits."""
    text = sm.group(0)
    before = clause[: sm.start()]
    if text.startswith("翻"):
        times = {"一": 2, None: 2, "两": 4, "二": 4}[sm.group(3)]
        subject = _clean_subject(before)
        if len(subject) < 2:
            return None
        return ParsedGoal(subject[:60], ">=", float(times), "倍", source=clause.strip(), plain=True, horizon=horizon)
    # 占总课时一半(以上): the whole the share is of (总课时) belongs to the subject; 一半 and 以上 do
    # not. 占比一半以上: 占比 is the subject's noun (the share), not 占 + a whole called 比
    share = sm.group(1)[1:] if text.startswith("占") else ""
    subject = _clean_subject(before + ("占" + share if share.startswith("比") else share))
    if len(subject) < 2:
        return None
    comp = ">" if "超过" in text and not sm.group(2) else ">="
    return ParsedGoal(subject[:60], comp, 50.0, "%", source=clause.strip(), horizon=horizon)


def _attach_stretch(goals: list[ParsedGoal]) -> None:
    """确保增长6%、争取7%: the 争取 figure is the second tier of the goal before it."""
    keep: list[ParsedGoal] = []
    for g in goals:
        prev = keep[-1] if keep else None
        if (
            prev
            and prev.unit == g.unit
            and re.match(r"^(?:争取|力争)", g.source)
            and re.search(r"确保", prev.source)
            and g.value > prev.value
        ):
            prev.stretch = g.value
            continue
        keep.append(g)
    goals[:] = keep


def dedupe(goals: list[ParsedGoal]) -> None:
    """Drop repeats of the same (subject, value, unit) in one text."""
    seen = set()
    keep = []
    for g in goals:
        if g.key() not in seen:
            seen.add(g.key())
            keep.append(g)
    goals[:] = keep
