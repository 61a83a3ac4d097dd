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
