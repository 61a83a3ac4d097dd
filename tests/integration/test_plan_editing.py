"""Editing a plan after import: sections, items, plan goals, order, 撤销; versioned and audited;
and importing a plan file (Word, 分工 table) through the service with units matched."""

import io

import pytest

from closedloop.db.tables import AuditEvent, Goal, ItemUnit, Unit, WorkItem
from tests.factories import ProgressReportFactory


async def tree(client, world):
    r = await client.get(f"/api/v1/plans/{world.plan.id}", headers=world.headers["admin"])
    assert r.status_code == 200
    return r.json()


def section_id(world) -> int:
    return getattr(world.item_a.parent, "id", world.item_a.parent)


async def test_add_edit_reorder_sections_and_items(client, world):
    h = world.headers["admin"]
    r = await client.post(f"/api/v1/plans/{world.plan.id}/sections", json={"title": "优化创新生态", "code": "（二）"}, headers=h)
    assert r.status_code == 201
    new_section = r.json()
    r = await client.post(f"/api/v1/plans/nodes/{new_section['id']}/items", json={"title": "举办科技活动周", "code": "一是"}, headers=h)
    assert r.status_code == 201
    t = await tree(client, world)
    assert [s["title"] for s in t["sections"]][-1] == "优化创新生态"
    assert [i["title"] for i in t["sections"][-1]["items"]] == ["举办科技活动周"]

    # the new section moves first; item_b moves before item_a; an item moves to another section
    r = await client.post(f"/api/v1/plans/nodes/{new_section['id']}/move", json={"version": 1, "position": 1}, headers=h)
    assert r.status_code == 200
    r = await client.post(f"/api/v1/plans/nodes/{world.item_b.id}/move", json={"version": 1, "position": 1}, headers=h)
    assert r.status_code == 200
    t = await tree(client, world)
    assert [s["id"] for s in t["sections"]] == [new_section["id"], section_id(world)]
    assert [i["id"] for i in t["sections"][1]["items"]] == [world.item_b.id, world.item_a.id]
    r = await client.post(
        f"/api/v1/plans/nodes/{world.item_b.id}/move", json={"version": 2, "position": 2, "parent_id": new_section["id"]}, headers=h
    )
    assert r.status_code == 200 and r.json()["parent_id"] == new_section["id"]
    t = await tree(client, world)
    assert [i["title"] for i in t["sections"][0]["items"]][0] == "举办科技活动周" and len(t["sections"][0]["items"]) == 2

    # edit with the current version; the same stale version again is 409 and changes nothing
    r = await client.patch(f"/api/v1/plans/nodes/{world.item_a.id}", json={"version": 1, "title": "建设科技创新承载区"}, headers=h)
    assert r.status_code == 200 and r.json()["version"] == 2
    stale = await client.patch(f"/api/v1/plans/nodes/{world.item_a.id}", json={"version": 1, "title": "别的标题"}, headers=h)
    assert stale.status_code == 409 and "版本" in stale.json()["error"]["message"]
    assert (await WorkItem.select(WorkItem.title).where(WorkItem.id == world.item_a.id).first())["title"] == "建设科技创新承载区"
    blank = await client.patch(f"/api/v1/plans/nodes/{world.item_a.id}", json={"version": 2, "title": ""}, headers=h)
    assert blank.status_code == 400 or blank.status_code == 422
    actions = {(e["action"], e["entity"]) for e in await AuditEvent.select(AuditEvent.action, AuditEvent.entity)}
    assert {("create", "section"), ("create", "item"), ("move", "section"), ("move", "item"), ("update", "item")} <= actions


