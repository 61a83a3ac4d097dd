"""Page forms that had no test of their own: each one's success (the row written, the notice the
user lands on), each error it answers (the message beside the field or in the notice, nothing
written) and who may not use it. Posted as a browser would: the session cookie, the form's
CSRF token read from a page, the site's own Origin. (Every page form refusing a post without
its token: tests/integration/test_deletes_and_evidence.py.)
"""

from __future__ import annotations

import datetime as dt
import re

import pytest

from closedloop.db.tables import ALL_TABLES, Goal, Publication, Unit, WorkdayOverride, WorkItem
from tests.factories import (
    ExtensionRequestFactory,
    GoalFactory,
    ProgressReportFactory,
    PublicationFactory,
    WorkdayOverrideFactory,
    WorkItemFactory,
)


async def snapshot() -> dict[str, list]:
    out = {}
    for table in ALL_TABLES:
        rows = await table.select().order_by(table.id)
        out[table._meta.tablename] = [sorted((k, repr(v)) for k, v in r.items()) for r in rows]
    return out


def changed(before: dict, after: dict) -> list[str]:
    return [t for t in before if before[t] != after[t]]


async def post_form(client, world, who: str, page: str, url: str, data: dict):
    """Sign in as ``who``, read the CSRF token from ``page``, post ``data`` to ``url``; return
    the answer and, after a redirect, the page it lands on."""
    client.cookies.clear()
    client.cookies.set("closedloop_session", world.headers[who]["Authorization"].split(" ", 1)[1])
    token = re.search(r'name="_csrf_token" value="([^"]+)"', (await client.get(page)).text)
    assert token, f"no form on {page} for {who}"
    r = await client.post(url, data={**data, "_csrf_token": token.group(1)}, headers={"Origin": "http://testserver"})
    landed = None
    if r.status_code in (302, 303):
        landed = (await client.get(r.headers["location"])).text
    return r, landed


# --- /admin/units -----------------------------------------------------------------------------


async def test_admin_adds_a_unit(client, world):
    r, landed = await post_form(client, world, "admin", "/admin", "/admin/units", {"name": "区统计局"})
    assert r.status_code == 303 and "单位已添加" in landed
    assert await Unit.exists().where(Unit.name == "区统计局")


@pytest.mark.parametrize(("name", "message"), [("", "请填写单位名称"), ("区科技局", "已存在")])
async def test_a_unit_without_a_name_or_with_a_taken_one_is_not_added(client, world, name, message):
    before = await snapshot()
    r, _ = await post_form(client, world, "admin", "/admin", "/admin/units", {"name": name})
    assert r.status_code in (400, 409, 422) and message in r.text
    assert 'value="' + name + '"' in r.text or name == ""  # what was typed is kept
    assert changed(before, await snapshot()) == []


async def test_a_lead_cannot_add_a_unit(client, world):
    before = await snapshot()
    client.cookies.set("closedloop_session", world.headers["lead_a"]["Authorization"].split(" ", 1)[1])
    token = re.search(r'name="_csrf_token" value="([^"]+)"', (await client.get("/my")).text).group(1)
    r = await client.post("/admin/units", data={"name": "区统计局", "_csrf_token": token}, headers={"Origin": "http://testserver"})
    assert r.status_code == 403
    assert changed(before, await snapshot()) == []


# --- deleting a working-day adjustment (two pages) --------------------------------------------


async def test_admin_clears_a_working_day_adjustment(client, world):
    day = dt.date(2027, 2, 8)
    await WorkdayOverrideFactory.create(day=day, is_workday=False, note="春节")
    r, landed = await post_form(client, world, "admin", "/admin/workdays?year=2027", f"/admin/workdays/{day}/delete", {})
    assert r.status_code == 303 and "已删除 2027-02-08 的调整" in landed
    assert not await WorkdayOverride.exists().where(WorkdayOverride.day == day)


