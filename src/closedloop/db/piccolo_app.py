"""The Piccolo app: every table and the migrations folder.

In a checkout (editable install) migrations live in the repository's top-level
``migrations/``; a wheel carries them as ``closedloop/_migrations``.
"""

from pathlib import Path

from piccolo.conf.apps import AppConfig

from closedloop.db import tables


def migrations_folder() -> Path:
    pkg = Path(__file__).resolve().parent.parent
    packaged = pkg / "_migrations"
    if packaged.is_dir():
        return packaged
    return pkg.parent.parent / "migrations"


APP_CONFIG = AppConfig(
    app_name="closedloop",
    migrations_folder_path=str(migrations_folder()),
    table_classes=list(tables.ALL_TABLES),
    migration_dependencies=[],
    commands=[],
)
