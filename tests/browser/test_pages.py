"""A lead, a supervisor and the public use the pages in a real browser.

The server runs with its clock fixed at ``SERVER_NOW`` (tests/conftest.py) and so does this
process (the ``server_clock`` fixture, tests/browser/conftest.py), so the lights the pages show do not depend on the date
the suite runs.
"""

import datetime as dt

from closedloop.db.tables import Goal
from closedloop.services import lights
from closedloop.services.common import Clock
from tests.browser.conftest import shot
from tests.conftest import SERVER_NOW
from tests.factories import PASSWORD, GoalFactory, PlanFactory, SectionFactory, UnitFactory, UserFactory, WorkItemFactory

SERVER_CLOCK = SERVER_NOW  # the server of this module runs at the same fixed instant


async def seed_world():
    today = Clock.today()
    # issued and assigned on 1 January: the goals' trajectories start there
    new_year = dt.date(today.year, 1, 1)
    plan = await PlanFactory.create(year=today.year, issued_on=new_year)
    section = await SectionFactory.create(plan=plan, code="（一）", title="提升创新平台")
    unit = await UnitFactory.create(name="区科技局")
    other = await UnitFactory.create(name="区财政局")
    # in November the trajectory expects most of the year's target: a goal still at its
    # baseline is more than 30 points behind, so red
    year_end = dt.date(today.year, 12, 31)
    item = await WorkItemFactory.create(plan=plan, parent=section.id, code="一是", title="培育高新技术企业", lead_unit=unit, deadline=year_end, assigned_on=new_year)
    late = await WorkItemFactory.create(plan=plan, parent=section.id, code="二是", title="建设孵化平台", lead_unit=unit,
                                        deadline=today - dt.timedelta(days=5), assigned_on=new_year)
    goal = await GoalFactory.create(plan=plan, item=item.id, subject="高新技术企业", measure_unit="家", baseline=0.0, target=100.0, deadline=year_end,
                                     start=new_year)
    lead = await UserFactory.create(username="kjj", display_name="科技局联络员", role="lead", unit=unit)
    await UserFactory.create(username="czj", role="lead", unit=other)
    sup = await UserFactory.create(username="duchashi", display_name="督查室", role="supervisor", unit=None)
    await lights.refresh(Clock.today())  # what the scan would do (the server runs without a scheduler)
    return {"plan": plan, "item": item, "late": late, "goal": goal, "lead": lead, "sup": sup}


async def login(page, base, username, password=PASSWORD):
    await page.goto(f"{base}/login")
    await page.fill("input[name=username]", username)
    await page.fill("input[name=password]", password)
    await page.click("button[type=submit]")


async def test_lead_reports_a_goal_value_and_sees_its_light_change(clean_db, server, new_page):
    w = await seed_world()
    page = await new_page()
    await login(page, server, "kjj")
    assert page.url.endswith("/my")
    rows = page.locator("tbody tr")
    assert "建设孵化平台" in await rows.nth(0).inner_text(), "overdue item first"
    await page.click("text=培育高新技术企业")
    goal_row = page.locator(f"#goal-{w['goal'].id}")
    assert "红灯" in await goal_row.locator(".goal-light").inner_text()
    assert await goal_row.locator("input[name=actual]").count() == 0, "a lead's actuals come from reports"
    await page.fill(f"#report input[name=goal_{w['goal'].id}]", "100")
    await page.fill("#report textarea[name=narrative]", "新认定高企 100 家")
    await page.click("#report button[type=submit]")
    await page.wait_for_load_state()
    assert "已报送「一是 培育高新技术企业」" in await page.locator(".flash").inner_text()
    assert "蓝灯" in await page.locator(f"#goal-{w['goal'].id} .goal-light").inner_text()
    assert "实际值台账（1 条）" in await page.locator("#goals").inner_text()
    assert (await Goal.select(Goal.actual).where(Goal.id == w["goal"].id).first())["actual"] == 100
    await shot(page, "lead-item")