async def test_clearing_a_day_without_an_adjustment_says_so_and_changes_nothing(client, world):
    before = await snapshot()
    r, landed = await post_form(client, world, "admin", "/admin/workdays?year=2027", "/admin/workdays/2027-02-09/delete", {})
    assert r.status_code == 303 and "已删除" not in landed
    assert changed(before, await snapshot()) == []


async def test_the_former_holiday_page_leads_to_the_one_working_day_page_which_names_uncovered_years(client, world):
    from closedloop.domain.workdays import covered
    from closedloop.services.common import Clock

    year = next(y for y in range(2026, 2100) if not covered(y))
    Clock.fixed = dt.datetime(year, 3, 2, 2, tzinfo=dt.timezone.utc)
    client.cookies.clear()
    client.cookies.set("closedloop_session", world.headers["admin"]["Authorization"].split(" ", 1)[1])
    r = await client.get("/admin/calendar", follow_redirects=False)
    assert r.status_code == 301 and r.headers["location"] == "/admin/workdays"
    page = await client.get("/admin/workdays")
    assert f"{year}年的法定节假日和调休安排尚未收录" in page.text
    # a note longer than the page allows is refused, not cut short (the holiday page cut it)
    before = await snapshot()
    r, landed = await post_form(client, world, "admin", "/admin/workdays", "/admin/workdays", {"day": f"{year}-10-01", "is_workday": "0", "note": "长" * 101})
    assert r.status_code == 303 and "备注不能超过 100 字" in landed
    assert changed(before, await snapshot()) == []


# --- the plan editor's deletes ----------------------------------------------------------------


async def test_the_plan_editor_deletes_an_item_without_history_and_keeps_one_with_history(client, world):
    section = getattr(world.item_a.parent, "id", world.item_a.parent)
    spare = await WorkItemFactory.create(plan=world.plan, parent=section, code="九是", lead_unit=world.unit_a)
    page = f"/admin/plans/{world.plan.id}"
    r, landed = await post_form(client, world, "admin", page, f"{page}/nodes/{spare.id}/delete", {"version": "1"})
    assert r.status_code in (302, 303) and "已删除" in landed
    assert not await WorkItem.exists().where(WorkItem.id == spare.id)
    # an item with a report is history: withdrawn, never deleted
    await ProgressReportFactory.create(item=world.item_b)
    before = await snapshot()
    r, landed = await post_form(client, world, "admin", page, f"{page}/nodes/{world.item_b.id}/delete", {"version": "1"})
    assert r.status_code in (302, 303) and "已删除" not in landed and "撤销" in landed
    assert changed(before, await snapshot()) == []


async def test_the_plan_editor_deletes_a_plan_goal_unless_an_item_restates_it(client, world):
    page = f"/admin/plans/{world.plan.id}"
    free = await GoalFactory.create(plan=world.plan, item=None, subject="孤立的计划目标")
    r, landed = await post_form(client, world, "admin", page, f"{page}/goals/{free.id}/delete", {"version": "1"})
    assert r.status_code in (302, 303) and "已删除计划目标" in landed
    assert not await Goal.exists().where(Goal.id == free.id)
    restated = await GoalFactory.create(plan=world.plan, item=None, subject="被承接的计划目标")
    await GoalFactory.create(plan=world.plan, item=world.item_a.id, plan_goal=restated.id)
    before = await snapshot()
    r, landed = await post_form(client, world, "admin", page, f"{page}/goals/{restated.id}/delete", {"version": "1"})
    assert r.status_code in (302, 303) and "已删除计划目标" not in landed
    assert changed(before, await snapshot()) == []


# --- the desk's correction of a published ranking ---------------------------------------------


async def test_the_desk_corrects_an_edition_only_after_confirming(client, world):
    pub = await PublicationFactory.create(period="2024-W20")
    form = {"publication_id": str(pub.id), "reason": "更正单位名称"}
    before = await snapshot()
    r, _ = await post_form(client, world, "supervisor", "/desk", "/desk/correct", form)
    assert r.status_code == 200 and "确认发布更正版" in r.text and "更正原因：更正单位名称" in r.text
    assert changed(before, await snapshot()) == [], "asking for confirmation writes nothing"
    r, landed = await post_form(client, world, "supervisor", "/desk", "/desk/correct", {**form, "confirmed": "1"})
    assert r.status_code == 303
    corrected = await Publication.select().where(Publication.corrects == pub.id).first()
    assert corrected is not None and corrected["correction_reason"] == "更正单位名称" and corrected["edition"] == 2


