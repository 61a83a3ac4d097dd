"""One JSON error shape for every 4xx (and the rare 5xx), in Chinese, naming the field.

{"error": {"status": 409, "code": "gate_not_met", "message": "…",
           "problems": [{"code": "…", "field": "…", "message": "…"}]}}
"""

from __future__ import annotations

import logging
import re

from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, ValidationException

from closedloop.domain.errors import DomainError

log = logging.getLogger("closedloop.api")

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

TYPE_NAMES = {
    "int": "整数",
    "float": "数字",
    "str": "文本",
    "bool": "布尔值（true/false）",
    "array": "数组",
    "object": "对象",
    "null": "空值",
    "date": "日期（YYYY-MM-DD）",
    "datetime": "日期时间",
}


def _translate(message: str) -> tuple[str, str | None]:
    """A msgspec/Litestar validation message in Chinese, and the field path it names."""
    path = None
    m = re.search(r" - at `\$\.?(.*?)`$", message)
    if m:
        path = m.group(1) or None
        message = message[: m.start()]
    if m := re.match(r"Object missing required field `(.+)`", message):
        return "缺少必填字段", _join(path, m.group(1))
    if m := re.match(r"Object contains unknown field `(.+)`", message):
        return "不认识的字段", _join(path, m.group(1))
    if m := re.match(r"Expected `([\w| ]+)`, got `(\w+)`", message):
        want = " 或 ".join(TYPE_NAMES.get(x, x) for x in m.group(1).split(" | "))
        return f"类型错误：应为{want}，收到的是{TYPE_NAMES.get(m.group(2), m.group(2))}", path
    if m := re.match(r"Expected `(.+?)`, got `(.+?)`", message):
        return f"类型错误：应为 {m.group(1)}，收到的是 {m.group(2)}", path
    if m := re.match(r"Expected `(\w+)` (>=|<=|>|<) ([\d.e+-]+)", message):
        word = {">=": "不能小于", "<=": "不能大于", ">": "必须大于", "<": "必须小于"}[m.group(2)]
        return f"数值{word} {m.group(3)}", path
    if m := re.match(r"Expected `(str|array|object)` of length (>=|<=) (\d+)", message):
        n = m.group(3)
        if m.group(2) == ">=":
            return ("不能为空" if n == "1" else f"长度不能少于 {n}"), path
        return f"长度不能超过 {n}", path
    if re.match(r"Expected `str` matching regex", message):
        return "格式不正确", path
    if m := re.match(r"Invalid enum value (.+)", message):
        return f"取值无效：{m.group(1)}", path
    if "Invalid RFC3339" in message or "Invalid date" in message or "Invalid ISO" in message:
        return "日期格式应为 YYYY-MM-DD", path
    if "JSON is malformed" in message or "malformed" in message.lower():
        return "JSON 格式错误", path
    if "Input data was truncated" in message:
        return "JSON 不完整", path
    return f"格式错误：{message}", path


def _join(path: str | None, name: str) -> str:
    return f"{path}.{name}" if path else name


def _body(status: int, code: str, message: str, problems: list[dict]) -> dict:
    return {"error": {"status": status, "code": code, "message": message, "problems": problems}}


def _is_page(request: Request) -> bool:
    path = request.url.path
    return not (path.startswith("/api/") or path.startswith("/schema"))


def _page(request: Request, status: int, message: str) -> Response:
    """Web pages get a page, never JSON or a stack trace: 401 goes to the login form."""
    from urllib.parse import quote

    from litestar.response import Redirect, Template

    if status == 401:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        if request.method != "GET":
            # a form posted after the session expired: come back to the page the form was on
            # (its typed text is kept by the browser), never to the form's POST-only address
            from urllib.parse import urlsplit

            referer = urlsplit(request.headers.get("referer") or "")
            same_site = referer.netloc in ("", request.url.netloc) and referer.path.startswith("/") and not referer.path.startswith("//")
            target = (referer.path + (f"?{referer.query}" if referer.query else "")) if same_site else "/"
            message = "登录已过期，请重新登录；刚才填写的内容已在本浏览器中保留，登录后回到原页面继续提交"
        return Redirect(path=f"/login?next={quote(target)}&reason={quote(message)}", status_code=303)  # type: ignore[return-value]
    return Template(template_name="error.html", context={"status": status, "message": message}, status_code=status)  # type: ignore[return-value]


