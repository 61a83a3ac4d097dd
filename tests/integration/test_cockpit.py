"""The supervisor's cockpit against a factory-built scenario: every number on /api/v1/cockpit,
the links behind them, each data check (one case that fires, one that does not), explaining a
check, the meeting pack, and the 督办单 that escalates past its reply date."""

from __future__ import annotations

import datetime as dt
import re
import io

import pytest_asyncio
from docx import Document
from openpyxl import load_workbook

from closedloop.db.tables import AuditEvent, EditionReview, Notification, SupervisionAction
from closedloop.domain import periods
from closedloop.domain.workdays import workdays_between
from closedloop.services import checks, cockpit
from tests.factories import (
    EvidenceFactory,
    GoalFactory,
    PlanFactory,
    ProblemFactory,
    ProgressReportFactory,
    ProgressValueFactory,
    PublicationFactory,
    PublicationRowFactory,
    ResultFactory,
    SectionFactory,
    StageTransitionFactory,
    SupervisionActionFactory,
    UnitFactory,
    UserFactory,
    WorkItemFactory,
)
from tests.integration.conftest import token_for

UTC = dt.timezone.utc


def at(y, m, d, h=3) -> dt.datetime:
    return dt.datetime(y, m, d, h, 0, tzinfo=UTC)


