"""A plan's structure as a reader sees it (plan_parser/structure.py): the title block of a
notice, dates written in Chinese numerals or at the end, parts and their roles, sections, the
item markers plans use, unit notes and lines, and which item goal restates a plan goal. Written
for the survivors of the mutation run (docs/testing.md, round 3); every plan here is invented."""

from __future__ import annotations

from datetime import date

from closedloop.domain.plan_parser import parse_plan

NOTICE = """某区人民政府办公室
关于印发《某区2025年优化营商环境工作方案》的通知
各镇人民政府、街道办事处，区政府各部门：
现将方案印发给你们，请认真贯彻执行。
一、工作目标
全年新增市场主体8000户以上。
二、重点任务
（一）提升政务服务效能
1.推行“一件事一次办”，拓展网上办理事项。（区政务服务办负责）
2.压缩工程建设项目审批时间。（牵头单位：区住房城乡建委；配合单位：区规划自然资源局、区发展改革委）
某区人民政府办公室
二〇二五年三月五日
"""


def test_a_notice_gives_its_plans_title_issuer_and_a_date_at_the_end():
    p = parse_plan(NOTICE)
    assert (p.title, p.issuer, p.issued_on, p.year) == ("某区2025年优化营商环境工作方案", "某区人民政府办公室", date(2025, 3, 5), 2025)
    assert p.parts == [("工作目标", "goals"), ("重点任务", "tasks")]
    assert [(g.subject, g.comparator, g.value, g.unit) for g in p.goals] == [("市场主体", ">=", 8000, "户")]
    (s,) = p.sections
    assert (s.code, s.title) == ("（一）", "提升政务服务效能")
    assert [(i.code, i.units) for i in s.items] == [
        ("1", ["区政务服务办"]),
        ("2", ["区住房城乡建委", "区规划自然资源局", "区发展改革委"]),
    ]


EMPLOYMENT = """关于印发某区2025年就业工作要点的通知
二〇二五年二月十日
一、2024年工作回顾
全年城镇新增就业1.2万人，完成目标的110%。
二、2025年主要目标
城镇新增就业1.3万人以上，城镇调查失业率控制在5.5%以内。
三、重点工作
第一，稳定重点群体就业。开发见习岗位500个。
第二，强化技能培训。开展职业技能培训3000人次。
四、保障措施
（一）加强组织领导。各部门要压实责任，确保城镇新增就业不少于1万人。
附件：2025年就业工作任务分解表
"""


def test_parts_by_role_a_review_gives_no_goal_and_ordinal_items():
    p = parse_plan(EMPLOYMENT)
    # a notice line without title marks still names the plan; the date is in Chinese numerals
    assert (p.title, p.issued_on, p.year) == ("某区2025年就业工作要点", date(2025, 2, 10), 2025)
    assert p.parts == [
        ("2024年工作回顾", "review"),
        ("2025年主要目标", "goals"),
        ("重点工作", "tasks"),
        ("保障措施", "support"),
        ("附件：2025年就业工作任务分解表", "tasks"),
    ]
    # last year's 1.2万人 is a result; the support part's figure is a plan goal, not a task
    assert [(g.subject, g.comparator, g.value, g.unit) for g in p.goals] == [
        ("城镇新增就业", ">=", 1.3, "万人"),
        ("城镇调查失业率", "<=", 5.5, "%"),
        ("城镇新增就业", ">=", 1, "万人"),
    ]
    (s,) = p.sections
    assert s.title == "重点工作"
    assert [(i.code, i.title, [(g.subject, g.value, g.unit) for g in i.goals]) for i in s.items] == [
        ("第一", "稳定重点群体就业", [("开发见习岗位", 500, "个")]),
        ("第二", "强化技能培训", [("职业技能培训", 3000, "人次")]),
    ]


T61 = "建立健全科技企业全生命周期培育服务体系，完善政策兑现和金融支持机制并推动科技型企业数量质量双提升取得明显成效和成熟经验做法"
T60 = T61.replace("双提升", "提升")
T63 = "推动规模以上工业企业研发机构全覆盖并引导企业持续加大研发投入力度不断提升自主创新能力和核心竞争力取得明显成效并形成示范带动作用"


