"""Every write operation × role × own or other unit: the expected status; an allowed write did
what it asked (``EFFECTS``: the row holds the new values, the new row exists, the deleted one is
gone); a refused one left every table as it was, the audit log included. A write route without a
row in the matrix, or a row without its effect, fails the suite."""

import pytest
import pytest_asyncio

from closedloop.db.tables import ALL_TABLES, AuditEvent
from tests.factories import (
    EvidenceFactory,
    ExtensionRequestFactory,
    GoalChangeRequestFactory,
    GoalFactory,
    ProblemFactory,
    PublicationFactory,
    ResultFactory,
    SupervisionActionFactory,
    WorkdayOverrideFactory,
    WorkItemFactory,
)
from tests.integration.permission_matrix import ACTORS, EFFECTS, NO_WRITE, OPS, PAGE_OPS, SELF_SERVICE, Multipart

ACTOR_USER = {"admin": "admin", "supervisor": "supervisor", "lead_own": "lead_a", "lead_other": "lead_c", "lead_coop": "lead_b"}


@pytest_asyncio.fixture(loop_scope="session")
async def matrix_world(world):
    world.goal_spare = await GoalFactory.create(plan=world.plan, item=world.item_a.id)
    world.extension = await ExtensionRequestFactory.create(item=world.item_b, old_deadline=world.item_b.deadline)
    world.action = await SupervisionActionFactory.create(item=world.item_a, unit=world.unit_a.id)
    world.publication = await PublicationFactory.create(period="2024-W20")
    world.item_close = await WorkItemFactory.create(plan=world.plan, code="三是", lead_unit=world.unit_a, stage="close")
    # 销号 needs every goal's result verified with evidence
    close_goal = await GoalFactory.create(plan=world.plan, item=world.item_close.id)
    close_result = await ResultFactory.create(item=world.item_close, goal=close_goal.id, verified_by=world.users["supervisor"].id)
    await EvidenceFactory.create(result=close_result)
    world.change_request = await GoalChangeRequestFactory.create(goal=world.goal_b, item=world.item_b)
    world.problem_resolved = await ProblemFactory.create(item=world.item_a, unit=world.unit_a.id, status="resolved", resolution="已协调")
    world.problem_verified = await ProblemFactory.create(item=world.item_a, unit=world.unit_a.id, status="verified", resolution="已协调")
    world.result_verified = await ResultFactory.create(item=world.item_a, goal=world.goal_a.id, verified_by=world.users["supervisor"].id)
    world.evidence_a = await EvidenceFactory.create(result=await ResultFactory.create(item=world.item_a, goal=world.goal_a.id))
    world.plan_goal = await GoalFactory.create(plan=world.plan, item=None, subject="高新技术企业")
    world.linked_goal = await GoalFactory.create(plan=world.plan, item=world.item_a.id, plan_goal=world.plan_goal.id)
    world.problem_unresolved_text = await ProblemFactory.create(item=world.item_a, status="resolved")  # an open data check
    world.workday_override = await WorkdayOverrideFactory.create()
    # plan editing: a plan goal nothing restates and an item without history, to delete
    world.plan_goal_spare = await GoalFactory.create(plan=world.plan, item=None)
    world.item_spare = await WorkItemFactory.create(
        plan=world.plan, parent=getattr(world.item_a.parent, "id", world.item_a.parent), code="四是", lead_unit=world.unit_a
    )
    return world


async def snapshot() -> dict[str, list]:
    """Every row of every table, in a comparable form."""
    out = {}
    for table in ALL_TABLES:
        rows = await table.select().order_by(table.id)
        out[table._meta.tablename] = [sorted((k, repr(v)) for k, v in r.items()) for r in rows]
    return out


def changed_tables(before: dict, after: dict) -> list[str]:
    return [name for name in before if before[name] != after[name]]


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("op", OPS, ids=lambda o: o.name)
async def test_permission_matrix(client, matrix_world, op, actor):
    w = matrix_world
    headers = w.headers[ACTOR_USER[actor]]
    effect = EFFECTS[op.name]
    if effect is not NO_WRITE:
        assert not await effect(w), f"{op.name}: the effect holds before the request (the check cannot fail)"
    before = await snapshot()
    if op.body == "multipart":
        r = await client.post(op.url(w), files={"file": ("a.pdf", b"%PDF-1.4 x", "application/pdf")}, headers=headers)
    elif isinstance(op.body, Multipart):
        r = await client.post(op.url(w), files=op.body.files(w), data=op.body.data, headers=headers)
    else:
        r = await client.request(op.method, op.url(w), json=op.body(w) if op.body else None, headers=headers)
    assert r.status_code == op.expect[actor], f"{op.name} as {actor}: {r.status_code} {r.text}"
    after = await snapshot()
    if r.status_code == 403:
        assert r.json()["error"]["message"]
        assert changed_tables(before, after) == [], f"{op.name} refused to {actor} but changed rows"
    elif effect is NO_WRITE:
        assert changed_tables(before, after) == [], f"{op.name} is a preview but changed rows"
    else:
        assert await effect(w), f"{op.name} allowed to {actor} ({r.status_code}) but the change asked for is not in the database"
        assert "audit_event" in changed_tables(before, after), f"{op.name} by {actor} left no audit event"


def test_every_matrix_row_names_its_effect():
    assert sorted(op.name for op in OPS if op.name not in EFFECTS) == []


async def test_every_write_route_has_a_matrix_row(client):
    covered = {(op.method, op.route.rstrip("/")) for op in OPS} | SELF_SERVICE
    missing = []
    for route in client.app.routes:
        for method in getattr(route, "methods", ()):
            if method in ("POST", "PATCH", "PUT", "DELETE") and route.path.startswith("/api/"):
                if (method, route.path.rstrip("/")) not in covered:
                    missing.append(f"{method} {route.path}")
    assert missing == []


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("op", PAGE_OPS, ids=lambda o: o.name)
async def test_page_form_permission_matrix(client, matrix_world, op, actor):
    """The same rules through the page forms: the write happens for exactly the allowed actors,
    and a refused one leaves no audit trace."""
    import re

    w = matrix_world
    client.cookies.clear()
    client.cookies.set("closedloop_session", w.headers[ACTOR_USER[actor]]["Authorization"].split(" ", 1)[1])
    page = await client.get(op.page(w))
    token = re.search(r'name="_csrf_token" value="([^"]+)"', page.text)
    assert token, f"no form on {op.page(w)} for {actor}"
    assert not await op.changed(w), f"{op.name}: the effect holds before the request"
    audit_before = await AuditEvent.count()
    before = await snapshot()
    r = await client.post(op.url(w), data={**op.form(w), "_csrf_token": token.group(1)}, headers={"Origin": "http://testserver"})
    assert r.status_code < 500, r.text
    assert await op.changed(w) == (actor in op.allowed), f"{op.name} as {actor}: {r.status_code}"
    if actor not in op.allowed:
        assert changed_tables(before, await snapshot()) == [], f"{op.name} refused to {actor} but changed rows"
    else:
        assert await AuditEvent.count() > audit_before, f"{op.name} by {actor} left no audit event"


def test_every_page_op_names_a_registered_route():
    from closedloop.app import create_app

    paths = {r.path for r in create_app().routes}
    assert [op.route for op in PAGE_OPS if op.route not in paths] == []
