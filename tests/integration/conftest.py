"""Integration fixtures: the real app over the real database, users of every role."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

import httpx
import pytest_asyncio

from closedloop.app import create_app
from closedloop.db.tables import AuthToken
from closedloop.services.common import Clock
from tests.factories import (
    GoalFactory,
    ItemUnitFactory,
    PlanFactory,
    ProblemFactory,
    ProjectFactory,
    ResultFactory,
    SectionFactory,
    UnitFactory,
    UserFactory,
    WorkItemFactory,
)

TODAY = dt.date(2024, 6, 3)
# the tests' tokens outlive any instant a test moves its clock to (days or months after TODAY)
TOKEN_LIFE = dt.timedelta(days=3650)


async def token_for(user) -> dict[str, str]:
    token = secrets.token_urlsafe(16)
    await AuthToken(
        token_hash=hashlib.sha256(token.encode()).hexdigest(),
        user=user.id,
        expires_at=Clock.now() + TOKEN_LIFE,
    ).save()
    return {"Authorization": f"Bearer {token}"}


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def app_client():
    """The real app over ASGI, in the test's own event loop (so it shares the engine's
    connection pool); one app for the run, since building it is slow."""
    app = create_app()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as c:
        c.app = app  # type: ignore[attr-defined]
        yield c


@pytest_asyncio.fixture(loop_scope="session")
async def client(app_client, clean_db):
    """The client on an empty database, with the clock fixed at TODAY."""
    Clock.fixed = dt.datetime.combine(TODAY, dt.time(2, 0), tzinfo=dt.timezone.utc)
    app_client.cookies.clear()
    yield app_client
    Clock.fixed = None


@dataclass
class World:
    unit_a: object
    unit_b: object
    unit_c: object
    plan: object
    item_a: object  # led by A, B cooperates
    item_b: object  # led by B
    goal_a: object
    goal_b: object
    problem_a: object
    problem_b_on_a: object  # a problem B answers for on A's item
    project_a: object
    result_a: object
    headers: dict[str, dict[str, str]]
    users: dict[str, object]


@pytest_asyncio.fixture(loop_scope="session")
async def world(client) -> World:
    unit_a = await UnitFactory.create(name="区科技局")
    unit_b = await UnitFactory.create(name="区财政局")
    unit_c = await UnitFactory.create(name="区教委")
    plan = await PlanFactory.create()
    section = await SectionFactory.create(plan=plan, code="（一）")
    item_a = await WorkItemFactory.create(plan=plan, parent=section.id, code="一是", lead_unit=unit_a)
    item_b = await WorkItemFactory.create(plan=plan, parent=section.id, code="二是", lead_unit=unit_b)
    await ItemUnitFactory.create(item=item_a, unit=unit_b)
    goal_a = await GoalFactory.create(plan=plan, item=item_a.id, target=330.0, baseline=300.0)
    goal_b = await GoalFactory.create(plan=plan, item=item_b.id)
    problem_a = await ProblemFactory.create(item=item_a, unit=unit_a.id)
    problem_b_on_a = await ProblemFactory.create(item=item_a, unit=unit_b.id)
    project_a = await ProjectFactory.create(item=item_a, unit=unit_a.id)
    result_a = await ResultFactory.create(item=item_a, goal=goal_a.id)
    users = {
        "admin": await UserFactory.create(username="admin", role="admin", unit=None),
        "supervisor": await UserFactory.create(username="sup", role="supervisor", unit=None),
        "lead_a": await UserFactory.create(username="lead_a", role="lead", unit=unit_a),
        "lead_b": await UserFactory.create(username="lead_b", role="lead", unit=unit_b),
        "lead_c": await UserFactory.create(username="lead_c", role="lead", unit=unit_c),
    }
    headers = {name: await token_for(u) for name, u in users.items()}
    return World(unit_a, unit_b, unit_c, plan, item_a, item_b, goal_a, goal_b, problem_a, problem_b_on_a, project_a, result_a, headers, users)
