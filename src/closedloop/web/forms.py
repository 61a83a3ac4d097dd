"""What every signed-in page shares: rendering a template with the user's menu, the redirect
with a message, and reading a posted form once.

A form is read into :class:`Form`; its typed getters (``text``, ``number``, ``ident``, ``date``,
``ids``, ``period``) collect one message per field in ``form.errors`` instead of raising, so a
handler checks ``form.errors`` once and re-renders the page with what was typed. Nothing here
lets a malformed value through to a service or turns it into a 500.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from urllib.parse import quote, urlsplit

from litestar import Request
from litestar.datastructures import UploadFile
from litestar.response import Redirect, Template

from closedloop.http_common import MAX_ID
from closedloop.domain import periods
from closedloop.domain.errors import DomainError, Forbidden
from closedloop.domain.lights import LIGHT_NAMES, Light
from closedloop.domain.stages import STAGE_NAMES, Stage
from closedloop.services.common import Actor

LIGHTS = {light.value: LIGHT_NAMES[light] for light in Light}
STAGES = {s.value: STAGE_NAMES[s] for s in Stage}
HOME = {"lead": "/my", "supervisor": "/desk", "admin": "/admin"}


def actor_of(request: Request) -> Actor:
    actor = request.scope.get("user")
    if not isinstance(actor, Actor):
        raise Forbidden("请先登录")
    return actor


def _flash_key() -> bytes:
    from closedloop.web import csrf

    return ("flash:" + csrf.secret()).encode()


def flash_query(message: str, key: str = "msg") -> str:
    """``msg=…&msg_sig=…``: a notice for the next page, signed so that only messages this site
    wrote are shown — a link someone else crafted with ``?msg=`` text shows nothing."""
    import hashlib
    import hmac

    sig = hmac.new(_flash_key(), f"{key}:{message}".encode(), hashlib.sha256).hexdigest()[:20]
    return f"{key}={quote(message)}&{key}_sig={sig}"


def flash_of(request: Request, key: str = "msg") -> str | None:
    """The notice in the query string when this site signed it; otherwise nothing."""
    import hashlib
    import hmac

    message = request.query_params.get(key)
    if not message:
        return None
    sig = hmac.new(_flash_key(), f"{key}:{message}".encode(), hashlib.sha256).hexdigest()[:20]
    return message if hmac.compare_digest(sig, request.query_params.get(f"{key}_sig") or "") else None


def page(name: str, request: Request, status: int = 200, **context: Any) -> Template:
    user = request.scope.get("user")  # absent on public paths, which skip authentication
    context.setdefault("me", user if isinstance(user, Actor) else None)
    context.setdefault("lights", LIGHTS)
    context.setdefault("stages", STAGES)
    context.setdefault("flash", flash_of(request))
    # the form that was just saved: its draft kept in the browser (static/site.js) is dropped
    context.setdefault("saved_form", request.query_params.get("saved") or "")
    context.setdefault("values", {})
    context.setdefault("errors", {})
    context.setdefault("form_name", "")
    return Template(template_name=name, context=context, status_code=status)


def back(path: str, message: str, saved: str = "") -> Redirect:
    """303 to ``path`` with a message; ``saved`` names the form whose browser draft is done."""
    sep = "&" if "?" in path else "?"
    extra = f"&saved={quote(saved)}" if saved else ""
    return Redirect(path=f"{path}{sep}{flash_query(message)}{extra}", status_code=303)


def local_path(url: str | None) -> str | None:
    """The path (and query) of a same-site URL, or None: a redirect target never leaves the site."""
    if not url:
        return None
    parts = urlsplit(url)
    path = parts.path or "/"
    if not path.startswith("/") or path.startswith("//") or "\\" in path:
        return None
    return path + (f"?{parts.query}" if parts.query else "")


def field_errors(exc: DomainError, default_field: str = "_") -> dict[str, str]:
    """A domain error as one message per form field (the first problem of each field wins)."""
    out: dict[str, str] = {}
    for p in exc.problems:
        key = (p.field or default_field).split(".")[0].split("[")[0]
        out.setdefault(key, p.message)
    if not out:
        out[default_field] = exc.message
    return out


_GROUPED = re.compile(r"^[+-]?\d{1,3}([,，]\d{3})+(\.\d+)?$")


class Form:
    """A posted form, read once. Getters return None and record an error for a bad field."""

    def __init__(self, data: Any) -> None:
        self._data = data
        self.values: dict[str, Any] = {k: data.get(k) for k in data.keys()}
        self.errors: dict[str, str] = {}

    @classmethod
    async def read(cls, request: Request) -> Form:
        return cls(await request.form())

    def raw(self, name: str) -> str:
        value = self.values.get(name)
        return value.strip() if isinstance(value, str) else ""

    def all(self, name: str) -> list[str]:
        getall = getattr(self._data, "getall", None)
        # getall raises KeyError for a name that was not sent (no box ticked): that is an empty list
        items = getall(name, []) if getall else [self._data.get(name)]
        return [str(x) for x in items if x is not None and not isinstance(x, UploadFile)]

    def file(self, name: str) -> UploadFile | None:
        value = self.values.get(name)
        return value if isinstance(value, UploadFile) and value.filename else None

    def kept(self) -> dict[str, Any]:
        """What to put back into the form after an error (files cannot be put back)."""
        return {k: v for k, v in self.values.items() if not isinstance(v, UploadFile)}

    def text(self, name: str, *, required: str | None = None) -> str | None:
        raw = self.raw(name)
        if not raw:
            if required:
                self.errors.setdefault(name, required)
            return None
        return raw

    def number(self, name: str, *, required: bool = False, integer: bool = False, low: float | None = None, high: float | None = None) -> float | int | None:
        raw = self.raw(name)
        if _GROUPED.match(raw):  # 1,234.5 — thousands separators only, never a decimal comma
            raw = raw.replace(",", "").replace("，", "")
        if not raw:
            if required:
                self.errors.setdefault(name, "必填")
            return None
        try:
            value: float | int = int(raw) if integer else float(raw)
        except ValueError:
            self.errors.setdefault(name, "请输入整数" if integer else "请输入数字")
            return None
        if value != value or abs(value) > 1e15:
            self.errors.setdefault(name, "数值超出范围")
            return None
        if (low is not None and value < low) or (high is not None and value > high):
            self.errors.setdefault(name, f"应在 {low:g} 到 {high:g} 之间" if low is not None and high is not None else "数值超出范围")
            return None
        return value

    def ident(self, name: str, *, required: bool = False, what: str = "选项") -> int | None:
        """A row id from a select or hidden field: 1 … 2^31−1, else the field's error."""
        return parse_id(self.raw(name), name, self.errors, required=required, what=what)

    def ids(self, name: str) -> list[int]:
        out = []
        for raw in self.all(name):
            value = parse_id(raw.strip(), name, self.errors, required=False, what="选项")
            if value is not None:
                out.append(value)
        return out

    def date(self, name: str, *, required: bool = False) -> dt.date | None:
        raw = self.raw(name)
        if not raw:
            if required:
                self.errors.setdefault(name, "请选择日期")
            return None
        try:
            return dt.date.fromisoformat(raw)
        except ValueError:
            self.errors.setdefault(name, "日期格式应为 2026-11-30")
            return None

    def period(self, name: str, *, today: dt.date) -> str | None:
        raw = self.raw(name)
        if not raw:
            self.errors.setdefault(name, "请选择填报周期")
            return None
        try:
            return periods.parse(raw, today=today).key
        except periods.PeriodError as exc:
            self.errors.setdefault(name, str(exc))
            return None


