"""Targets in a plan's sentences as a reader states them (plan_parser/targets.py): subject,
comparator, value, unit, kind, and the wording kept beside them (左右, ranges, the 争取 tier, the
horizon). Written for the survivors of the mutation run (docs/testing.md, round 3); every
sentence is invented in the style of district plans."""

from __future__ import annotations

import pytest

from closedloop.domain.plan_parser import extract_goals


def read(text, year=None):
    return [(g.subject, g.comparator, g.value, g.unit, g.kind) for g in extract_goals(text, year=year)]


@pytest.mark.parametrize(
    ("text", "goals"),
    [
        # a second tier (确保…、争取…) belongs to the goal before it
        ("粮食产量稳定在45万吨以上、争取46万吨。", [("粮食产量", ">=", 45, "万吨", "level")]),
        # a generic subject takes the one before it
        ("新增高新技术企业80家，总量突破550家。",
         [("高新技术企业", ">=", 80, "家", "level"), ("高新技术企业总量", ">", 550, "家", "level")]),
        # prices and unemployment are better low: 左右 is a ceiling
        ("居民消费价格涨幅3%左右。", [("居民消费价格涨幅", "<=", 3, "%", "growth")]),
        ("城镇调查失业率5.5%左右。", [("城镇调查失业率", "<=", 5.5, "%", "level")]),
        ("单位地区生产总值能耗下降2.5%左右。", [("单位地区生产总值能耗下降", ">=", 2.5, "%", "decline")]),
        # the counted thing after the number names the target
        ("选派不少于20名科技特派员。", [("科技特派员", ">=", 20, "名", "level")]),
        ("新增5000张家庭养老床位。", [("新增家庭养老床位", ">=", 5000, "张", "level")]),
        # one rate for two subjects sharing its head
        ("基本养老、医疗保险参保率稳定在95%以上。",
         [("养老保险参保率", ">=", 95, "%", "level"), ("医疗保险参保率", ">=", 95, "%", "level")]),
        # 分别 / 各 / 均 lists
        ("一二三产增加值分别增长4%、6%和5%。",
         [("一产增加值", ">=", 4, "%", "growth"), ("二产增加值", ">=", 6, "%", "growth"), ("三产增加值", ">=", 5, "%", "growth")]),
        ("绿叶菜基地、绿色防控基地各8000亩。", [("绿叶菜基地", ">=", 8000, "亩", "level"), ("绿色防控基地", ">=", 8000, "亩", "level")]),
        ("城镇和农村居民人均可支配收入均增长6%。",
         [("城镇居民人均可支配收入", ">=", 6, "%", "growth"), ("农村居民人均可支配收入", ">=", 6, "%", "growth")]),
        # a clause without its own subject continues the one before
        ("新增1000处信号灯联网，累计达8000处。",
         [("新增信号灯联网", ">=", 1000, "处", "level"), ("新增信号灯联网累计", ">=", 8000, "处", "level")]),
        ("产值增长8%，力争达到1200亿元。", [("产值增长", ">=", 8, "%", "growth"), ("产值", ">=", 1200, "亿元", "level")]),
        # parameters, names and quotations are not targets
        ("对符合条件的企业给予最高不超过50万元的奖励。", []),
        ("实施“十百千”工程，培育100家重点企业。", [("重点企业", ">=", 100, "家", "level")]),
        ("建设《某区科技创新发展规划》确定的3个重点园区。", []),
    ],
)
def test_targets_in_a_sentence(text, goals):
    assert read(text) == goals


def test_the_wording_kept_beside_a_target():
    (g,) = extract_goals("粮食产量稳定在45万吨以上、争取46万吨。")
    assert (g.stretch, g.approx, g.plain) == (46, False, False)
    (g,) = extract_goals("新增5000张家庭养老床位。")
    assert g.plain and not g.approx
    (g,) = extract_goals("城镇调查失业率5.5%左右。")
    assert g.approx and not g.plain and g.upper is None


def test_a_horizon_governs_the_sentences_after_it():
    goals = extract_goals("到2027年，全区规上工业企业达到600家。研发投入强度达到3%。")
    assert [(g.subject, g.value, g.horizon) for g in goals] == [("规上工业企业", 600, 2027), ("研发投入强度", 3, 2027)]
    # a year leading the sentence, not earlier than the plan's, is its horizon too
    (g,) = extract_goals("2025年，全市新建5G基站2600个以上。", year=2025)
    assert (g.subject, g.value, g.comparator, g.horizon) == ("新建5G基站", 2600, ">=", 2025)


