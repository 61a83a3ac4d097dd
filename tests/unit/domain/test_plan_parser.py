"""The plan parser on the real seed plan and on plans written in other shapes."""

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from closedloop.domain.plan_parser import cn_to_int, extract_goals, parse_plan
from tests.conftest import require_shared, shared_dir

SEED = shared_dir() / "seed" / "banan-2024-plan.txt"


def goals_of(text):
    return [(g.subject, g.comparator, g.value, g.unit) for g in extract_goals(text)]


@pytest.fixture(scope="module")
def seed():
    return parse_plan(require_shared("seed/banan-2024-plan.txt").read_text(encoding="utf-8"))


def test_seed_title_block(seed):
    assert seed.title == "巴南区2024年科技创新工作要点"
    assert seed.issuer == "重庆市巴南区科学技术局"
    assert seed.issued_on == date(2024, 4, 3)
    assert seed.year == 2024


def test_seed_plan_goals(seed):
    assert [(g.subject, g.comparator, g.value, g.unit) for g in seed.goals] == [
        ("高新技术企业", ">", 330, "家"),
        ("科技型企业", ">", 5900, "家"),
        ("全社会研发投入强度", ">=", 3, "%"),
        ("科技成果登记", ">", 200, "个"),
        ("技术合同登记金额", ">", 11, "亿元"),
    ]


def test_seed_sections_and_items(seed):
    assert [s.code for s in seed.sections] == ["（一）", "（二）", "（三）", "（四）", "（五）", "（六）"]
    assert seed.sections[0].title == "提升科技创新平台布局，系统重塑区域创新体系"
    for s in seed.sections:
        assert [i.code for i in s.items] == ["一是", "二是", "三是"]
    assert seed.item_count == 18
    first = seed.sections[0].items[0]
    assert first.title == "统筹推进科技创新承载区建设"
    assert first.text.startswith("一是统筹推进") and "二是" not in first.text
    assert seed.sections[5].items[2].text.endswith("营造勇争一流、比学赶超浓厚氛围。")


def test_seed_item_goals_restated_and_new(seed):
    found = {(s.code, i.code): i.goals for s in seed.sections for i in s.items if i.goals}
    assert set(found) == {("（二）", "一是"), ("（二）", "三是"), ("（四）", "三是")}
    assert [(g.subject, g.value, g.plan_goal) for g in found[("（二）", "一是")]] == [
        ("高新技术企业", 330, 0),
        ("科技型企业", 5900, 1),
    ]
    assert [(g.value, g.unit, g.plan_goal) for g in found[("（二）", "三是")]] == [(200, "个", 3), (11, "亿元", 4)]
    (envoy,) = found[("（四）", "三是")]
    assert (envoy.subject, envoy.comparator, envoy.value, envoy.unit, envoy.plan_goal) == (
        "科技特派员", ">=", 20, "名", None
    )


def test_seed_json_shape(seed):
    d = seed.to_json()
    assert set(d) >= {"title", "issuer", "issued_on", "year", "goals", "sections"}
    assert d["issued_on"] == "2024-04-03"
    assert "plan_goal" not in d["goals"][0]
    assert d["sections"][1]["items"][0]["goals"][0]["plan_goal"] == 0


@pytest.mark.parametrize(
    "text, expected",
    [
        ("全社会研发投入强度达到3%以上", [("全社会研发投入强度", ">=", 3, "%")]),
        ("科技成果登记超过200个", [("科技成果登记", ">", 200, "个")]),
        ("单位GDP能耗控制在0.5吨以内", [("单位GDP能耗", "<=", 0.5, "吨")]),
        ("城镇调查失业率不超过5.5%", [("城镇调查失业率", "<=", 5.5, "%")]),
        ("万元GDP用水量低于35吨", [("万元GDP用水量", "<", 35, "吨")]),
        ("完成植树造林1200亩", [("植树造林", ">=", 1200, "亩")]),
        ("培育科技型企业二十家", [("科技型企业", ">=", 20, "家")]),
        ("新增就业岗位不低于一千五百个", [("新增就业岗位", ">=", 1500, "个")]),
        ("引进高层次人才1.5万人", [("高层次人才", ">=", 1.5, "万人")]),
        ("A类和B类企业分别达到12家、3家", [("A类企业", ">=", 12, "家"), ("B类企业", ">=", 3, "家")]),
    ],
)
def test_target_wording(text, expected):
    assert goals_of(text) == expected


