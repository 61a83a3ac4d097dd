"""四项管理 records: goals, problems, projects and results (with evidence), under an item.

Leads change records of items their unit leads or cooperates on, and only records their
unit answers for (a record's ``unit``, or the item's lead unit when it has none). Every
change is versioned and audited, in one transaction.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from piccolo.table import Table

from closedloop.db import sql
from closedloop.db.engine import write_tx
from closedloop.db.tables import (
    Evidence,
    Goal,
    ItemUnit,
    Problem,
    ProblemGoal,
    Project,
    ProjectGoal,
    ProjectProblem,
    Result,
)
from closedloop.domain.errors import Conflict, Forbidden, Invalid, NotFound, Problem as Issue
from closedloop.services import lights
from closedloop.services.common import LEAD_SCOPE_SQL, Actor, Clock, audit, item_exists, item_for_write, versioned_update
from closedloop.settings import get_settings


@dataclass(frozen=True)
class Kind:
    table: type[Table]
    entity: str
    name: str
    # link tables: request key → (table, own column, other column, other table)
    links: tuple[tuple[str, type[Table], str, str, type[Table]], ...] = ()


GOAL = Kind(Goal, "goal", "目标")
PROBLEM = Kind(Problem, "problem", "问题", (("goal_ids", ProblemGoal, "problem", "goal", Goal),))
PROJECT = Kind(
    Project,
    "project",
    "项目",
    (
        ("problem_ids", ProjectProblem, "project", "problem", Problem),
        ("goal_ids", ProjectGoal, "project", "goal", Goal),
    ),
)
RESULT = Kind(Result, "result", "结果")
KINDS = {k.entity: k for k in (GOAL, PROBLEM, PROJECT, RESULT)}

PROBLEM_STATES = ("open", "resolved", "verified", "carried_over")


async def _item_units(item: dict) -> set[int]:
    coop = await ItemUnit.select(ItemUnit.unit).where(ItemUnit.item == item["id"])
    return {r["unit"] for r in coop} | ({item["lead_unit"]} if item["lead_unit"] else set())


def _owner(record: dict, item: dict) -> int | None:
    return record.get("unit") or item["lead_unit"]


async def _check_refs(kind: Kind, item: dict, values: dict, actor: Actor) -> None:
    """Every reference in ``values`` must stay inside the item (or its plan); leads may only
    give records to their own unit."""
    problems: list[Issue] = []
    if "unit" in values and values["unit"] is not None:
        units = await _item_units(item)
        if values["unit"] not in units:
            problems.append(Issue("unit_not_on_item", "责任单位必须是该事项的牵头或配合单位", "unit_id"))
        elif actor.is_lead and values["unit"] != actor.unit_id:
            raise Forbidden("只能将记录指定给本单位")
    if kind is RESULT and values.get("goal") is not None:
        if not await Goal.exists().where((Goal.id == values["goal"]) & (Goal.item == item["id"])):
            problems.append(Issue("goal_not_on_item", "成效对应的目标必须属于同一事项", "goal_id"))
    if kind is GOAL and values.get("plan_goal") is not None:
        if not await Goal.exists().where(
            (Goal.id == values["plan_goal"]) & (Goal.plan == item["plan"]) & Goal.item.is_null()
        ):
            problems.append(Issue("plan_goal_invalid", "关联的计划目标不存在或不属于本计划", "plan_goal_id"))
    if kind is PROBLEM and "status" in values and values["status"] not in PROBLEM_STATES:
        problems.append(Issue("invalid", "状态必须是 open、resolved、verified 或 carried_over 之一", "status"))
    if kind is PROBLEM and values.get("status") == "verified" and actor.is_lead:
        raise Forbidden("问题的核销（verified）由督查室确认")
    for key, _link, _own, _other, other_table in kind.links:
        ids = values.get(key)
        if ids:
            found = await other_table.select(other_table.id).where(
                other_table.id.is_in(list(ids)) & (other_table.item == item["id"])  # type: ignore[attr-defined]
            )
            missing = sorted(set(ids) - {r["id"] for r in found})
            if missing:
                problems.append(Issue("link_not_on_item", f"关联的记录 {missing} 不属于同一事项", key))
    if problems:
        raise Invalid(problems[0].message, problems)


def _check_owner(actor: Actor, record: dict, item: dict, kind: Kind) -> None:
    if actor.is_lead and _owner(record, item) != actor.unit_id:
        raise Forbidden(f"只能修改本单位负责的{kind.name}")


async def _set_links(kind: Kind, record_id: int, values: dict) -> dict:
    changed = {}
    for key, link, own, other, _ in kind.links:
        if key not in values:
            continue
        ids = sorted(set(values[key] or []))
        await link.delete().where(getattr(link, own) == record_id)
        if ids:
            await link.insert(*[link(**{own: record_id, other: i}) for i in ids])
        changed[key] = ids
    return changed


async def links_of(kind: Kind, record_ids: list[int]) -> dict[int, dict[str, list[int]]]:
    out: dict[int, dict[str, list[int]]] = {i: {k[0]: [] for k in kind.links} for i in record_ids}
    if not record_ids:
        return out
    for key, link, own, other, _ in kind.links:
        rows = await link.select(getattr(link, own), getattr(link, other)).where(getattr(link, own).is_in(record_ids))
        for r in rows:
            out[r[own]][key].append(r[other])
    return out


def _split(kind: Kind, values: dict) -> tuple[dict, dict]:
    link_keys = {k[0] for k in kind.links}
    return {k: v for k, v in values.items() if k not in link_keys}, {k: v for k, v in values.items() if k in link_keys}


async def list_records(kind: Kind, item_id: int) -> list[dict]:
    await item_exists(item_id)
    rows = await kind.table.select().where(kind.table.item == item_id).order_by(kind.table.id).output(load_json=True)  # type: ignore[attr-defined]
    links = await links_of(kind, [r["id"] for r in rows])
    return [{**r, **links[r["id"]]} for r in rows]


async def get_record(kind: Kind, record_id: int) -> dict:
    row = await kind.table.select().where(kind.table.id == record_id).first().output(load_json=True)
    if row is None:
        raise NotFound(f"{kind.name}不存在")
    links = await links_of(kind, [record_id])
    return {**row, **links[record_id]}


async def create_record(kind: Kind, actor: Actor, item_id: int, values: dict) -> dict:
    today = Clock.today()
    async with write_tx():
        item = await item_for_write(actor, item_id)
        own, link_values = _split(kind, values)
        if actor.is_lead and own.get("unit") is None and item["lead_unit"] != actor.unit_id:
            own["unit"] = actor.unit_id  # a cooperating unit's record is its own
        await _check_refs(kind, item, values, actor)
        if kind is GOAL:
            own["plan"] = item["plan"]
        if kind is RESULT:
            own["reported_by"] = actor.id
        if kind is PROBLEM and own.get("status") in ("resolved", "verified"):
            own["resolved_at"] = Clock.now()
        row = (await kind.table.insert(kind.table(item=item_id, **own)).returning(*kind.table.all_columns()))[0]
        links = await _set_links(kind, row["id"], link_values)
        full = {**row, **links}
        await audit(actor, "create", kind.entity, row["id"], item_id=item_id, after=full)
        await lights.refresh(today, [item_id])
        return await get_record(kind, row["id"])


async def _read_for_write(kind: Kind, actor: Actor, record_id: int) -> tuple[dict, dict]:
    """The record and the fields of its item that the checks need, with the lead's unit
    scope, in one statement (as ``item_for_write`` checks it)."""
    if not (actor.is_lead or actor.is_admin):
        raise Forbidden("督查室不直接修改单位填报的数据")
    row = await sql.fetch_one(
        f'SELECT r.*, w.lead_unit AS "_item_lead_unit", w.plan AS "_item_plan", '
        f'{LEAD_SCOPE_SQL} AS "_in_scope" '
        f'FROM "{kind.table._meta.tablename}" r JOIN work_item w ON w.id = r.item AND w.kind = \'item\' WHERE r.id = {{}}',
        actor.unit_id, actor.unit_id, record_id,
    )
    if row is None:
        raise NotFound(f"{kind.name}不存在")
    item = {"id": row["item"], "lead_unit": row.pop("_item_lead_unit"), "plan": row.pop("_item_plan")}
    if not row.pop("_in_scope") and actor.is_lead:
        raise Forbidden("只能修改本单位牵头或配合的事项")
    return sql.load_json(kind.table, row), item


async def update_record(kind: Kind, actor: Actor, record_id: int, version: int, values: dict) -> dict:
    """Change a record (every write path a lead uses daily): fixed statements, no re-read —
    the row comes back from the UPDATE and its light from the refresh."""
    today = Clock.today()
    async with write_tx():
        before, item = await _read_for_write(kind, actor, record_id)
        if kind.links:
            before = {**before, **(await links_of(kind, [record_id]))[record_id]}
        _check_owner(actor, before, item, kind)
        own, link_values = _split(kind, values)
        await _check_refs(kind, item, values, actor)
        if kind is PROBLEM and own.get("status") in ("resolved", "verified") and before["status"] not in ("resolved", "verified"):
            own["resolved_at"] = Clock.now()
        if kind is GOAL and "actual" in own and "actual_on" not in own:
            own["actual_on"] = today
        if kind is PROJECT and "progress" in own and not 0 <= own["progress"] <= 100:
            raise Invalid("进度必须在 0 到 100 之间", [Issue("out_of_range", "进度必须在 0 到 100 之间", "progress")])
        row = sql.load_json(
            kind.table,
            await versioned_update(kind.table, record_id, version, {getattr(kind.table, k): v for k, v in own.items()}, kind.name),
        )
        written = await _set_links(kind, record_id, link_values)
        refreshed = await lights.refresh_items(today, [before["item"]])
        if kind is GOAL and record_id in refreshed.goal_lights:
            row["light"] = refreshed.goal_lights[record_id]
        fresh = {**row, **{key: before[key] for key, *_ in kind.links}, **written}
        await audit(actor, "update", kind.entity, record_id, item_id=before["item"], before=before, after=fresh)
        return fresh


async def delete_record(kind: Kind, actor: Actor, record_id: int, version: int) -> None:
    today = Clock.today()
    async with write_tx():
        before = await kind.table.select().where(kind.table.id == record_id).first()
        if before is None or before.get("item") is None:
            raise NotFound(f"{kind.name}不存在")
        item = await item_for_write(actor, before["item"])
        _check_owner(actor, before, item, kind)
        if before["version"] != version:
            raise Conflict(f"{kind.name}已被他人修改（当前版本 {before['version']}），请刷新后重试")
        blockers = await _delete_blockers(kind, record_id)
        if blockers:
            raise Conflict(f"{kind.name}仍被引用，不能删除：{blockers}")
        for _key, link, own, _other, _ in kind.links:
            await link.delete().where(getattr(link, own) == record_id)
        deleted = await kind.table.delete().where((kind.table.id == record_id) & (kind.table.version == version)).returning(kind.table.id)  # type: ignore[attr-defined]
        if not deleted:
            raise Conflict(f"{kind.name}已被他人修改，请刷新后重试")
        await audit(actor, "delete", kind.entity, record_id, item_id=before["item"], before=before)
        await lights.refresh(today, [before["item"]])


async def _delete_blockers(kind: Kind, record_id: int) -> str:
    """History that refers to a record keeps it: results, progress values, evidence."""
    from closedloop.db.tables import ProgressValue

    if kind is GOAL:
        if await Result.exists().where(Result.goal == record_id):
            return "已有成效记录"
        if await ProgressValue.exists().where(ProgressValue.goal == record_id):
            return "已有进度填报"
        if await ProblemGoal.exists().where(ProblemGoal.goal == record_id) or await ProjectGoal.exists().where(
            ProjectGoal.goal == record_id
        ):
            return "被问题或项目关联"
    if kind is PROJECT and await ProgressValue.exists().where(ProgressValue.project == record_id):
        return "已有进度填报"
    if kind is PROBLEM and await ProjectProblem.exists().where(ProjectProblem.problem == record_id):
        return "被项目关联"
    if kind is RESULT and await Evidence.exists().where(Evidence.result == record_id):
        return "已有佐证材料"
    return ""


# ---------------------------------------------------------------------------
# Results: verification and evidence


async def verify_result(actor: Actor, result_id: int, version: int) -> dict:
    if not (actor.is_supervisor or actor.is_admin):
        raise Forbidden("成效核验由督查室操作")
    async with write_tx():
        before = await Result.select().where(Result.id == result_id).first()
        if before is None:
            raise NotFound("结果不存在")
        row = await versioned_update(
            Result, result_id, version, {Result.verified_by: actor.id, Result.verified_at: Clock.now()}, "结果"
        )
        await audit(actor, "verify", "result", result_id, item_id=before["item"], before=before, after=row)
    return row


async def add_evidence(
    actor: Actor,
    result_id: int,
    *,
    url: str | None = None,
    filename: str | None = None,
    content_type: str | None = None,
    content: bytes | None = None,
    note: str | None = None,
) -> dict:
    settings = get_settings()
    if (url is None) == (content is None):
        raise Invalid("佐证需上传文件或提供链接（二选一）", [Issue("required", "佐证需上传文件或提供链接（二选一）", "file")])
    values: dict[str, Any] = {"result": result_id, "uploaded_by": actor.id, "note": note}
    if url is not None:
        if not url.startswith(("http://", "https://")):
            raise Invalid("链接必须以 http:// 或 https:// 开头", [Issue("invalid", "链接必须以 http:// 或 https:// 开头", "url")])
        values.update(kind="link", url=url, sha256=hashlib.sha256(url.encode()).hexdigest())
    else:
        assert content is not None
        ctype = (content_type or "").split(";")[0].strip().lower()
        if len(content) == 0:
            raise Invalid("上传的文件是空的", [Issue("empty", "上传的文件是空的", "file")])
        if len(content) > settings.upload_max_bytes:
            limit = settings.upload_max_bytes // (1024 * 1024)
            raise Invalid(f"文件超过 {limit} MB 上限", [Issue("too_large", f"文件超过 {limit} MB 上限", "file")])
        if ctype not in settings.upload_types:
            raise Invalid(
                f"不支持的文件类型 {ctype or '未知'}，允许 PDF、图片、文本、Word、Excel",
                [Issue("bad_type", "不支持的文件类型", "file")],
            )
        values.update(
            kind="file",
            filename=(filename or "evidence")[-255:],
            content_type=ctype,
            size=len(content),
            content=content,
            sha256=hashlib.sha256(content).hexdigest(),
        )
    async with write_tx():
        result = await Result.select().where(Result.id == result_id).first()
        if result is None:
            raise NotFound("结果不存在")
        item = await item_for_write(actor, result["item"])
        _check_owner(actor, result, item, RESULT)
        row = (await Evidence.insert(Evidence(**values)).returning(*Evidence.all_columns(exclude=[Evidence.content])))[0]
        await audit(actor, "add_evidence", "evidence", row["id"], item_id=result["item"], after=row)
    return row


async def list_evidence(result_id: int) -> list[dict]:
    return await Evidence.select(*Evidence.all_columns(exclude=[Evidence.content])).where(Evidence.result == result_id).order_by(Evidence.id)


async def get_evidence_file(evidence_id: int) -> dict:
    row = await Evidence.select().where(Evidence.id == evidence_id).first()
    if row is None:
        raise NotFound("佐证不存在")
    return row


async def goal_ids_with_results(item_id: int) -> set[int]:
    rows = await Result.select(Result.goal).where((Result.item == item_id) & Result.goal.is_not_null())
    return {r["goal"] for r in rows}

