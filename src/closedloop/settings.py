"""One typed Settings object read from ``CLOSEDLOOP_*`` environment variables.

Nothing here touches the database or the network; ``get_settings()`` is cheap and
re-reads the environment only when ``reload=True`` (tests change variables).
"""

from __future__ import annotations

import os
from functools import lru_cache

import msgspec

# the rules' own parameter types: settings only choose their values
from closedloop.domain.lights import Thresholds
from closedloop.domain.scoring import Weights


class Settings(msgspec.Struct, frozen=True):
    database_url: str = "sqlite:///closedloop.sqlite3"
    timezone: str = "Asia/Shanghai"
    scheduler: bool = True
    scan_minutes: int = 15
    cadences: tuple[str, ...] = ("weekly",)
    token_ttl_hours: int = 12
    login_max_failures: int = 5
    login_lock_seconds: int = 300
    login_client_max_failures: int = 50
    login_window_seconds: int = 3600
    # peers whose X-Forwarded-For is believed (addresses or networks, e.g. 127.0.0.1, 10.0.0.0/8)
    trusted_proxies: tuple[str, ...] = ()
    upload_max_bytes: int = 10 * 1024 * 1024
    upload_types: tuple[str, ...] = (
        "application/pdf",
        "image/png",
        "image/jpeg",
        "text/plain",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    )
    # the Excel round trip (services/ledger_xlsx.py): a larger file or more data rows is refused
    ledger_upload_max_bytes: int = 2 * 1024 * 1024
    ledger_upload_max_rows: int = 2000
    lights: Thresholds = Thresholds()
    weights: Weights = Weights()
    webhook_timeout_s: float = 5.0
    secret_key: str | None = None
    secure_cookies: bool = False
    # the cockpit: a reported actual more than this many times (or less than 1/this of) the
    # previous report is a data check; a unit with no report for this many working days is quiet
    check_jump_factor: float = 3.0
    quiet_workdays: int = 10
    # hold the scheduled 晾晒 while data checks are open (default: publish and tell supervisors)
    hold_publication_on_checks: bool = False

    @property
    def session_cookie(self) -> str:
        """The page session cookie; ``__Host-`` (this host only, HTTPS, path /) when secure."""
        return "__Host-closedloop_session" if self.secure_cookies else "closedloop_session"

    @property
    def csrf_cookie(self) -> str:
        return "__Host-closedloop_csrf" if self.secure_cookies else "closedloop_csrf"


def _env(name: str) -> str | None:
    value = os.environ.get(f"CLOSEDLOOP_{name}")
    return value if value not in (None, "") else None


def _flag(value: str) -> bool:
    return value.strip().lower() not in {"0", "off", "false", "no"}


def read_settings() -> Settings:
    """Build Settings from the environment; unknown or malformed values raise ValueError."""
    kw: dict = {}
    if (v := _env("DATABASE_URL")) is not None:
        kw["database_url"] = v
    if (v := _env("TIMEZONE")) is not None:
        kw["timezone"] = v
    if (v := _env("SCHEDULER")) is not None:
        kw["scheduler"] = _flag(v)
    for name, key in (
        ("SCAN_MINUTES", "scan_minutes"),
        ("TOKEN_TTL_HOURS", "token_ttl_hours"),
        ("LOGIN_MAX_FAILURES", "login_max_failures"),
        ("LOGIN_LOCK_SECONDS", "login_lock_seconds"),
        ("LOGIN_CLIENT_MAX_FAILURES", "login_client_max_failures"),
        ("LOGIN_WINDOW_SECONDS", "login_window_seconds"),
        ("UPLOAD_MAX_BYTES", "upload_max_bytes"),
        ("LEDGER_UPLOAD_MAX_BYTES", "ledger_upload_max_bytes"),
        ("LEDGER_UPLOAD_MAX_ROWS", "ledger_upload_max_rows"),
    ):
        if (v := _env(name)) is not None:
            kw[key] = int(v)
    if (v := _env("SECRET_KEY")) is not None:
        kw["secret_key"] = v
    if (v := _env("CHECK_JUMP_FACTOR")) is not None:
        kw["check_jump_factor"] = float(v)
        if not kw["check_jump_factor"] > 1:
            raise ValueError("CLOSEDLOOP_CHECK_JUMP_FACTOR must be greater than 1")
    if (v := _env("QUIET_WORKDAYS")) is not None:
        kw["quiet_workdays"] = int(v)
    if (v := _env("HOLD_PUBLICATION_ON_CHECKS")) is not None:
        kw["hold_publication_on_checks"] = _flag(v)
    if (v := _env("SECURE_COOKIES")) is not None:
        kw["secure_cookies"] = _flag(v)
    if (v := _env("TRUSTED_PROXIES")) is not None:
        import ipaddress

        nets = tuple(n.strip() for n in v.split(",") if n.strip())
        for n in nets:
            ipaddress.ip_network(n, strict=False)  # a typo fails at start-up, not on a request
        kw["trusted_proxies"] = nets
    if (v := _env("CADENCES")) is not None:
        kw["cadences"] = tuple(c.strip() for c in v.split(",") if c.strip())
    if (v := _env("WEIGHTS")) is not None:
        kw["weights"] = msgspec.json.decode(v, type=Weights)
    if (v := _env("LIGHTS")) is not None:
        kw["lights"] = msgspec.json.decode(v, type=Thresholds)
    return Settings(**kw)


@lru_cache(maxsize=1)
def _cached() -> Settings:
    return read_settings()


def get_settings(reload: bool = False) -> Settings:
    if reload:
        _cached.cache_clear()
    return _cached()
