"""四项管理 records: goals, problems, projects and results (with evidence), under an item.

Leads change records of items their unit leads or cooperates on, and only records their
unit answers for (a record's ``unit``, or the item's lead unit when it has none). Every
change is versioned and audited, in one transaction.

The rules that keep the numbers honest (issue 13):

- Assignment: a cooperating unit's lead gives records to its own unit only (never back to the
  lead unit by clearing ``unit``); the lead unit's lead may give a problem or a project to one of
  the item's cooperating units; goals and results stay with the unit that answers for them.
- A goal's ``actual`` is not typed by a lead: it comes from 进度填报 (the report ledger,
  ``services/progress.py``). An admin may correct it directly; the correction is a dated ledger
  entry too.
- Once an item has left 细算, a lead cannot change a goal's baseline, target, comparator,
  deadline, measure unit or milestones, nor delete a goal, nor add one (an added goal would
  change the item's completion after the fact; an admin adds it, audited): that is a 目标调整申请
  (``services/goal_changes.py``). Admins correct directly, audited. Plan-level goals (the plan's
  工作目标) are changed by admins only. Before that (下钻, 细算) the unit is still setting its goals,
  deadline included; afterwards a goal's deadline moves only by an approved 延期 (for goals that
  shared the item's deadline) or an approved 目标调整申请.
- A problem is created ``open``; ``resolved`` needs a resolution text and date, set by the
  owning unit; ``verified`` is the supervision office's (``verify_problem``).
- A verified result (and a verified problem) is locked for leads — no edit, no delete, no
  evidence added or removed — until a supervisor reopens it (``reopen_result``/``reopen_problem``).
- After 销号 (the item in 复盘) a lead changes none of the item's records or numbers, only its 复盘
  record (``access.ensure_data_open``); after 归档 nothing of the item changes except by an admin
  (``access.ensure_open``).
"""

from __future__ import annotations

import datetime as dt
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
from closedloop.domain.errors import Conflict, Forbidden, Invalid, NotFound, Issue
from closedloop.domain.statuses import ProblemStatus
from closedloop.services import lights, progress
from closedloop.services import access
from closedloop.services.access import LEAD_SCOPE_SQL, ensure_data_open, ensure_open, item_for_write
from closedloop.services.common import Actor, Clock, audit, item_exists, versioned_update
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

PROBLEM_STATES = tuple(s.value for s in ProblemStatus)
# what 细算 fixes: after it, a lead changes these only through a 目标调整申请
FROZEN_FIELDS = ("baseline", "target", "comparator", "deadline", "measure_unit", "milestones")
FIELD_NAMES = {
    "baseline": "基期值", "target": "目标值", "comparator": "比较符", "deadline": "完成时限",
    "measure_unit": "计量单位", "milestones": "序时节点",
}
OPEN_FOR_TARGETS = ("drill", "calculate")  # stages in which a goal's targets are still being set


def targets_frozen(stage: str | None) -> bool:
    """Whether an item in ``stage`` has left 细算 (its goals' targets are fixed)."""
    return stage is not None and stage not in OPEN_FOR_TARGETS


def frozen_changes(before: dict, values: dict) -> list[str]:
    """The frozen fields that ``values`` would change on a goal ``before``."""
    out = []
    for name in FROZEN_FIELDS:
        if name in values and _normal(values[name]) != _normal(before.get(name)):
            out.append(name)
    return out


def _normal(v: Any) -> Any:
    if isinstance(v, str) and v[:1] in "[{":
        try:
            import json

            return _normal(json.loads(v))
        except ValueError:
            return v
    if isinstance(v, list):
        return [_normal(x) for x in v]
    if isinstance(v, dict):
        return {k: _normal(x) for k, x in v.items()}
    if isinstance(v, int) and not isinstance(v, bool):
        return float(v)
    if isinstance(v, dt.date) and not isinstance(v, dt.datetime):
        return v.isoformat()
    return v


async def _item_units(item: dict) -> set[int]:
    coop = await ItemUnit.select(ItemUnit.unit).where(ItemUnit.item == item["id"])
    return {r["unit"] for r in coop} | ({item["lead_unit"]} if item["lead_unit"] else set())


