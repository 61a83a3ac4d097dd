"""Who is signed in on a page: the pages router's authentication, by the session cookie only.

The API router takes bearer tokens only (``api/security.py``); keeping the two apart means a
cookie can never authorise an API call forged by another site. A page handler marked public
(``opt={PUBLIC_OPT: True}``: rankings, plans, unit history, the login form) is served to
anyone; when a valid session comes with it, its user is put in the request scope so that the
signed-in menu stays. That grants nothing: public handlers check no role, and a missing,
expired or revoked session simply leaves the page anonymous. Every other page needs a valid
session, else 401 (the pages' error handler sends the browser to the login form).
"""

from __future__ import annotations

from http.cookies import SimpleCookie

from litestar.exceptions import NotAuthorizedException
from litestar.types import ASGIApp, Receive, Scope, Send

from closedloop.domain.errors import Unauthorized
from closedloop.http_common import PUBLIC_OPT
from closedloop.services import auth as auth_service
from closedloop.settings import get_settings


def session_auth(app: ASGIApp) -> ASGIApp:
    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") == "OPTIONS":
            # Litestar answers OPTIONS itself; there is nothing to protect in an Allow header
            await app(scope, receive, send)
            return
        handler = scope.get("route_handler")
        public = bool(handler is not None and handler.opt.get(PUBLIC_OPT))
        token = _cookie(scope)
        if token:
            try:
                scope["user"] = await auth_service.authenticate(token)
            except Unauthorized as exc:
                if not public:
                    raise NotAuthorizedException(exc.message) from None
        elif not public:
            raise NotAuthorizedException("请先登录")
        await app(scope, receive, send)

    return middleware


def _cookie(scope: Scope) -> str | None:
    for name, value in scope.get("headers", []):
        if name == b"cookie":
            jar: SimpleCookie = SimpleCookie()
            try:
                jar.load(value.decode("latin-1"))
            except Exception:  # a malformed cookie header: the page stays anonymous
                return None
            morsel = jar.get(get_settings().session_cookie)
            return morsel.value if morsel else None
    return None
