"""The parser on each shape real plans come in (texts written for these tests)."""

from datetime import date

from closedloop.domain.plan_parser import extract_goals, parse_plan


def goals(p):
    return [(g.subject, g.report_comparator(), g.value, g.unit) for g in p.goals]


def test_goal_part_with_sections_and_numbered_items_gives_plan_goals_only():
    p = parse_plan(
        "某区2025年商务工作要点\n一、主要目标\n（一）消费目标\n1.社会消费品零售总额增长6%以上。\n"
        "2.新增限额以上商贸企业不少于50家。\n（二）外贸目标\n1.进出口总额突破120亿元。\n"
        "二、推进措施\n（一）促进消费扩容\n1.举办促消费活动20场以上。\n2.培育夜间经济集聚区3个。\n"
    )
    assert goals(p) == [
        ("社会消费品零售总额增长", ">=", 6, "%"),
        ("新增限额以上商贸企业", ">=", 50, "家"),
        ("进出口总额", ">", 120, "亿元"),
    ]
    assert p.goals[0].kind == "growth"
    # a part named 推进措施 is a task part: its numbered lines are items
    assert [(s.title, [i.code for i in s.items]) for s in p.sections] == [("促进消费扩容", ["1", "2"])]


def test_dash_bullets_quoted_group_heading_and_horizon_paragraph():
    p = parse_plan(
        "某县2025年农业农村工作要点\n一、总体目标\n"
        "“三个倍增”——农村居民人均可支配收入增长7%，高标准农田新增2万亩。\n"
        "——粮食播种面积稳定在45万亩以上。\n——农产品加工产值突破一百亿元。\n"
        "到2027年，建成市级以上现代农业园区5个，农业科技进步贡献率达到65%。\n"
        "二、稳粮保供\n（一）稳定粮食生产。确保粮食播种面积45万亩以上、争取46万亩。\n"
    )
    assert goals(p)[0] == ("农村居民人均可支配收入增长", "=", 7, "%")  # not “三个倍增”
    assert ("农产品加工产值", ">", 100, "亿元") in goals(p)  # Chinese numeral, unit as written
    park = next(g for g in p.goals if g.unit == "个")
    assert park.horizon == 2027 and park.value == 5
    # two tiers: 确保 45, 争取 46 is one goal with a stretch target; it restates plan goal 粮食播种面积
    (g,) = p.sections[0].items[0].goals
    assert (g.value, g.stretch, g.comparator) == (45, 46, ">=")
    assert p.goals[g.plan_goal].subject == "粮食播种面积"


def test_numbered_goal_part_without_chinese_parts():
    p = parse_plan(
        "某区2024年生态环境保护工作计划\n1.总体目标\n"
        "全区PM2.5年均浓度控制在30微克/立方米以内，优良天数比例达到85%，单位GDP能耗下降3.5%。\n"
        "2.主要任务\n（1）加强大气污染防治。淘汰老旧车辆500辆。\n（2）加强水污染防治。城市生活污水集中收集率提高到75%。\n"
    )
    assert goals(p) == [
        ("PM2.5年均浓度", "<=", 30, "微克/立方米"),
        ("优良天数比例", ">=", 85, "%"),
        ("单位GDP能耗下降", "=", 3.5, "%"),
    ]
    assert p.goals[2].kind == "decline"
    assert [i.title for s in p.sections for i in s.items] == ["加强大气污染防治", "加强水污染防治"]


def test_government_work_report_expected_targets_not_achievements():
    p = parse_plan(
        "2024年区政府工作报告\n一、2023年工作回顾\n全区地区生产总值完成560亿元，增长7.4%。\n"
        "二、2024年工作安排\n今年经济社会发展主要预期目标是：地区生产总值增长6%左右，城镇新增就业1.2万人。\n"
        "（一）做强实体经济。\n培育壮大工业集群。2023年新增规上工业企业18家。今年新增规上工业企业20家。\n"
        "扩大有效投资。实施重点项目100个，完成投资150亿元以上。\n"
    )
    assert goals(p) == [("地区生产总值增长", "~", 6, "%"), ("城镇新增就业", "=", 1.2, "万人")]
    items = p.sections[0].items
    assert [i.title for i in items] == ["培育壮大工业集群", "扩大有效投资"]
    assert [(g.value, g.unit) for g in items[0].goals] == [(20, "家")]  # not 2023's 18
    assert not any(g.value in (560, 7.4) for g in p.all_goals())


def test_responsibility_table_as_text():
    p = parse_plan(
        "序号\t目标任务\t责任单位\t完成时限\t推进情况\n"
        "1\t新增高新技术企业30家\t区科技局\t2024年12月底\t已完成60%\n"
        "区经济信息委\n"
        "2\t建成孵化器2个\t区科技局、区发展改革委\t2024年10月底\t推进中\n",
        default_title="分工表",
    )
    assert p.missing() == []
    (s,) = p.sections
    first, second = s.items
    assert first.units == ["区科技局", "区经济信息委"] and first.deadline == date(2024, 12, 31)
    assert [(g.subject, g.value, g.unit) for g in first.goals] == [("高新技术企业", 30, "家")]  # not 60% progress
    assert second.units == ["区科技局", "区发展改革委"] and second.deadline == date(2024, 10, 31)