@pytest.mark.parametrize(
    ("form", "message"),
    [({"publication_id": "", "reason": "更正"}, "要更正的晾晒"), ({"publication_id": "PUB", "reason": ""}, "请填写更正原因"),
     ({"publication_id": "99999", "reason": "更正"}, "该晾晒不存在")],
)
async def test_the_desk_correction_names_what_is_missing(client, world, form, message):
    pub = await PublicationFactory.create(period="2024-W20")
    form = {k: (str(pub.id) if v == "PUB" else v) for k, v in form.items()}
    before = await snapshot()
    r, _ = await post_form(client, world, "supervisor", "/desk", "/desk/correct", form)
    assert r.status_code in (400, 409, 422) and message in r.text
    assert changed(before, await snapshot()) == []


async def test_a_lead_cannot_correct_an_edition(client, world):
    pub = await PublicationFactory.create(period="2024-W20")
    before = await snapshot()
    client.cookies.set("closedloop_session", world.headers["lead_a"]["Authorization"].split(" ", 1)[1])
    token = re.search(r'name="_csrf_token" value="([^"]+)"', (await client.get("/my")).text).group(1)
    r = await client.post("/desk/correct", data={"publication_id": str(pub.id), "reason": "x", "confirmed": "1", "_csrf_token": token},
                          headers={"Origin": "http://testserver"})
    assert r.status_code == 403
    assert changed(before, await snapshot()) == []


# --- the item's 复盘 record -------------------------------------------------------------------


async def test_the_unit_saves_its_review_and_a_stale_form_is_refused(client, world):
    await WorkItem.update({WorkItem.stage: "close"}).where(WorkItem.id == world.item_a.id)  # the form shows in 闭环 and 复盘
    page = f"/items/{world.item_a.id}"
    r, landed = await post_form(client, world, "lead_a", page, f"{page}/review", {"version": "1", "review": "经验：提前对接企业"})
    assert r.status_code == 303 and "复盘记录已保存" in landed
    row = await WorkItem.select(WorkItem.review, WorkItem.version).where(WorkItem.id == world.item_a.id).first()
    assert row["review"] == "经验：提前对接企业" and row["version"] == 2
    before = await snapshot()
    r, _ = await post_form(client, world, "lead_a", page, f"{page}/review", {"version": "1", "review": "旧页面上的内容"})
    assert r.status_code in (409, 422) and "已被他人修改" in r.text, re.findall(r'class="[^"]*error[^"]*"[^>]*>([^<]*)', r.text)
    assert changed(before, await snapshot()) == []


async def test_a_refused_review_is_shown_with_its_reason_after_the_item_left_close(client, world):
    """The item went back to 实干 between opening the page and saving (the form is offered in 闭环
    and 复盘 only): the answer shows the form again with the reason and the unit's text, not a
    page without any message."""
    page = f"/items/{world.item_a.id}"
    await WorkItem.update({WorkItem.stage: "execute", WorkItem.version: 2}).where(WorkItem.id == world.item_a.id)
    before = await snapshot()
    r, _ = await post_form(client, world, "lead_a", page, f"{page}/review", {"version": "1", "review": "经验：提前对接企业"})
    assert r.status_code in (409, 422)
    shown = re.findall(r'class="error"[^>]*>([^<]*)', r.text)
    assert any("已被他人修改" in m for m in shown), shown
    assert "经验：提前对接企业" in r.text
    assert changed(before, await snapshot()) == []