@pytest_asyncio.fixture(loop_scope="session")
async def scene(client):
    """Today is Monday 2024-06-03 (10:00 in Shanghai). Two units lead four items in two sections."""
    s = type("Scene", (), {})()
    s.a = await UnitFactory.create(name="区科技局")
    s.b = await UnitFactory.create(name="区财政局")
    s.c = await UnitFactory.create(name="区教委")  # leads nothing
    s.plan = await PlanFactory.create(year=2024)
    s.s1 = await SectionFactory.create(plan=s.plan, code="（一）", title="提升创新平台", seq=1)
    s.s2 = await SectionFactory.create(plan=s.plan, code="（二）", title="优化营商环境", seq=2)
    item = WorkItemFactory.create
    s.i1 = await item(plan=s.plan, parent=s.s1.id, code="一是", lead_unit=s.a, stage="execute", light="red", last_report_on=dt.date(2024, 5, 6))
    s.i2 = await item(plan=s.plan, parent=s.s1.id, code="二是", lead_unit=s.a, stage="execute", light="green", completion=100)
    s.i3 = await item(plan=s.plan, parent=s.s2.id, code="三是", lead_unit=s.b, stage="drill", light=None)
    s.i4 = await item(plan=s.plan, parent=s.s2.id, code="四是", lead_unit=s.b, stage="calculate", light="yellow", completion=100,
                      last_report_on=dt.date(2024, 5, 31))
    # plan goal 科技型企业 ≥100家, linked from two item goals
    early = at(2024, 4, 1)  # the goals exist since April, before every cut-off of the scene
    s.pg = await GoalFactory.create(plan=s.plan, item=None, subject="科技型企业", baseline=0.0, target=100.0, created_at=early, updated_at=early)
    s.g1 = await GoalFactory.create(plan=s.plan, item=s.i1.id, plan_goal=s.pg.id, baseline=0.0, actual=10.0, light="red", created_at=early, updated_at=early)
    s.g2 = await GoalFactory.create(plan=s.plan, item=s.i2.id, plan_goal=s.pg.id, baseline=0.0, actual=12.0, light="green", created_at=early, updated_at=early)
    s.g3 = await GoalFactory.create(plan=s.plan, item=s.i2.id, target=20.0, actual=20.0)  # met, no evidence
    s.g4 = await GoalFactory.create(plan=s.plan, item=s.i4.id, target=5.0, actual=6.0)  # met, with evidence
    s.g5 = await GoalFactory.create(plan=s.plan, item=s.i4.id, measure_unit="%", target=90.0, actual=40.0)
    # reports: g1 2 → 10 jumps; g2 10 → 15 → 12 goes backwards; g5 (a rate) 50 → 40 may fall
    async def value(goal, v, on, created=None):
        """A report of ``goal`` for the week containing ``on``, filed at ``created`` (default: on that day)."""
        period = periods.containing("weekly", on)
        filed = created or at(on.year, on.month, on.day)
        rep = await ProgressReportFactory.create(item=goal.item, reported_on=filed.date(), period=period.key, period_end=period.end, created_at=filed)
        return await ProgressValueFactory.create(report=rep, goal=goal.id, value=v, reported_on=filed.date(), period_end=period.end, recorded_at=filed)
    s.pv_g1a = await value(s.g1, 2.0, dt.date(2024, 5, 6))
    s.pv_g1b = await value(s.g1, 10.0, dt.date(2024, 5, 13))
    await value(s.g2, 10.0, dt.date(2024, 5, 6))
    await value(s.g2, 15.0, dt.date(2024, 5, 13))
    s.pv_g2c = await value(s.g2, 12.0, dt.date(2024, 5, 20))
    await value(s.g5, 50.0, dt.date(2024, 5, 6))
    await value(s.g5, 40.0, dt.date(2024, 5, 13))
    # editions: W20 published 3 hours late, W21 on time; W22 (cut off today 09:00) missing
    s.w20 = await PublicationFactory.create(period="2024-W20", cutoff=at(2024, 5, 20, 1), published_at=at(2024, 5, 20, 4))
    s.w21 = await PublicationFactory.create(period="2024-W21", cutoff=at(2024, 5, 27, 1), published_at=at(2024, 5, 27, 1),
                                            weights={"goal_progress": 60, "problems_resolved": 20, "results_verified": 20, "overdue_penalty": 5, "urge_penalty": 2})
    await PublicationRowFactory.create(publication=s.w20, unit=s.a, unit_name="区科技局", rank=2, score=60.0)
    await PublicationRowFactory.create(publication=s.w20, unit=s.b, unit_name="区财政局", rank=1, score=70.0)
    await PublicationRowFactory.create(publication=s.w21, unit=s.a, unit_name="区科技局", rank=1, score=80.0, goal_progress=0.9,
                                       problems_resolved=2, results_verified=1, overdue_items=1, urges=1, light="red")
    await PublicationRowFactory.create(publication=s.w21, unit=s.b, unit_name="区财政局", rank=2, score=50.0, goal_progress=0.5,
                                       problems_resolved=1, results_verified=0, overdue_items=0, urges=0, light="yellow")
    await EditionReview(publication=s.w21.id, open_checks=[], light_counts={"red": 1, "yellow": 1, "green": 2, "blue": 0, "none": 0}).save()
    # W21's report (week ending 26 May) filed after the W21 edition's cut-off (27 May 09:00), with a goal
    # value: late; another item's W21 report filed on the Sunday: in time
    s.late = (await value(s.g4, 6.0, dt.date(2024, 5, 24), created=at(2024, 5, 29))).report
    s.in_time = (await value(s.g1, 10.0, dt.date(2024, 5, 23), created=at(2024, 5, 26))).report
    # results: r1 says 8 while g1 stands at 10; r2 on g4 agrees and has evidence
    s.r1 = await ResultFactory.create(item=s.i1, goal=s.g1.id, value=8.0)
    s.r2 = await ResultFactory.create(item=s.i4, goal=s.g4.id, value=6.0)
    await EvidenceFactory.create(result=s.r2)
    s.p_bad = await ProblemFactory.create(item=s.i1, status="resolved", resolution=None)
    s.p_ok = await ProblemFactory.create(item=s.i1, status="resolved", resolution="已协调供地")
    # 督办: an order past its reply date, one not yet due; an urge unanswered for 5+ working days,
    # one sent on Friday, one answered
    s.o1 = await SupervisionActionFactory.create(item=s.i1, unit=s.a.id, kind="order", respond_by=dt.date(2024, 5, 31), created_at=at(2024, 5, 27))
    s.o2 = await SupervisionActionFactory.create(item=s.i4, unit=s.b.id, kind="order", respond_by=dt.date(2024, 6, 10), created_at=at(2024, 5, 27))
    s.u1 = await SupervisionActionFactory.create(item=s.i2, unit=s.a.id, kind="urge", created_at=at(2024, 5, 20))
    s.u2 = await SupervisionActionFactory.create(item=s.i4, unit=s.b.id, kind="urge", created_at=at(2024, 5, 31))
    # the edge: sent Friday 24 May its 5 working days ended 31 May (late); sent Monday 27 May, they end today
    s.u_edge_late = await SupervisionActionFactory.create(item=s.i3, unit=s.b.id, kind="urge", created_at=at(2024, 5, 24, 15))
    s.u_edge_due = await SupervisionActionFactory.create(item=s.i3, unit=s.b.id, kind="urge", created_at=at(2024, 5, 26, 17))  # Monday 01:00 in Shanghai
    await SupervisionActionFactory.create(item=s.i4, unit=s.b.id, kind="urge", created_at=at(2024, 5, 21), response="已推进",
                                          responded_at=at(2024, 5, 22))
    await StageTransitionFactory.create(item=s.i4, from_stage="drill", to_stage="calculate", created_at=at(2024, 5, 22))
    s.sup = await UserFactory.create(username="sup", role="supervisor", unit=None)
    s.lead = await UserFactory.create(username="lead_a", role="lead", unit=s.a)
    s.h = await token_for(s.sup)
    s.h_lead = await token_for(s.lead)
    return s


