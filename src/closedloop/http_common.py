"""What the API and the pages both need from HTTP, kept apart from both so that neither
imports the other: the id bounds of path parameters, the client's address behind trusted
proxies, and the headers of a file download."""

from __future__ import annotations

import ipaddress
from typing import Annotated
from urllib.parse import quote

from litestar.connection import ASGIConnection
from litestar.params import PathParameter

from closedloop.settings import get_settings

MAX_ID = 2_147_483_647  # PostgreSQL integer; larger numbers cannot name a row

# Path ids: 1 … 2^31−1, so an out-of-range number is a 400, not a database error.
IdPath = Annotated[int, PathParameter(ge=1, le=MAX_ID)]

# A route handler's opt key: the handler serves anonymous visitors too (no sign-in needed).
PUBLIC_OPT = "public"

# The status line in Chinese when a handler raised Litestar's own English exception.
HTTP_MESSAGES = {
    400: "请求格式错误",
    401: "请先登录",
    403: "没有权限执行此操作",
    404: "请求的资源不存在",
    405: "不支持该请求方法",
    413: "请求内容过大",
    415: "不支持的内容类型",
    429: "请求过于频繁，请稍后再试",
}
DATABASE_UNAVAILABLE = "数据库暂时不可用，本次操作未完成，请稍后重试"


def database_unavailable(exc: BaseException) -> bool:
    """A lost or refused database connection (e.g. PostgreSQL restarting)."""
    names = {c.__name__ for c in type(exc).__mro__}
    return bool(
        names & {"ConnectionDoesNotExistError", "CannotConnectNowError", "ConnectionRefusedError", "InterfaceError",
                 "ConnectionResetError", "AdminShutdownError", "TooManyConnectionsError",
                 # asyncpg's state machine when the server vanished mid-query
                 "InternalClientError"}
    )


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def disposition(filename: str) -> str:
    """A Content-Disposition header for a download whose name may be Chinese (RFC 5987)."""
    return f"attachment; filename*=UTF-8''{quote(filename)}"


def _trusted(address: str) -> bool:
    nets = get_settings().trusted_proxies
    if not nets:
        return False
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in ipaddress.ip_network(n, strict=False) for n in nets)


def client_address(connection: ASGIConnection) -> str:
    """The client's address: the peer, or — only when the peer is a configured trusted proxy
    (``CLOSEDLOOP_TRUSTED_PROXIES``) — the nearest untrusted address in X-Forwarded-For."""
    peer = connection.client.host if connection.client else "unknown"
    if not _trusted(peer):
        return peer
    forwarded = [a.strip() for a in connection.headers.get("x-forwarded-for", "").split(",") if a.strip()]
    for address in reversed(forwarded):
        if not _trusted(address):
            return address[:64]
    return peer
