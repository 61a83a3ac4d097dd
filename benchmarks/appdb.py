"""Point closedloop's services at one benchmark database, in this process.

The benchmarks use several databases on one server (the city-scale data, the 10× data, an empty
one for the plan import, one for the Excel upload); each gets a fresh engine, bound to every
table, with the pool started and closed around the block.
"""

from __future__ import annotations

import contextlib
import os
from typing import AsyncIterator


@contextlib.asynccontextmanager
async def use_database(url: str) -> AsyncIterator[None]:
    os.environ["CLOSEDLOOP_DATABASE_URL"] = url
    os.environ["PICCOLO_CONF"] = "closedloop.db.piccolo_conf"
    os.environ.setdefault("CLOSEDLOOP_SCHEDULER", "off")
    from closedloop.settings import get_settings

    get_settings(reload=True)
    import closedloop.db.piccolo_conf as conf
    from closedloop.db.engine import close_engine, prepare_engine
    from closedloop.db.engine_factory import make_engine
    from closedloop.db.tables import ALL_TABLES

    conf.DB = make_engine(url)
    for t in ALL_TABLES:
        t._meta._db = conf.DB
    await prepare_engine()
    try:
        yield
    finally:
        await close_engine()
