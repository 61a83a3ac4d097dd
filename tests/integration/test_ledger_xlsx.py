"""The leads' Excel round trip: download the template, fill it with openpyxl, upload it back."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from closedloop.db.tables import AuditEvent, Goal, ProgressReport, ProgressValue, Project, Unit
from closedloop.services import ledger_xlsx
from closedloop.settings import get_settings
from tests.factories import GoalFactory, ProjectFactory, WorkItemFactory

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PERIOD = "2024-W23"  # the week of the tests' TODAY (2024-06-03)
COL = ledger_xlsx.LETTER


async def download(client, headers, **params) -> bytes:
    r = await client.get("/api/v1/ledger/template.xlsx", params={"period": PERIOD, **params}, headers=headers)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == XLSX
    return r.content


class Sheet:
    """A downloaded template opened for filling in, as a liaison would in Excel."""

    def __init__(self, content: bytes) -> None:
        self.wb = load_workbook(io.BytesIO(content))
        self.ws = self.wb[ledger_xlsx.SHEET]

    def row_of(self, record: str, record_id: int) -> int:
        for r in range(ledger_xlsx.FIRST_ROW, self.ws.max_row + 1):
            if self.ws[f"{COL['record']}{r}"].value == record and self.ws[f"{COL['record_id']}{r}"].value == record_id:
                return r
        raise AssertionError(f"no row for {record} {record_id}")

    def fill(self, record: str, record_id: int, **values) -> int:
        r = self.row_of(record, record_id)
        for key, value in values.items():
            self.cell(f"{COL[key]}{r}").value = value
        return r

    def cell(self, coord: str):
        """The cell to type into: a merged block (one narrative per item) takes its first cell."""
        for block in self.ws.merged_cells.ranges:
            if coord in block:
                return self.ws.cell(block.min_row, block.min_col)
        return self.ws[coord]

    def bytes(self) -> bytes:
        out = io.BytesIO()
        self.wb.save(out)
        return out.getvalue()


async def upload(client, headers, content: bytes, *, apply: bool, filename: str = "台账.xlsx"):
    return await client.post(
        "/api/v1/ledger/upload", files={"file": (filename, content, XLSX)}, data={"apply": "true" if apply else "false"}, headers=headers
    )


async def counts() -> tuple[int, int, int]:
    return await ProgressReport.count(), await ProgressValue.count(), await AuditEvent.count()


async def test_round_trip_download_fill_preview_apply_and_again(client, world):
    h = world.headers["lead_a"]
    content = await download(client, h)
    sheet = Sheet(content)
    ws = sheet.ws
    # what a liaison sees: the header, the rows of its unit, the locked sheet with unlocked inputs
    assert [c.value for c in ws[ledger_xlsx.HEADER_ROW]][:4] == ["事项编号", "事项", "类型", "目标 / 项目"]
    g = sheet.row_of("goal", world.goal_a.id)
    p = sheet.row_of("project", world.project_a.id)
    assert ws[f"A{g}"].value == world.item_a.code and ws[f"D{g}"].value == world.goal_a.subject
    assert ws[f"G{g}"].value == 330 and ws[f"F{g}"].value == 300
    assert ws.protection.sheet is True
    assert ws[f"{COL['actual']}{g}"].protection.locked is False
    assert ws[f"{COL['subject']}{g}"].protection.locked is True
    assert ws[f"{COL['actual']}{p}"].protection.locked is True  # a project row takes progress, not an actual
    assert ws.column_dimensions[COL["record_id"]].hidden is True
    assert ws.freeze_panes == f"C{ledger_xlsx.FIRST_ROW}"
    assert ws.auto_filter.ref.startswith("A2:") and ws.protection.autoFilter is False  # filtering works on the locked sheet
    validations = ws.data_validations.dataValidation
    assert [(dv.type, dv.formula1) for dv in validations if f"{COL['actual']}{g}" in dv.sqref] == [("decimal", "0")]  # a count: not negative
    assert [(dv.type, dv.formula2) for dv in validations if f"{COL['progress']}{p}" in dv.sqref] == [("whole", "100")]
    # a foreign item (led by B, A not involved) is not in A's sheet
    assert all(ws[f"{COL['item_id']}{r}"].value != world.item_b.id for r in range(3, ws.max_row + 1))

    sheet.fill("goal", world.goal_a.id, actual=312, narrative="本周新认定高企 12 家。")
    sheet.fill("project", world.project_a.id, progress=40)
    filled = sheet.bytes()

    before = await counts()
    r = await upload(client, h, filled, apply=False)
    assert r.status_code == 200, r.text
    preview = r.json()
    assert preview["ok"] and not preview["applied"] and preview["errors"] == []
    assert preview["counts"]["report"] == 1
    assert {(x["row"], x["value"], x["status"]) for x in preview["rows"]} == {(g, 312, "report"), (p, 40, "report")}
    assert await counts() == before, "a preview writes nothing"
    assert (await Goal.select(Goal.actual).where(Goal.id == world.goal_a.id).first())["actual"] is None

    r = await upload(client, h, filled, apply=True)
    assert r.status_code == 200, r.text
    assert r.json()["applied"] and r.json()["items"][0]["report_id"]
    reports = await ProgressReport.select().where(ProgressReport.item == world.item_a.id)
    assert [(x["period"], x["narrative"]) for x in reports] == [(PERIOD, "本周新认定高企 12 家。")]
    assert (await Goal.select(Goal.actual).where(Goal.id == world.goal_a.id).first())["actual"] == 312
    assert (await Project.select(Project.progress).where(Project.id == world.project_a.id).first())["progress"] == 40

    # the same file again: nothing new, shown as unchanged (not a duplicate, not a correction)
    after = await counts()
    r = await upload(client, h, filled, apply=True)
    assert r.status_code == 200, r.text
    assert r.json()["counts"] == {"report": 0, "late": 0, "correction": 0, "unchanged": 1, "error": 0}
    assert {x["status"] for x in r.json()["rows"]} == {"unchanged"}
    assert await counts() == after

    # a fresh download shows the new latest value and its period
    again = Sheet(await download(client, h))
    row = again.row_of("goal", world.goal_a.id)
    assert again.ws[f"{COL['latest']}{row}"].value == 312
    assert again.ws[f"{COL['latest_period']}{row}"].value == "第23周（6月3日—6月9日）"


async def _two_items(world):
    """A second item of unit A with two goals (one in %) after the world's item."""
    item = await WorkItemFactory.create(plan=world.plan, code="六是", title="优化营商环境", lead_unit=world.unit_a)
    g1 = await GoalFactory.create(plan=world.plan, item=item.id, subject="新增市场主体", measure_unit="户")
    g2 = await GoalFactory.create(plan=world.plan, item=item.id, subject="网办率", measure_unit="%", baseline=80.0, target=95.0)
    return item, g1, g2


