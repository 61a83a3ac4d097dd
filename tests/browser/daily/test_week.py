"""A lead's week: /my is the to-do list, periods read as people say them, nothing typed is lost,
the report form shows the last values and questions a cumulative value that goes down, and no
button leads into a dead end."""

import datetime as dt

from closedloop.db.tables import Goal, ProgressReport
from closedloop.domain import periods
from closedloop.services.common import Clock
from tests.browser.conftest import shot
from tests.browser.daily.conftest import login, seed_daily
from tests.conftest import SERVER_NOW

SERVER_CLOCK = SERVER_NOW  # the server and this process run at one fixed instant


async def test_my_is_the_weeks_to_do_list_and_a_report_goes_back_to_it(clean_db, server, new_page):
    w = await seed_daily()
    week = periods.containing("weekly", Clock.today())
    page = await new_page()
    await login(page, server, "kjj")
    assert page.url.endswith("/my")
    assert week.label in await page.locator("h1").inner_text()
    lead_rows = page.locator("table.week").nth(0).locator("tbody tr")
    first = await lead_rows.nth(0).inner_text()
    assert "二是 建设孵化平台" in first and "1 条未回复" in first and "超期" in first, "the urged, overdue item first"
    row_a = await page.locator(f"#item-{w['a'].id}").inner_text()
    assert "未报送" in row_a and "填报" in row_a
    assert any(word in row_a for word in ("红灯", "黄灯", "绿灯", "蓝灯", "未评定")), "the light in words, not colour alone"
    coop = await page.locator("table.week").nth(1).inner_text()
    assert "三是 盘活闲置资产" in coop and "三是" not in await page.locator("table.week").nth(0).inner_text()
    await shot(page, "lead-workspace")

    async with page.expect_navigation():
        await page.click(f"#item-{w['a'].id} a:has-text('填报')")
    assert "#report" in page.url
    last = await page.locator(f"#last-{w['goal'].id}").inner_text()
    assert "上次：40" in last and periods.containing("weekly", Clock.today() - dt.timedelta(days=7)).label in last
    options = await page.locator("#report select[name=period] option").all_inner_texts()
    assert options[0] == "本周 " + week.label
    await page.fill(f"#report input[name=goal_{w['goal'].id}]", "52")
    await page.fill("#report textarea[name=narrative]", "新认定 12 家")
    async with page.expect_navigation():
        await page.click("#report button[type=submit]")
    assert page.url.split("?")[0].endswith("/my")
    assert f"已报送「一是 培育高新技术企业」{week.label}的进度" in await page.locator(".flash").inner_text()
    row_a = await page.locator(f"#item-{w['a'].id}").inner_text()
    assert "本周已报送" in row_a and f"{Clock.today().month}月{Clock.today().day}日" in row_a
    report = await ProgressReport.select().where(ProgressReport.item == w["a"].id).order_by(ProgressReport.id, ascending=False).first()
    assert report["period"] == week.key
    # the item page lists the report under the label people say, and the sent text is not
    # offered again as an unsent draft
    await page.goto(f"{server}/items/{w['a'].id}")
    assert week.label in await page.locator("#report ul").inner_text()
    assert await page.input_value("#report textarea[name=narrative]") == ""


async def test_errors_scroll_to_a_summary_and_keep_every_field_and_other_forms(clean_db, server, new_page):
    w = await seed_daily()
    page = await new_page(1366, 768)
    await login(page, server, "kjj")
    await page.goto(f"{server}/items/{w['a'].id}")
    # half-filled forms elsewhere on the page
    await page.fill("#problems input[name=description]", "配套资金未到位")
    await page.fill("#projects input[name=name]", "政策宣讲")
    # sending another form (a problem resolved) does not wipe them
    await page.fill("#report textarea[name=narrative]", "草稿：本周走访")
    await page.fill("#results input[name=description]", "新增备案 3 家")
    async with page.expect_navigation():
        await page.click("#projects button:has-text('添加项目')")
    assert (await page.locator(".error").count()) >= 1, "the project form lacks its end date"
    await page.fill("#projects input[name=end_on]", "2026-12-20")
    async with page.expect_navigation():
        await page.click("#projects button:has-text('添加项目')")
    assert "项目已添加" in await page.locator(".flash").inner_text()
    assert await page.input_value("#problems input[name=description]") == "配套资金未到位"
    assert await page.input_value("#results input[name=description]") == "新增备案 3 家"
    assert await page.input_value("#report textarea[name=narrative]") == "草稿：本周走访"
    assert await page.input_value("#projects input[name=name]") == "", "the sent form's draft is gone"
    # three mistakes in the report (no narrative either): a summary in view, every field kept
    await page.fill("#report textarea[name=narrative]", "")
    await page.fill(f"#report input[name=goal_{w['goal'].id}]", "五十")
    await page.fill(f"#report input[name=project_{w['project'].id}]", "150")
    await page.select_option("#report select[name=period]", index=1)
    async with page.expect_navigation() as nav:
        await page.click("#report button[type=submit]")
    assert (await nav.value).status == 422
    summary = page.locator("#report .error-summary")
    assert "有 3 处需要修改" in await summary.inner_text()
    assert "高新技术企业：请输入数字" in await summary.inner_text() and "本期进展：请填写本期进展" in await summary.inner_text()
    box = await summary.bounding_box()
    assert box is not None and 0 <= box["y"] < 768, "the page opens at the summary"
    assert await page.input_value(f"#report input[name=goal_{w['goal'].id}]") == "五十"
    assert await page.input_value(f"#report input[name=project_{w['project'].id}]") == "150"
    assert await page.locator("#report select[name=period] option:checked").inner_text() == "上周 " + periods.containing("weekly", Clock.today()).previous().label
    assert await page.input_value("#problems input[name=description]") == "配套资金未到位"
    await shot(page, "lead-report-errors")


