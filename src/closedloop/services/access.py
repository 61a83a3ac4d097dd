"""Who may do what: the one home of the access rules.

Services, pages and the API's guards all ask here; nothing else looks at ``actor.role``.
A check either answers a question (``is_office``, ``may_write_item``: for pages deciding what
to offer) or enforces it and raises the domain's error (``require_*``, ``item_for_write``).
The item checks read the item in the same statement that carries the unit check, so a lead
never learns more about another unit's item than that it exists.

The rules:

- an admin may do anything, and is the only one who changes an archived item;
- the office (督查室: supervisors, and admins) supervises: 催办, 销号, verification, editions,
  data checks; it does not write a unit's data;
- a lead writes only items its unit leads or cooperates on; a cooperating unit only the records
  given to it; the lead unit alone moves the item, asks for an extension, names the person;
- a record (goal, problem, project) belongs to its ``unit``, or to the item's lead unit when it
  names none.
"""

from __future__ import annotations

from closedloop.db import sql
from closedloop.db.tables import ItemUnit, WorkItem
from closedloop.domain.errors import Conflict, Forbidden, Invalid, Issue, NotFound
from closedloop.domain.stages import Stage
from closedloop.domain.statuses import Role
from closedloop.services.common import Actor

ROLES = tuple(r.value for r in Role)
ARCHIVED = Stage.ARCHIVED.value
REVIEW = Stage.REVIEW.value


# -- roles -----------------------------------------------------------------------------------


def is_admin(actor: Actor) -> bool:
    return actor.role == "admin"


def is_lead(actor: Actor) -> bool:
    """A unit's contact (单位联络人): acts for ``actor.unit_id`` only."""
    return actor.role == "lead"


def is_supervisor(actor: Actor) -> bool:
    """督查室 staff (not admins: where admins also count, ask ``is_office``)."""
    return actor.role == "supervisor"


def is_office(actor: Actor) -> bool:
    """The 督查室's side: supervisors, and admins who may do all they do."""
    return actor.role in ("supervisor", "admin")


def is_user(actor: Actor) -> bool:
    """Any signed-in person (not the scheduler)."""
    return actor.role in ROLES


def require_admin(actor: Actor, message: str = "仅管理员可以执行此操作") -> Actor:
    if not is_admin(actor):
        raise Forbidden(message)
    return actor


def require_lead(actor: Actor, message: str) -> Actor:
    if not is_lead(actor):
        raise Forbidden(message)
    return actor


def require_office(actor: Actor, message: str = "只有督查室可以执行此操作") -> Actor:
    if not is_office(actor):
        raise Forbidden(message)
    return actor


def require_unit_writer(actor: Actor, message: str) -> Actor:
    """Who writes a unit's data at all: its leads, and admins."""
    if actor.role not in ("lead", "admin"):
        raise Forbidden(message)
    return actor


def refuse_supervisor(actor: Actor, message: str) -> None:
    """The office supervises a unit's data; it does not write it."""
    if is_supervisor(actor):
        raise Forbidden(message)


def ledger_unit(actor: Actor, unit_id: int | None) -> int:
    """Whose 台账 (the Excel ledger) an actor downloads or files: a lead's own unit (naming
    another is refused); the office names one."""
    if is_lead(actor):
        if unit_id is not None and unit_id != actor.unit_id:
            raise Forbidden("只能下载或填报本单位的台账")
        if actor.unit_id is None:
            raise Forbidden("账号未关联单位")
        return actor.unit_id
    if unit_id is None:
        raise Invalid("请指定单位", [Issue("required", "请指定单位（unit_id）", "unit_id")])
    return unit_id


def sees_webhook_urls(actor: Actor) -> bool:
    """A unit's robot address carries its token: admins only."""
    return is_admin(actor)


# -- items -----------------------------------------------------------------------------------


def lead_scope(unit_id: int | None):
    """WHERE clause: items whose lead or cooperating unit is ``unit_id``."""
    return (WorkItem.lead_unit == unit_id) | WorkItem.id.is_in(
        ItemUnit.select(ItemUnit.item).where(ItemUnit.unit == unit_id)
    )