async def get_cockpit(client, s, **params):
    r = await client.get("/api/v1/cockpit", params=params, headers=s.h)
    assert r.status_code == 200, r.text
    return r.json()


async def test_items_by_light_and_stage_per_section_and_unit(client, scene):
    s = scene
    data = await get_cockpit(client, s)
    total = data["breakdown"]["total"]
    assert total["total"] == 4
    assert total["lights"] == {"red": 1, "yellow": 1, "green": 1, "blue": 0, "none": 1}
    assert {k: v for k, v in total["stages"].items() if v} == {"execute": 2, "drill": 1, "calculate": 1}
    sections = {x["code"]: x for x in data["breakdown"]["sections"]}
    assert [x["code"] for x in data["breakdown"]["sections"]] == ["（一）", "（二）"]
    assert sections["（一）"]["total"] == 2 and sections["（一）"]["lights"]["red"] == 1 and sections["（一）"]["lights"]["green"] == 1
    assert sections["（二）"]["lights"]["yellow"] == 1 and sections["（二）"]["lights"]["none"] == 1
    assert sections["（二）"]["stages"]["drill"] == 1 and sections["（二）"]["stages"]["calculate"] == 1
    units = {x["name"]: x for x in data["breakdown"]["units"]}
    assert set(units) == {"区科技局", "区财政局"}  # a unit that leads nothing is not counted
    assert units["区科技局"]["lights"]["red"] == 1 and units["区科技局"]["stages"]["execute"] == 2
    assert units["区财政局"]["total"] == 2
    # filters narrow every number
    only_b = await get_cockpit(client, s, unit_id=s.b.id)
    assert only_b["breakdown"]["total"]["total"] == 2 and only_b["breakdown"]["total"]["lights"]["red"] == 0
    only_s1 = await get_cockpit(client, s, section_id=s.s1.id)
    assert only_s1["breakdown"]["total"]["total"] == 2 and [x["code"] for x in only_s1["breakdown"]["sections"]] == ["（一）"]


async def test_each_count_links_to_exactly_the_items_it_counts(client, scene):
    s = scene
    data = await get_cockpit(client, s)
    client.cookies.set("closedloop_session", s.h["Authorization"].split()[1])
    try:
        red = data["breakdown"]["total"]["light_links"]["red"]
        page = await client.get(red)
        assert page.status_code == 200
        assert "一是" in page.text and "二是" not in page.text and '<span id="total">1</span>' in page.text
        unit_a = next(u for u in data["breakdown"]["units"] if u["name"] == "区科技局")
        page = await client.get(unit_a["stage_links"]["execute"])
        assert '<span id="total">2</span>' in page.text and "一是" in page.text and "二是" in page.text
        s2 = next(x for x in data["breakdown"]["sections"] if x["code"] == "（二）")
        page = await client.get(s2["light_links"]["none"])
        assert '<span id="total">1</span>' in page.text and "三是" in page.text
        cockpit_page = await client.get("/cockpit")
        assert cockpit_page.status_code == 200 and red.replace("&", "&amp;") in cockpit_page.text
        # the charts are inline SVG; the only script is the site's own file (no inline or foreign one)
        scripts = re.findall(r"<script[^>]*>", cockpit_page.text)
        assert scripts == ['<script src="/static/site.js" defer>'] and "<svg" in cockpit_page.text
    finally:
        client.cookies.clear()