def test_ranges_pairs_and_chinese_numerals():
    assert [(g.value, g.upper, g.report_comparator()) for g in extract_goals("体质健康达标率达到92%—95%")] == [
        (92, 95, "range")
    ]
    pair = extract_goals("城镇和农村常住居民人均可支配收入分别增长4%左右和6%左右")
    assert [(g.subject, g.value, g.kind) for g in pair] == [
        ("城镇常住居民人均可支配收入", 4, "growth"),
        ("农村常住居民人均可支配收入", 6, "growth"),
    ]
    assert [(g.value, g.unit) for g in extract_goals("培训教师一万二千人次")] == [(12000, "人次")]
    assert [(g.value, g.unit, g.report_comparator()) for g in extract_goals("实践性教学课时占总课时一半以上")] == [
        (50, "%", ">=")
    ]
    assert [(g.value, g.unit) for g in extract_goals("区本级科技专项资金翻一番")] == [(2, "倍")]


def test_policy_parameters_and_names_are_not_targets():
    text = (
        "对不裁员的参保企业，可返还其上年度实际缴纳失业保险费的50%。可申请最高不超过15万元的创业担保贷款。"
        "组织失业青年参加3—12个月的就业见习。推动呼和浩特、鄂尔多斯、满洲里3个综保区发展。"
        "建设30万千瓦级煤电机组。预计今年高校毕业生超过1170万人。重点做好十方面工作。"
    )
    assert extract_goals(text) == []


def test_truncated_text_keeps_what_is_there():
    full = "某区2025年教育工作要点\n一、工作目标\n学前教育毛入园率达到95%，新增学位3000个。\n二、重点任务\n（一）扩大供给。1.新建中小学3所。2.推进集团化办学"
    p = parse_plan(full)
    assert len(p.goals) == 2 and [i.code for i in p.sections[0].items] == ["1", "2"]
    goals_only = parse_plan(full[: full.index("二、")])
    assert goals_only.missing() == [] and len(goals_only.goals) == 2 and not goals_only.sections


def test_district_plan_with_units_notes_support_part_and_ordinal_items():
    p = parse_plan(
        "XX区2025年经济和信息化工作要点\n一、总体要求\n（一）指导思想\n以新思想为指导。\n（二）主要目标\n"
        "全年规上工业总产值增长8%，力争达到1200亿元；规上工业增加值同比增长7%。\n二、重点任务\n（一）壮大工业集群\n"
        "1.培育汽车产业集群。汽车产业产值突破300亿元。（牵头单位：区经济信息委；配合单位：区发展改革委、区财政局）\n"
        "2.深化“放管服”改革。企业开办时间压缩至1个工作日以内。\n"
        "三、保障措施\n（一）加强组织领导。各单位要高度重视。\n"
    )
    assert goals(p) == [
        ("规上工业总产值增长", "=", 8, "%"),
        ("规上工业总产值", ">=", 1200, "亿元"),
        ("规上工业增加值同比增长", "=", 7, "%"),
    ]
    (s,) = p.sections  # 指导思想 and 保障措施 hold no work items
    first, second = s.items
    assert first.units == ["区经济信息委", "区发展改革委", "区财政局"]
    assert [(g.subject, g.comparator, g.value, g.unit) for g in second.goals] == [("企业开办时间", "<=", 1, "个工作日")]

    q = parse_plan(
        "# 某镇2025年乡村振兴工作计划\n## 一、工作目标\n- 新建高标准农田5000亩\n## 二、主要措施\n"
        "第一，发展特色产业。新发展柑橘种植3000亩。\n\n第二，改善人居环境。完成农村改厕500户。\n"
    )
    assert [(i.code, i.title) for s in q.sections for i in s.items] == [("第一", "发展特色产业"), ("第二", "改善人居环境")]
    assert [g.value for g in q.goals] == [5000]


def test_full_width_digits_and_percent():
    p = parse_plan("某区2025年工作要点\n一、工作目标\n高新技术企业突破３３０家，研发投入强度达到３．５％。\n")
    assert goals(p) == [("高新技术企业", ">", 330, "家"), ("研发投入强度", ">=", 3.5, "%")]


def test_indicator_table_gives_plan_goals_with_baselines():
    p = parse_plan(
        "某区2024年经济社会发展主要指标\n一、主要指标\n序号\t指标名称\t单位\t2023年基数\t2024年目标\n"
        "1\t地区生产总值增速\t%\t6.1\t6左右\n2\t高新技术企业\t家\t300\t330以上\n3\t单位GDP能耗下降\t%\t3\t≤3.2\n"
        "二、重点任务\n（一）稳增长。一是扩大有效投资，完成固定资产投资300亿元。\n"
    )
    assert [(g.subject, g.report_comparator(), g.value, g.unit, g.baseline, g.kind) for g in p.goals] == [
        ("地区生产总值增速", "~", 6, "%", 6.1, "growth"),
        ("高新技术企业", ">=", 330, "家", 300, "level"),
        ("单位GDP能耗下降", "<=", 3.2, "%", 3, "decline"),
    ]
    assert all(g.horizon == 2024 for g in p.goals)
    assert [i.title for s in p.sections for i in s.items] == ["扩大有效投资，完成固定资产投资300亿元"]


