"""How much a day's work costs, in clicks and page loads (the closing note of issue 21 quotes
these): a lead reporting two items from /my and back, and a supervisor's 催办 + 延期 decision +
销号 from the desk, confirmations included. Typing and ticking a box are not counted as clicks."""

from tests.browser.daily.conftest import login, seed_daily
from tests.conftest import SERVER_NOW

SERVER_CLOCK = SERVER_NOW  # the server and this process run at one fixed instant


class Meter:
    def __init__(self, page) -> None:
        self.page, self.clicks, self.loads = page, 0, 0
        page.on("framenavigated", lambda frame: self._loaded(frame))

    def _loaded(self, frame) -> None:
        if frame == self.page.main_frame:
            self.loads += 1

    async def click(self, selector: str) -> None:
        self.clicks += 1
        async with self.page.expect_navigation():
            await self.page.click(selector)


async def test_a_leads_weekly_report_of_two_items(clean_db, server, new_page):
    w = await seed_daily()
    page = await new_page()
    await login(page, server, "kjj")
    m = Meter(page)
    for item, goal, value in ((w["a"], w["goal"], "55"), (w["b"], w["goal_b"], "3")):
        await m.click(f"#item-{item.id} a:has-text('填报')")
        await page.fill(f"#report input[name=goal_{goal.id}]", value)
        await page.fill("#report textarea[name=narrative]", "本周按计划推进")
        await m.click("#report button[type=submit]")
        assert page.url.split("?")[0].endswith("/my")
    assert "本周已报送" in await page.locator(f"#item-{w['a'].id}").inner_text()
    assert "本周已报送" in await page.locator(f"#item-{w['b'].id}").inner_text()
    print(f"\nlead, two weekly reports: {m.clicks} clicks, {m.loads} page loads")
    assert (m.clicks, m.loads) == (4, 4)


async def test_a_supervisors_urge_extension_and_closure(clean_db, server, new_page):
    w = await seed_daily()
    page = await new_page()
    await login(page, server, "duchashi")
    m = Meter(page)
    await page.check(f"#urge input[value='{w['b'].id}']")
    await m.click("#urge button[type=submit]")
    await m.click("button:has-text('确认催办')")
    await m.click(f"#ext-{w['ext'].id} button:has-text('批准延期')")
    assert w["ext"].new_deadline.isoformat() in await page.locator(".consequence").inner_text()
    await m.click("button:has-text('确认批准延期')")
    assert "已批准延期" in await page.locator(".flash").inner_text()
    # the evidence is on the desk row: no trip to the item page to check it
    assert "转化清单.pdf" in await page.locator(f"#close-{w['d1'].id}").inner_text()
    await m.click(f"#close-{w['d1'].id} button:has-text('核验销号')")
    await m.click("button:has-text('确认销号')")
    assert "已销号" in await page.locator(".flash").inner_text()
    print(f"\nsupervisor, 催办 + 延期 + 销号: {m.clicks} clicks, {m.loads} page loads")
    assert (m.clicks, m.loads) == (6, 6)  # each of the three confirmed on a page of its own
