"""The supervisor desk's summary by unit with links to each list, the evidence beside 待销号,
the menu kept on public pages, items on the plan page as links, and the rank axis the right way up."""

import re

from tests.browser.conftest import shot
from tests.browser.daily.conftest import login, seed_daily
from tests.conftest import SERVER_NOW

SERVER_CLOCK = SERVER_NOW  # the server and this process run at one fixed instant


async def test_summary_by_unit_links_to_each_list_and_closing_rows_show_evidence(clean_db, server, new_page):
    w = await seed_daily()
    page = await new_page(1366, 768)
    await login(page, server, "duchashi")
    headers = await page.locator("#summary thead th").all_inner_texts()
    assert headers == ["单位", "红灯", "超期", "未回复催办", "本周未报送"]
    kjj = page.locator("#summary tbody tr", has_text="区科技局")
    cells = await kjj.locator("td").all_inner_texts()
    # 区科技局 leads 一是, 二是 (overdue, urged) and 六是 in open stages, none reported this week
    assert cells[1] == "1" and cells[2] == "1" and cells[3] == "3"
    await shot(page, "supervisor-desk")
    async with page.expect_navigation():
        await kjj.locator("td").nth(2).locator("a").click()
    assert "show=unanswered" in page.url
    listed = await page.locator("#list").inner_text()
    assert "有未回复催办的事项" in listed and "二是 建设孵化平台" in listed and "一是" not in listed
    async with page.expect_navigation():
        await page.locator("#summary tbody tr", has_text="区科技局").locator("td").nth(3).locator("a").click()
    listed = await page.locator("#list tbody").inner_text()
    assert "本周未报送的事项" in await page.locator("#list h2").inner_text()
    assert "一是" in listed and "六是" in listed and "三是" not in listed
    # 待销号 rows carry the evidence to check
    closing = await page.locator(f"#close-{w['d1'].id}").inner_text()
    assert "转化成果 12 项" in closing and "转化清单.pdf" in closing and "https://example.org/zhuanhua" in closing
    assert "无佐证" in await page.locator(f"#close-{w['d2'].id}").inner_text()
    href = await page.locator(f"#close-{w['d1'].id} a:has-text('转化清单.pdf')").get_attribute("href")
    response = await page.request.get(f"{server}{href}")
    assert response.status == 200 and await response.body() == b"%PDF-"


async def test_public_pages_keep_the_menu_plan_items_link_and_rank_one_is_on_top(clean_db, server, new_page):
    w = await seed_daily(publish=True)
    anonymous = await new_page()
    await anonymous.goto(f"{server}/plans/{w['plan'].id}")
    assert await anonymous.locator("main a:has-text('一是 培育高新技术企业')").count() == 0
    assert "红灯" in await anonymous.locator("main").inner_text() or "绿灯" in await anonymous.locator("main").inner_text()
    page = await new_page()
    await login(page, server, "duchashi")
    await page.goto(f"{server}/rankings")
    menu = await page.locator("header").inner_text()
    assert "督查台" in menu and "退出" in menu and "登录" not in menu
    await page.goto(f"{server}/plans/{w['plan'].id}")
    assert "督查台" in await page.locator("header").inner_text()
    async with page.expect_navigation():
        await page.click("main a:has-text('一是 培育高新技术企业')")
    assert page.url.endswith(f"/items/{w['a'].id}")
    # the chart: the rank axis reads 第1名 at the top
    svg = await (await page.request.get(f"{server}/units/{w['kjj'].id}/chart.svg")).text()
    labels = re.findall(r'<text[^>]*y="([\d.]+)"[^>]*>第(\d+)名</text>', svg)
    assert labels, "rank labels on the axis"
    by_rank = {int(r): float(y) for y, r in labels}
    top, bottom = min(by_rank), max(by_rank)
    assert top == 1 and by_rank[1] < by_rank[bottom], "rank 1 is drawn above the last rank"
