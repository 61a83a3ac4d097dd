"""A small district for the daily-use browser tests: two lead units and a third, a supervisor
and an admin; items in 实干 (one overdue and urged), one the unit only cooperates on, two
awaiting 销号 with evidence, one still in 下钻 without goals, a pending 延期 and a published
晾晒. Helpers to sign in and to post a form with values a browser would never send."""

from __future__ import annotations

import datetime as dt

from closedloop.services import lights, publishing
from closedloop.services.common import Clock
from tests.factories import (
    PASSWORD,
    EvidenceFactory,
    ExtensionRequestFactory,
    GoalFactory,
    ItemUnitFactory,
    PlanFactory,
    ProgressReportFactory,
    ProgressValueFactory,
    ProjectFactory,
    ResultFactory,
    SectionFactory,
    SupervisionActionFactory,
    UnitFactory,
    UserFactory,
    WorkItemFactory,
)


async def seed_daily(*, publish: bool = False) -> dict:
    today = Clock.today()
    year_end = dt.date(today.year, 12, 31) if today < dt.date(today.year, 12, 20) else today + dt.timedelta(days=60)
    last_week = today - dt.timedelta(days=7)
    plan = await PlanFactory.create(year=today.year, title=f"{today.year}年科技工作要点")
    section = await SectionFactory.create(plan=plan, code="（一）", title="提升创新平台")
    kjj = await UnitFactory.create(name="区科技局")
    czj = await UnitFactory.create(name="区财政局")
    fgw = await UnitFactory.create(name="区发改委")
    a = await WorkItemFactory.create(plan=plan, parent=section.id, code="一是", title="培育高新技术企业", lead_unit=kjj, deadline=year_end,
                                     stage="execute", responsible_person="张三", seq=1)
    b = await WorkItemFactory.create(plan=plan, parent=section.id, code="二是", title="建设孵化平台", lead_unit=kjj,
                                     deadline=today - dt.timedelta(days=5), stage="execute", responsible_person="李四", seq=2)
    c = await WorkItemFactory.create(plan=plan, parent=section.id, code="三是", title="盘活闲置资产", lead_unit=czj, deadline=year_end,
                                     stage="execute", seq=3)
    await ItemUnitFactory.create(item=c, unit=kjj)
    d1 = await WorkItemFactory.create(plan=plan, parent=section.id, code="四是", title="科技成果转化", lead_unit=czj, deadline=year_end, stage="close", seq=4)
    d2 = await WorkItemFactory.create(plan=plan, parent=section.id, code="五是", title="引进研发机构", lead_unit=fgw, deadline=year_end, stage="close", seq=5)
    e = await WorkItemFactory.create(plan=plan, parent=section.id, code="六是", title="建设人才公寓", lead_unit=kjj, deadline=year_end, stage="drill", seq=6)
    goal = await GoalFactory.create(plan=plan, item=a.id, subject="高新技术企业", measure_unit="家", comparator=">=", baseline=0.0, target=100.0,
                                    deadline=year_end, actual=40.0, actual_on=last_week)
    goal_b = await GoalFactory.create(plan=plan, item=b.id, subject="孵化面积", measure_unit="万平方米", comparator=">=", baseline=0.0, target=10.0,
                                      deadline=b.deadline)
    report = await ProgressReportFactory.create(item=a, period=publishing.period_of("weekly", last_week), reported_on=last_week, narrative="上周进展")
    await ProgressValueFactory.create(report=report, goal=goal.id, value=40.0, reported_on=last_week)
    project = await ProjectFactory.create(item=a, name="企业走访", unit=kjj, end_on=year_end, progress=30)
    urge = await SupervisionActionFactory.create(item=b, unit=kjj, kind="urge", message="请抓紧推进孵化平台建设")
    ext = await ExtensionRequestFactory.create(item=a, reason="受土地审批影响", old_deadline=year_end, new_deadline=year_end + dt.timedelta(days=60))
    lead = await UserFactory.create(username="kjj", display_name="科技局联络员", role="lead", unit=kjj)
    await UserFactory.create(username="czj", display_name="财政局联络员", role="lead", unit=czj)
    sup = await UserFactory.create(username="duchashi", display_name="督查室", role="supervisor", unit=None)
    # 四是 can be struck off (its goal has a verified result with evidence); 五是 cannot yet
    g1 = await GoalFactory.create(plan=plan, item=d1.id, subject="成果转化", measure_unit="项", comparator=">=", baseline=0.0, target=10.0,
                                  deadline=year_end, actual=12.0)
    r1 = await ResultFactory.create(item=d1, goal=g1.id, description="转化成果 12 项", value=12.0, verified_at=Clock.now(),
                                    verified_by=sup.id)
    await EvidenceFactory.create(result=r1, kind="link", url="https://example.org/zhuanhua")
    await EvidenceFactory.create(result=r1, kind="file", url=None, filename="转化清单.pdf", content_type="application/pdf", size=5,
                                 content=b"%PDF-", sha256="a" * 64)
    g2 = await GoalFactory.create(plan=plan, item=d2.id, subject="研发机构", measure_unit="家", comparator=">=", baseline=0.0, target=3.0,
                                  deadline=year_end, actual=3.0)
    await ResultFactory.create(item=d2, goal=g2.id, description="引进机构 3 家", value=3.0)
    await UserFactory.create(username="root", display_name="管理员", role="admin", unit=None)
    await lights.refresh(Clock.today())
    pub = None
    if publish:
        await publishing.publish_due("weekly")
    return {"plan": plan, "section": section, "kjj": kjj, "czj": czj, "fgw": fgw, "a": a, "b": b, "c": c, "d1": d1, "d2": d2, "e": e,
            "goal": goal, "goal_b": goal_b, "project": project, "urge": urge, "ext": ext, "lead": lead, "pub": pub}


async def login(page, base: str, username: str, password: str = PASSWORD) -> None:
    await page.goto(f"{base}/login")
    await page.fill("input[name=username]", username)
    await page.fill("input[name=password]", password)
    async with page.expect_navigation():
        await page.click("main button[type=submit]")


async def submit_tampered(page, form_selector: str, values: dict[str, str]):
    """Set fields of a form to values its widgets would never produce, submit it, and return
    the response (what a hand-made or stale request would get)."""
    async with page.expect_navigation() as nav:
        await page.evaluate(
            """([sel, values]) => {
                const form = document.querySelector(sel);
                for (const [name, value] of Object.entries(values)) {
                    let el = form.querySelector(`[name="${name}"]`);
                    if (!el || el.tagName === "SELECT" || el.type === "checkbox") {
                        if (el && el.tagName === "SELECT") el.removeAttribute("name");
                        el = document.createElement("input"); el.type = "hidden"; el.name = name; form.appendChild(el);
                    }
                    el.value = value;
                }
                HTMLFormElement.prototype.submit.call(form);
            }""",
            [form_selector, values],
        )
    return await nav.value
