"""One JSON error shape for every 4xx (and the rare 5xx), in Chinese, naming the field: the
API router's exception handlers (the pages have theirs in ``web/errors.py``).

{"error": {"status": 409, "code": "gate_not_met", "message": "…",
           "problems": [{"code": "…", "field": "…", "message": "…"}]}}
"""

from __future__ import annotations

import logging
import re

from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, ValidationException

from closedloop.domain.errors import DomainError
from closedloop.http_common import DATABASE_UNAVAILABLE, HTTP_MESSAGES, database_unavailable

log = logging.getLogger("closedloop.api")

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
    if m := re.match(r"Missing required (?:query|path|header|cookie) parameter '(.+?)'", message):
        return "缺少必填参数", m.group(1)
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


def domain_error_handler(request: Request, exc: DomainError) -> Response:
    problems = [{"code": p.code, "field": p.field, "message": p.message} for p in exc.problems]
    return Response(
        _body(exc.status, exc.code, exc.message, problems), status_code=exc.status, headers=exc.headers(), media_type=MediaType.JSON
    )


def validation_handler(request: Request, exc: ValidationException) -> Response:
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
    headers = dict(exc.headers or {})
    return Response(_body(status, "http_" + str(status), message, problems), status_code=status, headers=headers, media_type=MediaType.JSON)


def internal_error_handler(request: Request, exc: Exception) -> Response:
    if database_unavailable(exc):
        log.warning("database unavailable on %s %s: %s", request.method, request.url.path, exc)
        return Response(_body(503, "database_unavailable", DATABASE_UNAVAILABLE, []), status_code=503, headers={"Retry-After": "5"}, media_type=MediaType.JSON)
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return Response(_body(500, "internal", "服务器内部错误，请稍后重试或联系管理员", []), status_code=500, media_type=MediaType.JSON)


EXCEPTION_HANDLERS = {
    DomainError: domain_error_handler,
    ValidationException: validation_handler,
    HTTPException: http_error_handler,
    Exception: internal_error_handler,
}
