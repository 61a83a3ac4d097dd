"""On the desk nothing misfires: Enter in a rejection reason rejects and never approves, actions
with public or scored consequences ask first and name them, and every page error is a page in
Chinese that keeps what was typed."""

from closedloop.db.tables import ExtensionRequest, SupervisionAction, WorkItem
from closedloop.settings import get_settings
from tests.browser.conftest import shot
from tests.browser.daily.conftest import login, seed_daily, submit_tampered
from tests.conftest import SERVER_NOW

SERVER_CLOCK = SERVER_NOW  # the server and this process run at one fixed instant


async def stage_of(item) -> str:
    return (await WorkItem.select(WorkItem.stage).where(WorkItem.id == item.id).first())["stage"]


async def test_enter_in_a_rejection_reason_rejects_and_never_approves(clean_db, server, new_page):
    w = await seed_daily()
    page = await new_page()
    await login(page, server, "duchashi")
    ext = page.locator(f"#ext-{w['ext'].id}")
    await ext.locator("summary").click()
    await ext.locator("input[name=reason]").fill("理由不充分")
    async with page.expect_navigation():
        await ext.locator("input[name=reason]").press("Enter")
    assert "已驳回延期" in await page.locator(".flash").inner_text()
    row = await ExtensionRequest.select().where(ExtensionRequest.id == w["ext"].id).first()
    assert row["status"] == "rejected" and row["decision_reason"] == "理由不充分"
    assert (await WorkItem.select(WorkItem.deadline).where(WorkItem.id == w["a"].id).first())["deadline"] == w["a"].deadline

    # 销号 that its gate does not allow yet: the button is disabled, the reasons beside it
    close2 = page.locator(f"#close-{w['d2'].id}")
    assert await close2.locator("button:has-text('核验销号')").is_disabled()
    assert "研发机构" in await close2.locator(".notice").inner_text()
    # Enter in the reason rejects (back to 实干); approving is a button, then a confirmation
    await close2.locator("summary").click()
    await close2.locator("input[name=reason]").fill("佐证不足")
    async with page.expect_navigation():
        await close2.locator("input[name=reason]").press("Enter")
    assert "已驳回销号" in await page.locator(".flash").inner_text()
    assert await stage_of(w["d2"]) == "execute"

    async with page.expect_navigation():
        await page.locator(f"#close-{w['d1'].id} button:has-text('核验销号')").click()
    consequence = await page.locator(".consequence").inner_text()
    assert "四是 科技成果转化" in consequence and "复盘" in consequence
    assert await stage_of(w["d1"]) == "close", "nothing happens before the confirmation"
    await shot(page, "supervisor-confirm-closure")
    async with page.expect_navigation():
        await page.click("button:has-text('确认销号')")
    assert "已销号" in await page.locator(".flash").inner_text()
    assert await stage_of(w["d1"]) == "review"