async def _check_refs(kind: Kind, item: dict, values: dict, actor: Actor) -> None:
    """Every reference in ``values`` must stay inside the item (or its plan); leads may only
    give records to their own unit."""
    problems: list[Issue] = []
    if "unit" in values:
        await _check_assignment(kind, item, values["unit"], actor, problems)
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
    if kind is PROBLEM and values.get("status") == "verified":
        access.require_admin(actor, "问题的核销由督查室确认")
    for key, _link, _own, _other, other_table in kind.links:
        ids = values.get(key)
        if ids:
            found = await other_table.select(other_table.id).where(  # type: ignore[attr-defined]  # kind.table is one of the record tables, each with Piccolo's id column
                other_table.id.is_in(list(ids)) & (other_table.item == item["id"])  # type: ignore[attr-defined]  # kind.table is one of the record tables, each with Piccolo's id column
            )
            missing = sorted(set(ids) - {r["id"] for r in found})
            if missing:
                problems.append(Issue("link_not_on_item", f"关联的记录 {missing} 不属于同一事项", key))
    if problems:
        raise Invalid(problems[0].message, problems)


async def _check_assignment(kind: Kind, item: dict, unit: int | None, actor: Actor, problems: list[Issue]) -> None:
    """Who may give a record to which unit (``unit`` None means the item's lead unit)."""
    if unit is not None and unit not in await _item_units(item):
        problems.append(Issue("unit_not_on_item", "责任单位必须是该事项的牵头或配合单位", "unit_id"))
        return
    access.check_assignment(actor, item, unit, kind.name, may_hand_over=kind in (PROBLEM, PROJECT))


def _check_owner(actor: Actor, record: dict, item: dict, kind: Kind) -> None:
    access.check_unit(actor, access.owner_unit(record, item), f"只能修改本单位负责的{kind.name}")


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
    """The item's records of ``kind`` with their links; NotFound for an unknown item."""
    await item_exists(item_id)
    return await records_of(kind, item_id)


async def records_of(kind: Kind, item_id: int) -> list[dict]:
    """``list_records`` for a caller that has read the item already (the item page)."""
    rows = await kind.table.select().where(kind.table.item == item_id).order_by(kind.table.id).output(load_json=True)  # type: ignore[attr-defined]  # kind.table is one of the record tables, each with Piccolo's id column
    links = await links_of(kind, [r["id"] for r in rows])
    return [{**r, **links[r["id"]]} for r in rows]


async def get_record(kind: Kind, record_id: int) -> dict:
    row = await kind.table.select().where(kind.table.id == record_id).first().output(load_json=True)  # type: ignore[attr-defined]  # kind.table is one of the record tables, each with Piccolo's id column
    if row is None:
        raise NotFound(f"{kind.name}不存在")
    links = await links_of(kind, [record_id])
    return {**row, **links[record_id]}


async def create_record(kind: Kind, actor: Actor, item_id: int, values: dict) -> dict:
    today = Clock.today()
    values = dict(values)
    async with write_tx():
        item = await item_for_write(actor, item_id)
        ensure_data_open(actor, item)
        if kind is GOAL and access.is_lead(actor) and targets_frozen(item["stage"]):
            # a goal added after 细算 would change the item's completion after the fact
            raise Conflict(
                "事项已过「细算」阶段，不能再新增目标；确需新增请联系督查室，由管理员录入",
                [Issue("goal_frozen", "细算后新增目标须由管理员录入", None)],
            )
        actual = values.pop("actual", None) if kind is GOAL else None
        values.pop("actual_on", None)
        if actual is not None:
            access.require_admin(actor, "目标实际值通过进度填报更新，不能直接填写")
        if kind is PROBLEM and values.get("status", "open") != "open":
            raise Invalid("问题登记时为「未解决」，解决后再标记", [Issue("must_be_open", "问题登记时状态必须为 open（未解决）", "status")])
        own, link_values = _split(kind, values)
        if access.is_lead(actor) and own.get("unit") is None and item["lead_unit"] != actor.unit_id:
            own["unit"] = actor.unit_id  # a cooperating unit's record is its own
        await _check_refs(kind, item, {**values, "unit": own.get("unit")}, actor)
        if kind is GOAL:
            own["plan"] = item["plan"]
        if kind is RESULT:
            own["reported_by"] = actor.id
        row = (await kind.table.insert(kind.table(item=item_id, **own)).returning(*kind.table.all_columns()))[0]
        links = await _set_links(kind, row["id"], link_values)
        full = {**row, **links}
        await audit(actor, "create", kind.entity, row["id"], item_id=item_id, after=full)
        if actual is not None:
            await progress.record_admin_value(actor, row, actual, reason="管理员新建目标时录入实际值")
        await lights.refresh(today, [item_id])
        return await get_record(kind, row["id"])