async def test_every_problem_names_its_row_and_column_and_nothing_is_written(client, world):
    item, g1, g2 = await _two_items(world)
    h = world.headers["lead_a"]
    sheet = Sheet(await download(client, h))
    ws = sheet.ws
    r_goal = sheet.fill("goal", world.goal_a.id, actual="三百一十", narrative="进展")
    r_proj = sheet.fill("project", world.project_a.id, progress=150)
    r_g1 = sheet.fill("goal", g1.id, actual=-3, narrative="进展二")
    r_g2 = sheet.fill("goal", g2.id, actual=1200)
    # a copied row (the same goal twice), a foreign goal smuggled into the hidden ids, a goal changed after download
    dup = ws.max_row + 1
    for key in ("item_id", "record", "record_id", "version"):
        ws[f"{COL[key]}{dup}"] = ws[f"{COL[key]}{r_g1}"].value
    ws[f"{COL['actual']}{dup}"] = 5
    foreign = dup + 1
    for key, value in (("item_id", world.item_b.id), ("record", "goal"), ("record_id", world.goal_b.id), ("version", 1)):
        ws[f"{COL[key]}{foreign}"] = value
    ws[f"{COL['actual']}{foreign}"] = 7
    content = sheet.bytes()

    before = await counts()
    r = await upload(client, h, content, apply=False)
    assert r.status_code == 200, r.text
    messages = [e["message"] for e in r.json()["errors"]]
    K, L = COL["actual"], COL["progress"]
    assert f"第 {r_goal} 行 {K} 列：不是数字" in messages
    assert f"第 {r_proj} 行 {L} 列：项目进度应在 0 到 100 之间" in messages
    assert f"第 {r_g1} 行 {K} 列：以“户”计的数值不能为负数" in messages
    assert f"第 {r_g2} 行 {K} 列：百分比应在 -100 到 1000 之间" in messages
    assert f"第 {dup} 行 {K} 列：与第 {r_g1} 行重复" in messages
    assert any(m.startswith(f"第 {foreign} 行 {K} 列：") and "不是本单位负责" in m for m in messages)
    assert all(e["sheet"] == "进度填报" for e in r.json()["errors"])
    assert {e["cell"] for e in r.json()["errors"]} >= {f"{K}{r_goal}", f"{L}{r_proj}"}
    assert not r.json()["ok"]

    r = await upload(client, h, content, apply=True)
    assert r.status_code == 422
    err = r.json()["error"]
    assert "未写入任何数据" in err["message"]
    assert f"进度填报!{K}{r_goal}" in {p["field"] for p in err["problems"]}
    assert await counts() == before


