"""Page sessions: the cookie's flags, CSRF tokens bound to the session, the API refusing the cookie."""

from __future__ import annotations

import re

import pytest

from closedloop.app import create_app
from closedloop.settings import get_settings

PASSWORD = "session-pass-1"


def _token(html: str) -> str:
    m = re.search(r'name="_csrf_token" value="([^"]+)"', html)
    assert m, "the page renders no CSRF token"
    return m.group(1)


async def _set_password(client, world, name: str) -> None:
    users = (await client.get("/api/v1/users/", headers=world.headers["admin"])).json()
    user = next(u for u in users if u["username"] == name)
    r = await client.patch(f"/api/v1/users/{user['id']}", json={"password": PASSWORD, "version": user["version"]}, headers=world.headers["admin"])
    assert r.status_code == 200


async def _log_in(client, username: str) -> str:
    form = await client.get("/login")
    token = _token(form.text)
    r = await client.post("/login", data={"username": username, "password": PASSWORD, "_csrf_token": token})
    assert r.status_code in (302, 303), r.text[:300]
    return token


async def test_the_session_cookie_is_httponly_and_samesite(client, world):
    await _set_password(client, world, "lead_a")
    form = await client.get("/login")
    r = await client.post("/login", data={"username": "lead_a", "password": PASSWORD, "_csrf_token": _token(form.text)})
    cookie = next(v for k, v in r.headers.multi_items() if k == "set-cookie" and v.startswith("closedloop_session="))
    flags = cookie.lower()
    assert "httponly" in flags and "samesite=lax" in flags and "path=/" in flags
    assert "secure" not in flags  # plain HTTP unless CLOSEDLOOP_SECURE_COOKIES=on


async def test_a_form_without_its_token_is_refused_with_a_page_that_says_what_to_do(client, world):
    await _set_password(client, world, "lead_a")
    await _log_in(client, "lead_a")
    r = await client.post("/logout", data={})
    assert r.status_code == 403
    assert "CSRF 校验失败" in r.text and "刷新页面" in r.text
    assert (await client.get("/my")).status_code == 200  # still signed in


async def test_a_token_from_before_login_is_not_accepted_after_it(client, world):
    await _set_password(client, world, "lead_a")
    before = await _log_in(client, "lead_a")
    stale = await client.post("/logout", data={"_csrf_token": before})
    assert stale.status_code == 403
    page = await client.get("/my")
    fresh = _token(page.text)
    assert fresh != before
    done = await client.post("/logout", data={"_csrf_token": fresh})
    assert done.status_code in (302, 303)
    assert (await client.get("/my")).status_code in (302, 303)  # signed out: back to the login page


async def test_a_token_of_another_session_is_refused(client, world):
    await _set_password(client, world, "lead_a")
    await _set_password(client, world, "lead_b")
    await _log_in(client, "lead_a")
    a_token = _token((await client.get("/my")).text)
    a_cookies = dict(client.cookies)
    client.cookies.clear()
    await _log_in(client, "lead_b")
    # lead_b's browser carrying lead_a's token in both places (as an attacker who got it would)
    client.cookies.set(get_settings().csrf_cookie, a_token)
    r = await client.post("/logout", data={"_csrf_token": a_token})
    assert r.status_code == 403
    assert a_cookies  # lead_a's session was real


async def test_the_api_refuses_the_page_session_cookie(client, world):
    await _set_password(client, world, "lead_a")
    await _log_in(client, "lead_a")
    assert client.cookies.get("closedloop_session")
    r = await client.get("/api/v1/auth/me")
    assert r.status_code == 401


async def test_over_https_the_cookies_are_secure_and_host_only(client, world, monkeypatch):
    monkeypatch.setenv("CLOSEDLOOP_SECURE_COOKIES", "on")
    get_settings(reload=True)
    try:
        import httpx

        app = create_app()
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="https://testserver") as c:
            await _set_password(c, world, "lead_a")
            form = await c.get("/login")
            csrf = next(v for k, v in form.headers.multi_items() if k == "set-cookie" and "csrf" in v)
            assert csrf.startswith("__Host-closedloop_csrf=") and "secure" in csrf.lower() and "path=/" in csrf.lower()
            r = await c.post("/login", data={"username": "lead_a", "password": PASSWORD, "_csrf_token": _token(form.text)})
            session = next(v for k, v in r.headers.multi_items() if k == "set-cookie" and "session" in v)
            assert session.startswith("__Host-closedloop_session=") and "secure" in session.lower() and "httponly" in session.lower()
            assert "domain=" not in session.lower()
            assert (await c.get("/my")).status_code == 200
    finally:
        monkeypatch.undo()
        get_settings(reload=True)


@pytest.mark.parametrize("path", ["/login", "/my", "/rankings"])
async def test_pages_render_a_token_only_where_they_have_forms(client, world, path):
    await _set_password(client, world, "lead_a")
    await _log_in(client, "lead_a")
    r = await client.get(path)
    assert r.status_code == 200
    if "<form" in r.text and 'method="post"' in r.text:
        assert _token(r.text)


async def test_a_notice_shows_only_when_this_site_wrote_it(client, world):
    """A crafted link with ?msg= text shows nothing; the site's own notices (signed) show."""
    from closedloop.web.forms import flash_query

    await _set_password(client, world, "lead_a")
    await _log_in(client, "lead_a")
    forged = await client.get("/my?msg=" + "请立即拨打客服电话")
    assert forged.status_code == 200 and "请立即拨打客服电话" not in forged.text
    own = await client.get("/my?" + flash_query("已保存"))
    assert "已保存" in own.text