async def create_result_with_evidence(
    actor: Actor, item_id: int, values: dict, *, filename: str | None = None, content_type: str | None = None,
    content: bytes | None = None, url: str | None = None,
) -> dict:
    """A 成效 and its first piece of evidence (a file or a link, if given) in one transaction:
    evidence that is refused (type, size, link) leaves no result behind without it."""
    async with write_tx():
        row = await create_record(RESULT, actor, item_id, values)
        if content:
            await add_evidence(actor, row["id"], filename=filename, content_type=content_type, content=content)
        elif url:
            await add_evidence(actor, row["id"], url=url)
    return row


async def _read_for_write(kind: Kind, actor: Actor, record_id: int) -> tuple[dict, dict]:
    """The record and the fields of its item that the checks need, with the lead's unit
    scope, in one statement (as ``item_for_write`` checks it). A plan-level goal (no item) is
    the admin's alone."""
    access.require_unit_writer(actor, "督查室不直接修改单位填报的数据")
    row = await sql.fetch_one(
        f'SELECT r.*, w.id AS "_item_id", w.lead_unit AS "_item_lead_unit", w.plan AS "_item_plan", w.stage AS "_item_stage", '
        f'{LEAD_SCOPE_SQL} AS "_in_scope" '
        f'FROM "{kind.table._meta.tablename}" r LEFT JOIN work_item w ON w.id = r.item AND w.kind = \'item\' WHERE r.id = {{}}',
        actor.unit_id, actor.unit_id, record_id,
    )
    if row is None:
        raise NotFound(f"{kind.name}不存在")
    item = {"id": row.pop("_item_id"), "lead_unit": row.pop("_item_lead_unit"), "plan": row.pop("_item_plan"), "stage": row.pop("_item_stage")}
    in_scope = row.pop("_in_scope")
    if item["id"] is None:
        if kind is GOAL and row.get("item") is None:
            access.require_admin(actor, "计划目标（工作目标）只能由管理员修改")
            item["plan"] = row["plan"]
            return sql.load_json(kind.table, row), item
        raise NotFound(f"{kind.name}不存在")
    if not in_scope and access.is_lead(actor):
        raise Forbidden("只能修改本单位牵头或配合的事项")
    ensure_data_open(actor, item)
    return sql.load_json(kind.table, row), item


def _check_unlocked(kind: Kind, actor: Actor, record: dict) -> None:
    """A verified result or problem is locked for leads until a supervisor reopens it."""
    if access.is_admin(actor):
        return
    if kind is RESULT and record.get("verified_by") is not None:
        raise Conflict("该成效已经督查室核验，不能修改；如需更正请联系督查室重新打开", [Issue("verified_locked", "成效已核验", None)])
    if kind is PROBLEM and record.get("status") == "verified":
        raise Conflict("该问题已经督查室核销，不能修改；如需更正请联系督查室重新打开", [Issue("verified_locked", "问题已核销", None)])