async def test_stale_version_and_missing_narrative(client, world):
    item, g1, g2 = await _two_items(world)
    h = world.headers["lead_a"]
    sheet = Sheet(await download(client, h))
    r_a = sheet.fill("goal", world.goal_a.id, actual=310, narrative="进展")
    r_g1 = sheet.fill("goal", g1.id, actual=3)  # values, no narrative for the item
    # someone changes goal A after the download
    await Goal.update({Goal.target: 340.0, Goal.version: Goal.version + 1}).where(Goal.id == world.goal_a.id)
    r = await upload(client, h, sheet.bytes(), apply=False)
    messages = [e["message"] for e in r.json()["errors"]]
    assert f"第 {r_a} 行 {COL['actual']} 列：该目标在下载模板后已被修改（版本 1 → 2），请重新下载模板后填报" in messages
    assert f"第 {r_g1} 行 {COL['narrative']} 列：事项 六是 填写了数值，请填写本期进展情况" in messages


async def test_one_bad_row_means_nothing_is_written(client, world):
    item, g1, g2 = await _two_items(world)
    h = world.headers["lead_a"]
    sheet = Sheet(await download(client, h))
    sheet.fill("goal", world.goal_a.id, actual=310, narrative="好的一行")
    bad = sheet.fill("goal", g2.id, actual="九十", narrative="坏的一行")
    before = await counts()
    r = await upload(client, h, sheet.bytes(), apply=True)
    assert r.status_code == 422
    assert [p["message"] for p in r.json()["error"]["problems"]] == [f"第 {bad} 行 {COL['actual']} 列：不是数字"]
    assert await counts() == before
    assert (await Goal.select(Goal.actual).where(Goal.id == world.goal_a.id).first())["actual"] is None


async def test_percent_cells_empty_rows_and_text_numbers(client, world):
    item, g1, g2 = await _two_items(world)
    h = world.headers["lead_a"]
    untouched = await download(client, h)
    r = await upload(client, h, untouched, apply=True)
    assert r.status_code == 200 and r.json()["items"] == [] and r.json()["rows"] == []
    assert await ProgressReport.count() == 0

    sheet = Sheet(untouched)
    row = sheet.fill("goal", g2.id, actual=0.9, narrative="网办率提升")
    sheet.ws[f"{COL['actual']}{row}"].number_format = "0%"  # typed as 90% in Excel
    sheet.fill("goal", g1.id, actual="1,234")
    r = await upload(client, h, sheet.bytes(), apply=True)
    assert r.status_code == 200, r.text
    assert (await Goal.select(Goal.actual).where(Goal.id == g2.id).first())["actual"] == 90
    assert (await Goal.select(Goal.actual).where(Goal.id == g1.id).first())["actual"] == 1234


async def test_files_that_are_not_templates_are_refused_whole(client, world, monkeypatch):
    h = world.headers["lead_a"]
    good = await download(client, h)
    before = await counts()
    cases = [
        ("台账.csv", b"a,b\n1,2\n", "not_xlsx"),
        ("台账.xlsx", b"this is not a zip", "not_xlsx"),
        ("台账.xlsx", b"PK\x03\x04broken", "not_xlsx"),
    ]
    for name, content, code in cases:
        r = await upload(client, h, content, apply=True, filename=name)
        assert r.status_code == 422, (name, r.text)
        assert r.json()["error"]["problems"][0]["code"] == code
        assert r.json()["error"]["problems"][0]["field"] == "file"
    # a workbook that is not ours
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.append(["随便", "一张表"])
    other = io.BytesIO()
    wb.save(other)
    r = await upload(client, h, other.getvalue(), apply=True)
    assert r.status_code == 422 and "不是本系统的填报模板" in r.json()["error"]["message"]

    monkeypatch.setenv("CLOSEDLOOP_LEDGER_UPLOAD_MAX_BYTES", str(len(good) - 1))
    get_settings(reload=True)
    try:
        r = await upload(client, h, good, apply=True)
        assert r.status_code == 422 and r.json()["error"]["problems"][0]["code"] == "too_large"
    finally:
        monkeypatch.delenv("CLOSEDLOOP_LEDGER_UPLOAD_MAX_BYTES")
        get_settings(reload=True)

    sheet = Sheet(good)
    sheet.fill("goal", world.goal_a.id, actual=301, narrative="一")
    sheet.fill("project", world.project_a.id, progress=10)
    monkeypatch.setenv("CLOSEDLOOP_LEDGER_UPLOAD_MAX_ROWS", "1")
    get_settings(reload=True)
    try:
        r = await upload(client, h, sheet.bytes(), apply=True)
        assert r.status_code == 422 and r.json()["error"]["problems"][0]["code"] == "too_many_rows"
        assert "一次最多 1 行" in r.json()["error"]["message"]
    finally:
        monkeypatch.delenv("CLOSEDLOOP_LEDGER_UPLOAD_MAX_ROWS")
        get_settings(reload=True)
    assert await counts() == before