def test_a_responsibility_table_is_one_section_of_items_titled_by_their_first_sentence():
    assert (len(T61), len(T60), len(T63)) == (61, 60, 63)
    p = parse_plan(
        "某区2024年重点任务责任分工\n"
        "序号\t工作任务\t牵头单位\t完成时限\t责任人\n"
        "1\t新增高新技术企业30家。同步建立培育库\t区科技局\t6月底\t李明\n"
        f"2\t{T61}\t区科技局\t年底前\t\n"
        f"3\t{T60}\t区科技局\t年底前\t\n"
        f"4\t{T63}\t区科技局\t年底前\t\n"
        "5\t2023年全区研发投入12亿元。2024年研发投入达到15亿元\t区科技局\t年底前\t\n"
    )
    (s,) = p.sections
    assert (s.code, s.title, s.text) == ("", "责任分工", "")
    assert [i.title for i in s.items] == [
        "新增高新技术企业30家",
        "建立健全科技企业全生命周期培育服务体系",  # longer than 60 characters: cut at its first comma
        T60,  # 60 characters: whole
        T63[:60],  # no comma to cut at
        "2023年全区研发投入12亿元",
    ]
    first = s.items[0]
    assert (first.text, first.person, first.units, first.deadline) == ("新增高新技术企业30家。同步建立培育库", "李明", ["区科技局"], date(2024, 6, 30))
    # last year's figure in a task is a result, this year's a target
    assert [(g.subject, g.value, g.unit) for g in s.items[4].goals] == [("研发投入", 15, "亿元")]


def test_an_indicator_table_gives_plan_goals_with_their_wording():
    name = "规模以上工业企业中建有研发机构的企业数量以及高新技术企业和科技型中小企业中开展产学研合作的企业数量与新型研发机构及孵化平台数量"
    assert len(name) > 60
    p = parse_plan(
        "某区2025年经济社会发展主要预期目标\n"
        "指标名称\t单位\t2025年目标\n"
        "地区生产总值增长\t%\t6\n"
        f"{name}\t家\t≥100\n"
    )
    assert [(g.subject, g.comparator, g.value, g.unit, g.kind, g.plain, g.horizon, g.source) for g in p.goals] == [
        ("地区生产总值增长", ">=", 6, "%", "growth", True, 2025, "地区生产总值增长"),  # a bare figure: the wording is plain
        (name[:60], ">=", 100, "家", "level", False, 2025, name),
    ]


def test_unit_names_in_a_note_two_to_forty_characters():
    from closedloop.domain.plan_parser.structure import clean_units

    forty = "重庆市巴南区人民政府龙洲湾街道办事处社区网格化服务管理中心第一分中心综合服务站点"[:40]
    assert clean_units(f"区委、区政府、{forty}、{forty}二") == ["区委", "区政府", forty]


def test_a_section_without_item_markers_is_one_item_of_its_own():
    p = parse_plan("某区2025年科技工作要点\n一、重点任务\n（一）加强组织领导\n各部门要压实责任\n确保新增科技型企业100家。\n")
    (s,) = p.sections
    (item,) = s.items
    # a short line without a closing mark ends its own sentence
    assert (item.code, item.title, item.text) == ("（一）", "加强组织领导", "加强组织领导。各部门要压实责任。确保新增科技型企业100家。")
    assert [(g.subject, g.value) for g in item.goals] == [("科技型企业", 100)]


def test_ordinal_items_inside_one_paragraph_and_a_part_of_another_kind():
    p = parse_plan(
        "某区2025年就业工作要点\n"
        "一、总体情况\n"
        "全区就业形势总体稳定。\n"
        "二、重点任务\n"
        "重点做好三方面工作：第一，稳定重点群体就业，开发见习岗位500个；第二，强化技能培训；第三，优化创业服务。\n"
    )
    assert p.parts == [("总体情况", "other"), ("重点任务", "tasks")]
    (s,) = p.sections
    assert [(i.code, i.title) for i in s.items] == [("第一", "稳定重点群体就业，开发见习岗位500个"), ("第二", "强化技能培训"), ("第三", "优化创业服务")]
    assert [(g.subject, g.value) for g in s.items[0].goals] == [("开发见习岗位", 500)]


def test_line_endings_of_any_system():
    text = "某区2025年科技工作要点\n一、工作目标\n新增高新技术企业30家。\n二、重点任务\n（一）培育主体\n1.建设孵化器2个。\n"
    want = parse_plan(text).to_json()
    assert parse_plan(text.replace("\n", "\r\n")).to_json() == want  # Windows
    assert parse_plan(text.replace("\n", "\r")).to_json() == want  # old Mac
    assert want["title"] == "某区2025年科技工作要点" and len(want["goals"]) == 1


def test_a_date_inside_a_sentence_is_not_the_issue_date():
    p = parse_plan("某区2025年科技工作要点\n区科技局\n请于2025年3月10日前报送材料\n2025年2月20日\n一、重点任务\n（一）培育主体\n1.建设孵化器2个。\n")
    assert (p.issuer, p.issued_on) == ("区科技局", date(2025, 2, 20))


