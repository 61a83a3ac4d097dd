"""The admin's working-day overrides: a year the calendar package lacks falls back to
Monday–Friday until the admin enters its holidays and make-up days; the cockpit counts with them."""

import datetime as dt
import re

from closedloop.db.tables import AuditEvent, WorkdayOverride
from closedloop.domain.workdays import covered, workdays_between
from closedloop.services import workdays


async def test_admin_enters_a_holiday_and_a_make_up_day(client, world):
    admin, lead = world.headers["admin"], world.headers["lead_a"]
    year = next(y for y in range(2026, 2100) if not covered(y))
    r = await client.get(f"/api/v1/workdays?year={year}", headers=lead)
    assert r.status_code == 200 and r.json() == {"year": year, "covered": False, "overrides": []}
    monday, saturday = dt.date(year, 2, 1), dt.date(year, 2, 6)
    while monday.weekday() != 0:
        monday += dt.timedelta(days=1)
    while saturday.weekday() != 5:
        saturday += dt.timedelta(days=1)
    before = workdays_between(monday - dt.timedelta(days=1), saturday, await workdays.overrides())
    assert (await client.put(f"/api/v1/workdays/{monday}", json={"is_workday": False, "note": "春节"}, headers=admin)).status_code == 200
    assert (await client.put(f"/api/v1/workdays/{saturday}", json={"is_workday": True, "note": "调休"}, headers=admin)).status_code == 200
    # changing a day is the same call; the note follows
    r = await client.put(f"/api/v1/workdays/{monday}", json={"is_workday": False, "note": "春节假期"}, headers=admin)
    assert r.json() == {"day": str(monday), "is_workday": False, "note": "春节假期"}
    after = workdays_between(monday - dt.timedelta(days=1), saturday, await workdays.overrides())
    assert after == before  # one day off, one day on
    listed = (await client.get(f"/api/v1/workdays?year={year}", headers=admin)).json()["overrides"]
    assert [(d["day"], d["is_workday"]) for d in listed] == [(str(monday), False), (str(saturday), True)]
    assert await AuditEvent.count().where(AuditEvent.entity == "workday_override") == 3
    assert (await client.delete(f"/api/v1/workdays/{saturday}", headers=admin)).status_code == 204
    assert (await client.delete(f"/api/v1/workdays/{saturday}", headers=admin)).status_code == 404
    assert await WorkdayOverride.count() == 1
    bad = await client.put("/api/v1/workdays/2027-02-30", json={"is_workday": False}, headers=admin)
    assert bad.status_code in (400, 404)  # not a date: no such path
    long = await client.put(f"/api/v1/workdays/{monday}", json={"is_workday": False, "note": "长" * 101}, headers=admin)
    assert long.status_code == 400
    assert (await client.get("/api/v1/workdays?year=1800", headers=admin)).status_code == 400


async def test_the_admin_page_shows_coverage_and_saves_a_day(client, world):
    client.cookies.set("closedloop_session", world.headers["admin"]["Authorization"].split()[1])
    try:
        page = await client.get("/admin/workdays?year=2024")
        assert page.status_code == 200 and "日历包已收录 2024 年" in page.text
        token = re.search(r'name="_csrf_token" value="([^"]+)"', page.text).group(1)
        r = await client.post("/admin/workdays", data={"_csrf_token": token, "day": "2024-10-08", "is_workday": "0", "note": "测试"},
                              headers={"Origin": "http://testserver", "x-csrftoken": token})
        assert r.status_code in (302, 303)
        assert "2024-10-08" in (await client.get("/admin/workdays?year=2024")).text
        client.cookies.set("closedloop_session", world.headers["supervisor"]["Authorization"].split()[1])
        assert (await client.get("/admin/workdays")).status_code == 403
    finally:
        client.cookies.clear()
