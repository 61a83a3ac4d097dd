"""Build a Piccolo engine from a database URL (no settings, no registry: imported by
``piccolo_conf`` and the benchmarks without any cycle)."""

from __future__ import annotations

from urllib.parse import urlparse

from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine

SQLITE_BUSY_TIMEOUT_S = 30.0


def sqlite_path(url: str) -> str:
    """``sqlite:///relative.db`` → ``relative.db``; ``sqlite:////abs/x.db`` → ``/abs/x.db``."""
    rest = url.split("://", 1)[1]
    return rest[1:] if rest.startswith("/") else rest


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite://"):
        path = sqlite_path(url)
        if not path or path == ":memory:":
            raise ValueError("CLOSEDLOOP_DATABASE_URL: SQLite needs a file path, :memory: is not supported")
        return SQLiteEngine(path=path, timeout=SQLITE_BUSY_TIMEOUT_S)
    if url.startswith(("postgresql://", "postgres://")):
        parsed = urlparse(url)
        if not parsed.path.strip("/"):
            raise ValueError("CLOSEDLOOP_DATABASE_URL: PostgreSQL URL needs a database name")
        return PostgresEngine(config={"dsn": url})
    raise ValueError(f"CLOSEDLOOP_DATABASE_URL: unsupported scheme in {url!r}")
