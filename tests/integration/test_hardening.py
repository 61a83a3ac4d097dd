"""Hardening: sessions end when an account changes, a lockout nobody can use against others,
security headers, OPTIONS and HEAD on every route, robot tokens for admins only."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from litestar.routes import HTTPRoute

from closedloop.services.common import Clock
from closedloop.settings import get_settings
from tests.integration.conftest import token_for

PASSWORD = "correct-horse-1"


@pytest.fixture
def settings_env(monkeypatch):
    """Set CLOSEDLOOP_* variables for one test; the settings are re-read before and after."""

    def set_(**values: str) -> None:
        for k, v in values.items():
            monkeypatch.setenv(f"CLOSEDLOOP_{k}", v)
        get_settings(reload=True)

    yield set_
    monkeypatch.undo()
    get_settings(reload=True)


async def _login(client, username: str, password: str, forwarded: str | None = None):
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    return await client.post("/api/v1/auth/login", json={"username": username, "password": password}, headers=headers)


async def _user(client, world, name: str) -> dict:
    users = (await client.get("/api/v1/users/", headers=world.headers["admin"])).json()
    return next(u for u in users if u["username"] == name)


# -- sessions end when the account changes -------------------------------------------------


@pytest.mark.parametrize(
    "change",
    [{"password": "a-new-password-2"}, {"role": "supervisor", "unit_id": None}, {"unit_id": "C"}, {"active": False}],
    ids=["password", "role", "unit", "disabled"],
)
async def test_changing_an_account_ends_its_sessions(client, world, change):
    lead = world.headers["lead_a"]
    assert (await client.get("/api/v1/auth/me", headers=lead)).status_code == 200
    user = await _user(client, world, "lead_a")
    body = {**change, "version": user["version"]}
    if body.get("unit_id") == "C":
        body["unit_id"] = world.unit_c.id
    r = await client.patch(f"/api/v1/users/{user['id']}", json=body, headers=world.headers["admin"])
    assert r.status_code == 200, r.text
    after = await client.get("/api/v1/auth/me", headers=lead)
    assert after.status_code == 401


async def test_re_enabling_a_user_does_not_revive_old_tokens(client, world):
    lead = world.headers["lead_a"]
    user = await _user(client, world, "lead_a")
    off = await client.patch(f"/api/v1/users/{user['id']}", json={"active": False, "version": user["version"]}, headers=world.headers["admin"])
    on = await client.patch(f"/api/v1/users/{user['id']}", json={"active": True, "version": off.json()["version"]}, headers=world.headers["admin"])
    assert on.status_code == 200
    assert (await client.get("/api/v1/auth/me", headers=lead)).status_code == 401
    # a fresh token of the re-enabled user works
    assert (await client.get("/api/v1/auth/me", headers=await token_for(world.users["lead_a"]))).status_code == 200


async def test_changing_only_the_display_name_keeps_sessions(client, world):
    lead = world.headers["lead_a"]
    user = await _user(client, world, "lead_a")
    r = await client.patch(f"/api/v1/users/{user['id']}", json={"display_name": "张三", "version": user["version"]}, headers=world.headers["admin"])
    assert r.status_code == 200
    assert (await client.get("/api/v1/auth/me", headers=lead)).status_code == 200


# -- lockout ---------------------------------------------------------------------------------


async def _set_password(client, world, name: str) -> None:
    user = await _user(client, world, name)
    r = await client.patch(f"/api/v1/users/{user['id']}", json={"password": PASSWORD, "version": user["version"]}, headers=world.headers["admin"])
    assert r.status_code == 200


async def test_guessing_from_one_address_does_not_lock_the_owner_out_elsewhere(client, world, settings_env):
    settings_env(TRUSTED_PROXIES="127.0.0.0/8")
    await _set_password(client, world, "sup")
    for _ in range(5):
        assert (await _login(client, "sup", "wrong-guess", forwarded="203.0.113.9")).status_code == 401
    blocked = await _login(client, "sup", PASSWORD, forwarded="203.0.113.9")
    assert blocked.status_code == 429 and int(blocked.headers["retry-after"]) > 0
    assert "秒后再试" in blocked.json()["error"]["message"]
    # the real supervisor, from their own address, is let in
    assert (await _login(client, "sup", PASSWORD, forwarded="198.51.100.7")).status_code == 200


async def test_forwarded_for_is_ignored_unless_the_peer_is_a_trusted_proxy(client, world, settings_env):
    settings_env(TRUSTED_PROXIES="10.9.9.9")  # the test client's peer (127.0.0.1) is not it
    await _set_password(client, world, "sup")
    for n in range(5):  # an attacker varying the header still counts as one client
        assert (await _login(client, "sup", "wrong-guess", forwarded=f"203.0.113.{n}")).status_code == 401
    assert (await _login(client, "sup", PASSWORD, forwarded="198.51.100.7")).status_code == 429


async def test_the_delay_grows_with_each_further_failure(client, world):
    await _set_password(client, world, "lead_b")
    start = Clock.now()
    for _ in range(5):
        await _login(client, "lead_b", "wrong-guess")
    first = await _login(client, "lead_b", PASSWORD)
    assert first.status_code == 429 and 25 <= int(first.headers["retry-after"]) <= 31
    Clock.fixed = start + dt.timedelta(seconds=31)
    assert (await _login(client, "lead_b", "wrong-again")).status_code == 401
    second = await _login(client, "lead_b", PASSWORD)
    assert second.status_code == 429 and 55 <= int(second.headers["retry-after"]) <= 61
    Clock.fixed = start + dt.timedelta(seconds=31 + 61)
    ok = await _login(client, "lead_b", PASSWORD)
    assert ok.status_code == 200
    # a success clears the pair: the next wrong password is not blocked at once
    assert (await _login(client, "lead_b", "wrong-guess")).status_code == 401
    assert (await _login(client, "lead_b", PASSWORD)).status_code == 200


async def test_one_address_guessing_many_accounts_is_capped(client, world, settings_env):
    settings_env(LOGIN_CLIENT_MAX_FAILURES="3")
    await _set_password(client, world, "lead_c")
    for name in ("admin", "sup", "lead_a"):
        assert (await _login(client, name, "wrong-guess")).status_code == 401
    capped = await _login(client, "lead_c", PASSWORD)
    assert capped.status_code == 429


async def test_unknown_and_disabled_users_get_the_same_answer_as_a_wrong_password(client, world):
    user = await _user(client, world, "lead_c")
    await client.patch(f"/api/v1/users/{user['id']}", json={"active": False, "password": PASSWORD, "version": user["version"]}, headers=world.headers["admin"])
    answers = [await _login(client, name, pw) for name, pw in (("nobody", PASSWORD), ("lead_c", PASSWORD), ("lead_a", "wrong-guess"))]
    assert {(r.status_code, r.json()["error"]["message"]) for r in answers} == {(401, "用户名或密码错误")}


async def test_login_counts_are_kept_in_the_database(client, world):
    """Every worker reads the same table, so a lockout holds across processes."""
    from closedloop.db.tables import LoginThrottle

    for _ in range(2):
        await _login(client, "lead_a", "wrong-guess")
    rows = {r["key"]: r["failures"] for r in await LoginThrottle.select()}
    assert rows == {"pair:lead_a|127.0.0.1": 2, "client:127.0.0.1": 2}


# -- robot tokens ------------------------------------------------------------------------------


async def test_unit_webhook_urls_are_visible_to_admins_only(client, world):
    unit = next(u for u in (await client.get("/api/v1/units/", headers=world.headers["admin"])).json() if u["id"] == world.unit_a.id)
    r = await client.patch(f"/api/v1/units/{unit['id']}", json={"webhook_url": "https://robot.example/send?key=secret", "version": unit["version"]}, headers=world.headers["admin"])
    assert r.status_code == 200
    for role in ("lead_a", "supervisor"):
        units = (await client.get("/api/v1/units/", headers=world.headers[role])).json()
        assert all(u["webhook_url"] is None for u in units)
    units = (await client.get("/api/v1/units/", headers=world.headers["admin"])).json()
    assert any(u["webhook_url"] == "https://robot.example/send?key=secret" for u in units)


# -- HTTP ----------------------------------------------------------------------------------------


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", path)


def _routes(app) -> list[tuple[str, set[str]]]:
    return [(r.path, set(r.methods)) for r in app.routes if isinstance(r, HTTPRoute)]


async def test_options_on_every_route_never_fails(client, world):
    routes = _routes(client.app)
    assert len(routes) > 40
    for path, _methods in routes:
        for headers in ({}, world.headers["lead_a"]):
            r = await client.options(_concrete(path), headers=headers)
            assert r.status_code < 500, (path, r.status_code, r.text[:200])


async def test_head_answers_like_get_without_a_body(client, world):
    for path, methods in _routes(client.app):
        if "GET" not in methods or "{" in path:
            continue
        get_ = await client.get(path, headers=world.headers["admin"])
        head = await client.head(path, headers=world.headers["admin"])
        assert head.status_code == get_.status_code, path
        assert head.content == b"", path
        assert head.headers.get("content-type") == get_.headers.get("content-type"), path


async def test_every_answer_carries_the_security_headers(client, world):
    for path, headers in (("/rankings", {}), ("/login", {}), ("/api/v1/items/", world.headers["lead_a"]), ("/no-such-page", {})):
        r = await client.get(path, headers=headers)
        csp = r.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["referrer-policy"] == "same-origin"


async def test_signed_in_answers_and_exports_are_not_cached(client, world):
    api = await client.get("/api/v1/items/", headers=world.headers["lead_a"])
    assert api.headers["cache-control"] == "no-store"
    public = await client.get("/rankings")
    assert public.headers.get("cache-control") != "no-store"


async def test_the_api_page_loads_swagger_from_the_site_itself(client):
    page = await client.get("/schema/swagger")
    assert page.status_code == 200
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert sources and all(s.startswith("/") for s in sources), sources
    js = await client.get("/static/swagger/swagger-ui-bundle.js")
    assert js.status_code == 200 and len(js.content) > 100_000


def test_csv_cells_that_a_spreadsheet_would_run_are_kept_as_text():
    from closedloop.services.exports import to_csv

    out = to_csv(["a"], [["=1+1"], ["\t=cmd"], ["\r@x"], ["-2"], ["正常"]]).decode("utf-8-sig")
    lines = out.splitlines()
    assert lines[1:3] == ["'=1+1", "'\t=cmd"]
    assert "正常" in out and "'正常" not in out


async def test_a_page_form_posted_from_another_site_is_refused(client, world):
    for headers in ({"Origin": "https://evil.example"}, {"Referer": "https://evil.example/page"}, {"Origin": "null"}):
        r = await client.post("/login", data={"username": "lead_a", "password": "x"}, headers=headers)
        assert r.status_code == 403 and "请求来源不是本站" in r.text, headers
    same = await client.post("/login", data={"username": "lead_a", "password": "x"}, headers={"Origin": "http://testserver"})
    assert "请求来源不是本站" not in same.text
    # the API takes bearer tokens, not cookies: an Origin does not matter there
    api = await client.get("/api/v1/auth/me", headers={**world.headers["lead_a"], "Origin": "https://evil.example"})
    assert api.status_code == 200


async def test_options_lists_every_method_of_the_path(client, world):
    for path, methods in _routes(client.app):
        r = await client.options(_concrete(path), headers=world.headers["admin"])
        if r.status_code != 204:
            continue
        allow = {m.strip() for m in r.headers["allow"].split(",")}
        expected = set(methods) | {"OPTIONS"} | ({"HEAD"} if "GET" in methods else set())
        assert allow == expected, path


async def test_the_unit_chart_loads_no_script_from_another_site(client, world):
    r = await client.get(f"/units/{world.unit_a.id}/chart.svg")
    assert r.status_code == 200 and r.text.lstrip().startswith(("<?xml", "<svg"))
    import re

    # pygal keeps an inline config block, inert in an <img>; what must not be there is a script
    # fetched from another site (its tooltip script lives on kozea.github.io)
    assert not re.search(r"<script[^>]*\bsrc=", r.text) and "kozea.github.io" not in r.text