async def test_bad_value_shows_the_error_by_the_field_and_keeps_the_input(clean_db, server, new_page):
    w = await seed_world()
    page = await new_page()
    await login(page, server, "kjj")
    await page.goto(f"{server}/items/{w['item'].id}")
    await page.fill(f"#report input[name=goal_{w['goal'].id}]", "三十家")
    await page.fill("#report textarea[name=narrative]", "本周进展")
    await page.click("#report button[type=submit]")
    await page.wait_for_load_state()
    error = page.locator(f"#report .error[data-field=goal_{w['goal'].id}]")
    assert await error.inner_text() == "请输入数字"
    assert await page.locator(f"#report input[name=goal_{w['goal'].id}]").input_value() == "三十家"
    # the report form keeps every field
    await page.fill("#report textarea[name=narrative]", "")
    await page.fill(f"#report input[name=goal_{w['goal'].id}]", "abc")
    await page.click("#report button[type=submit]")
    await page.wait_for_load_state()
    assert await page.locator("#report .error[data-field=narrative]").inner_text() == "请填写本期进展"
    assert await page.locator(f"#report input[name=goal_{w['goal'].id}]").input_value() == "abc"


async def test_supervisor_urges_and_the_lead_sees_it_in_the_inbox(clean_db, server, new_page):
    w = await seed_world()
    sup = await new_page()
    await login(sup, server, "duchashi")
    assert sup.url.endswith("/desk")
    await sup.check(f"input[name=item_ids][value='{w['late'].id}']")
    await sup.fill("input[name=message]", "请本周五前报送整改措施")
    await sup.click("text=对勾选事项发出催办")
    await sup.wait_for_load_state()
    assert "将向 1 个单位发出催办" in await sup.locator(".consequence").inner_text()
    await sup.click("button:has-text('确认催办')")
    await sup.wait_for_load_state()
    assert "已催办 1 个事项" in await sup.locator(".flash").inner_text()
    lead = await new_page()
    await login(lead, server, "kjj")
    await lead.goto(f"{server}/inbox")
    body = await lead.locator("main").inner_text()
    assert "催办" in body and "请本周五前报送整改措施" in body
    await shot(lead, "lead-inbox")
    # the lead answers on the item page
    await lead.goto(f"{server}/items/{w['late'].id}")
    await lead.fill("#supervision input[name=response]", "已部署专班，周五前报送")
    await lead.click("#supervision button:has-text('回复')")
    await lead.wait_for_load_state()
    assert "回复：已部署专班，周五前报送" in await lead.locator("#supervision").inner_text()


async def test_public_ranking_opens_without_login(clean_db, server, new_page):
    from closedloop.services import publishing

    await seed_world()
    await publishing.publish_due("weekly")
    page = await new_page(390, 844)  # a phone
    response = await page.goto(f"{server}/rankings")
    assert response.status == 200
    text = await page.locator("main").inner_text()
    assert "工作晾晒" in text and "区科技局" in text
    assert page.url.endswith("/rankings")


async def test_wrong_password_forbidden_page_and_expired_session_speak_chinese(clean_db, server, new_page):
    await seed_world()
    page = await new_page()
    await login(page, server, "kjj", "not-the-password")
    assert await page.locator("#login-error").inner_text() == "用户名或密码错误"
    await login(page, server, "kjj")
    response = await page.goto(f"{server}/desk")
    assert response.status == 403
    text = await page.locator("main").inner_text()
    assert "督查台仅供督查室使用" in text and "回到首页" in text and "Traceback" not in text
    # the session ends: the next page asks to log in again, with the reason
    await page.context.clear_cookies()
    await page.goto(f"{server}/my")
    assert "/login" in page.url
    assert "请先登录" in await page.locator(".notice").inner_text()


