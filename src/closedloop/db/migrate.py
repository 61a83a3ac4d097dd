"""Apply ``migrations/`` to the configured database; a no-op when up to date."""

from __future__ import annotations

import contextlib
import io
import os

PICCOLO_CONF = "closedloop.db.piccolo_conf"


def use_closedloop_conf() -> None:
    """Point Piccolo at our configuration before any table touches the engine."""
    os.environ["PICCOLO_CONF"] = PICCOLO_CONF


async def pending_migrations() -> list[str]:
    """Ids of the migrations in the folder that the database has not recorded."""
    from piccolo.apps.migrations.commands.forwards import ForwardsMigrationManager
    from piccolo.apps.migrations.tables import Migration

    manager = ForwardsMigrationManager(app_name="closedloop")
    app_config = manager.get_app_config("closedloop")
    ids = sorted(manager.get_migration_modules(app_config.resolved_migrations_folder_path))
    if not await Migration.table_exists().run():
        return ids
    done = set(await Migration.get_migrations_which_ran(app_name="closedloop"))
    return [i for i in ids if i not in done]


async def migrate() -> list[str]:
    """Run every pending migration; return the ids applied (empty the second time)."""
    from piccolo.apps.migrations.commands.forwards import run_forwards
    from piccolo.engine.sqlite import SQLiteEngine

    from closedloop.db.engine import get_engine

    db = get_engine()
    if isinstance(db, SQLiteEngine):
        # WAL is a property of the file: set once, every later connection uses it.
        await db.run_ddl("PRAGMA journal_mode=WAL")
    pending = await pending_migrations()
    if not pending:
        return []
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        result = await run_forwards(app_name="closedloop", migration_id="all")
    if not result.success:
        raise RuntimeError(f"migration failed: {result.message}\n{out.getvalue()}")
    return pending
