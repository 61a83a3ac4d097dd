"""The bare baseline for the update benchmark: one Litestar endpoint, raw asyncpg, no auth,
the same single-row versioned UPDATE of a goal. Run: uvicorn benchmarks.bare_app:app"""

from __future__ import annotations

import os

import asyncpg
import msgspec
from litestar import Litestar, patch
from litestar.exceptions import HTTPException
from litestar.params import FromPath, JSONBody

POOL: dict[str, asyncpg.Pool] = {}


async def keep_session(connection: asyncpg.Connection) -> None:
    """As closedloop's pool: no reset query when a connection goes back."""


class Update(msgspec.Struct):
    version: int
    actual: float


async def startup() -> None:
    # the same pool settings as closedloop's (no reset query on release)
    POOL["p"] = await asyncpg.create_pool(os.environ["CLOSEDLOOP_DATABASE_URL"], min_size=1, max_size=10, reset=keep_session)


async def shutdown() -> None:
    await POOL["p"].close()


@patch("/goals/{goal_id:int}")
async def update_goal(goal_id: FromPath[int], data: JSONBody[Update]) -> dict:
    row = await POOL["p"].fetchrow(
        "UPDATE goal SET actual = $1, version = version + 1, updated_at = now() WHERE id = $2 AND version = $3 RETURNING id, actual, version",
        data.actual, goal_id, data.version,
    )
    if row is None:
        raise HTTPException(status_code=409, detail="stale")
    return dict(row)


app = Litestar([update_goal], on_startup=[startup], on_shutdown=[shutdown])