async def test_item_with_history_is_withdrawn_not_deleted(client, world):
    h = world.headers["admin"]
    await ProgressReportFactory.create(item=world.item_a)
    r = await client.delete(f"/api/v1/plans/nodes/{world.item_a.id}?version=1", headers=h)
    assert r.status_code == 409 and "撤销" in r.json()["error"]["message"]
    no_reason = await client.post(f"/api/v1/plans/nodes/{world.item_a.id}/withdraw", json={"version": 1, "reason": " "}, headers=h)
    assert no_reason.status_code in (400, 422)
    r = await client.post(f"/api/v1/plans/nodes/{world.item_a.id}/withdraw", json={"version": 1, "reason": "区委调整工作安排"}, headers=h)
    assert r.status_code == 200 and r.json()["withdrawn_at"] and r.json()["withdrawn_reason"] == "区委调整工作安排"
    row = await WorkItem.select().where(WorkItem.id == world.item_a.id).first()
    assert row is not None and row["withdrawn_at"] is not None  # history kept
    again = await client.post(f"/api/v1/plans/nodes/{world.item_a.id}/withdraw", json={"version": 2, "reason": "再撤销"}, headers=h)
    assert again.status_code == 409
    assert await AuditEvent.count().where((AuditEvent.action == "withdraw") & (AuditEvent.entity_id == world.item_a.id)) == 1


async def test_item_without_history_and_empty_section_are_deleted(client, world):
    h = world.headers["admin"]
    s = (await client.post(f"/api/v1/plans/{world.plan.id}/sections", json={"title": "临时分项"}, headers=h)).json()
    item = (await client.post(f"/api/v1/plans/nodes/{s['id']}/items", json={"title": "临时事项"}, headers=h)).json()
    full = await client.delete(f"/api/v1/plans/nodes/{s['id']}?version=1", headers=h)
    assert full.status_code == 409  # not empty
    assert (await client.delete(f"/api/v1/plans/nodes/{item['id']}?version=1", headers=h)).status_code == 204
    assert (await client.delete(f"/api/v1/plans/nodes/{s['id']}?version=1", headers=h)).status_code == 204
    assert await WorkItem.count().where(WorkItem.id.is_in([s["id"], item["id"]])) == 0


async def test_plan_goals_and_restating_one_on_an_item(client, world):
    h = world.headers["admin"]
    r = await client.post(
        f"/api/v1/plans/{world.plan.id}/goals", json={"subject": "高新技术企业", "measure_unit": "家", "comparator": ">", "target": 330}, headers=h
    )
    assert r.status_code == 201
    goal = r.json()
    bad = await client.post(f"/api/v1/plans/{world.plan.id}/goals", json={"subject": "x", "comparator": "≈", "target": 1}, headers=h)
    assert bad.status_code in (400, 422)
    r = await client.patch(f"/api/v1/plans/goals/{goal['id']}", json={"version": 1, "target": 340}, headers=h)
    assert r.status_code == 200 and r.json()["target"] == 340
    assert (await client.patch(f"/api/v1/plans/goals/{goal['id']}", json={"version": 1, "target": 1}, headers=h)).status_code == 409
    r = await client.post(f"/api/v1/plans/nodes/{world.item_b.id}/restate", json={"plan_goal_id": goal["id"]}, headers=h)
    assert r.status_code == 201
    restated = r.json()
    assert (restated["plan_goal_id"], restated["subject"], restated["target"], restated["item_id"]) == (goal["id"], "高新技术企业", 340, world.item_b.id)
    twice = await client.post(f"/api/v1/plans/nodes/{world.item_b.id}/restate", json={"plan_goal_id": goal["id"]}, headers=h)
    assert twice.status_code == 409
    # a plan goal an item restates cannot be deleted
    assert (await client.delete(f"/api/v1/plans/goals/{goal['id']}?version=2", headers=h)).status_code == 409
    assert await Goal.count().where(Goal.plan_goal == goal["id"]) == 1