async def test_bulk_urge_names_units_and_penalty_and_keeps_the_ticks(clean_db, server, new_page):
    w = await seed_daily()
    page = await new_page()
    await login(page, server, "duchashi")
    # nothing ticked: a page that says what to do, not a 500
    await page.fill("#urge input[name=message]", "请本周内报送整改方案")
    async with page.expect_navigation() as nav:
        await page.click("#urge button[type=submit]")
    assert (await nav.value).status == 200
    assert "请先在列表中勾选" in await page.locator(".flash").inner_text()
    assert await page.input_value("#urge input[name=message]") == "请本周内报送整改方案", "typed text survives"
    # red and overdue items of two units: make 三是 (区财政局) red too
    await WorkItem.update({WorkItem.light: "red"}).where(WorkItem.id == w["c"].id)
    # the seeded 催办 of today on 二是 answered: an unanswered one would make a second 催办 the
    # same day skip it (supervision.urged_today)
    await SupervisionAction.update({SupervisionAction.responded_at: SERVER_NOW, SupervisionAction.response: "已推进"}).where(SupervisionAction.kind == "urge")
    await page.goto(f"{server}/desk")
    await page.check(f"#urge input[value='{w['b'].id}']")
    await page.check(f"#urge input[value='{w['c'].id}']")
    async with page.expect_navigation():
        await page.click("#urge button[type=submit]")
    penalty = get_settings().weights.urge_penalty
    text = await page.locator(".consequence").inner_text()
    assert f"将向 2 个单位发出催办（共 2 个事项），每次催办在晾晒中扣 {penalty:g} 分" in text
    assert await SupervisionAction.count().where(SupervisionAction.kind == "urge") == 1, "only the seeded one so far"
    await shot(page, "supervisor-confirm-urge")
    # 返回修改 keeps the ticks and the message
    await page.click("text=返回修改")
    await page.wait_for_load_state()
    assert await page.is_checked(f"#urge input[value='{w['b'].id}']") and await page.is_checked(f"#urge input[value='{w['c'].id}']")
    async with page.expect_navigation():
        await page.click("#urge button[type=submit]")
    async with page.expect_navigation():
        await page.click("button:has-text('确认催办 2 个事项')")
    assert "已催办 2 个事项" in await page.locator(".flash").inner_text()
    assert await SupervisionAction.count().where(SupervisionAction.kind == "urge") == 3
    assert not await page.is_checked(f"#urge input[value='{w['b'].id}']"), "a sent urge leaves no draft behind"


async def test_correction_asks_first_and_filters_left_at_all_work(clean_db, server, new_page):
    w = await seed_daily(publish=True)
    page = await new_page()
    await login(page, server, "duchashi")
    # 筛选 with every dropdown at 全部…: the list, not a JSON 400
    async with page.expect_navigation() as nav:
        await page.click("button:has-text('筛选')")
    assert (await nav.value).status == 200
    assert "超期与红灯事项" in await page.locator("#list h2").inner_text()
    await page.select_option("select[name=unit_id]", str(w["kjj"].id))
    async with page.expect_navigation():
        await page.click("button:has-text('筛选')")
    assert "二是 建设孵化平台" in await page.locator("#list").inner_text()
    # a number no row can have: the field's error on the page
    response = await page.goto(f"{server}/desk?unit_id=99999999999999999999")
    assert response.status == 422
    assert "单位无效" in await page.locator("#list .error-summary").inner_text()
    await page.goto(f"{server}/desk")
    # 发布更正版: the reason is required, then a confirmation that names the edition
    async with page.expect_navigation() as nav:
        await page.click("#correct button")
    assert (await nav.value).status == 422
    assert "请填写更正原因" in await page.locator("#correct .error").inner_text()
    await page.fill("#correct input[name=reason]", "区财政局数据更正")
    async with page.expect_navigation():
        await page.press("#correct input[name=reason]", "Enter")
    assert "更正版" in await page.locator(".consequence").inner_text() and "第 1 版" in await page.locator(".consequence").inner_text()
    async with page.expect_navigation():
        await page.click("button:has-text('确认发布更正版')")
    assert "第 2 版" in await page.locator(".flash").inner_text()