async def test_the_page_shows_the_worst_units_first_and_links_to_all(client, scene, monkeypatch):
    """A district's thousand units are not all on the page: the worst (most red items) come
    first, up to a number, with a link to the table of every unit; the API keeps them all."""
    from closedloop.web import cockpit_pages

    s = scene
    monkeypatch.setattr(cockpit_pages, "UNITS_SHOWN", 1)
    client.cookies.set("closedloop_session", s.h["Authorization"].split()[1])
    try:
        page = (await client.get("/cockpit")).text
        table = page[page.index('id="by-unit"') : page.index("</table>", page.index('id="by-unit"'))]
        assert re.findall(r'<tr data-id="(\d+)">', table) == [str(s.a.id)]  # 区科技局: the red item
        assert "共 2 个牵头单位" in page and 'href="/cockpit?units=all#by-unit"' in page
        page = (await client.get("/cockpit?units=all")).text
        table = page[page.index('id="by-unit"') : page.index("</table>", page.index('id="by-unit"'))]
        assert re.findall(r'<tr data-id="(\d+)">', table) == [str(s.a.id), str(s.b.id)] and 'id="more-units"' not in page
    finally:
        client.cookies.clear()
    assert len((await get_cockpit(client, s))["breakdown"]["units"]) == 2


async def test_plan_goal_takes_the_value_of_the_item_goal_that_reports_it(client, scene):
    """The editions' rule: a linked item goal is the same indicator; the first (unless the admin
    chose another) reports the plan goal's value — not a sum over restatements."""
    data = await get_cockpit(client, scene)
    [goal] = data["plan_goals"]
    assert goal["subject"] == "科技型企业"
    assert goal["actual"] == 10.0  # g1, the first linked goal
    assert goal["completion"] == 10.0
    assert goal["light"] in ("blue", "green", "yellow", "red")
    assert (goal["linked_goals"], goal["reported_goals"]) == (2, 2)


async def test_trends_over_published_editions(client, scene):
    s = scene
    data = await get_cockpit(client, s, trend_unit_id=s.a.id)
    points = data["trends"]["points"]
    assert [p["period"] for p in points] == ["2024-W20", "2024-W21"]
    assert points[0]["light_share"] is None  # no review of that edition
    assert points[1]["light_share"]["green"] == 50.0 and points[1]["light_share"]["red"] == 25.0
    assert [(p["rank"], p["score"]) for p in points] == [(2, 60.0), (1, 80.0)]


async def test_cadence_health(client, scene):
    s = scene
    c = (await get_cockpit(client, s))["cadence"]
    quiet = {u["unit_name"]: u for u in c["quiet_units"]}
    assert set(quiet) == {"区科技局"}  # last report 6 May; 财政局 reported on Friday 31 May
    assert quiet["区科技局"]["last_report_on"] == "2024-05-06"
    assert quiet["区科技局"]["workdays"] == workdays_between(dt.date(2024, 5, 6), dt.date(2024, 6, 3)) >= 10
    assert [i["code"] for i in c["items_without_goal"]] == ["三是"] and c["items_without_goal_total"] == 1
    [weekly] = c["editions"]
    assert [m["period"] for m in weekly["missed"]] == ["2024-W22"]
    assert [(x["period"], x["hours_late"]) for x in weekly["late"]] == [("2024-W20", 3.0)]
    late = {(a["kind"], a["item_code"]): a for a in c["unanswered"]}
    assert set(late) == {("order", "一是"), ("urge", "二是"), ("urge", "三是")}
    assert [a["action_id"] for a in c["unanswered"] if a["item_code"] == "三是"] == [s.u_edge_late.id]
    assert late[("urge", "三是")]["due_on"] == "2024-05-31"
    assert late[("order", "一是")]["due_on"] == "2024-05-31" and late[("order", "一是")]["days_late"] == 3
    assert late[("urge", "二是")]["due_on"] == "2024-05-27"  # 5 working days after 20 May