def _problem_status_change(before: dict, own: dict, problems: list[Issue]) -> None:
    """``resolved`` needs a resolution text and the day it was solved (not in the future)."""
    status = own.get("status", before["status"])
    if status == "resolved":
        resolution = own.get("resolution", before.get("resolution"))
        if not (resolution or "").strip():
            problems.append(Issue("resolution_required", "标记为已解决须填写解决情况", "resolution"))
        day = own.get("resolved_on", before.get("resolved_on")) or Clock.today()
        if isinstance(day, str):
            day = dt.date.fromisoformat(day)
        if day > Clock.today():
            problems.append(Issue("future", "解决日期不能晚于今天", "resolved_on"))
        found = before.get("found_on")
        if isinstance(found, str):
            found = dt.date.fromisoformat(found)
        if found and day < found:
            problems.append(Issue("before_found", "解决日期不能早于发现日期", "resolved_on"))
        own["resolved_on"] = day
        if before["status"] not in ("resolved", "verified"):
            own["resolved_at"] = Clock.now()
    elif status == "open" and before["status"] != "open":
        own["resolved_at"] = None
        own["resolved_on"] = None
    elif status == "carried_over" and not (own.get("carry_reason", before.get("carry_reason")) or "").strip():
        problems.append(Issue("carry_reason_required", "结转须填写理由", "carry_reason"))


async def update_record(kind: Kind, actor: Actor, record_id: int, version: int, values: dict) -> dict:
    """Change a record (every write path a lead uses daily): fixed statements, no re-read —
    the row comes back from the UPDATE and its light from the refresh."""
    today = Clock.today()
    values = dict(values)
    async with write_tx():
        before, item = await _read_for_write(kind, actor, record_id)
        if kind.links:
            before = {**before, **(await links_of(kind, [record_id]))[record_id]}
        _check_owner(actor, before, item, kind)
        _check_unlocked(kind, actor, before)
        actual = actual_on = None
        sets_actual = kind is GOAL and ("actual" in values or "actual_on" in values)
        if sets_actual:
            if not access.is_admin(actor):
                raise Forbidden("目标实际值通过进度填报更新，不能直接修改")
            if item["id"] is None:
                raise Invalid("计划目标的实际值来自关联事项目标的填报", [Issue("plan_goal_actual", "计划目标的实际值来自关联事项目标的填报", "actual")])
            actual, actual_on = values.pop("actual", None), values.pop("actual_on", None)
            if actual is None:
                raise Invalid("请填写更正后的实际值", [Issue("required", "请填写更正后的实际值", "actual")])
        if kind is GOAL and access.is_lead(actor) and targets_frozen(item["stage"]):
            frozen = frozen_changes(before, values)
            if frozen:
                names = "、".join(FIELD_NAMES[f] for f in frozen)
                raise Conflict(
                    f"事项已过「细算」阶段，目标的{names}不能直接修改，请提交目标调整申请",
                    [Issue("goal_frozen", f"{FIELD_NAMES[f]}已锁定，请提交目标调整申请", f) for f in frozen],
                )
        own, link_values = _split(kind, values)
        problems: list[Issue] = []
        if kind is PROBLEM and ("status" in own or "resolution" in own or "resolved_on" in own):
            _problem_status_change(before, own, problems)
        if problems:
            raise Invalid(problems[0].message, problems)
        await _check_refs(kind, item, values, actor)
        if kind is PROJECT and "progress" in own and not 0 <= own["progress"] <= 100:
            raise Invalid("进度必须在 0 到 100 之间", [Issue("out_of_range", "进度必须在 0 到 100 之间", "progress")])
        row = sql.load_json(
            kind.table,
            await versioned_update(kind.table, record_id, version, {getattr(kind.table, k): v for k, v in own.items()}, kind.name),
        )
        written = await _set_links(kind, record_id, link_values)
        if sets_actual:
            changed = await progress.record_admin_value(actor, row, actual, on=actual_on, reason="管理员直接更正实际值")  # type: ignore[arg-type]  # sets_actual means an actual was sent (not None)
            for c in changed:
                row["actual"], row["actual_on"] = c.after, c.actual_on
        if item["id"] is not None:
            refreshed = await lights.refresh_items(today, [item["id"]])
            if kind is GOAL and record_id in refreshed.goal_lights:
                row["light"] = refreshed.goal_lights[record_id]
        fresh = {**row, **{key: before[key] for key, *_ in kind.links}, **written}
        action = "correct" if access.is_admin(actor) and (sets_actual or (kind is GOAL and targets_frozen(item["stage"]) and frozen_changes(before, values))) else "update"
        await audit(actor, action, kind.entity, record_id, item_id=item["id"], before=before, after=fresh)
        return fresh