@pytest.mark.parametrize("text", ["2025年完成研发投入12亿元。", "去年全区新增就业1.1万人。"])
def test_results_of_earlier_years_are_not_targets(text):
    assert extract_goals(text, year=2026) == []


LONG_SUBJECT = "规模以上工业企业中建有研发机构的企业数量以及高新技术企业和科技型中小企业中开展产学研合作的企业数量与新型研发机构及孵化平台数量"


@pytest.mark.parametrize(
    ("text", "goal"),
    [
        ("产值翻一番", ("产值", ">=", 2, "倍")),  # two characters are a subject
        ("绿地占一半以上", ("绿地", ">=", 50, "%")),
        (LONG_SUBJECT + "翻一番", (LONG_SUBJECT[:60], ">=", 2, "倍")),  # a subject is kept to 60 characters
        (LONG_SUBJECT + "超过一半", (LONG_SUBJECT[:60], ">", 50, "%")),
    ],
)
def test_doublings_and_halves_in_words(text, goal):
    assert len(LONG_SUBJECT) > 60
    assert read(text) == [(*goal, "level")]


def test_a_half_in_words_keeps_the_horizon():
    (g,) = extract_goals("到2027年，研发机构覆盖率超过一半。", year=2025)
    assert (g.subject, g.comparator, g.value, g.unit, g.horizon) == ("研发机构覆盖率", ">", 50, "%", 2027)


def test_listed_subjects_share_the_last_ones_head_noun():
    assert read("高新技术、专精特新企业分别达到500家、80家。") == [
        ("高新技术企业", ">=", 500, "家", "level"),
        ("专精特新企业", ">=", 80, "家", "level"),
    ]


@pytest.mark.parametrize(
    ("text", "goals"),
    [
        ("研发投入增加到15亿元。", [("研发投入", ">=", 15, "亿元", "level")]),  # 增加到: the level reached, not a growth
        ("财政赤字率3%以内。", [("财政赤字率", "<=", 3, "%", "level")]),  # 以内 alone is a ceiling
        ("研发投入强度达到2.5％。", [("研发投入强度", ">=", 2.5, "%", "level")]),  # a full-width percent sign
        # a task listed before a rate does not share it; nor does a count
        ("完成造林绿化、森林覆盖率达到45%。", [("森林覆盖率", ">=", 45, "%", "level")]),
        ("高新技术企业数、规上企业研发机构覆盖率达到60%。", [("规上企业研发机构覆盖率", ">=", 60, "%", "level")]),
        # a number after a Latin letter is part of a name (A1类)
        ("引进A1类人才5名。", [("A1类人才", ">=", 5, "名", "level")]),
        # a bare magnitude without its unit is not read (population excepted)
        ("经济总量突破1万亿，人均水平明显提高。", []),
        ("粮食播种面积稳定在3千，产量稳步提高。", []),
        # a verb before the number: the counted thing after it is the subject
        ("集中新建5000个充电桩。", [("集中新建充电桩", ">=", 5000, "个", "level")]),
        ("盘活300亩闲置土地。", [("闲置土地", ">=", 300, "亩", "level")]),
        ("新建200个社区养老服务站的配套设施。", [("新建社区养老服务站", ">=", 200, "个", "level")]),
        # a two-character subject with its verb keeps the subject, not the word after the number
        ("产量达到300万吨规模。", [("产量", ">=", 300, "万吨", "level")]),
        # a number inside a quotation, even one holding a book title, is a name
        ("组织“学习《民法典》进万家100场”主题活动。", []),
        ("打造“《山海经》文旅体验线路3条”品牌。", []),
        # a quotation mark the subject's cut left alone is dropped
        ("建设第三轮“美丽街区”3个。", [("建设第三轮美丽街区", ">=", 3, "个", "level")]),
    ],
)
def test_more_targets_in_a_sentence(text, goals):
    assert read(text) == goals


def test_shang_xia_is_approximate():
    (g,) = extract_goals("地区生产总值增长6%上下。")
    assert (g.subject, g.comparator, g.value, g.kind, g.approx, g.plain) == ("地区生产总值增长", ">=", 6, "growth", True, False)


def test_a_qualifier_after_the_last_value_of_a_list_holds_for_each():
    goals = extract_goals("规上工业增加值、固定资产投资分别增长8%、10%以上。")
    assert [(g.subject, g.value, g.comparator, g.plain) for g in goals] == [
        ("规上工业增加值", 8, ">=", False),
        ("固定资产投资", 10, ">=", False),
    ]