@pytest.mark.parametrize("who", ["lead_c", "supervisor"])
async def test_another_unit_or_the_office_does_not_write_an_items_review(client, world, who):
    before = await snapshot()
    page = f"/items/{world.item_a.id}"
    client.cookies.set("closedloop_session", world.headers[who]["Authorization"].split(" ", 1)[1])
    token = re.search(r'name="_csrf_token" value="([^"]+)"', (await client.get(page)).text).group(1)
    r = await client.post(f"{page}/review", data={"version": "1", "review": "越权", "_csrf_token": token}, headers={"Origin": "http://testserver"})
    assert r.status_code in (403, 422) and r.status_code < 500
    assert changed(before, await snapshot()) == []


# --- approving a 延期 on the desk ---------------------------------------------------------------


async def test_approving_an_extension_on_the_desk_asks_first_and_names_the_new_deadline(client, world):
    """Approving a 延期 moves the item's deadline and the scoring (延期 count): the first post
    shows what will change and changes nothing; the confirmed one applies it."""
    ext = await ExtensionRequestFactory.create(item=world.item_a, old_deadline=dt.date(2024, 12, 31), new_deadline=dt.date(2025, 3, 31))
    url = f"/extensions/{ext.id}/decide"
    before = await snapshot()
    r, _ = await post_form(client, world, "supervisor", "/desk", url, {"version": "1", "decision": "approve"})
    assert r.status_code == 200
    consequence = re.search(r'class="consequence"[^>]*>([^<]*)', r.text).group(1)
    assert "2024-12-31" in consequence and "2025-03-31" in consequence and world.item_a.code in consequence
    assert changed(before, await snapshot()) == []
    r, landed = await post_form(client, world, "supervisor", "/desk", url, {"version": "1", "decision": "approve", "confirmed": "1"})
    assert r.status_code == 303 and "已批准延期" in landed
    item = await WorkItem.select(WorkItem.deadline, WorkItem.extension_count).where(WorkItem.id == world.item_a.id).first()
    assert (item["deadline"], item["extension_count"]) == (dt.date(2025, 3, 31), 1)
    # the same confirmation sent again (a second click, a reload): refused with a message that is
    # seen (the request is no longer on the desk, so no form can carry it), nothing changes
    before = await snapshot()
    r, landed = await post_form(client, world, "supervisor", "/desk", url, {"version": "1", "decision": "approve", "confirmed": "1"})
    assert r.status_code == 303 and "延期申请未处理" in landed and "已处理" in landed
    assert changed(before, await snapshot()) == []


# --- a 成效 with its evidence -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("evidence", "field_message"),
    [
        ({"files": {"file": ("清单.html", b"<html></html>", "text/html")}}, "不支持的文件类型"),
        ({"data": {"url": "javascript:alert(1)"}}, "链接必须以 http:// 或 https:// 开头"),
    ],
)
async def test_a_result_whose_evidence_is_refused_is_not_saved_without_it(client, world, evidence, field_message):
    """The 成效 form saves the result and its evidence together: refused evidence leaves no
    result behind (it used to store the result without any evidence, once per retry)."""
    from closedloop.db.tables import Result

    page = f"/items/{world.item_a.id}"
    client.cookies.set("closedloop_session", world.headers["lead_a"]["Authorization"].split(" ", 1)[1])
    token = re.search(r'name="_csrf_token" value="([^"]+)"', (await client.get(page)).text).group(1)
    before = await snapshot()
    data = {"description": "新增高新技术企业12家", "goal_id": str(world.goal_a.id), "_csrf_token": token, **evidence.get("data", {})}
    r = await client.post(f"{page}/results", data=data, files=evidence.get("files"), headers={"Origin": "http://testserver"})
    assert r.status_code == 422 and field_message in r.text
    assert "新增高新技术企业12家" in r.text  # what was typed is kept
    assert changed(before, await snapshot()) == []
    assert await Result.count().where(Result.description == "新增高新技术企业12家") == 0
    ok = await client.post(f"{page}/results", data={**data, "url": "https://kjj.example.gov.cn/qd.pdf"}, headers={"Origin": "http://testserver"})
    assert ok.status_code == 303
    assert await Result.count().where(Result.description == "新增高新技术企业12家") == 1