async def test_import_docx_with_units_matched_by_short_names(client, world):
    docx = pytest.importorskip("docx")
    from closedloop.services import plans
    from closedloop.services.common import Actor

    await Unit.update({Unit.name: "重庆市巴南区科学技术局"}).where(Unit.id == world.unit_a.id)
    d = docx.Document()
    d.add_paragraph("某区2025年科技创新重点任务责任分工")
    table = d.add_table(rows=3, cols=4)
    rows = [("序号", "目标任务", "责任单位", "完成时限"), ("1", "新增高新技术企业30家", "区科技局、区财政局", "2025年12月底"), ("2", "建成孵化器2个", "区统计局", "2025年6月底")]
    for row, cells in zip(table.rows, rows):
        for c, v in zip(row.cells, cells):
            c.text = v
    buf = io.BytesIO()
    d.save(buf)
    admin = Actor(id=world.users["admin"].id, username="admin", role="admin", display_name="管理员")
    result = await plans.import_file(admin, "分工.docx", buf.getvalue())
    assert result["stored"] and result["item_count"] == 2
    items = await WorkItem.select().where((WorkItem.plan == result["plan_id"]) & (WorkItem.kind == "item")).order_by(WorkItem.seq)
    # 区科技局 is the short form of 重庆市巴南区科学技术局; 区统计局 is no known unit: left for the admin
    assert items[0]["lead_unit"] == world.unit_a.id and items[1]["lead_unit"] is None
    assert [r["unit"] for r in await ItemUnit.select(ItemUnit.unit).where(ItemUnit.item == items[0]["id"])] == [world.unit_b.id]
    assert str(items[0]["deadline"]) == "2025-12-31" and str(items[1]["deadline"]) == "2025-06-30"


FENGONG_PLAN = (
    "某区2025年科技工作要点\n一、工作目标\n高新技术企业突破330家。\n二、重点工作\n"
    "（一）培育创新主体。一是实施高新技术企业倍增计划，高新技术企业突破330家。二是建设科技企业孵化器。\n"
    "（二）优化创新生态。一是举办科技活动周。\n"
)


def _fengong_xlsx() -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["序号", "目标任务", "牵头单位", "配合单位", "完成时限"])
    ws.append([1, "实施高新技术企业倍增计划", "区科技局", "巴南区财政局", "2025年11月底"])
    ws.append([2, "建设科技企业孵化器", "区科技局", None, "2025年6月"])
    ws.append([3, "举办科技活动周", "区科协", None, None])
    ws.append([4, "推进一件计划里没有的事", "区科技局", None, None])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


async def test_responsibility_table_preview_then_apply_in_one_go(client, world):
    from closedloop.services import plans, responsibility
    from closedloop.services.common import Actor

    admin = Actor(id=world.users["admin"].id, username="admin", role="admin", display_name="管理员")
    await Unit.update({Unit.name: "重庆市巴南区科学技术局"}).where(Unit.id == world.unit_a.id)
    plan_id = (await plans.import_plan(admin, FENGONG_PLAN))["plan_id"]
    raw = _fengong_xlsx()

    seen = await responsibility.preview(plan_id, "分工.xlsx", raw)
    assert [(m["code"], m["item_code"]) for m in seen["matches"]] == [("1", "一是"), ("2", "二是"), ("3", "一是")]
    assert [m["code"] for m in seen["misses"]] == ["4"]
    first = seen["matches"][0]["units"]
    # near-miss names: 区科技局 is 重庆市巴南区科学技术局, 巴南区财政局 is 区财政局
    assert [u["unit_id"] for u in first] == [world.unit_a.id, world.unit_b.id]
    assert seen["new_units"] == ["区科协"]
    assert await WorkItem.count().where((WorkItem.plan == plan_id) & WorkItem.lead_unit.is_not_null()) == 0  # preview wrote nothing

    done = await responsibility.apply(admin, plan_id, "分工.xlsx", raw, create_units=True)
    assert done["created_units"] == ["区科协"]
    rows = {r["title"]: r for r in await WorkItem.select().where((WorkItem.plan == plan_id) & (WorkItem.kind == "item"))}
    multiply = rows["实施高新技术企业倍增计划，高新技术企业突破330家"]
    assert multiply["lead_unit"] == world.unit_a.id and str(multiply["deadline"]) == "2025-11-30"
    assert [r["unit"] for r in await ItemUnit.select(ItemUnit.unit).where(ItemUnit.item == multiply["id"])] == [world.unit_b.id]
    kexie = (await Unit.select(Unit.id).where(Unit.name == "区科协").first())["id"]
    assert rows["举办科技活动周"]["lead_unit"] == kexie
    assert await AuditEvent.count().where((AuditEvent.action == "assign") & (AuditEvent.entity_id == plan_id)) == 1