async def test_bad_input_on_form_pages_answers_with_the_field_never_500(clean_db, server, new_page):
    w = await seed_daily()
    admin = await new_page()
    await login(admin, server, "root")
    # 保存分工 with no 配合单位 (the usual case)
    await admin.goto(f"{server}/items/{w['e'].id}")
    await admin.fill("#assign input[name=responsible_person]", "王五")
    async with admin.expect_navigation() as nav:
        await admin.click("#assign button[type=submit]")
    assert (await nav.value).status == 200
    assert "已保存分工" in await admin.locator(".flash").inner_text()
    # a lead unit id no select offers
    await admin.fill("#assign input[name=responsible_person]", "赵六")
    response = await submit_tampered(admin, "#assign form", {"lead_unit_id": "99999999999999999999"})
    assert response.status == 422
    assert "牵头单位无效" in await admin.locator("#assign .error[data-field=lead_unit_id]").inner_text()
    assert await admin.input_value("#assign input[name=responsible_person]") == "赵六"
    # /admin/users with a unit id that is not a number
    await admin.goto(f"{server}/admin")
    await admin.fill("#users input[name=username]", "newlead")
    await admin.fill("#users input[name=password]", "long-enough-1")
    response = await submit_tampered(admin, "#users form", {"unit_id": "abc"})
    assert response.status == 422
    assert "单位无效" in await admin.locator("#users .error[data-field=unit_id]").inner_text()
    assert await admin.input_value("#users input[name=username]") == "newlead"
    # /extensions/N/decide with a version that is not a number
    sup = await new_page()
    await login(sup, server, "duchashi")
    await sup.locator(f"#ext-{w['ext'].id} summary").click()
    await sup.fill(f"#ext-{w['ext'].id} input[name=reason]", "材料不全")
    response = await submit_tampered(sup, f"#ext-{w['ext'].id} details form", {"version": "x1"})
    assert response.status == 422
    assert "版本无效" in await sup.locator(f"#ext-{w['ext'].id} .error").inner_text()
    assert await sup.input_value(f"#ext-{w['ext'].id} input[name=reason]") == "材料不全"
    # the lead's forms: /actions/N/answer and /items/N/report
    lead = await new_page()
    await login(lead, server, "kjj")
    await lead.goto(f"{server}/items/{w['b'].id}")
    await lead.fill("#supervision input[name=response]", "已部署")
    response = await submit_tampered(lead, "#supervision form", {"version": "99999999999999999999"})
    assert response.status == 422
    assert "版本无效" in await lead.locator("#supervision .error-summary").inner_text()
    assert await lead.input_value("#supervision input[name=response]") == "已部署"
    await lead.goto(f"{server}/items/{w['a'].id}")
    await lead.fill("#report textarea[name=narrative]", "本周走访 12 家")
    response = await submit_tampered(lead, "#report form", {f"goal_{w['goal'].id}": "1e400", f"project_{w['project'].id}": "120"})
    assert response.status == 422
    assert "数值超出范围" in await lead.locator(f"#report .error[data-field=goal_{w['goal'].id}]").inner_text()
    assert "0 到 100" in await lead.locator(f"#report .error[data-field=project_{w['project'].id}]").inner_text()
    assert await lead.input_value("#report textarea[name=narrative]") == "本周走访 12 家"
    # an address with an id no row can have, and one that only takes forms: pages, not JSON
    response = await lead.goto(f"{server}/items/99999999999999999999")
    assert response.status == 400 and "编号或参数无效" in await lead.locator("main").inner_text()
    # a page address that only takes forms, opened directly: a page, not JSON
    response = await lead.goto(f"{server}/items/{w['a'].id}/report")
    assert response.status == 405 and "只接受表单提交" in await lead.locator("main").inner_text()


async def test_a_form_posted_after_the_session_expired_comes_back_with_the_text(clean_db, server, new_page):
    w = await seed_daily()
    page = await new_page()
    await login(page, server, "kjj")
    await page.goto(f"{server}/items/{w['a'].id}")
    await page.fill("#report textarea[name=narrative]", "本周新增认定企业 5 家")
    await page.fill("#problems input[name=description]", "用地指标不足")
    await page.context.clear_cookies(name="closedloop_session")
    async with page.expect_navigation() as nav:
        await page.click("#problems button:has-text('登记问题')")
    assert "/login" in page.url and (await nav.value).status == 200
    assert "登录已过期" in await page.locator(".notice").inner_text()
    await page.fill("input[name=username]", "kjj")
    await page.fill("input[name=password]", "secret-pass")
    async with page.expect_navigation():
        await page.click("main button[type=submit]")
    assert page.url.endswith(f"/items/{w['a'].id}")
    assert await page.input_value("#problems input[name=description]") == "用地指标不足"
    assert await page.input_value("#report textarea[name=narrative]") == "本周新增认定企业 5 家"
    async with page.expect_navigation():
        await page.click("#problems button:has-text('登记问题')")
    assert "问题已登记" in await page.locator(".flash").inner_text()
    assert "用地指标不足" in await page.locator("#problems ul").inner_text()