async def test_the_cockpit_is_for_the_office_only(client, scene):
    r = await client.get("/api/v1/cockpit", headers=scene.h_lead)
    assert r.status_code == 403
    r = await client.get("/api/v1/checks", headers=scene.h_lead)
    assert r.status_code == 403
    r = await client.get("/api/v1/cockpit?unit_id=0", headers=scene.h)
    assert r.status_code == 400


# ---------------------------------------------------------------------------
# Data checks


async def open_keys(client, s) -> set[str]:
    r = await client.get("/api/v1/checks", headers=s.h)
    assert r.status_code == 200, r.text
    return {c["key"] for c in r.json()}


async def test_each_data_check_fires_on_its_case_and_not_on_the_other(client, scene):
    s = scene
    keys = await open_keys(client, s)
    # complete without evidence: g3 (met, no result) yes; g4 (met, result with evidence) no
    assert f"complete_goal:{s.g3.id}" in keys and f"complete_goal:{s.g4.id}" not in keys
    assert f"complete_item:{s.i2.id}" in keys and f"complete_item:{s.i4.id}" not in keys
    # 2 → 10 is more than 3×; 10 → 15 is not
    jumps = {k for k in keys if k.startswith("jump:")}
    assert jumps == {f"jump:{s.pv_g1b.id}"}
    # 15 → 12 on a cumulative count goes backwards; 50% → 40% on a rate is not cumulative
    assert {k for k in keys if k.startswith("backwards:")} == {f"backwards:{s.pv_g2c.id}"}
    assert f"result_mismatch:{s.r1.id}" in keys and f"result_mismatch:{s.r2.id}" not in keys
    assert f"late_report:{s.late}" in keys and f"late_report:{s.in_time}" not in keys
    assert f"problem_no_resolution:{s.p_bad.id}" in keys and f"problem_no_resolution:{s.p_ok.id}" not in keys
    r = await client.get("/api/v1/checks", headers=s.h)
    row = next(c for c in r.json() if c["key"] == f"jump:{s.pv_g1b.id}")
    assert row["item_code"] == "一是" and row["unit_name"] == "区科技局" and row["href"] == f"/items/{s.i1.id}"
    assert "由 2 变为 10" in row["detail"] and row["rule"] == "实际值异常跳变"


async def test_jump_factor_is_configurable(client, scene, monkeypatch):
    from closedloop.settings import get_settings

    monkeypatch.setenv("CLOSEDLOOP_CHECK_JUMP_FACTOR", "6")
    get_settings(reload=True)
    try:
        assert not {k for k in await open_keys(client, scene) if k.startswith("jump:")}
    finally:
        monkeypatch.delenv("CLOSEDLOOP_CHECK_JUMP_FACTOR")
        get_settings(reload=True)


async def test_a_late_report_corrected_by_a_later_edition_is_not_a_check(client, scene):
    s = scene
    await PublicationFactory.create(period="2024-W21", edition=2, corrects=s.w21.id, cutoff=at(2024, 5, 27, 1), published_at=at(2024, 5, 30))
    assert f"late_report:{s.late}" not in await open_keys(client, s)


async def test_explaining_a_check_takes_it_off_the_list_and_is_audited(client, scene):
    s = scene
    key = f"problem_no_resolution:{s.p_bad.id}"
    r = await client.post("/api/v1/checks/explanations", json={"check_key": key, "note": "电话核实：已协调解决"}, headers=s.h)
    assert r.status_code == 201, r.text
    assert key not in await open_keys(client, s)
    event = await AuditEvent.select().where(AuditEvent.action == "explain_check").first().output(load_json=True)
    assert event["item"] == s.i1.id and event["after"]["note"] == "电话核实：已协调解决"
    again = await client.post("/api/v1/checks/explanations", json={"check_key": key, "note": "再次"}, headers=s.h)
    assert again.status_code == 409
    blank = await client.post("/api/v1/checks/explanations", json={"check_key": f"jump:{s.pv_g1b.id}", "note": "  "}, headers=s.h)
    assert blank.status_code == 422 and blank.json()["error"]["problems"][0]["field"] == "note"
    gone = await client.post("/api/v1/checks/explanations", json={"check_key": "jump:999999", "note": "x"}, headers=s.h)
    assert gone.status_code == 404
    lead = await client.post("/api/v1/checks/explanations", json={"check_key": f"jump:{s.pv_g1b.id}", "note": "x"}, headers=s.h_lead)
    assert lead.status_code == 403