def test_numbers_that_are_names_are_not_goals():
    text = "着力构建“1358”科技创新工作体系，对标全市“5+8”技术创新体系，贯彻党的二十大精神，2024年全区工作。"
    assert goals_of(text) == []


def test_chinese_numerals():
    assert cn_to_int("二十") == 20 and cn_to_int("五千九百") == 5900 and cn_to_int("十二") == 12
    assert cn_to_int("二〇二四") == 2024 and cn_to_int("两百") == 200 and cn_to_int("x") is None


NUMBERED = """某区2025年数字经济工作计划

某区经济和信息化委员会
2025年1月15日

一、主要目标
——数字经济核心产业增加值增长10%以上。
——新建5G基站不少于300个。

二、主要任务
（一）夯实数字基础设施
1. 推进5G网络建设。新建5G基站不少于300个。
2、建设算力中心。年底前建成数据中心1个。
（二）培育数字产业
（1）招引数字企业。全年新增数字经济企业50家以上。
（2）培育专精特新。
"""


def test_numbered_items_dash_goals_and_parenthesised_items():
    p = parse_plan(NUMBERED)
    assert p.title == "某区2025年数字经济工作计划"
    assert p.issuer == "某区经济和信息化委员会"
    assert p.issued_on == date(2025, 1, 15) and p.year == 2025
    # a growth rate is a goal of its own kind, and its subject says 增长 (≥ 10% growth, not a level of 10%)
    assert [(g.subject, g.comparator, g.value, g.unit, g.kind) for g in p.goals] == [
        ("数字经济核心产业增加值增长", ">=", 10, "%", "growth"),
        ("新建5G基站", ">=", 300, "个", "level"),
    ]
    assert [[i.code for i in s.items] for s in p.sections] == [["1", "2"], ["（1）", "（2）"]]
    first = p.sections[0].items[0]
    assert first.title == "推进5G网络建设" and first.goals[0].plan_goal == 1
    assert [(g.subject, g.value) for g in p.sections[1].items[0].goals] == [("数字经济企业", 50)]


MARKDOWN = """# 2025年某镇乡村振兴工作要点

## 一、工作目标

农村居民人均可支配收入增长6%左右，高标准农田达到2万亩。

## 二、重点任务

### （一）发展特色产业

一是壮大柑橘产业，新增种植面积500亩。二是发展乡村旅游。

### （二）改善人居环境

**一是**推进厕所革命。
"""


def test_markdown_plan_with_wan_units():
    p = parse_plan(MARKDOWN)
    assert p.title == "2025年某镇乡村振兴工作要点" and p.year == 2025
    # 左右 is an approximate target: checked as reached at 6% or more, the wording kept (approx)
    assert [(g.subject, g.comparator, g.value, g.unit, g.approx, g.kind) for g in p.goals] == [
        ("农村居民人均可支配收入增长", ">=", 6, "%", True, "growth"),
        ("高标准农田", ">=", 2, "万亩", False, "level"),
    ]
    assert [(s.code, [i.code for i in s.items]) for s in p.sections] == [("（一）", ["一是", "二是"]), ("（二）", ["一是"])]
    assert p.sections[0].items[0].goals[0].value == 500


def test_truncated_copy_keeps_everything_before_the_cut():
    full = SEED.read_text(encoding="utf-8") if SEED.exists() else MARKDOWN
    cut = full[: full.index("二是组织实施企业重大科技专项") + 8] if SEED.exists() else full[:-10]
    p = parse_plan(cut)
    assert len(p.goals) == (5 if SEED.exists() else 2)
    if SEED.exists():
        assert [len(s.items) for s in p.sections] == [3, 2]
        assert p.sections[1].items[1].text.startswith("二是组织实施")


def test_empty_and_non_plan_text():
    assert parse_plan("").missing() and parse_plan("   \n\u3000\n").title == ""
    p = parse_plan("今天天气很好，我们去公园散步。晚上吃火锅。")
    codes = [f for f, _ in p.missing()]
    assert "sections" in codes and "items" in codes
    assert parse_plan(SEED.read_text(encoding="utf-8") if SEED.exists() else MARKDOWN).missing() == []


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from(list("一二三是（）()、。，；1230%家个亿元超达到以上——\n 　#*分别和年") + ["重点工作", "工作目标", "二、", "（一）"]),
        max_size=120,
    ).map("".join)
)
def test_parser_never_raises_and_is_deterministic(text):
    a = parse_plan(text).to_json()
    assert a == parse_plan(text).to_json()


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=400))
def test_parser_total_on_any_unicode(text):
    parse_plan(text)