def test_unnumbered_headings_set_the_role_of_what_follows():
    p = parse_plan(
        "某区2025年就业工作报告\n"
        "2024年工作回顾\n"
        "全年新增就业1.2万人。\n"
        "2025年主要目标\n"
        "城镇新增就业1.3万人以上。\n"
    )
    assert [(g.subject, g.value, g.unit) for g in p.goals] == [("城镇新增就业", 1.3, "万人")]


def test_a_reports_lead_paragraphs_are_its_items_a_lone_lead_sentence_is_not():
    p = parse_plan(
        "某区2025年政府工作报告\n"
        "一、2025年重点工作\n"
        "（一）扩大内需\n"
        "大力提振消费。研究制定提振消费行动方案，社会消费品零售总额增长6%。\n"
        "扩大有效投资。新开工重大项目100个。\n"
        "坚持稳中求进。\n"
    )
    (s,) = p.sections
    assert [(i.code, i.title) for i in s.items] == [("1", "大力提振消费"), ("2", "扩大有效投资")]
    assert s.text == "坚持稳中求进。"


def test_item_lines_bullets_and_notes_under_items():
    p = parse_plan(
        "某区2024年科技工作要点\n"
        "一、重点任务\n"
        "（一）培育创新主体\n"
        "1.推进科技企业培育。\n"
        "全年新增科技型企业100家。\n"  # a line of its own still belongs to the item above
        "牵头单位：区科技局\n"
        "完成时限：6月底\n"
        "责任人：张伟\n"
        "（二）优化创新生态\n"
        "——完善科技金融服务。（区金融办负责）\n"
        "——举办创新创业大赛3场。\n"
    )
    first, second = p.sections
    (item,) = first.items
    assert item.text == "1.推进科技企业培育。全年新增科技型企业100家。"
    assert (item.units, item.deadline, item.person) == (["区科技局"], date(2024, 6, 30), "张伟")
    assert [(i.code, i.title) for i in second.items] == [("——1", "完善科技金融服务"), ("——2", "举办创新创业大赛3场")]
    assert second.items[0].units == ["区金融办"]  # a （…负责） note names the unit


LONG_SECTION = "（一）坚持创新驱动发展战略，加快建设具有全国影响力的科技创新中心核心承载区和西部地区重要的科技成果转化示范区及创新人才集聚高地建设"


def test_goal_sections_long_section_titles_and_paragraphs_without_markers():
    assert len(LONG_SECTION) > 63
    p = parse_plan(
        "某区2025年科技工作要点\n"
        "一、重点任务\n"
        "——全年新增高新技术企业30家。\n"  # a paragraph of the part before its sections: a plan goal
        "（一）主要目标\n"
        "2024年新增科技型企业500家。\n"  # last year's result
        "——2025年新增科技型企业600家。\n"
        f"{LONG_SECTION}\n"
        "1.建设孵化器2个。\n"
    )
    assert [(g.subject, g.value) for g in p.goals] == [("高新技术企业", 30), ("科技型企业", 600)]
    (s,) = p.sections
    assert s.title == "坚持创新驱动发展战略"  # over 60 characters: cut at the first comma


def test_an_item_goal_restates_a_plan_goal_only_when_their_subjects_agree():
    p = parse_plan(
        "某区2025年科技工作要点\n"
        "一、工作目标\n"
        "高新技术企业达到30家。\n"
        "二、重点任务\n"
        "（一）培育主体\n"
        "1.高新技术企业达到30家。\n"
        "2.新增科技型企业30家。\n"
    )
    (s,) = p.sections
    assert [g.plan_goal for i in s.items for g in i.goals] == [0, None]


def test_markdown_quotes_and_list_marks_are_not_text():
    p = parse_plan("# 某区2025年科技工作要点\n## 一、工作目标\n> 全年新增高新技术企业30家。\n- 技术合同成交额突破5亿元。\n")
    assert [(g.subject, g.value, g.unit) for g in p.goals] == [("高新技术企业", 30, "家"), ("技术合同成交额", 5, "亿元")]


def test_an_annex_heading_a_bare_table_and_a_text_without_a_year():
    p = parse_plan("某区2025年科技工作要点\n一、重点任务\n（一）培育主体\n1.建设孵化器2个。\n附件：任务分解表\n")
    assert p.parts == [("重点任务", "tasks"), ("附件：任务分解表", "tasks")]
    table = parse_plan("序号\t工作任务\t责任单位\t完成时限\n1\t建设孵化器2个\t区科技局\t2025年6月底\n", default_title="分工表")
    assert table.title == "分工表" and table.year is None  # the header row is not the title
    assert parse_plan("今天天气很好。").to_json()["year"] is None
