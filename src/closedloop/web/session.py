"""The signed-in user on public pages (rankings, plan, unit history), so that the menu stays.

Public paths skip authentication; this middleware reads the session cookie there, when one is
sent, and puts its user in the request scope. It grants nothing: public handlers check no
role, and a missing, expired or revoked session simply leaves the page anonymous.
"""

from __future__ import annotations

from http.cookies import SimpleCookie

from litestar.types import ASGIApp, Receive, Scope, Send

from closedloop.domain.errors import Unauthorized
from closedloop.services import auth as auth_service
from closedloop.services.common import Actor
from closedloop.settings import get_settings

PUBLIC_PAGES = ("/rankings", "/plans/", "/units/")


def optional_session(app: ASGIApp) -> ASGIApp:
    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(PUBLIC_PAGES) and not isinstance(scope.get("user"), Actor):
            token = _cookie(scope)
            if token:
                try:
                    scope["user"] = await auth_service.authenticate(token)
                except Unauthorized:
                    pass
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
