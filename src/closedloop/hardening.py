"""HTTP hardening around the whole application: security headers and HEAD.

Installed by ``create_app`` around Litestar's ASGI handler (outside routing, so that it also
covers 404/405 answers, static files and the schema pages):

- every response carries a Content-Security-Policy that allows only the site's own scripts,
  styles and images (no inline script, no other origin; ``frame-ancestors 'none'``),
  ``X-Content-Type-Options: nosniff``, ``Referrer-Policy: same-origin`` and
  ``X-Frame-Options: DENY`` (for browsers that predate frame-ancestors);
- responses to signed-in requests (a session cookie or a bearer token), the API and exports
  are ``Cache-Control: no-store``, so a shared or back-button cache never shows them to
  someone else;
- OPTIONS lists every method of the path in Allow (see `_allowed_methods`);
- HEAD is answered as GET without the body (Litestar routes only the methods a handler
  declares, and every page and endpoint declares GET only);
- a page form may only be posted from the site itself: when the browser says where an unsafe
  request comes from (Origin, else Referer), it must be this site, or the answer is 403. Browsers
  send Origin on every cross-site POST, so a forged form is refused before its CSRF token is
  even looked at. The API (bearer tokens, never cookies) is not concerned.

The Swagger UI page (``/schema/swagger``) is the one exception to the script rule: Litestar
writes its start-up script inline. Its files are served by the app itself (swagger-ui-bundle),
so even there no script from another origin runs.
"""

from __future__ import annotations

from typing import Any, Callable
from urllib.parse import urlsplit

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; "
    "object-src 'none'; frame-ancestors 'none'"
)
CSP_SWAGGER = CSP.replace("script-src 'self'", "script-src 'self' 'unsafe-inline'").replace(
    "style-src 'self'", "style-src 'self' 'unsafe-inline'"
)
STATIC_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
]


def _signed_in(scope: dict) -> bool:
    for name, value in scope.get("headers", []):
        if name == b"authorization":
            return True
        if name == b"cookie" and b"closedloop_session=" in value:
            return True
    return False


def _private(scope: dict) -> bool:
    path: str = scope.get("path", "")
    return path.startswith("/api/") or path.endswith("/export") or "/export" in path or _signed_in(scope)


UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
FOREIGN_PAGE = (
    '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>请求来源不是本站</title>'
    '<link rel="stylesheet" href="/static/site.css"></head><body><main>'
    "<h1>请求来源不是本站，已拒绝</h1><p>请打开本站页面后再提交表单。如果您是从本站页面提交的，"
    '请刷新页面后重试。</p><p><a href="/">回到首页</a></p></main></body></html>'
).encode()


def _header(scope: dict, name: bytes) -> str:
    for k, v in scope.get("headers", []):
        if k == name:
            return v.decode("latin-1")
    return ""


def _foreign(scope: dict) -> bool:
    """An unsafe page request that a browser says came from another site."""
    if scope.get("method") not in UNSAFE_METHODS or scope.get("path", "").startswith("/api/"):
        return False
    source = _header(scope, b"origin") or _header(scope, b"referer")
    if not source:
        return False  # not a browser (browsers send Origin on POST); the CSRF token still applies
    if source == "null":
        return True  # sandboxed frames and some redirects: never our own page
    parts = urlsplit(source)
    host = _header(scope, b"host").lower()
    return parts.netloc.lower() != host or parts.scheme not in ("http", "https")


def _allowed_methods(scope: dict) -> str | None:
    """The methods the path really answers. Litestar's automatic OPTIONS handler can list only
    the methods of the first handler registered on a path (its Allow header then misses e.g.
    PATCH); the routing trie knows them all."""
    app = scope.get("app")
    router = getattr(app, "asgi_router", None)
    if router is None:
        return None
    try:
        router._handle_routing(scope.get("path", ""), "X-ALLOW-PROBE")  # no handler has this method
    except Exception as exc:  # MethodNotAllowedException carries the path's methods
        allow = (getattr(exc, "headers", None) or {}).get("allow")
        if not allow:
            return None
        methods = {m.strip().upper() for m in allow.split(",") if m.strip()}
        if "GET" in methods:
            methods.add("HEAD")  # answered here, as GET without a body
        return ", ".join(sorted(methods | {"OPTIONS"}))
    return None


def harden(handler: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap an ASGI handler with the headers and HEAD handling described above."""

    async def app(scope: dict, receive: Callable, send: Callable) -> None:
        if scope.get("type") != "http":
            await handler(scope, receive, send)
            return
        head = scope.get("method") == "HEAD"
        options = scope.get("method") == "OPTIONS"
        if _foreign(scope):
            await send({"type": "http.response.start", "status": 403, "headers": [
                (b"content-type", b"text/html; charset=utf-8"), (b"content-length", str(len(FOREIGN_PAGE)).encode()),
                (b"content-security-policy", CSP.encode()), *STATIC_HEADERS,
            ]})
            await send({"type": "http.response.body", "body": FOREIGN_PAGE, "more_body": False})
            return
        if head:
            scope = {**scope, "method": "GET"}
        path: str = scope.get("path", "")
        csp = CSP_SWAGGER if path.startswith("/schema") else CSP
        private = _private(scope)

        async def send_wrapper(message: dict) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() not in {b"x-content-type-options", b"referrer-policy", b"x-frame-options", b"content-security-policy"}]
                headers += STATIC_HEADERS
                if options and message.get("status") == 204:
                    allow = _allowed_methods(scope)
                    if allow:
                        headers = [(k, v) for k, v in headers if k.lower() != b"allow"] + [(b"allow", allow.encode())]
                headers.append((b"content-security-policy", csp.encode()))
                if private:
                    headers = [(k, v) for k, v in headers if k.lower() != b"cache-control"]
                    headers.append((b"cache-control", b"no-store"))
                message = {**message, "headers": headers}
            elif message["type"] == "http.response.body" and head:
                if message.get("more_body"):
                    return
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        await handler(scope, receive, send_wrapper)

    return app