async def test_admin_previews_an_import_before_saving(clean_db, server, new_page):
    await UserFactory.create(username="root", role="admin", unit=None)
    page = await new_page()
    await login(page, server, "root")
    text = "某区2026年科技工作要点\n二、工作目标\n科技型企业突破500家。\n三、重点工作\n（一）培育企业。一是建立培育库，新增科技型企业不少于50家。二是开展走访。"
    await page.fill("textarea[name=text]", text)
    await page.click("button[value=preview]")
    await page.wait_for_load_state()
    preview = await page.locator(".preview").inner_text()
    assert "某区2026年科技工作要点" in preview and "一是" in preview and "科技型企业 > 500家" in preview
    await shot(page, "admin-import")
    await page.click("button[value=save]")
    await page.wait_for_load_state()
    assert "已导入计划，共 2 个事项" in await page.locator(".flash").inner_text()


async def test_admin_fixes_the_preview_then_edits_the_plan(clean_db, server, new_page):
    from closedloop.db.tables import Goal, Plan, WorkItem

    await UserFactory.create(username="root", role="admin", unit=None)
    page = await new_page()
    await login(page, server, "root")
    text = (
        "某区2026年科技工作要点\n二、工作目标\n科技型企业突破500家，2025年完成研发投入12亿元。\n三、重点工作\n"
        "（一）培育企业。一是建立培育库，新增科技型企业不少于50家。二是开展走访，走访企业2026家。"
    )
    await page.fill("textarea[name=text]", text)
    await page.click("button[value=preview]")
    await page.wait_for_load_state()
    # the year-like number is flagged; the admin drops it, renames an item and adds a missed target
    assert "数值像年份" in await page.locator(".preview").inner_text()
    assert "12亿元" not in await page.locator(".preview").inner_text()  # 2025年完成…: an achievement, not offered
    doubtful = page.locator("div:has(> [data-doubt]) input[name=keep]").first
    await doubtful.uncheck()
    await page.fill("input[name='title:s0i1']", "走访服务企业")
    await page.fill("textarea[name=extra_goals]", "科技特派员不少于20名")
    await shot(page, "admin-import-corrections")
    await page.click("button[value=save]")
    await page.wait_for_load_state()
    assert "已导入计划" in await page.locator(".flash").inner_text()
    plan = await Plan.select(Plan.id).first()
    goals = {(g["subject"], g["target"]) for g in await Goal.select(Goal.subject, Goal.target)}
    assert ("科技特派员", 20) in goals and ("科技型企业", 500) in goals and not any(t == 2026 for _, t in goals)
    assert await WorkItem.count().where(WorkItem.title == "走访服务企业") == 1

    # the plan editing page: add a section, then withdraw-free delete of an item without history
    await page.goto(f"{server}/admin/plans/{plan['id']}")
    await page.fill("input[placeholder='新分项标题']", "优化创新生态")
    await page.click("text=添加分项")
    await page.wait_for_load_state()
    assert "已添加分项" in await page.locator(".flash").inner_text()
    assert await page.locator("input[value='优化创新生态']").count() == 1
    await shot(page, "admin-plan-edit")

    # 责任分工 from an Excel file: preview the matches (a short unit name), then write them
    import io

    from openpyxl import Workbook

    from closedloop.db.tables import Unit

    await UnitFactory.create(name="重庆市某区科学技术局")
    wb = Workbook()
    wb.active.append(["序号", "目标任务", "责任单位", "完成时限"])
    wb.active.append([1, "建立培育库", "区科技局", "2026年9月底"])
    buf = io.BytesIO()
    wb.save(buf)
    await page.set_input_files("#assign input[type=file]", files=[{"name": "分工.xlsx", "mimeType": "application/octet-stream", "buffer": buf.getvalue()}])
    await page.click("#assign button[value=preview]")
    await page.wait_for_load_state()
    assert "重庆市某区科学技术局" in await page.locator("#assign table").inner_text()
    await page.click("#assign button[value=apply]")
    await page.wait_for_load_state()
    assert "已按责任分工更新 1 个事项" in await page.locator(".flash").inner_text()
    unit = await Unit.select(Unit.id).where(Unit.name == "重庆市某区科学技术局").first()
    assert await WorkItem.count().where((WorkItem.lead_unit == unit["id"]) & (WorkItem.title.like("建立培育库%"))) == 1