# The lead_scope() condition as SQL text for fixed statements: the item aliased ``w`` is led
# or co-operated on by a unit (the two parameters, both the unit's id).
LEAD_SCOPE_SQL = "(w.lead_unit = {} OR EXISTS (SELECT 1 FROM item_unit iu WHERE iu.item = w.id AND iu.unit = {}))"
ITEM_FOR_LEAD_SQL = f"SELECT w.* FROM work_item w WHERE w.id = {{}} AND w.kind = 'item' AND {LEAD_SCOPE_SQL}"


def ensure_open(actor: Actor, item: dict) -> None:
    """After 归档 nothing of an item changes except by an admin (whose every write is audited)."""
    if item.get("stage") == ARCHIVED and not is_admin(actor):
        raise Conflict("事项已归档，只有管理员可以修改", [])


def ensure_data_open(actor: Actor, item: dict) -> None:
    """An item's numbers and records (goal values, reports, goals, problems, projects, results,
    evidence) once the office has struck it off (销号, the item in 复盘): what was verified stays
    as verified; the unit still writes its 复盘 record. An admin corrects, audited; the office
    sends the item back (退回) if the unit must change something."""
    ensure_open(actor, item)
    if item.get("stage") == REVIEW and not is_admin(actor):
        raise Conflict(
            "事项已核验销号，目标、进度和四项记录不能再修改；如需更正请联系督查室退回",
            [Issue("struck_off", "事项已核验销号", None)],
        )


async def item_for_write(actor: Actor, item_id: int) -> dict:
    """Read an item the actor may change, in one query that carries the unit check.

    Admins may change any item; leads only items of their unit (lead or cooperating), and not
    once it is archived; supervisors change supervision data, not unit data, through their own
    services.
    """
    if is_lead(actor):
        row = await sql.fetch_one(ITEM_FOR_LEAD_SQL, item_id, actor.unit_id, actor.unit_id)
    elif is_admin(actor):
        row = await sql.fetch_one("SELECT * FROM work_item WHERE id = {} AND kind = 'item'", item_id)
    else:
        raise Forbidden("督查室不直接修改单位填报的数据")
    if row is None:
        if await WorkItem.exists().where((WorkItem.id == item_id) & (WorkItem.kind == "item")):
            raise Forbidden("只能修改本单位牵头或配合的事项")
        raise NotFound("事项不存在")
    ensure_open(actor, row)
    return row


async def item_for_lead_unit(actor: Actor, item_id: int, message: str) -> dict:
    """``item_for_write``, and a lead must be the item's lead unit (not a cooperating one):
    what only the lead unit does (the item's person and review, 延期, moving the stage)."""
    item = await item_for_write(actor, item_id)
    check_unit(actor, item["lead_unit"], message)
    return item


def owner_unit(record: dict, item: dict) -> int | None:
    """The unit a record (goal, problem, project, 督办) is for: its own, else the item's lead unit."""
    return record.get("unit") or item["lead_unit"]


def check_unit(actor: Actor, unit_id: int | None, message: str) -> None:
    """A lead acts only for its own unit; admins for any (supervisors are refused earlier)."""
    if is_lead(actor) and unit_id != actor.unit_id:
        raise Forbidden(message)


def check_assignment(actor: Actor, item: dict, unit: int | None, what: str, *, may_hand_over: bool) -> None:
    """Whom a lead may give a record to (``unit`` None: the item's lead unit): its own unit; the
    lead unit may also hand a problem or a project (``may_hand_over``) to a cooperating unit
    (that ``unit`` is on the item is the caller's check)."""
    if not is_lead(actor):
        return
    target = unit if unit is not None else item["lead_unit"]
    if target == actor.unit_id:
        return
    if item["lead_unit"] != actor.unit_id:
        raise Forbidden("配合单位只能将记录指定给本单位")
    if not may_hand_over:
        raise Forbidden(f"{what}由本单位负责，不能指定给其他单位")


def may_write_item(actor: Actor, item: dict) -> bool:
    """Whether to offer the unit's forms on an item page (``item`` with ``cooperating_unit_ids``);
    ``item_for_write`` enforces the same when the form is sent."""
    if is_admin(actor):
        return True
    return is_lead(actor) and (item["lead_unit"] == actor.unit_id or actor.unit_id in item["cooperating_unit_ids"])


def leads_item(actor: Actor, item: dict) -> bool:
    """Whether to offer what only the lead unit does (``item_for_lead_unit`` enforces it)."""
    return is_admin(actor) or (is_lead(actor) and item["lead_unit"] == actor.unit_id)