async def test_a_cumulative_value_that_goes_down_asks_for_confirmation(clean_db, server, new_page):
    w = await seed_daily()
    page = await new_page()
    await login(page, server, "kjj")
    await page.goto(f"{server}/items/{w['a'].id}")
    await page.fill(f"#report input[name=goal_{w['goal'].id}]", "30")
    await page.fill("#report textarea[name=narrative]", "口径调整")
    async with page.expect_navigation() as nav:
        await page.click("#report button[type=submit]")
    assert (await nav.value).status == 422
    warning = await page.locator(f"#report .warning[data-field=goal_{w['goal'].id}]").inner_text()
    assert "累计指标" in warning and "30" in warning and "40" in warning
    assert "有 1 处需要确认" in await page.locator("#report .error-summary").inner_text()
    assert await ProgressReport.count().where(ProgressReport.item == w["a"].id) == 1, "nothing reported yet"
    await page.check("#report input[name=confirm_decrease]")
    async with page.expect_navigation():
        await page.click("#report button[type=submit]")
    assert "已报送" in await page.locator(".flash").inner_text()
    assert (await Goal.select(Goal.actual).where(Goal.id == w["goal"].id).first())["actual"] == 30
    # an admin's direct 更正 of the value asks the same
    page = await new_page()
    await login(page, server, "root")
    await page.goto(f"{server}/items/{w['a'].id}")
    row = page.locator(f"#goal-{w['goal'].id}")
    await row.locator("input[name=actual]").fill("20")
    async with page.expect_navigation() as nav:
        await row.locator("button").click()
    assert (await nav.value).status == 422
    assert "累计指标" in await page.locator(f"#goal-{w['goal'].id} .error-summary").inner_text()
    assert (await Goal.select(Goal.actual).where(Goal.id == w["goal"].id).first())["actual"] == 30
    await page.check(f"#goal-{w['goal'].id} input[name=confirm_decrease]")
    async with page.expect_navigation():
        await page.locator(f"#goal-{w['goal'].id} button").click()
    assert (await Goal.select(Goal.actual).where(Goal.id == w["goal"].id).first())["actual"] == 20


async def test_no_dead_ends_disabled_buttons_say_why_goals_can_be_added_and_late_extension_explained(clean_db, server, new_page):
    w = await seed_daily()
    page = await new_page()
    await login(page, server, "kjj")
    await page.goto(f"{server}/items/{w['e'].id}")
    button = page.locator("#gate button:has-text('推进到')")
    assert await button.is_disabled()
    reasons = await page.locator("#gate-unmet").inner_text()
    assert "目标" in reasons and await button.get_attribute("aria-describedby") == "gate-unmet"
    await shot(page, "lead-gate-disabled")
    # the form to add a goal is there and open while the item has none
    await page.fill("#goal-new input[name=subject]", "人才公寓套数")
    await page.select_option("#goal-new select[name=comparator]", ">=")
    await page.fill("#goal-new input[name=measure_unit]", "套")
    await page.fill("#goal-new input[name=baseline]", "0")
    await page.fill("#goal-new input[name=target]", "abc")
    async with page.expect_navigation() as nav:
        await page.click("#goal-new button[type=submit]")
    assert (await nav.value).status == 422
    assert "请输入数字" in await page.locator("#goal-new .error[data-field=target]").inner_text()
    assert await page.input_value("#goal-new input[name=subject]") == "人才公寓套数"
    await page.fill("#goal-new input[name=target]", "500")
    async with page.expect_navigation():
        await page.click("#goal-new button[type=submit]")
    assert "目标已添加" in await page.locator(".flash").inner_text()
    assert "人才公寓套数" in await page.locator("#goals table").inner_text()
    # past the deadline: no 申请延期, and the reason why
    await page.goto(f"{server}/items/{w['b'].id}")
    assert await page.locator("#supervision button:has-text('申请延期')").count() == 0
    assert "已过，不能再申请延期" in await page.locator("#no-extension").inner_text()
    # before it: the form is offered
    await page.goto(f"{server}/items/{w['a'].id}")
    assert await page.locator("#supervision button:has-text('申请延期')").count() == 1


async def test_a_month_or_quarter_is_written_as_people_say_it(clean_db, server, new_page):
    w = await seed_daily()
    page = await new_page()
    await login(page, server, "kjj")
    await page.goto(f"{server}/items/{w['a'].id}")
    await page.click("#report summary:has-text('按月或季度填报')")
    today = Clock.today()
    await page.fill("#report input[name=period_other]", f"{today.year}年13月")
    await page.fill("#report textarea[name=narrative]", "月度小结")
    async with page.expect_navigation() as nav:
        await page.click("#report button[type=submit]")
    assert (await nav.value).status == 422
    assert "月份应在 1 到 12 之间" in await page.locator("#report .error[data-field=period_other]").inner_text()
    month = f"{today.year}年{today.month}月"  # the month the server's clock is in
    await page.fill("#report input[name=period_other]", month)
    async with page.expect_navigation():
        await page.click("#report button[type=submit]")
    assert f"{month}的进度" in await page.locator(".flash").inner_text()
    report = await ProgressReport.select().where(ProgressReport.item == w["a"].id).order_by(ProgressReport.id, ascending=False).first()
    assert report["period"] == f"{today.year}-{today.month:02d}"
    assert month in await page.locator("#report ul").inner_text()