async def test_who_may_download_and_upload_what(client, world):
    # a supervisor or admin names the unit; a lead gets its own and no other
    r = await client.get("/api/v1/ledger/template.xlsx", headers=world.headers["supervisor"])
    assert r.status_code == 422 and r.json()["error"]["problems"][0]["field"] == "unit_id"
    r = await client.get("/api/v1/ledger/template.xlsx", params={"unit_id": world.unit_b.id}, headers=world.headers["lead_a"])
    assert r.status_code == 403
    r = await client.get("/api/v1/ledger/template.xlsx", params={"period": "2024-W30"}, headers=world.headers["lead_a"])
    assert r.status_code == 422 and r.json()["error"]["problems"][0]["code"] == "future_period"
    b_sheet = Sheet(await download(client, world.headers["supervisor"], unit_id=world.unit_b.id))
    b_sheet.fill("goal", world.goal_b.id, actual=5, narrative="财政局进展")
    content = b_sheet.bytes()
    before = await counts()
    # A's lead cannot file B's template; a supervisor files no unit's progress
    assert (await upload(client, world.headers["lead_a"], content, apply=True)).status_code == 403
    assert (await upload(client, world.headers["supervisor"], content, apply=False)).status_code == 403
    assert await counts() == before
    # B's own lead can, and so can an admin
    r = await upload(client, world.headers["lead_b"], content, apply=True)
    assert r.status_code == 200, r.text
    assert (await Goal.select(Goal.actual).where(Goal.id == world.goal_b.id).first())["actual"] == 5


async def test_a_cooperating_unit_sees_only_what_it_answers_for(client, world):
    # B cooperates on A's item and answers for one goal and one project there
    g = await GoalFactory.create(plan=world.plan, item=world.item_a.id, subject="配合指标", unit=world.unit_b.id)
    pj = await ProjectFactory.create(item=world.item_a, unit=world.unit_b.id, name="配合项目")
    sheet = Sheet(await download(client, world.headers["lead_b"]))
    ids = {(sheet.ws[f"{COL['record']}{r}"].value, sheet.ws[f"{COL['record_id']}{r}"].value) for r in range(3, sheet.ws.max_row + 1)}
    assert ids == {("goal", world.goal_b.id), ("goal", g.id), ("project", pj.id)}


@pytest.mark.parametrize("period", ["2024-W22", "2024年第22周"])
async def test_a_past_period_is_a_late_report(client, world, period):
    sheet = Sheet(await download(client, world.headers["lead_a"], period=period))
    sheet.fill("goal", world.goal_a.id, actual=305, narrative="上周补报")
    r = await upload(client, world.headers["lead_a"], sheet.bytes(), apply=True)
    assert r.status_code == 200, r.text
    assert r.json()["items"][0]["status"] == "late" and r.json()["period"] == "2024-W22"
    assert (await ProgressReport.select(ProgressReport.period).first())["period"] == "2024-W22"


async def test_the_latest_value_shown_is_the_latest_periods(client, world):
    h = world.headers["lead_a"]
    this_week = Sheet(await download(client, h))
    this_week.fill("goal", world.goal_a.id, actual=320, narrative="本周")
    assert (await upload(client, h, this_week.bytes(), apply=True)).status_code == 200
    last_week = Sheet(await download(client, h, period="2024-W22"))
    last_week.fill("goal", world.goal_a.id, actual=305, narrative="上周补报")
    assert (await upload(client, h, last_week.bytes(), apply=True)).status_code == 200
    # the 补报 filed later is for an earlier week: this week's value stays the latest
    sheet = Sheet(await download(client, h))
    row = sheet.row_of("goal", world.goal_a.id)
    assert (sheet.ws[f"{COL['latest']}{row}"].value, sheet.ws[f"{COL['latest_period']}{row}"].value) == (320, "第23周（6月3日—6月9日）")