async def delete_record(kind: Kind, actor: Actor, record_id: int, version: int) -> None:
    today = Clock.today()
    async with write_tx():
        before = await kind.table.select().where(kind.table.id == record_id).first()  # type: ignore[attr-defined]  # kind.table is one of the record tables, each with Piccolo's id column
        if before is None or before.get("item") is None:
            raise NotFound(f"{kind.name}不存在")
        item = await item_for_write(actor, before["item"])
        ensure_data_open(actor, item)
        _check_owner(actor, before, item, kind)
        _check_unlocked(kind, actor, before)
        if kind is GOAL and access.is_lead(actor) and targets_frozen(item["stage"]):
            raise Conflict("事项已过「细算」阶段，目标不能删除；如需调整请提交目标调整申请", [Issue("goal_frozen", "目标已锁定", None)])
        if before["version"] != version:
            raise Conflict(f"{kind.name}已被他人修改（当前版本 {before['version']}），请刷新后重试")
        blockers = await _delete_blockers(kind, record_id)
        if blockers:
            raise Conflict(f"{kind.name}仍被引用，不能删除：{blockers}")
        for _key, link, own, _other, _ in kind.links:
            await link.delete().where(getattr(link, own) == record_id)
        deleted = await kind.table.delete().where((kind.table.id == record_id) & (kind.table.version == version)).returning(kind.table.id)  # type: ignore[attr-defined]  # kind.table is one of the record tables, each with Piccolo's id column
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


def _require_supervisor(actor: Actor, what: str) -> None:
    access.require_office(actor, f"{what}由督查室操作")


async def _for_supervision(table: type[Table], record_id: int, what: str, actor: Actor) -> dict:
    before = await table.select().where(table.id == record_id).first()  # type: ignore[attr-defined]  # table is one of the record tables, each with Piccolo's id column
    if before is None:
        raise NotFound(f"{what}不存在")
    ensure_open(actor, await item_exists(before["item"]))
    return before


async def verify_result(actor: Actor, result_id: int, version: int) -> dict:
    _require_supervisor(actor, "成效核验")
    async with write_tx():
        before = await _for_supervision(Result, result_id, "结果", actor)
        row = await versioned_update(
            Result, result_id, version, {Result.verified_by: actor.id, Result.verified_at: Clock.now()}, "结果"
        )
        await audit(actor, "verify", "result", result_id, item_id=before["item"], before=before, after=row)
    return row


async def reopen_result(actor: Actor, result_id: int, version: int, reason: str) -> dict:
    """A supervisor reopens a verified result so that its unit can correct it; it must be
    verified again afterwards."""
    _require_supervisor(actor, "重新打开成效")
    if not (reason or "").strip():
        raise Invalid("请填写重新打开的理由", [Issue("required", "请填写重新打开的理由", "reason")])
    async with write_tx():
        before = await _for_supervision(Result, result_id, "结果", actor)
        if before["verified_by"] is None:
            raise Conflict("该成效尚未核验，无需重新打开")
        row = await versioned_update(Result, result_id, version, {Result.verified_by: None, Result.verified_at: None}, "结果")
        await audit(actor, "reopen", "result", result_id, item_id=before["item"], before=before, after={**row, "reason": reason.strip()})
    return row


async def verify_problem(actor: Actor, problem_id: int, version: int) -> dict:
    """核销: the supervision office confirms a resolved problem."""
    _require_supervisor(actor, "问题核销")
    async with write_tx():
        before = await _for_supervision(Problem, problem_id, "问题", actor)
        if before["status"] != "resolved":
            raise Conflict("只有已解决的问题可以核销", [Issue("not_resolved", "问题尚未解决", "status")])
        row = await versioned_update(Problem, problem_id, version, {Problem.status: "verified"}, "问题")
        await audit(actor, "verify", "problem", problem_id, item_id=before["item"], before=before, after=row)
        await lights.refresh(Clock.today(), [before["item"]])
    return {**row, **(await links_of(PROBLEM, [problem_id]))[problem_id]}


