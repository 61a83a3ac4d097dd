"""The public ranking as a reader sees it: the rule above the table, the table once, score
and rank changes, periods in words, the checksum explained, each archive link opening the
edition it names, corrections marked both ways, the plan page with its goals' progress."""

import datetime as dt
import re

from closedloop.db.tables import Goal
from closedloop.domain import periods
from closedloop.services import publishing
from closedloop.services.common import Actor, Clock
from tests.factories import GoalFactory, ProgressReportFactory, ProgressValueFactory
from tests.integration.test_scheduler import at, make_units

SUP = Actor(id=None, username="sup", role="supervisor")


def visible(page: str) -> str:
    """The text a reader sees (tags and their attributes dropped)."""
    return re.sub(r"<[^>]+>", " ", page)


async def test_ranking_page_reads_in_words_with_the_rule_above_one_table(client):
    plan, units = await make_units()
    await GoalFactory.create(plan=plan, item=None, subject="高新技术企业", comparator=">", target=330.0, measure_unit="家", created_at=at(dt.date(2024, 4, 3)))
    try:
        Clock.fixed = at(dt.date(2024, 6, 19))
        await publishing.publish("weekly", "2024-W22")
        await publishing.publish("weekly", "2024-W23")
        page = (await client.get("/rankings")).text
    finally:
        Clock.fixed = None
    assert "2024年第23周工作晾晒" in page and "第23周（6月3日—6月9日）" in page
    text = visible(page)
    assert "weekly" not in text and "2024-W23" not in text
    # the rule box comes before the ranking, the ranking appears once
    assert page.index('data-test="rule"') < page.index('data-test="ranking"')
    assert page.count("<table") == 2 and page.count('data-test="ranking"') == 1  # plan goals + ranking
    assert page.count("甲局") == 1
    # score change beside the rank change, the breakdown, 延期次数, 超期事项
    assert "得分持平" in page or re.search(r"得分[+-]\d", page)
    assert "排名持平" in page and "进度 " in page and "延期次数" in page and "超期事项" in page
    # the checksum in words, with a way to verify
    assert "防篡改校验码" in page and 'href="/rankings/verify"' in page and "哈希" not in text
    assert (await client.get("/rankings/verify")).status_code == 200
    # the plan goals at the top, and the plan page linked
    assert "高新技术企业" in page and f'href="/plans/{plan.id}"' in page


async def test_archive_links_open_the_edition_they_name_and_corrections_are_marked_both_ways(client):
    await make_units()
    try:
        Clock.fixed = at(dt.date(2024, 6, 5))
        first, _ = await publishing.publish("weekly", "2024-W22")
        second = await publishing.correct(SUP, first["id"], "单位名称有误")
    finally:
        Clock.fixed = None
    archive = (await client.get("/rankings/archive")).text
    links = re.findall(r'href="(/rankings/weekly/2024-W22/editions/\d)"', archive)
    assert set(links) == {"/rankings/weekly/2024-W22/editions/1", "/rankings/weekly/2024-W22/editions/2"}
    assert "已被第 2 版更正" in archive and "更正第 1 版" in archive
    one = (await client.get("/rankings/weekly/2024-W22/editions/1")).text
    two = (await client.get("/rankings/weekly/2024-W22/editions/2")).text
    assert first["content_hash"] in one and second["content_hash"] not in one
    assert second["content_hash"] in two
    assert 'data-test="corrected-by"' in one and 'href="/rankings/weekly/2024-W22/editions/2"' in one
    assert 'data-test="corrects"' in two and "单位名称有误" in two
    assert (await client.get("/rankings/weekly/2024-W22/editions/3")).status_code == 404


async def test_plan_page_shows_the_plan_goals_progress(client):
    plan, units = await make_units()
    target = await GoalFactory.create(plan=plan, item=None, subject="科技型企业", comparator=">", target=5900.0, measure_unit="家")
    await Goal.update({Goal.plan_goal: target.id, Goal.target: 5900.0, Goal.comparator: ">", Goal.actual: 5000.0, Goal.baseline: 4800.0}).where(
        Goal.id == units[0][2].id
    )
    # the unit's latest value in the ledger, filed now
    await ProgressValueFactory.create(
        report=await ProgressReportFactory.create(item=units[0][1], period=periods.containing("weekly", Clock.today()).key),
        goal=units[0][2].id, value=5000.0, period_end=Clock.today(), recorded_at=Clock.now(),
    )
    page = (await client.get(f"/plans/{plan.id}")).text
    assert "工作目标进展" in page and "科技型企业" in page and "5000家" in page and "&gt;5900家" in page
    assert "18.2%" in page  # (5000 − 4800) / (5900 − 4800)
