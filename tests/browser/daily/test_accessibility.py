"""axe-core (bundled with axe-playwright-python, nothing fetched at run time) on every page of
every role: no serious or critical violation. Lights are never colour alone; fields have labels."""

import pytest

from tests.browser.daily.conftest import login, seed_daily
from tests.conftest import SERVER_NOW

SERVER_CLOCK = SERVER_NOW  # the server and this process run at one fixed instant

try:
    from axe_playwright_python.async_playwright import Axe
except ImportError:  # pragma: no cover - the test extra installs it
    Axe = None

pytestmark = pytest.mark.skipif(Axe is None, reason="axe-playwright-python is not installed")


async def violations(page) -> list[str]:
    results = await Axe().run(page)
    out = []
    for v in results.response["violations"]:
        if v["impact"] in ("serious", "critical"):
            targets = "; ".join(", ".join(n["target"]) for n in v["nodes"][:3])
            out.append(f"{page.url} {v['id']} ({v['impact']}): {v['help']} — {targets}")
    return out


async def check(page, url: str, found: list[str]) -> None:
    await page.goto(url)
    found.extend(await violations(page))


async def test_every_page_of_every_role_passes_axe(clean_db, server, new_page):
    w = await seed_daily(publish=True)
    found: list[str] = []
    public = await new_page()
    for path in ("/rankings", "/rankings/archive", f"/plans/{w['plan'].id}", f"/units/{w['kjj'].id}", "/login"):
        await check(public, server + path, found)
    lead = await new_page()
    await login(lead, server, "kjj")
    for path in ("/my", f"/items/{w['a'].id}", f"/items/{w['b'].id}", f"/items/{w['e'].id}", "/inbox", "/desk", "/rankings"):
        await check(lead, server + path, found)
    # a form sent back with errors
    await lead.goto(f"{server}/items/{w['a'].id}")
    await lead.fill(f"#report input[name=goal_{w['goal'].id}]", "x")
    async with lead.expect_navigation():
        await lead.click("#report button[type=submit]")
    found.extend(await violations(lead))
    sup = await new_page()
    await login(sup, server, "duchashi")
    for path in ("/desk", f"/desk?unit_id={w['kjj'].id}&show=unreported", f"/items/{w['d1'].id}", "/inbox", f"/plans/{w['plan'].id}"):
        await check(sup, server + path, found)
    await sup.goto(f"{server}/desk")
    async with sup.expect_navigation():
        await sup.locator(f"#close-{w['d1'].id} button:has-text('核验销号')").click()
    found.extend(await violations(sup))  # the confirmation page
    admin = await new_page()
    await login(admin, server, "root")
    for path in ("/admin", f"/items/{w['a'].id}"):
        await check(admin, server + path, found)
    phone = await new_page(390, 844)
    await login(phone, server, "kjj")
    for path in ("/my", f"/items/{w['a'].id}"):
        await check(phone, server + path, found)
    assert not found, "\n".join(found)
