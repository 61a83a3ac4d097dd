"""The API router's authentication (bearer tokens) and role guards."""

from __future__ import annotations

from collections.abc import Callable

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.di import NamedDependency
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult
from litestar.middleware.base import DefineMiddleware

from closedloop.domain.errors import Invalid, Issue, Unauthorized
from closedloop.http_common import PUBLIC_OPT
from closedloop.services import access
from closedloop.services import auth as auth_service
from closedloop.services.common import Actor



def bearer_token(connection: ASGIConnection) -> str | None:
    header = connection.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip() or None
    return None


class BearerAuthMiddleware(AbstractAuthenticationMiddleware):
    """The API router's authentication: bearer tokens only (the pages router takes only the
    session cookie, whose forms carry a CSRF token: ``web/session.py``). Keeping the two apart
    means a cookie can never authorise an API call forged by another site. Handlers marked
    ``opt={PUBLIC_OPT: True}`` are served without a token."""

    async def authenticate_request(self, connection: ASGIConnection) -> AuthenticationResult:
        token = bearer_token(connection)
        if not token:
            raise NotAuthorizedException("请先登录")
        try:
            actor = await auth_service.authenticate(token)
        except Unauthorized as exc:
            raise NotAuthorizedException(exc.message) from None
        return AuthenticationResult(user=actor, auth=token)


auth_middleware = DefineMiddleware(BearerAuthMiddleware, exclude_from_auth_key=PUBLIC_OPT)


def _guard(allowed: Callable[[Actor], bool]):
    """A controller guard over one of ``services.access``'s role questions (the API answers a
    refusal with Litestar's 403 before the handler runs; the services check again)."""

    # a coroutine function: Litestar runs a plain function guard in a worker thread, a thread hop
    # on every API request (a tenth of the event loop's time in a profile of the goal update)
    async def guard(connection: ASGIConnection, _: BaseRouteHandler) -> None:
        # Litestar answers OPTIONS itself without authenticating, but still runs controller
        # guards; there is no user to check and nothing to protect in an Allow header.
        if connection.scope.get("method") == "OPTIONS":
            return
        actor = connection.user
        if not isinstance(actor, Actor):
            raise NotAuthorizedException("请先登录")
        if not allowed(actor):
            raise PermissionDeniedException("没有权限执行此操作")

    return guard


admin_only = _guard(access.is_admin)
supervisor_or_admin = _guard(access.is_office)
any_role = _guard(access.is_user)


def current_actor(request: Request) -> Actor:
    """The ``actor`` dependency: the authenticated user of the request."""
    actor = request.user
    if not isinstance(actor, Actor):
        raise NotAuthorizedException("请先登录")
    return actor


# The authenticated user, injected into handlers as ``actor: CurrentActor``.
CurrentActor = NamedDependency[Actor]


async def refuse_nul_characters(request: Request) -> None:
    """PostgreSQL text cannot hold U+0000: refuse it in JSON bodies, forms and query strings
    with a clear 4xx, on both engines (file uploads are bytes and are not checked)."""
    query = request.url.query or ""
    if "%00" in query or "\x00" in query:
        raise Invalid("参数中不能含有空字符（U+0000）", [Issue("nul_character", "参数中不能含有空字符（U+0000）", "query")])
    if request.method in ("POST", "PUT", "PATCH"):
        ctype = request.content_type[0]
        if ctype in ("application/json", "application/x-www-form-urlencoded"):
            body = await request.body()
            if b"\\u0000" in body.lower() or b"%00" in body or b"\x00" in body:
                raise Invalid("文本中不能含有空字符（U+0000）", [Issue("nul_character", "文本中不能含有空字符（U+0000）", "body")])