async def test_edition_review_keeps_open_checks_and_can_hold_publication(client, scene, monkeypatch):
    from closedloop.settings import get_settings

    s = scene
    review = await checks.review_edition(s.w20.id)
    assert review is not None and len(review["open_checks"]) == len(await open_keys(client, s))
    assert review["light_counts"] == {"red": 1, "yellow": 1, "green": 1, "blue": 0, "none": 1}
    assert await checks.review_edition(s.w20.id) is None  # once per edition
    listed = (await client.get("/api/v1/checks/editions", headers=s.h)).json()
    assert [(x["period"], x["open_count"]) for x in listed] == [("2024-W20", len(review["open_checks"])), ("2024-W21", 0)]
    assert (await client.get("/api/v1/checks/editions", headers=s.h_lead)).status_code == 403
    assert await EditionReview.count().where(EditionReview.publication == s.w20.id) == 1
    assert await Notification.exists().where(Notification.kind == "checks")
    assert await checks.hold_publication() is False  # default: publish and notify
    monkeypatch.setenv("CLOSEDLOOP_HOLD_PUBLICATION_ON_CHECKS", "1")
    get_settings(reload=True)
    try:
        assert await checks.hold_publication() is True
    finally:
        monkeypatch.delenv("CLOSEDLOOP_HOLD_PUBLICATION_ON_CHECKS")
        get_settings(reload=True)


# ---------------------------------------------------------------------------
# 督办单 escalation


async def test_an_order_past_its_reply_date_escalates_once(client, scene):
    s = scene
    assert await cockpit.escalate_orders() == 1
    assert await cockpit.escalate_orders() == 0  # idempotent
    step = await SupervisionAction.select().where(SupervisionAction.dedupe_key == f"order-circular:{s.o1.id}").first()
    assert step["kind"] == "circular" and step["item"] == s.i1.id
    assert not await SupervisionAction.exists().where(SupervisionAction.dedupe_key == f"order-circular:{s.o2.id}")
    assert await AuditEvent.exists().where((AuditEvent.action == "circular") & (AuditEvent.item == s.i1.id))
    c = (await get_cockpit(client, s))["cadence"]
    assert next(a for a in c["unanswered"] if a["kind"] == "order")["escalated"] is True


# ---------------------------------------------------------------------------
# The meeting pack


async def test_meeting_pack_docx_and_xlsx(client, scene):
    s = scene
    client.cookies.set("closedloop_session", s.h["Authorization"].split()[1])
    try:
        r = await client.get("/cockpit/pack.docx?period=2024-W21")
        assert r.status_code == 200, r.text
        doc = Document(io.BytesIO(r.content))
        headings = [p.text for p in doc.paragraphs if p.style.name.startswith("Heading")]
        assert headings == ["一、计划目标", "二、晾晒排名及得分构成", "三、红灯和超期事项", "四、新增催办、督办及回复", "五、待说明的数据核查", "六、阶段变化事项"]
        ranking = doc.tables[1]
        rows = [[c.text for c in row.cells] for row in ranking.rows]
        assert rows[0][:3] == ["排名", "单位", "得分"]
        assert [r_[:3] for r_ in rows[1:]] == [["1", "区科技局", "80.00"], ["2", "区财政局", "50.00"]]
        assert rows[1][3] == "54.00"  # 60 × 0.9 goal progress
        assert rows[1][6] == "-7.00"  # one overdue item (−5) and one 催办 (−2)
        # the East Asian font slot is set, so WPS and Word show 宋体/黑体
        from docx.oxml.ns import qn

        normal = doc.styles["Normal"].element.rPr.find(qn("w:rFonts"))
        assert normal.get(qn("w:eastAsia")) == "宋体"
        assert doc.styles["Heading 1"].element.rPr.find(qn("w:rFonts")).get(qn("w:eastAsia")) == "黑体"
        text = "\n".join(c.text for t in doc.tables for row in t.rows for c in row.cells)
        assert "已推进" in text  # the urge answered within W21's window
        assert "细算" in text  # 四是 moved 下钻 → 细算 since W20
        assert "问题已标记解决但未填写解决情况" in text
        x = await client.get("/cockpit/pack.xlsx?period=2024-W21")
        assert x.status_code == 200
        wb = load_workbook(io.BytesIO(x.content))
        assert wb.sheetnames[1] == "晾晒排名及得分构成"
        assert [c.value for c in wb.worksheets[1][2]][:2] == ["1", "区科技局"]
        missing = await client.get("/cockpit/pack.docx?period=2024-W30")
        assert missing.status_code == 404
        bad = await client.get("/cockpit/pack.docx?period=nope")
        assert bad.status_code in (400, 422)
    finally:
        client.cookies.clear()


