"""The pages router's exception handlers: a page in Chinese for every error, never JSON or a
stack trace; 401 goes to the login form (the API router answers JSON: ``api/errors.py``)."""

from __future__ import annotations

import logging
from urllib.parse import quote, urlsplit

from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.response import Redirect, Template

from closedloop.domain.errors import DomainError
from closedloop.http_common import DATABASE_UNAVAILABLE, HTTP_MESSAGES, database_unavailable

log = logging.getLogger("closedloop.web")


def page(request: Request, status: int, message: str) -> Response:
    """The error page, or for 401 the login form that comes back here."""
    if status == 401:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        if request.method != "GET":
            # a form posted after the session expired: come back to the page the form was on
            # (its typed text is kept by the browser), never to the form's POST-only address
            referer = urlsplit(request.headers.get("referer") or "")
            same_site = referer.netloc in ("", request.url.netloc) and referer.path.startswith("/") and not referer.path.startswith("//")
            target = (referer.path + (f"?{referer.query}" if referer.query else "")) if same_site else "/"
            message = "登录已过期，请重新登录；刚才填写的内容已在本浏览器中保留，登录后回到原页面继续提交"
        return Redirect(path=f"/login?next={quote(target)}&reason={quote(message)}", status_code=303)  # type: ignore[return-value]  # a Response subclass
    return Template(template_name="error.html", context={"status": status, "message": message}, status_code=status)  # type: ignore[return-value]  # a Response subclass


def domain_error_handler(request: Request, exc: DomainError) -> Response:
    return page(request, exc.status, exc.message)


def validation_handler(request: Request, exc: ValidationException) -> Response:
    # page handlers read their forms themselves; what reaches here is a malformed address
    return page(request, 400, "页面地址中的编号或参数无效，请从菜单或列表重新进入")


def http_error_handler(request: Request, exc: HTTPException) -> Response:
    status = exc.status_code
    if status >= 500:
        log.error("HTTP %s on %s %s: %s", status, request.method, request.url.path, exc.detail, exc_info=exc)
    detail = str(exc.detail or "")
    if detail and any("\u4e00" <= ch <= "\u9fff" for ch in detail):
        message = detail  # our own guards raise with a Chinese detail; framework defaults are English
    else:
        message = HTTP_MESSAGES.get(status, "请求无法处理" if status < 500 else "服务器内部错误")
    if status == 405:
        message = "这个地址只接受表单提交，请回到原页面重新操作"
    if status == 403 and "csrf" in detail.lower():
        message = "页面已过期或来源不明（CSRF 校验失败），请刷新页面后重试"
    return page(request, status, message)


def internal_error_handler(request: Request, exc: Exception) -> Response:
    if database_unavailable(exc):
        log.warning("database unavailable on %s %s: %s", request.method, request.url.path, exc)
        return page(request, 503, DATABASE_UNAVAILABLE)
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return page(request, 500, "服务器内部错误，请稍后重试或联系管理员")


EXCEPTION_HANDLERS = {
    DomainError: domain_error_handler,
    ValidationException: validation_handler,
    HTTPException: http_error_handler,
    Exception: internal_error_handler,
}
