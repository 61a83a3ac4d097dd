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
no subdomain can set or overwrite them.

Before the token, the origin: a page form may only be posted from the site itself. When the
browser says where an unsafe request comes from (Origin, else Referer), it must be this site, or
the answer is 403. Browsers send Origin on every cross-site POST, so a forged form is refused
before its CSRF token is even looked at.

This is the pages router's middleware; the API router (bearer tokens, never cookies) has none.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any
from urllib.parse import urlsplit

from litestar.datastructures import Cookie
from litestar.datastructures.headers import MutableScopeHeaders
from litestar.exceptions import PermissionDeniedException
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from litestar.utils.scope.state import ScopeState

from closedloop.settings import get_settings

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
FORM_FIELD = "_csrf_token"
HEADER = "x-csrftoken"
FAILED = "CSRF token verification failed"  # the error handlers answer it in Chinese
FOREIGN_PAGE = (
    '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>请求来源不是本站</title>'
    '<link rel="stylesheet" href="/static/site.css"></head><body><main>'
    "<h1>请求来源不是本站，已拒绝</h1><p>请打开本站页面后再提交表单。如果您是从本站页面提交的，"
    '请刷新页面后重试。</p><p><a href="/">回到首页</a></p></main></body></html>'
).encode()


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


def _header(scope: Scope, name: bytes) -> str:
    for k, v in scope.get("headers", []):
        if k == name:
            return v.decode("latin-1")
    return ""


def foreign(scope: Scope) -> bool:
    """An unsafe request that a browser says came from another site."""
    if scope.get("method") in SAFE_METHODS:
        return False
    source = _header(scope, b"origin") or _header(scope, b"referer")
    if not source:
        return False  # not a browser (browsers send Origin on POST); the CSRF token still applies
    if source == "null":
        return True  # sandboxed frames and some redirects: never our own page
    parts = urlsplit(source)
    host = _header(scope, b"host").lower()
    return parts.netloc.lower() != host or parts.scheme not in ("http", "https")


class SessionCSRFMiddleware:
    """Issue tokens on safe page requests and check them on unsafe ones (see the module)."""

    def __init__(self, app: ASGIApp, secret: str) -> None:
        self.app = app
        self.secret = secret

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if foreign(scope):
            await send({"type": "http.response.start", "status": 403, "headers": [
                (b"content-type", b"text/html; charset=utf-8"), (b"content-length", str(len(FOREIGN_PAGE)).encode()),
            ]})
            await send({"type": "http.response.body", "body": FOREIGN_PAGE, "more_body": False})
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
