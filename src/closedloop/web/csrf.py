"""CSRF tokens for page forms, bound to the page session.

A token is ``nonce.mac`` where ``mac`` = HMAC-SHA256(secret, nonce + the session's binding),
and the binding is a hash of the session cookie (empty before login). It travels twice: in a
cookie and in the form (``_csrf_token``) or the ``X-CSRFToken`` header; an unsafe request passes
only when both are the same token and it is valid for the session the request carries. So a
token issued before login, or to another session, is refused, and a token planted in a cookie
by someone else cannot match a session it was not made for. When the session changes (login,
logout), the next page issues a fresh token.

Served over HTTPS (``CLOSEDLOOP_SECURE_COOKIES=on``) the cookies are ``Secure`` and carry the
``__Host-`` prefix, which browsers accept only from this exact host over HTTPS with path ``/``:
no subdomain can set or overwrite them. The API (bearer tokens only) is not concerned.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any

from litestar.datastructures import Cookie
from litestar.datastructures.headers import MutableScopeHeaders
from litestar.exceptions import PermissionDeniedException
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from litestar.utils.scope.state import ScopeState

from closedloop.settings import get_settings

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
FORM_FIELD = "_csrf_token"
HEADER = "x-csrftoken"
EXCLUDED = ("/api/", "/schema", "/static")
FAILED = "CSRF token verification failed"  # the error handlers answer it in Chinese


_process_secret: str | None = None


def secret() -> str:
    """The key of the site's signatures: CLOSEDLOOP_SECRET_KEY, else one random key for this
    process (with several workers the setting is required)."""
    global _process_secret
    configured = get_settings().secret_key
    if configured:
        return configured
    if _process_secret is None:
        _process_secret = secrets.token_hex(32)
    return _process_secret


def _binding(session: str | None) -> bytes:
    return hashlib.sha256((session or "").encode()).digest()


def make_token(secret: str, session: str | None) -> str:
    nonce = secrets.token_hex(16)
    mac = hmac.new(secret.encode(), nonce.encode() + _binding(session), hashlib.sha256).hexdigest()
    return f"{nonce}.{mac}"


def valid_token(secret: str, session: str | None, token: str | None) -> bool:
    if not token or token.count(".") != 1:
        return False
    nonce, mac = token.split(".")
    expected = hmac.new(secret.encode(), nonce.encode() + _binding(session), hashlib.sha256).hexdigest()
    return hmac.compare_digest(mac, expected)


class SessionCSRFMiddleware:
    """Issue tokens on safe page requests and check them on unsafe ones (see the module)."""

    def __init__(self, app: ASGIApp, secret: str) -> None:
        self.app = app
        self.secret = secret

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(EXCLUDED):
            await self.app(scope, receive, send)
            return
        settings = get_settings()
        request: Any = scope["litestar_app"].request_class(scope=scope, receive=receive)
        session = request.cookies.get(settings.session_cookie)
        cookie = request.cookies.get(settings.csrf_cookie)
        state = ScopeState.from_scope(scope)
        if request.method in SAFE_METHODS:
            if valid_token(self.secret, session, cookie):
                state.csrf_token = cookie
                await self.app(scope, receive, send)
                return
            token = make_token(self.secret, session)
            state.csrf_token = token
            await self.app(scope, receive, self._setting_cookie(send, token, settings.csrf_cookie, settings.secure_cookies))
            return
        submitted = request.headers.get(HEADER)
        if not submitted and request.content_type[0] in ("application/x-www-form-urlencoded", "multipart/form-data"):
            submitted = (await request.form()).get(FORM_FIELD)
        if not (submitted and cookie and hmac.compare_digest(str(submitted), cookie) and valid_token(self.secret, session, cookie)):
            raise PermissionDeniedException(FAILED)
        state.csrf_token = cookie
        await self.app(scope, receive, send)

    @staticmethod
    def _setting_cookie(send: Send, token: str, name: str, secure: bool) -> Send:
        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableScopeHeaders.from_message(message)
                # readable by the page (it is also rendered into forms); the session cookie is HttpOnly
                cookie = Cookie(key=name, value=token, path="/", secure=secure, httponly=False, samesite="lax")
                headers.add("set-cookie", cookie.to_header(header=""))
            await send(message)

        return wrapped