async def test_api_import_with_corrections_and_assign(client, world):
    h = world.headers["admin"]
    text = "某区2025年科技工作要点\n一、工作目标\n科技型企业突破500家，走访企业2026家。\n二、重点工作\n（一）培育企业。一是建立培育库。二是开展走访。\n"
    preview = (await client.post("/api/v1/plans/import", json={"text": text, "preview": True}, headers=h)).json()
    doubtful = [g for g in preview["parsed"]["goals"] if g["doubts"]]
    assert [g["value"] for g in doubtful] == [2026] and preview["doubt_count"] == 1
    fixes = {"drop": [doubtful[0]["key"]], "titles": {"s0i1": "走访服务企业"}, "extra_goals": "科技特派员不少于20名"}
    stored = (await client.post("/api/v1/plans/import", json={"text": text, "corrections": fixes}, headers=h)).json()
    assert stored["stored"] and stored["goal_count"] == 2
    tree = (await client.get(f"/api/v1/plans/{stored['plan_id']}", headers=h)).json()
    assert [g["subject"] for g in tree["goals"]] == ["科技型企业", "科技特派员"]
    assert [i["title"] for i in tree["sections"][0]["items"]] == ["建立培育库", "走访服务企业"]
    bad = await client.post("/api/v1/plans/import", json={"text": text, "corrections": {"extra_goals": "没有数字的一句话"}}, headers=h)
    assert bad.status_code == 422 and bad.json()["error"]["problems"][0]["field"] == "extra_goals"

    table = "序号\t目标任务\t责任单位\t完成时限\n1\t开展走访\t区科技局\t2025年9月底\n2\t没有的事\t区统计局\t\n"
    seen = (await client.post(f"/api/v1/plans/{stored['plan_id']}/assign", json={"text": table}, headers=h)).json()
    assert [m["item_title"] for m in seen["matches"]] == ["走访服务企业"] and [m["code"] for m in seen["misses"]] == ["2"]
    done = await client.post(f"/api/v1/plans/{stored['plan_id']}/assign", json={"text": table, "apply": True}, headers=h)
    assert done.status_code == 200 and done.json()["applied"] is True
    row = await WorkItem.select(WorkItem.lead_unit, WorkItem.deadline).where(WorkItem.title == "走访服务企业").first()
    assert row["lead_unit"] == world.unit_a.id and str(row["deadline"]) == "2025-09-30"


async def test_every_real_plan_imports_and_codes_stay_unique(client, world):
    """The shared real plans restart （一） in every part and have unnumbered sections: all store."""
    import asyncio
    from pathlib import Path

    from closedloop.services import plans
    from closedloop.services.common import Actor

    shared = next((p / "shared" / "plans" for p in Path(__file__).resolve().parents if (p / "shared" / "plans").is_dir()), None)
    if shared is None:
        pytest.skip("../shared/plans is not beside the checkout")
    admin = Actor(id=world.users["admin"].id, username="admin", role="admin", display_name="管理员")
    for path in sorted(shared.glob("0*.txt")):
        text = path.read_text(encoding="utf-8").split("\n", 1)[1]
        result = await plans.import_plan(admin, text, filename=path.name)
        assert result["stored"], path.name
    h = world.headers["admin"]
    burst = await asyncio.gather(
        *[client.post(f"/api/v1/plans/{world.plan.id}/sections", json={"title": f"分项{i}", "code": ""}, headers=h) for i in range(6)]
    )
    assert [r.status_code for r in burst] == [201] * 6
    clash = await client.patch(f"/api/v1/plans/nodes/{world.item_b.id}", json={"version": 1, "code": world.item_a.code}, headers=h)
    assert clash.status_code == 409
