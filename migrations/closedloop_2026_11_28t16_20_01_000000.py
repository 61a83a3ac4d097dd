"""Fill the report ledger's columns for the reports written before it, and index it.

- ``progress_report.period_end``: the last day of the report's period (parsed by
  ``domain.periods``; a period that does not parse keeps its filing day).
- ``late``: filed (``created_at``, local time) after its period was over — a 补报.
- Two reports of one item and period were both "the report" before; now the later ones become
  更正 (kind ``correction``) naming the one before, in filing order, which is the order that
  decided ``goal.actual`` until now, so the goals' values keep their meaning.
- ``progress_value.period_end`` and ``recorded_at`` copied from their report.
- the ledger index and the one-report-per-item-and-period unique index.
"""

import datetime as dt
from zoneinfo import ZoneInfo

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder
from piccolo.querystring import QueryString

ID = "2026-11-28T16:20:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "backfill the report ledger; ledger indexes"

INDEXES = [
    'CREATE INDEX IF NOT EXISTS "ix_progress_value_ledger" ON "progress_value" ("goal", "period_end", "recorded_at", "id", "value")',
    'CREATE UNIQUE INDEX IF NOT EXISTS "uq_progress_report_period" ON "progress_report" '
    "(\"item\", \"period\", COALESCE(\"corrects\", 0)) WHERE \"kind\" <> 'admin'",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="closedloop", description=DESCRIPTION)

    async def backfill():
        from closedloop.domain import periods
        from closedloop.settings import get_settings

        db = engine_finder()
        zone = ZoneInfo(get_settings().timezone)

        async def run(sql, *args):
            return await db.run_querystring(QueryString(sql, *args))

        for row in await run('SELECT DISTINCT "period" FROM "progress_report" WHERE "period_end" IS NULL'):
            try:
                p = periods.parse(row["period"])
            except periods.PeriodError:
                await run('UPDATE "progress_report" SET "period_end" = "reported_on" WHERE "period" = {} AND "period_end" IS NULL', row["period"])
                continue
            over = dt.datetime.combine(p.end + dt.timedelta(days=1), dt.time(0), tzinfo=zone).astimezone(dt.timezone.utc)
            await run('UPDATE "progress_report" SET "period_end" = {} WHERE "period" = {}', p.end, row["period"])
            await run('UPDATE "progress_report" SET "late" = {} WHERE "period" = {} AND "created_at" >= {}', True, row["period"], over)
        groups = await run('SELECT "item", "period" FROM "progress_report" GROUP BY "item", "period" HAVING COUNT(*) > 1')
        for g in groups:
            ids = [r["id"] for r in await run(
                'SELECT "id" FROM "progress_report" WHERE "item" = {} AND "period" = {} AND "kind" <> {} ORDER BY "created_at", "id"',
                g["item"], g["period"], "admin",
            )]
            for before, after in zip(ids, ids[1:]):
                await run(
                    'UPDATE "progress_report" SET "kind" = {}, "corrects" = {}, "reason" = {} WHERE "id" = {}',
                    "correction", before, "同一周期的再次填报（台账启用前），按报送顺序视为更正", after,
                )
        await db.run_ddl(
            'UPDATE "progress_value" SET "period_end" = (SELECT r."period_end" FROM "progress_report" r WHERE r."id" = "progress_value"."report"), '
            '"recorded_at" = (SELECT r."created_at" FROM "progress_report" r WHERE r."id" = "progress_value"."report")'
        )
        for statement in INDEXES:
            await db.run_ddl(statement)

    manager.add_raw(backfill)
    return manager