def test_numbered_item_keeps_its_own_points_and_capacities_name_projects():
    p = parse_plan(
        "某镇2024年工作计划\n二、工作重点\n1、狠抓招商引资工作。全年引进项目10个。\n"
        "2、继续打造特色农业。一是建设现代农业示范园；二是新建蓝莓基地3000亩。\n"
    )
    items = [i for s in p.sections for i in s.items]
    assert [(i.code, i.title) for i in items] == [("1", "狠抓招商引资工作"), ("2", "继续打造特色农业")]
    assert [(g.value, g.unit) for g in items[1].goals] == [(3000, "亩")]
    assert extract_goals("推进XX炼化150万吨乙烯等重大产业项目建设。") == []


def test_respectively_with_subjects_in_the_clause_before_and_generic_subjects():
    text = (
        "到2027年，全区高新技术企业和科技型企业在2023年的基础上实现倍增，分别超过120家和900家。"
        "新增创新平台20家，总量突破150家；研发经费投入达到30亿元，占地区生产总值比重达到2.6%。"
    )
    got = [(g.subject, g.report_comparator(), g.value, g.horizon) for g in extract_goals(text, year=2025)]
    assert got[:2] == [("高新技术企业", ">", 120, 2027), ("科技型企业", ">", 900, 2027)]
    # 到2027年 governs the sentences after it in the paragraph
    assert ("创新平台总量", ">", 150, 2027) in got
    assert ("研发经费投入占地区生产总值比重", ">=", 2.6, 2027) in got


def test_report_part_without_sections_each_and_heading_lines():
    p = parse_plan(
        "2025年某区政府工作报告\n一、2024年工作回顾\n新增森林资源3000亩。\n二、2025年重点工作\n"
        "夯实绿色生态基底。整治中小河道60公里，陆域森林覆盖率达21%。\n"
        "实施乡村振兴战略。完成绿叶菜基地、绿色防控基地各8000亩。\n"
    )
    (s,) = p.sections
    assert [i.title for i in s.items] == ["夯实绿色生态基底", "实施乡村振兴战略"]
    assert [(g.subject, g.value) for g in s.items[1].goals] == [("绿叶菜基地", 8000), ("绿色防控基地", 8000)]
    assert not any(g.value == 3000 for g in p.all_goals())  # the review part
    q = parse_plan("某市2016年政务公开工作要点\n一、围绕改革推进公开\n（一）推进重大项目信息公开\n做好300个重大项目信息公开。\n")
    assert [(g.subject, g.value) for g in q.sections[0].items[0].goals] == [("重大项目信息公开", 300)]


def test_division_plan_with_unit_lines_under_items():
    p = parse_plan(
        "某区2023年重点工作任务分解和责任分工方案\n一、主要预期目标\n1.地区生产总值增长6%左右。\n牵头单位：区发改局\n"
        "二、重点工作任务\n1.实施事项清单管理。（区政府办公室、区审改办牵头，区级各有关部门按职责分工负责）\n"
        "2.新建5G基站200个。\n牵头单位：区工信局\n责任单位：区住建局、各街道\n完成时限：2023年12月底\n"
    )
    assert goals(p) == [("地区生产总值增长", "~", 6, "%")]
    first, second = p.sections[0].items
    assert first.units == ["区政府办公室", "区审改办"]  # 各有关部门 is no unit
    assert (second.units, second.deadline) == (["区工信局", "区住建局"], date(2023, 12, 31))


def test_multi_year_plan_reads_its_first_year_as_current():
    p = parse_plan(
        "某市新型基础设施建设三年行动方案（2022—2024年）\n一、主要目标\n"
        "2022年，全市新建5G基站2600个以上。到2024年，全市累计建成5G基站1万个。\n二、重点任务\n（一）推进算力建设。\n"
    )
    assert (p.year, p.end_year) == (2022, 2024)
    assert [(g.value, g.unit, g.horizon) for g in p.goals] == [(2600, "个", 2022), (1, "万个", 2024)]


def test_one_rate_for_two_subjects_sharing_its_head():
    got = [(g.subject, g.value) for g in extract_goals("确保基本养老、医疗保险参保率稳定在95%以上。")]
    assert got == [("养老保险参保率", 95), ("医疗保险参保率", 95)]
    assert [(g.subject, g.value) for g in extract_goals("新建中小学3所、幼儿园覆盖率达到90%。")] == [("新建中小学", 3), ("幼儿园覆盖率", 90)]
