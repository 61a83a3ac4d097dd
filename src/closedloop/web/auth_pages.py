"""Signing in and out of the pages. After signing in the user lands where they were: the page
they asked for, or (when a form was posted after the session expired) the page the form was on,
where the browser puts back what they had typed (static/site.js)."""

from __future__ import annotations

from urllib.parse import quote

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import Cookie
from litestar.params import FromQuery
from litestar.response import Redirect, Template

from closedloop.http_common import PUBLIC_OPT, client_address
from closedloop.domain.errors import DomainError
from closedloop.services import auth as auth_service
from closedloop.settings import get_settings
from closedloop.web.forms import HOME, Form, local_path, page


class AuthPages(Controller):
    include_in_schema = False

    @get("/login", opt={PUBLIC_OPT: True})
    async def login_form(self, request: Request, next: FromQuery[str] = "", reason: FromQuery[str] = "") -> Template:
        return page("login.html", request, next=local_path(next) or "", reason=reason, values={}, errors={})

    @post("/login", opt={PUBLIC_OPT: True})
    async def login(self, request: Request) -> Response:
        form = await Form.read(request)
        username, password = form.raw("username"), str(form.values.get("password") or "")
        nxt = local_path(form.raw("next")) or ""
        if nxt.startswith("/login"):
            nxt = ""
        if not username:
            form.errors["username"] = "请输入用户名"
        if not password:
            form.errors["password"] = "请输入密码"
        if not form.errors:
            client = client_address(request)
            try:
                token, user = await auth_service.login(username, password, client, kind="web")
            except DomainError as exc:
                form.errors["_"] = exc.message
            else:
                s = get_settings()
                return Redirect(
                    path=nxt or HOME.get(user["role"], "/rankings"),
                    status_code=303,
                    cookies=[
                        Cookie(
                            key=s.session_cookie, value=token, httponly=True, samesite="lax", secure=s.secure_cookies,
                            max_age=s.token_ttl_hours * 3600, path="/",
                        )
                    ],
                )
        status = 401 if "_" in form.errors else 422
        return page("login.html", request, status=status, next=nxt, reason="", values={"username": username}, errors=form.errors)

    @post("/logout")
    async def logout(self, request: Request) -> Response:
        token = request.cookies.get(get_settings().session_cookie)
        if token:
            await auth_service.logout(token)
        response = Redirect(path="/login?reason=" + quote("已退出登录"), status_code=303)
        response.delete_cookie(get_settings().session_cookie, path="/")
        return response