# ---------------------------------------------------------------------------
# The cockpit's forms: a 督办单 and a result's verification (page forms over the services)


async def form_session(client, s) -> str:
    """Sign the client in as the supervisor and return the page's CSRF token."""
    import re

    client.cookies.set("closedloop_session", s.h["Authorization"].split()[1])
    page = await client.get("/cockpit")
    return re.search(r'name="_csrf_token" value="([^"]+)"', page.text).group(1)


async def test_issue_an_order_and_verify_a_result_from_the_cockpit(client, scene):
    from closedloop.db.tables import Result

    s = scene
    token = await form_session(client, s)
    headers = {"Origin": "http://testserver", "x-csrftoken": token}
    try:
        r = await client.post(f"/cockpit/items/{s.i3.id}/order", headers=headers,
                              data={"_csrf_token": token, "message": "请本周内补充目标", "respond_by": "2024-06-07", "next": "/cockpit/items?light=none"})
        assert r.status_code in (302, 303) and r.headers["location"].startswith("/cockpit/items?light=none")
        order = await SupervisionAction.select().where((SupervisionAction.item == s.i3.id) & (SupervisionAction.kind == "order")).first()
        assert order["message"] == "请本周内补充目标" and order["respond_by"] == dt.date(2024, 6, 7)
        past = await client.post(f"/cockpit/items/{s.i3.id}/order", headers=headers,
                                 data={"_csrf_token": token, "message": "x", "respond_by": "2024-05-01"})
        assert "%E5%9B%9E%E5%A4%8D%E6%9C%9F%E9%99%90" in past.headers["location"]  # 回复期限…: refused with the reason
        r = await client.post(f"/cockpit/results/{s.r2.id}/verify", headers=headers, data={"_csrf_token": token, "version": "1"})
        assert r.status_code in (302, 303)
        assert (await Result.select(Result.verified_by).where(Result.id == s.r2.id).first())["verified_by"] == s.sup.id
        # a lead (with a valid token of their own session) cannot use the cockpit's forms
        import re

        client.cookies.set("closedloop_session", s.h_lead["Authorization"].split()[1])
        lead_token = re.search(r'name="_csrf_token" value="([^"]+)"', (await client.get("/inbox")).text).group(1)
        refused = await client.post(f"/cockpit/results/{s.r1.id}/verify", headers={"Origin": "http://testserver", "x-csrftoken": lead_token},
                                    data={"_csrf_token": lead_token, "version": "1"})
        assert refused.status_code == 403 and "驾驶舱仅供督查室和管理员使用" in refused.text
    finally:
        client.cookies.clear()


async def test_the_scan_escalates_orders_and_reviews_a_new_edition_once(client, scene):
    from closedloop.services.common import Clock

    s = scene
    fresh = await PublicationFactory.create(period="2024-W22", cutoff=at(2024, 6, 3, 1), published_at=Clock.now() - dt.timedelta(minutes=30))
    assert await cockpit.after_scan() == {"orders_escalated": 1, "editions_reviewed": 1}
    assert await cockpit.after_scan() == {"orders_escalated": 0, "editions_reviewed": 0}
    review = await EditionReview.select().where(EditionReview.publication == fresh.id).first().output(load_json=True)
    assert f"problem_no_resolution:{s.p_bad.id}" in {c["key"] for c in review["open_checks"]}
    assert not await EditionReview.exists().where(EditionReview.publication == s.w20.id)  # old editions are left alone