async def test_changing_a_reported_week_is_a_correction(client, world):
    h = world.headers["lead_a"]
    first = Sheet(await download(client, h))
    first.fill("goal", world.goal_a.id, actual=310, narrative="本周进展")
    assert (await upload(client, h, first.bytes(), apply=True)).status_code == 200
    # the old file with a changed value: the goal moved on since that download
    first.fill("goal", world.goal_a.id, actual=311)
    r = await upload(client, h, first.bytes(), apply=False)
    assert any("已被修改" in e["message"] for e in r.json()["errors"])
    fresh = Sheet(await download(client, h))
    row = fresh.fill("goal", world.goal_a.id, actual=311, narrative="本周进展")
    # the report ledger asks a correction for its reason: named on the item's reason cell
    r = await upload(client, h, fresh.bytes(), apply=False)
    assert [(e["cell"], e["message"]) for e in r.json()["errors"]] == [
        (f"{COL['reason']}{row}", f"第 {row} 行 {COL['reason']} 列：2024年第23周已报送，再次报送即为更正，须填写更正理由")
    ]
    fresh.fill("goal", world.goal_a.id, reason="统计口径更正")
    r = await upload(client, h, fresh.bytes(), apply=True)
    assert r.status_code == 200, r.text
    assert r.json()["items"][0]["status"] == "correction"
    assert await ProgressReport.count() == 2
    assert (await Goal.select(Goal.actual).where(Goal.id == world.goal_a.id).first())["actual"] == 311
    # and the correction file once more is a no-op too
    r = await upload(client, h, fresh.bytes(), apply=True)
    assert r.status_code == 200 and r.json()["items"][0]["status"] == "unchanged"
    assert await ProgressReport.count() == 2


async def test_a_refusal_after_reports_were_written_undoes_them_all(client, world, monkeypatch):
    """The report service refuses the second item after the first item's report is written:
    the whole upload is undone, and the refusal is shown on that item's cell."""
    from closedloop.domain.errors import Invalid, Issue
    from closedloop.services import progress

    item, g1, g2 = await _two_items(world)
    real = progress.create_reports

    async def refuse_second_item(actor, period, reports):
        assert [r.item_id for r in reports] == [world.item_a.id, item.id]
        await real(actor, period, reports[:1])
        assert await ProgressReport.count() == 1, "the first item's report is written by now"
        raise progress.ReportsRefused({1: Invalid("不受理", [Issue("refused", "本期不受理该目标", "goals[1].value")])})

    monkeypatch.setattr(progress, "create_reports", refuse_second_item)
    h = world.headers["lead_a"]
    sheet = Sheet(await download(client, h))
    sheet.fill("goal", world.goal_a.id, actual=310, narrative="第一个事项")
    sheet.fill("goal", g1.id, actual=4, narrative="第二个事项")
    bad = sheet.fill("goal", g2.id, actual=90)
    before = await counts()
    r = await upload(client, h, sheet.bytes(), apply=True)
    assert r.status_code == 422
    assert [p["message"] for p in r.json()["error"]["problems"]] == [f"第 {bad} 行 {COL['actual']} 列：本期不受理该目标"]
    assert await counts() == before
    assert (await Goal.select(Goal.actual).where(Goal.id == world.goal_a.id).first())["actual"] is None


async def test_template_downloads_when_titles_hold_characters_excel_cannot(client, world):
    """A title pasted from another program can carry control characters; the template still
    downloads (it was a 500), without them, and a subject that looks like a formula stays text."""
    from closedloop.db.tables import WorkItem

    await WorkItem.update({WorkItem.title: "科技\x01特派员\x0b服务"}).where(WorkItem.id == world.item_a.id)
    await Unit.update({Unit.name: "区科\x02技局"}).where(Unit.id == world.unit_a.id)  # the unit's name is in the hidden sheet too
    await Goal.update({Goal.subject: "=HYPERLINK(\"http://x\")"}).where(Goal.id == world.goal_a.id)
    sheet = Sheet(await download(client, world.headers["lead_a"]))
    g = sheet.row_of("goal", world.goal_a.id)
    assert sheet.ws[f"B{g}"].value == "科技特派员服务"
    assert sheet.ws[f"D{g}"].value == "'=HYPERLINK(\"http://x\")"
