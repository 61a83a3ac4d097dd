"""The public ranking in a real browser, on a phone and a desktop: the rule above one table,
changes in score and rank, words instead of jargon, archive links that open the edition they
name, corrections marked both ways, the plan page with its goals; and the admin's holidays."""


from closedloop.services import publishing
from closedloop.services.common import Actor, Clock
from tests.browser.conftest import shot
from tests.browser.test_pages import login, seed_world
from tests.factories import GoalFactory, UnitFactory, UserFactory, WorkItemFactory

from tests.conftest import SERVER_NOW

SERVER_CLOCK = SERVER_NOW  # the server and this process run at one fixed instant
SUP = Actor(id=None, username="sup", role="supervisor")


async def two_editions_and_a_correction():
    """A world with a plan goal, and the last two weekly editions; the latest corrected."""
    world = await seed_world()
    await GoalFactory.create(plan=world["plan"], item=None, subject="高新技术企业总数", comparator=">", target=330.0, measure_unit="家")
    long_name = await UnitFactory.create(name="区经济和信息化委员会")
    await WorkItemFactory.create(plan=world["plan"], lead_unit=long_name, code="三是", title="推进数字化")
    latest = publishing.latest_due_period("weekly", Clock.now())
    await publishing.publish("weekly", publishing.previous_period("weekly", latest))
    first, _ = await publishing.publish("weekly", latest)
    await publishing.correct(SUP, first["id"], "补录一项已核验成效")
    return world, latest


async def test_the_ranking_reads_on_a_phone_with_the_rule_above_one_table(clean_db, server, new_page):
    world, latest = await two_editions_and_a_correction()
    page = await new_page(390, 844)
    await page.goto(f"{server}/rankings")
    main = page.locator("main")
    text = await main.inner_text()
    week = int(latest.split("W")[1])
    assert f"第{week}周" in text and "weekly" not in text and latest not in text
    # the rule sits above the one ranking table
    rule, table = page.locator("[data-test=rule]"), page.locator("table[data-test=ranking]")
    assert await table.count() == 1
    assert (await rule.bounding_box())["y"] < (await table.bounding_box())["y"]
    assert "怎么算分" in await rule.inner_text()
    # score change beside the rank change, in words
    change = await table.locator("tbody tr").first.locator("td.change").inner_text()
    assert "排名" in change and "得分" in change
    # a long unit name reads on one or two lines, not one character per line
    name = page.locator("td.unit-name a", has_text="区经济和信息化委员会")
    box = await name.bounding_box()
    size = await page.evaluate("parseFloat(getComputedStyle(document.querySelector('td.unit-name a')).fontSize)")
    assert box["height"] <= 3 * 1.6 * size and box["width"] >= 4 * size, box
    await shot(page, "ranking-phone")
    # the checksum in words, and how to verify it
    assert "防篡改校验码" in text and "哈希" not in text
    await page.click("text=如何核验")
    await page.wait_for_load_state()
    assert page.url.endswith("/rankings/verify") and "closedloop verify" in await page.locator("main").inner_text()


async def test_archive_links_open_the_edition_they_name_and_corrections_show_both_ways(clean_db, server, new_page):
    world, latest = await two_editions_and_a_correction()
    page = await new_page()
    await page.goto(f"{server}/rankings/archive")
    archive = await page.locator("main").inner_text()
    assert "已被第 2 版更正" in archive and "更正第 1 版" in archive
    await page.click(f"a[href$='/{latest}/editions/1']:has-text('第 1 版')")
    await page.wait_for_load_state()
    first = await page.locator("main").inner_text()
    assert "第 1 版" in first and "本版已被 第 2 版更正" in first
    await page.click("[data-test=corrected-by] a")
    await page.wait_for_load_state()
    second = await page.locator("main").inner_text()
    assert "第 2 版" in second and "更正 第 1 版" in second and "补录一项已核验成效" in second
    assert page.url.endswith(f"/{latest}/editions/2")


async def test_the_plan_page_is_linked_from_the_ranking_and_shows_the_plan_goals(clean_db, server, new_page):
    world, _ = await two_editions_and_a_correction()
    page = await new_page()
    await page.goto(f"{server}/rankings")
    assert "高新技术企业总数" in await page.locator("[data-test=plan-goals]").inner_text()
    await page.click("text=查看计划全文与各事项进展")
    await page.wait_for_load_state()
    assert page.url.endswith(f"/plans/{world['plan'].id}")
    goals = await page.locator("[data-test=plan-goals]").inner_text()
    assert "工作目标进展" in goals and "高新技术企业总数" in goals and ">330家" in goals


async def test_the_admin_enters_a_holiday(clean_db, server, new_page):
    await UserFactory.create(username="root", role="admin", unit=None)
    page = await new_page()
    await login(page, server, "root")
    await page.goto(f"{server}/admin/calendar")  # the former holiday page's address leads to the working-day page
    assert "/admin/workdays" in page.url
    await page.fill("input[name=day]", "2031-10-01")
    await page.fill("input[name=note]", "国庆节")
    await page.click("form#add-day button")
    await page.wait_for_load_state()
    text = await page.locator("main").inner_text()
    assert "已保存 2031-10-01" in text and "国庆节" in text and "节假日" in text
