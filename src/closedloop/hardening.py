"""HTTP hardening around the whole application: security headers and HEAD.

Installed by ``create_app`` around Litestar's ASGI handler (outside routing, so that it also
covers 404/405 answers, static files and the schema pages):

- every response carries a Content-Security-Policy that allows only the site's own scripts,
  styles and images (no inline script, no other origin; ``frame-ancestors 'none'``),
  ``X-Content-Type-Options: nosniff``, ``Referrer-Policy: same-origin`` and
  ``X-Frame-Options: DENY`` (for browsers that predate frame-ancestors); a handler's own,
  stricter policy is kept (the evidence downloads: ``default-src 'none'; sandbox``);
- responses to signed-in requests (a session cookie or a bearer token) and exports are
  ``Cache-Control: no-store``, so a shared or back-button cache never shows them to someone
  else (the API router sets no-store on all its answers);
- OPTIONS lists every method of the path in Allow (see `_allowed_methods`);
- HEAD is answered as GET without the body (Litestar routes only the methods a handler
  declares, and every page and endpoint declares GET only);

The Swagger UI page (``/schema/swagger``) is the one exception to the script rule: Litestar
writes its start-up script inline. Its files are served by the app itself (swagger-ui-bundle),
so even there no script from another origin runs.
"""

from __future__ import annotations

from typing import Any, Callable

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
    """Exports and signed-in answers (the API router marks all its answers no-store itself)."""
    path: str = scope.get("path", "")
    return "/export" in path or _signed_in(scope)


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
        if head:
            scope = {**scope, "method": "GET"}
        path: str = scope.get("path", "")
        csp = CSP_SWAGGER if path.startswith("/schema") else CSP
        private = _private(scope)

        async def send_wrapper(message: dict) -> None:
            if message["type"] == "http.response.start":
                # a handler that sets its own policy means a stricter one (the evidence downloads'
                # sandbox, so an uploaded HTML or SVG file can never run as this site): keep it
                own_csp = next((v for k, v in message.get("headers", []) if k.lower() == b"content-security-policy"), None)
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() not in {b"x-content-type-options", b"referrer-policy", b"x-frame-options", b"content-security-policy"}]
                headers += STATIC_HEADERS
                if options and message.get("status") == 204:
                    allow = _allowed_methods(scope)
                    if allow:
                        headers = [(k, v) for k, v in headers if k.lower() != b"allow"] + [(b"allow", allow.encode())]
                headers.append((b"content-security-policy", own_csp or csp.encode()))
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
