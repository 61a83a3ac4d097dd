"""A supervisor uses the cockpit in a real browser: follows a red count to its items, explains
a data check, downloads the meeting pack; and the page fits a phone."""

import io

from docx import Document

from closedloop.db.tables import CheckExplanation
from tests.browser.conftest import shot
from closedloop.services.common import Clock
from tests.browser.test_pages import login
from tests.conftest import SERVER_NOW
from tests.factories import (
    GoalFactory,
    PlanFactory,
    ProblemFactory,
    PublicationFactory,
    PublicationRowFactory,
    SectionFactory,
    UnitFactory,
    UserFactory,
    WorkItemFactory,
)

SERVER_CLOCK = SERVER_NOW  # the server and this process run at one fixed instant


async def seed():
    year = Clock.today().year
    plan = await PlanFactory.create(year=year)
    section = await SectionFactory.create(plan=plan, code="（一）", title="提升创新平台")
    kj = await UnitFactory.create(name="区科技局")
    cz = await UnitFactory.create(name="区财政局")
    red = await WorkItemFactory.create(plan=plan, parent=section.id, code="一是", title="培育高新技术企业", lead_unit=kj, stage="execute", light="red")
    await WorkItemFactory.create(plan=plan, parent=section.id, code="二是", title="建设孵化平台", lead_unit=cz, stage="levers", light="green")
    pg = await GoalFactory.create(plan=plan, item=None, subject="高新技术企业", target=330.0)
    await GoalFactory.create(plan=plan, item=red.id, plan_goal=pg.id, actual=120.0, light="red", target=330.0)
    await ProblemFactory.create(item=red, status="resolved", description="用地指标不足")
    period = Clock.today().isocalendar()
    key = f"{period[0]}-W{period[1]:02d}"
    pub = await PublicationFactory.create(period=key, title=f"{period[0]}年第{period[1]}周工作晾晒")
    await PublicationRowFactory.create(publication=pub, unit=kj, unit_name="区科技局", rank=1, score=72.5)
    await PublicationRowFactory.create(publication=pub, unit=cz, unit_name="区财政局", rank=2, score=61.0)
    await UserFactory.create(username="duchashi", display_name="督查室", role="supervisor", unit=None)
    return key


async def test_supervisor_follows_a_red_count_explains_a_check_and_downloads_the_pack(clean_db, server, new_page):
    key = await seed()
    page = await new_page()
    await login(page, server, "duchashi")
    await page.goto(f"{server}/cockpit")
    assert "驾驶舱" in await page.locator("h1").inner_text()
    assert await page.locator("#tiles a[data-light=red]").inner_text() == "1"
    await shot(page, "cockpit")
    await page.click("#tiles a[data-light=red]")
    await page.wait_for_load_state()
    assert "/cockpit/items" in page.url and "light=red" in page.url
    assert await page.locator("#total").inner_text() == "1"
    assert "培育高新技术企业" in await page.locator("#items").inner_text()
    assert "建设孵化平台" not in await page.locator("#items").inner_text()
    await shot(page, "cockpit-items")

    await page.goto(f"{server}/cockpit/checks")
    assert await page.locator("#check-count").inner_text() == "1"
    row = page.locator("#checks tbody tr").first
    assert "问题已标记解决但未填写解决情况" in await row.inner_text()
    await shot(page, "cockpit-checks")
    await row.locator("input[name=note]").fill("电话核实：已协调供地，补填解决情况")
    await row.locator("button").click()
    await page.wait_for_load_state()
    assert "已说明" in await page.locator(".flash").inner_text()
    assert await page.locator("#check-count").inner_text() == "0"
    assert await CheckExplanation.count() == 1

    await page.goto(f"{server}/cockpit")
    await page.select_option("#pack select[name=period]", key)
    async with page.expect_download() as info:
        await page.click("#pack button:has-text('Word')")
    download = await info.value
    assert download.suggested_filename.endswith("调度会材料.docx")
    with open(await download.path(), "rb") as f:
        doc = Document(io.BytesIO(f.read()))
    ranking = [[c.text for c in row.cells][:2] for row in doc.tables[1].rows[1:]]
    assert ranking == [["1", "区科技局"], ["2", "区财政局"]]


async def test_cockpit_fits_a_phone(clean_db, server, new_page):
    await seed()
    page = await new_page(width=390, height=844)
    await login(page, server, "duchashi")
    await page.goto(f"{server}/cockpit")
    # nothing wider than the screen except inside the scrolling table wrappers
    overflow = await page.evaluate("document.documentElement.scrollWidth")
    assert overflow <= 390 + 1
    await shot(page, "cockpit-phone")