def parse_id(raw: str, name: str, errors: dict[str, str], *, required: bool = False, what: str = "选项") -> int | None:
    if not raw:
        if required:
            errors.setdefault(name, f"请选择{what}")
        return None
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_ID:
        # hidden fields (版本, 事项) come from the page itself: only a stale or altered page sends junk
        hidden = what in ("版本", "事项")
        errors.setdefault(name, f"{what}无效：请刷新页面后重新提交" if hidden else f"{what}无效，请从列表中选择")
        return None
    return int(raw)


def error_count_text(errors: dict[str, str]) -> str:
    return f"有 {len(errors)} 处需要修改" if errors else ""


# -- the older helpers the cockpit pages still use -------------------------------------------

async def form_of(request: Request) -> dict[str, Any]:
    """A posted form as a plain dict (first value of each field)."""
    form = await request.form()
    return {k: form.get(k) for k in form.keys()}


def date_field(form: dict, name: str, errors: dict, *, required: bool = True) -> dt.date | None:
    """A date field of a plain-dict form; a bad or missing one records the field's message."""
    raw = form.get(name)
    raw = raw.strip() if isinstance(raw, str) else ""
    if not raw:
        if required:
            errors[name] = "必填"
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        errors[name] = "日期格式应为 2026-11-30"
        return None
