"""/api/v1/ledger: the leads' Excel round trip — download the fill-in template, upload it back.

``GET /template.xlsx?period=2026-W48`` (a lead: its own unit; a supervisor or admin: ``unit_id``)
and ``POST /upload`` (multipart, field ``file``; ``apply`` false previews, true applies).
The rules live in ``services/ledger_xlsx.py``.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Response, get, post
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body, QueryParameter

from closedloop.http_common import MAX_ID
from closedloop.api.security import CurrentActor, any_role
from closedloop.domain.errors import Invalid, Issue
from closedloop.services import ledger_xlsx
from closedloop.http_common import XLSX, disposition


class LedgerCounts(msgspec.Struct):
    report: int
    late: int
    correction: int
    unchanged: int
    error: int


class LedgerItem(msgspec.Struct):
    item_id: int
    code: str
    title: str
    status: str
    status_name: str
    report_id: int | None
    narrative: str
    goals: int
    projects: int


class LedgerRow(msgspec.Struct, kw_only=True):
    row: int | None
    status: str
    status_name: str
    message: str
    item_id: int | None = None
    record: str | None = None
    record_id: int | None = None
    code: str | None = None
    title: str | None = None
    kind: str | None = None
    subject: str | None = None
    measure_unit: str | None = None
    previous: float | None = None
    value: float | None = None


class LedgerError(msgspec.Struct):
    sheet: str | None
    row: int | None
    column: str | None
    cell: str | None
    field: str | None
    message: str


class LedgerUploadRead(msgspec.Struct):
    period: str
    period_label: str
    unit_id: int
    unit_name: str
    applied: bool
    ok: bool
    counts: LedgerCounts
    items: list[LedgerItem]
    rows: list[LedgerRow]
    errors: list[LedgerError]


TRUE = {"1", "true", "yes", "on"}


class LedgerController(Controller):
    path = "/api/v1/ledger"
    tags = ["台账填报"]
    guards = [any_role]

    @get("/template.xlsx", media_type=XLSX, summary="下载本单位进度填报模板（.xlsx）")
    async def template(
        self,
        actor: CurrentActor,
        period: Annotated[str | None, QueryParameter(max_length=40, description="填报周期，如 2026-W48；默认本周")] = None,
        unit_id: Annotated[int | None, QueryParameter(ge=1, le=MAX_ID, description="单位（督查室、管理员必填）")] = None,
    ) -> Response[bytes]:
        content, filename = await ledger_xlsx.template(actor, period=period, unit_id=unit_id)
        return Response(content=content, media_type=XLSX, headers={"Content-Disposition": disposition(filename)})

    @post("/upload", status_code=200, summary="上传填报模板：apply=false 预览，apply=true 写入（全部或全不）")
    async def upload(
        self,
        actor: CurrentActor,
        data: Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)],
        apply: Annotated[bool | None, QueryParameter(description="true 写入；默认 false 仅预览")] = None,
    ) -> LedgerUploadRead:
        upload = data.get("file") if isinstance(data, dict) else None
        if not isinstance(upload, UploadFile):
            raise Invalid("请上传文件（表单字段 file）", [Issue("required", "请上传文件（表单字段 file）", "file")])
        if apply is None:
            raw = data.get("apply")
            apply = isinstance(raw, str) and raw.strip().lower() in TRUE
        content = await upload.read()
        out = await ledger_xlsx.upload(actor, filename=upload.filename, content=content, apply=bool(apply))
        return msgspec.convert(out, LedgerUploadRead)
