"""A lead files the week's progress in bulk: the Excel round trip and the one-page form."""

import datetime as dt
import io

from openpyxl import load_workbook

from closedloop.db.tables import Goal, ProgressReport, Project
from closedloop.services import ledger_xlsx
from tests.browser.conftest import ARTIFACTS, shot
from closedloop.services.common import Clock
from tests.browser.test_pages import login
from tests.conftest import SERVER_NOW
from tests.factories import GoalFactory, PlanFactory, ProjectFactory, SectionFactory, UnitFactory, UserFactory, WorkItemFactory

COL = ledger_xlsx.LETTER
SERVER_CLOCK = SERVER_NOW  # the server and this process run at one fixed instant


async def seed():
    year = Clock.today().year
    plan = await PlanFactory.create(year=year)
    section = await SectionFactory.create(plan=plan, code="（一）", title="提升创新平台")
    unit = await UnitFactory.create(name="区科技局")
    end = dt.date(year, 12, 31)
    item = await WorkItemFactory.create(plan=plan, parent=section.id, code="一是", title="培育高新技术企业", lead_unit=unit, deadline=end)
    item2 = await WorkItemFactory.create(plan=plan, parent=section.id, code="二是", title="建设孵化平台", lead_unit=unit, deadline=end)
    goal = await GoalFactory.create(plan=plan, item=item.id, subject="高新技术企业", measure_unit="家", baseline=300.0, target=330.0, deadline=end)
    goal2 = await GoalFactory.create(plan=plan, item=item2.id, subject="孵化面积", measure_unit="万平方米", baseline=1.0, target=3.0, deadline=end)
    project = await ProjectFactory.create(item=item2, unit=unit.id, name="孵化器扩建", end_on=end)
    await UserFactory.create(username="kjj", display_name="科技局联络员", role="lead", unit=unit)
    return {"item": item, "item2": item2, "goal": goal, "goal2": goal2, "project": project}


def fill(content: bytes, values: dict[tuple[str, int], dict]) -> bytes:
    wb = load_workbook(io.BytesIO(content))
    ws = wb[ledger_xlsx.SHEET]
    for r in range(ledger_xlsx.FIRST_ROW, ws.max_row + 1):
        key = (ws[f"{COL['record']}{r}"].value, ws[f"{COL['record_id']}{r}"].value)
        for col, value in values.get(key, {}).items():
            coord = f"{COL[col]}{r}"
            block = next((b for b in ws.merged_cells.ranges if coord in b), None)
            (ws.cell(block.min_row, block.min_col) if block else ws[coord]).value = value
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


async def test_lead_downloads_fills_previews_and_applies_the_ledger(clean_db, server, new_page):
    w = await seed()
    page = await new_page(1280, 900)
    await login(page, server, "kjj")
    await page.click("#bulk-report >> text=Excel 台账")
    assert page.url.endswith("/my/ledger")
    await shot(page, "lead-ledger")
    async with page.expect_download() as info:
        await page.click("#download button[type=submit]")
    download = await info.value
    assert download.suggested_filename.endswith("进度填报.xlsx") and "区科技局" in download.suggested_filename
    content = (await download.path()).read_bytes()

    # a first attempt with a typo and a missing narrative: the preview names the cells, nothing is written
    bad = fill(content, {
        ("goal", w["goal"].id): {"actual": "三百一十", "narrative": "新认定高企。"},
        ("goal", w["goal2"].id): {"actual": 1.5},
    })
    path = ARTIFACTS / "ledger-bad.xlsx"
    path.write_bytes(bad)
    await page.set_input_files("#upload input[type=file]", str(path))
    await page.click("#upload button[type=submit]")
    await page.wait_for_load_state()
    errors = await page.locator("#preview .ledger-errors").inner_text()
    assert f"{COL['actual']} 列：不是数字" in errors and f"{COL['narrative']} 列：事项 二是 填写了数值，请填写本期进展情况" in errors
    assert await page.locator("#apply").count() == 0, "no confirm button while the sheet has errors"
    await shot(page, "lead-ledger-errors")
    assert await page.locator("#preview tr.status-error").count() >= 1
    assert await ProgressReport.count() == 0

    good = fill(content, {
        ("goal", w["goal"].id): {"actual": 312, "narrative": "新认定高企 12 家。"},
        ("goal", w["goal2"].id): {"actual": 1.5, "narrative": "孵化器主体完工。"},
        ("project", w["project"].id): {"progress": 60},
    })
    path = ARTIFACTS / "ledger-good.xlsx"
    path.write_bytes(good)
    await page.set_input_files("#upload input[type=file]", str(path))
    await page.click("#upload button[type=submit]")
    await page.wait_for_load_state()
    preview = page.locator("#preview")
    assert "检查通过：2 个事项新报送" in await preview.inner_text()
    rows = preview.locator("tbody tr")
    assert await rows.count() == 3
    assert "312" in await rows.nth(0).inner_text() and "新报送" in await rows.nth(0).inner_text()
    await shot(page, "lead-ledger-preview")
    assert await ProgressReport.count() == 0, "the preview writes nothing"
    await page.click("#apply button")
    await page.wait_for_load_state()
    assert "已写入 2 个事项的进度" in await page.locator(".flash").inner_text()
    assert await ProgressReport.count() == 2
    assert (await Goal.select(Goal.actual).where(Goal.id == w["goal"].id).first())["actual"] == 312
    assert (await Project.select(Project.progress).where(Project.id == w["project"].id).first())["progress"] == 60

    # the same file again: previewed as unchanged, nothing more written
    await page.set_input_files("#upload input[type=file]", str(path))
    await page.click("#upload button[type=submit]")
    await page.wait_for_load_state()
    assert "2 个无变化" in await page.locator("#preview").inner_text()


async def test_lead_files_every_item_on_one_page(clean_db, server, new_page):
    w = await seed()
    page = await new_page(1280, 900)
    await login(page, server, "kjj")
    await page.click("#bulk-report >> text=一次填报全部事项")
    assert "/my/weekly" in page.url
    await page.fill(f"input[name=goal_{w['goal'].id}]", "315")
    await page.fill(f"textarea[name=narrative_{w['item'].id}]", "走访企业 40 家。")
    await page.fill(f"input[name=project_{w['project'].id}]", "120")
    await page.fill(f"textarea[name=narrative_{w['item2'].id}]", "推进中。")
    await page.click("#weekly button[type=submit]")
    await page.wait_for_load_state()
    # one bad field: shown by the field, everything typed kept, nothing written
    assert await page.locator(f".error[data-field=project_{w['project'].id}]").inner_text() == "项目进度应在 0 到 100 之间"
    assert await page.locator(f"input[name=goal_{w['goal'].id}]").input_value() == "315"
    assert await ProgressReport.count() == 0
    await page.fill(f"input[name=project_{w['project'].id}]", "80")
    await shot(page, "lead-weekly")
    await page.click("#weekly button[type=submit]")
    await page.wait_for_load_state()
    assert "已报送 2 个事项" in await page.locator(".flash").inner_text()
    assert await ProgressReport.count() == 2
    assert (await Goal.select(Goal.actual).where(Goal.id == w["goal"].id).first())["actual"] == 315
