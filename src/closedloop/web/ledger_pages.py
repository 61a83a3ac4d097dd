"""A lead's bulk reporting pages: the Excel round trip and the one-page weekly report.

``/my/ledger``: download the unit's template for a period, upload it back, see the preview as a
table (each row's outcome, every error by row and column), then confirm. The confirmation posts
the same file back (carried in the page, base64) and is checked again from scratch, so what is
written is never what an earlier check saw but what the check sees now.

``/my/weekly``: every open item of the unit on one page, its goals' actual values, its projects'
progress and a narrative per item, filed at once with the upload's checks and atomicity.

Both call ``services/ledger_xlsx.py``; the page for a lead's items (/my) links here.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.params import FromQuery
from litestar.response import Redirect, Template

from closedloop.domain import periods
from closedloop.domain.errors import DomainError, Forbidden
from closedloop.services import access, ledger_xlsx
from closedloop.services.common import Actor, Clock
from closedloop.http_common import XLSX, disposition
from closedloop.web.forms import flash_of, flash_query

HOME = {"supervisor": "/desk", "admin": "/admin"}


def _lead(request: Request) -> Actor:
    actor = request.scope.get("user")
    if not isinstance(actor, Actor):
        raise Forbidden("请先登录")
    return actor


def _page(name: str, request: Request, status: int = 200, **context: Any) -> Template:
    context.setdefault("me", request.scope.get("user"))
    context.setdefault("flash", flash_of(request))
    context.setdefault("num", ledger_xlsx.number_text)
    context.setdefault("period_text", ledger_xlsx.period_text)
    return Template(template_name=name, context=context, status_code=status)


def _recent_periods(n: int = 6) -> list[periods.Period]:
    """This week and the weeks before it: what a liaison reports or reports late."""
    p = periods.containing("weekly", Clock.today())
    out = [p]
    for _ in range(n - 1):
        p = p.previous()
        out.append(p)
    return out


def _period_or_this_week(text: str) -> tuple[periods.Period | None, str | None]:
    try:
        return ledger_xlsx.reporting_period(text), None
    except DomainError as exc:
        return None, exc.message


class LedgerPages(Controller):
    include_in_schema = False

    @get("/my/ledger")
    async def ledger(self, request: Request, period: FromQuery[str] = "") -> Template | Redirect:
        actor = _lead(request)
        if not access.is_lead(actor):
            return Redirect(path=HOME.get(actor.role, "/rankings"))
        p, error = _period_or_this_week(period)
        return _page("ledger.html", request, status=422 if error else 200, choices=_recent_periods(), period=p or _recent_periods()[0],
                     period_error=error, result=None, upload_error=None, payload=None, filename=None)

    @get("/my/ledger/template.xlsx")
    async def template(self, request: Request, period: FromQuery[str] = "") -> Response:
        actor = _lead(request)
        access.require_lead(actor, "只有责任单位联络人可以下载本单位的填报模板")
        content, filename = await ledger_xlsx.template(actor, period=period or None)
        return Response(content=content, media_type=XLSX, headers={"Content-Disposition": disposition(filename)})

    @post("/my/ledger/upload")
    async def upload(self, request: Request) -> Template | Response:
        actor = _lead(request)
        form = await request.form()
        upload = form.get("file")
        if isinstance(upload, UploadFile) and upload.filename:
            content, filename = await upload.read(), upload.filename
        else:
            content, filename = b"", ""
        return await self._check(request, actor, content, filename, apply=False)

    @post("/my/ledger/apply")
    async def apply(self, request: Request) -> Response:
        actor = _lead(request)
        form = await request.form()
        try:
            content = base64.b64decode(str(form.get("payload") or ""), validate=True)
        except (binascii.Error, ValueError):
            content = b""
        filename = str(form.get("filename") or "")
        return await self._check(request, actor, content, filename, apply=True)

    async def _check(self, request: Request, actor: Actor, content: bytes, filename: str, *, apply: bool) -> Response:
        access.require_lead(actor, "只有责任单位联络人可以上传本单位的填报表")
        ctx: dict[str, Any] = dict(choices=_recent_periods(), period=_recent_periods()[0], period_error=None, result=None,
                                   upload_error=None, payload=None, filename=filename)
        if not content:
            ctx["upload_error"] = "请选择要上传的 .xlsx 文件"
            return _page("ledger.html", request, status=422, **ctx)
        try:
            result = await ledger_xlsx.process_upload(actor, filename=filename, content=content, apply=apply)
        except DomainError as exc:
            ctx["upload_error"] = exc.message
            return _page("ledger.html", request, status=exc.status, **ctx)
        if result["applied"]:
            n = result["counts"]
            done = n["report"] + n["late"] + n["correction"]
            return Redirect(path="/my/ledger?" + flash_query(f"已写入 {done} 个事项的进度" + (f"，{n['unchanged']} 个事项无变化" if n["unchanged"] else "")))
        ctx["result"] = result
        ctx["period"] = periods.parse(result["period"])
        if result["ok"]:
            ctx["payload"] = base64.b64encode(content).decode()
        return _page("ledger.html", request, status=200 if result["ok"] else 422, **ctx)

    @get("/my/weekly")
    async def weekly(self, request: Request, period: FromQuery[str] = "") -> Template | Redirect:
        actor = _lead(request)
        if not access.is_lead(actor):
            return Redirect(path=HOME.get(actor.role, "/rankings"))
        p, error = _period_or_this_week(period)
        p = p or _recent_periods()[0]
        items = await _weekly_items(actor, p)
        return _page("weekly.html", request, status=422 if error else 200, choices=_recent_periods(), period=p,
                     period_error=error, items=items, values={}, errors={}, result=None)

    @post("/my/weekly")
    async def weekly_submit(self, request: Request) -> Response:
        actor = _lead(request)
        access.require_lead(actor, "只有责任单位联络人可以填报本单位的进度")
        form = await request.form()
        values = {k: form.get(k) for k in form.keys()}
        p, error = _period_or_this_week(str(values.get("period") or ""))
        if p is None:
            items = await _weekly_items(actor, _recent_periods()[0])
            return _page("weekly.html", request, status=422, choices=_recent_periods(), period=_recent_periods()[0],
                         period_error=error, items=items, values=values, errors={}, result=None)
        entries = _entries_from_form(values, await ledger_xlsx.load_scope(actor.unit_id))  # type: ignore[arg-type]  # the handler refused every actor but a lead, and a lead always has a unit
        result = await ledger_xlsx.file_reports(actor, actor.unit_id, p, entries, apply=True, where=ledger_xlsx.Where(None))  # type: ignore[arg-type]  # the handler refused every actor but a lead, and a lead always has a unit
        if result["applied"]:
            n = result["counts"]
            done = n["report"] + n["late"] + n["correction"]
            msg = f"{p.title}：已报送 {done} 个事项" + (f"，{n['unchanged']} 个事项无变化" if n["unchanged"] else "")
            if not result["items"]:
                msg = "没有填写任何内容，未报送"
            return Redirect(path=f"/my/weekly?period={p.key}&{flash_query(msg)}")
        errors: dict[str, str] = {}
        for e in result["errors"]:
            errors.setdefault(e["field"] or "_", e["message"])
        items = await _weekly_items(actor, p)
        return _page("weekly.html", request, status=422, choices=_recent_periods(), period=p, period_error=None,
                     items=items, values=values, errors=errors, result=result)


async def _weekly_items(actor: Actor, p: periods.Period) -> list[dict]:
    """The unit's open items with the goals and projects it answers for, as the form lists them."""
    scope = await ledger_xlsx.load_scope(actor.unit_id, latest=True)  # type: ignore[arg-type]  # the handler refused every actor but a lead, and a lead always has a unit
    items: dict[int, dict] = {}
    for row in ledger_xlsx.sheet_rows(scope):
        item = items.setdefault(row["item_id"], {"id": row["item_id"], "code": row["code"], "title": row["title"],
                                                 "lead": row["lead_unit"] == actor.unit_id, "goals": [], "projects": []})
        latest = scope.latest.get((row["record"], row["id"]))
        row = {**row, "latest_period": periods.label_of(latest[0]) if latest else ""}
        if latest and row["record"] == "goal":
            row["actual"] = latest[1]
        (item["goals"] if row["record"] == "goal" else item["projects"]).append(row)
    return list(items.values())