def domain_error_handler(request: Request, exc: DomainError) -> Response:
    if _is_page(request):
        return _page(request, exc.status, exc.message)
    problems = [{"code": p.code, "field": p.field, "message": p.message} for p in exc.problems]
    return Response(
        _body(exc.status, exc.code, exc.message, problems), status_code=exc.status, headers=exc.headers(), media_type=MediaType.JSON
    )


def validation_handler(request: Request, exc: ValidationException) -> Response:
    if _is_page(request):
        # page handlers read their forms themselves; what reaches here is a malformed address
        return _page(request, 400, "页面地址中的编号或参数无效，请从菜单或列表重新进入")
    problems = []
    for entry in exc.extra or [] if isinstance(exc.extra, list) else []:
        if not isinstance(entry, dict):
            continue
        message, path = _translate(str(entry.get("message", "")))
        key = entry.get("key")
        field = path or (key if key not in (None, "data", "body") else None)
        if entry.get("source") in ("query", "path", "header", "cookie") and key:
            field = key
        problems.append({"code": "invalid", "field": field, "message": message})
    if not problems:
        message, path = _translate(str(exc.detail))
        problems.append({"code": "invalid", "field": path, "message": message})
    summary = "；".join(f"{p['field']}：{p['message']}" if p["field"] else p["message"] for p in problems)  # type: ignore[misc]  # a problem without a field takes the other branch; messages are always text
    return Response(_body(400, "invalid_request", f"请求数据有误：{summary}", problems), status_code=400, media_type=MediaType.JSON)


def http_error_handler(request: Request, exc: HTTPException) -> Response:
    status = exc.status_code
    if status >= 500:
        log.error("HTTP %s on %s %s: %s", status, request.method, request.url.path, exc.detail, exc_info=exc)
    detail = str(exc.detail or "")
    # our own guards raise with a Chinese detail; framework defaults are English
    problems = []
    if detail and any("\u4e00" <= ch <= "\u9fff" for ch in detail):
        message = detail
    elif status == 400 and ("json" in detail.lower() or "decode" in detail.lower()):
        message = "请求体不是有效的 JSON"
        problems = [{"code": "malformed", "field": "body", "message": message}]
    else:
        message = HTTP_MESSAGES.get(status, "请求无法处理" if status < 500 else "服务器内部错误")
    if status == 405 and _is_page(request):
        message = "这个地址只接受表单提交，请回到原页面重新操作"
    if _is_page(request):
        if status == 403 and "csrf" in detail.lower():
            message = "页面已过期或来源不明（CSRF 校验失败），请刷新页面后重试"
        return _page(request, status, message)
    headers = dict(exc.headers or {})
    return Response(_body(status, "http_" + str(status), message, problems), status_code=status, headers=headers, media_type=MediaType.JSON)


def _database_unavailable(exc: BaseException) -> bool:
    """A lost or refused database connection (e.g. PostgreSQL restarting)."""
    names = {c.__name__ for c in type(exc).__mro__}
    return bool(
        names & {"ConnectionDoesNotExistError", "CannotConnectNowError", "ConnectionRefusedError", "InterfaceError",
                 "ConnectionResetError", "AdminShutdownError", "TooManyConnectionsError",
                 # asyncpg's state machine when the server vanished mid-query
                 "InternalClientError"}
    )


def internal_error_handler(request: Request, exc: Exception) -> Response:
    if _database_unavailable(exc):
        log.warning("database unavailable on %s %s: %s", request.method, request.url.path, exc)
        message = "数据库暂时不可用，本次操作未完成，请稍后重试"
        if _is_page(request):
            return _page(request, 503, message)
        return Response(_body(503, "database_unavailable", message, []), status_code=503, headers={"Retry-After": "5"}, media_type=MediaType.JSON)
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    if _is_page(request):
        return _page(request, 500, "服务器内部错误，请稍后重试或联系管理员")
    return Response(_body(500, "internal", "服务器内部错误，请稍后重试或联系管理员", []), status_code=500, media_type=MediaType.JSON)


EXCEPTION_HANDLERS = {
    DomainError: domain_error_handler,
    ValidationException: validation_handler,
    HTTPException: http_error_handler,
    Exception: internal_error_handler,
}
