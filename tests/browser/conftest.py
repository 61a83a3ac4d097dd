"""Browser tests: a real server process on loopback and Debian's chromium under Playwright.

Every module sets ``SERVER_CLOCK`` (usually ``tests.conftest.SERVER_NOW``): its server process
and this process run at that instant (the ``server_clock`` fixture), not at the machine's date.
Skipped when Playwright or /usr/bin/chromium is missing (``.ci/run`` installs both). A failing
test leaves a screenshot in ``test-artifacts/``. With CLOSEDLOOP_DOC_SHOTS=1 the tests also
write the screenshots used by the guides into ``docs/img/``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import pytest_asyncio

CHROMIUM = os.environ.get("CLOSEDLOOP_CHROMIUM", "/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(os.environ.get("CLOSEDLOOP_TEST_ARTIFACTS") or ROOT / "test-artifacts")
DOC_SHOTS = os.environ.get("CLOSEDLOOP_DOC_SHOTS") == "1"

try:
    from playwright.async_api import async_playwright
except ImportError:  # pragma: no cover - the test extra installs it
    async_playwright = None


def pytest_collection_modifyitems(config, items):
    reason = None
    if async_playwright is None:
        reason = "playwright is not installed"
    elif not Path(CHROMIUM).exists():
        reason = f"{CHROMIUM} is not installed"
    if reason:
        for item in items:
            if "tests/browser" in str(item.fspath):
                item.add_marker(pytest.mark.skip(reason=reason))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.stash.setdefault(FAILED, report.failed)
    return report


FAILED = pytest.StashKey[bool]()


@pytest.fixture(autouse=True)
def server_clock(request):
    """This process sees the same "now" as the server it talks to: every browser module sets
    ``SERVER_CLOCK`` (the instant its server process runs at, tests/conftest.py), so what the
    pages show does not depend on the date the suite runs. A module without one fails: it
    would read the machine's clock."""
    from closedloop.services.common import Clock

    now = getattr(request.module, "SERVER_CLOCK", None)
    if now is None:
        pytest.fail(f"{request.module.__name__} sets no SERVER_CLOCK: a browser module runs its server at a fixed instant",
                    pytrace=False)
    Clock.fixed = now
    yield
    Clock.fixed = None


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def browser():
    async with async_playwright() as p:
        b = await p.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"],
        )
        yield b
        await b.close()


@pytest_asyncio.fixture(loop_scope="session")
async def new_page(browser, request):
    """Pages in fresh contexts; on failure each leaves a screenshot."""
    contexts = []

    async def make(width: int = 1200, height: int = 900):
        ctx = await browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN")
        contexts.append(ctx)
        return await ctx.new_page()

    yield make
    if request.node.stash.get(FAILED, False):
        for n, ctx in enumerate(contexts):
            for m, pg in enumerate(ctx.pages):
                await pg.screenshot(path=str(ARTIFACTS / f"{request.node.name}-{n}-{m}.png"), full_page=True)
    for ctx in contexts:
        await ctx.close()


async def shot(page, name: str) -> None:
    """A screenshot for the guides (docs/img) when CLOSEDLOOP_DOC_SHOTS=1."""
    if DOC_SHOTS:
        await page.screenshot(path=str(ROOT / "docs" / "img" / f"{name}.png"), full_page=False)