def _entries_from_form(values: dict, scope: ledger_xlsx.Scope) -> list[ledger_xlsx.Entry]:
    """The form's fields as entries: ``goal_<id>``/``project_<id>`` with ``version_…``, and per item
    ``narrative_<item>``/``reason_<item>`` (kept on the item's first entry)."""
    entries: list[ledger_xlsx.Entry] = []
    for record, records in (("goal", scope.goals), ("project", scope.projects)):
        for key, raw in values.items():
            if not key.startswith(f"{record}_") or not key[len(record) + 1:].isdigit():
                continue
            rid = int(key[len(record) + 1:])
            rec = records.get(rid)
            version = values.get(f"version_{record}_{rid}")
            entries.append(ledger_xlsx.Entry(
                item_id=rec["item_id"] if rec else None, record=record, record_id=rid,
                version=int(version) if isinstance(version, str) and version.isdigit() else None,
                actual=raw if record == "goal" else None, progress=raw if record == "project" else None,
            ))
    by_item: dict[int, ledger_xlsx.Entry] = {}
    for e in entries:
        if e.item_id is not None:
            by_item.setdefault(e.item_id, e)
    for key, raw in values.items():
        for name in ("narrative", "reason"):
            if key.startswith(f"{name}_") and key[len(name) + 1:].isdigit() and str(raw or "").strip():
                item_id = int(key[len(name) + 1:])
                target = by_item.get(item_id)
                if target is None:  # an item whose goals were all left empty: its narrative alone
                    rec = next((r for r in [*scope.goals.values(), *scope.projects.values()] if r["item_id"] == item_id), None)
                    if rec is None:
                        continue
                    record = "goal" if rec["id"] in scope.goals and scope.goals[rec["id"]] is rec else "project"
                    target = ledger_xlsx.Entry(item_id=item_id, record=record, record_id=rec["id"], version=rec["version"])
                    entries.append(target)
                    by_item[item_id] = target
                setattr(target, name, raw)
    return entries
