"""Everything the item page shows, from one call that reads the item once.

The per-list services (``records.list_records``, ``supervision.actions``, …) each check that
the item exists, as an API endpoint asking for one list must. The page shows a dozen lists of
one item: it asks here, the item is read (and NotFound raised) once, and each list is read by
its owner's unchecked ``*_of`` function. The gate checklist reuses the goals, problems and
projects read for the page. What the actor may do on the page is asked of ``services.access``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from closedloop.domain.stages import OPEN_STAGES
from closedloop.services import access, goal_changes, items, org, progress, records, supervision, workspace
from closedloop.services import values as ledger_values
from closedloop.services.common import Actor, Clock

REPORTS_SHOWN = 10


@dataclass
class ItemPage:
    item: dict
    gate: dict
    goals: list[dict]  # each with ``last``: its last reported value and period (or None)
    problems: list[dict]
    projects: list[dict]
    results: list[dict]  # each with its ``evidence``
    reports: list[dict]  # the latest REPORTS_SHOWN
    actions: list[dict]
    extensions: list[dict]
    transitions: list[dict]
    change_requests: list[dict]
    goal_values: dict[int, list[dict]]  # goal id → every value it was given
    units: dict[int, str]
    can_write: bool
    is_lead_unit: bool
    extension_block: str | None
    today: dt.date


async def item_page(actor: Actor, item_id: int) -> ItemPage:
    """The item and every list its page shows; NotFound when there is no such item."""
    item = await items.get_item(item_id)
    goals = await records.records_of(records.GOAL, item_id)
    last = await workspace.goal_last_values([g["id"] for g in goals])
    for g in goals:
        g["last"] = last.get(g["id"])
    problems = await records.records_of(records.PROBLEM, item_id)
    projects = await records.records_of(records.PROJECT, item_id)
    results = await records.records_of(records.RESULT, item_id)
    evidence = await records.evidence_of([r["id"] for r in results])
    for r in results:
        r["evidence"] = evidence[r["id"]]
    is_lead_unit = access.leads_item(actor, item)
    today = Clock.today()
    return ItemPage(
        item=item,
        gate=await items.checklist(item, goals=goals, problems=problems, projects=projects),
        goals=goals,
        problems=problems,
        projects=projects,
        results=results,
        reports=(await progress.reports_of(item_id))[:REPORTS_SHOWN],
        actions=await supervision.actions_of(item_id),
        extensions=await supervision.extensions_of(item_id),
        transitions=await items.transitions_of(item_id),
        change_requests=await goal_changes.requests_of(item_id),
        goal_values=await ledger_values.history_of_item(item_id),
        units={u["id"]: u["name"] for u in await org.list_units()},
        can_write=access.may_write_item(actor, item),
        is_lead_unit=is_lead_unit,
        extension_block=extension_block(item, is_lead_unit, today),
        today=today,
    )


def extension_block(item: dict, is_lead_unit: bool, today: dt.date) -> str | None:
    """Why 申请延期 is not offered on the page: None when the actor is not the lead unit (no
    form at all), "" when it is offered, else the reason. The deadline rules are
    ``supervision.request_extension``'s, which enforces them when the form is sent."""
    if not is_lead_unit:
        return None
    if item["stage"] not in OPEN_STAGES:
        return "事项已进入闭环或复盘阶段，不再申请延期。"
    if item["deadline"] is None:
        return "事项尚未确定完成时限，无需申请延期。"
    if supervision.extension_too_late(today, item["deadline"]):
        return f"完成时限 {item['deadline']} 已过，不能再申请延期（延期须在时限之前提出）；请尽快完成并报送，或联系督查室。"
    return ""