async def reopen_problem(actor: Actor, problem_id: int, version: int, reason: str) -> dict:
    """A supervisor reopens a verified problem: back to resolved, editable by its unit."""
    _require_supervisor(actor, "重新打开问题")
    if not (reason or "").strip():
        raise Invalid("请填写重新打开的理由", [Issue("required", "请填写重新打开的理由", "reason")])
    async with write_tx():
        before = await _for_supervision(Problem, problem_id, "问题", actor)
        if before["status"] != "verified":
            raise Conflict("该问题尚未核销，无需重新打开")
        row = await versioned_update(Problem, problem_id, version, {Problem.status: "resolved"}, "问题")
        await audit(actor, "reopen", "problem", problem_id, item_id=before["item"], before=before, after={**row, "reason": reason.strip()})
    return {**row, **(await links_of(PROBLEM, [problem_id]))[problem_id]}


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
        ensure_data_open(actor, item)
        _check_owner(actor, result, item, RESULT)
        _check_unlocked(RESULT, actor, result)
        row = (await Evidence.insert(Evidence(**values)).returning(*Evidence.all_columns(exclude=[Evidence.content])))[0]
        await audit(actor, "add_evidence", "evidence", row["id"], item_id=result["item"], after=row)
    return row


async def delete_evidence(actor: Actor, evidence_id: int) -> None:
    """Remove a piece of evidence (the unit that answers for the result, before verification)."""
    async with write_tx():
        ev = await Evidence.select(*Evidence.all_columns(exclude=[Evidence.content])).where(Evidence.id == evidence_id).first()
        if ev is None:
            raise NotFound("佐证不存在")
        result = await Result.select().where(Result.id == ev["result"]).first()
        item = await item_for_write(actor, result["item"])  # type: ignore[index]  # a result row exists for every evidence (foreign key, no cascade)
        ensure_data_open(actor, item)
        _check_owner(actor, result, item, RESULT)  # type: ignore[arg-type]  # a result row exists for every evidence (foreign key, no cascade)
        _check_unlocked(RESULT, actor, result)  # type: ignore[arg-type]  # a result row exists for every evidence (foreign key, no cascade)
        await Evidence.delete().where(Evidence.id == evidence_id)
        await audit(actor, "delete_evidence", "evidence", evidence_id, item_id=result["item"], before=ev)  # type: ignore[index]  # a result row exists for every evidence (foreign key, no cascade)


async def list_evidence(result_id: int) -> list[dict]:
    return (await evidence_of([result_id]))[result_id]


async def evidence_of(result_ids: list[int]) -> dict[int, list[dict]]:
    """The evidence of each result (without the file content), in one query."""
    out: dict[int, list[dict]] = {i: [] for i in result_ids}
    if result_ids:
        for e in await Evidence.select(*Evidence.all_columns(exclude=[Evidence.content])).where(Evidence.result.is_in(result_ids)).order_by(Evidence.id):
            out[e["result"]].append(e)
    return out


async def get_evidence_file(evidence_id: int) -> dict:
    row = await Evidence.select().where(Evidence.id == evidence_id).first()
    if row is None:
        raise NotFound("佐证不存在")
    return row


async def goal_ids_with_results(item_id: int) -> set[int]:
    rows = await Result.select(Result.goal).where((Result.item == item_id) & Result.goal.is_not_null())
    return {r["goal"] for r in rows}


async def goal_ids_with_verified_evidence(item_id: int) -> set[int]:
    """Goals of the item with a result verified by the supervision office that carries at least
    one piece of evidence (what 销号 needs for every goal)."""
    rows = await sql.fetch(
        "SELECT DISTINCT r.goal AS goal FROM result r WHERE r.item = {} AND r.goal IS NOT NULL AND r.verified_by IS NOT NULL "
        "AND EXISTS (SELECT 1 FROM evidence e WHERE e.result = r.id)",
        item_id,
    )
    return {r["goal"] for r in rows}

