"""Log in, log out, and resolve a bearer token or session cookie to an Actor.

Only a token's SHA-256 is stored. Failed logins are counted per client address and per
username; past the limit both are refused (429) for a while. The counters live in the
process: with several web workers each keeps its own, so the effective limit is per worker.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import time
from collections import defaultdict

from closedloop.db import sql
from closedloop.db.engine import write_tx
from closedloop.db.tables import AuthToken, User
from closedloop.domain.errors import TooManyAttempts, Unauthorized
from closedloop.services.common import Actor, Clock, audit
from closedloop.services.passwords import verify_password
from closedloop.settings import get_settings


class _Failures:
    def __init__(self) -> None:
        self.events: dict[str, list[float]] = defaultdict(list)

    def recent(self, key: str, window: float) -> list[float]:
        cutoff = time.monotonic() - window
        kept = [t for t in self.events.get(key, []) if t > cutoff]
        if kept:
            self.events[key] = kept
        else:
            self.events.pop(key, None)
        return kept

    def add(self, key: str) -> None:
        self.events[key].append(time.monotonic())

    def clear(self, key: str) -> None:
        self.events.pop(key, None)


FAILURES = _Failures()


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _check_rate(keys: list[str]) -> None:
    s = get_settings()
    for key in keys:
        recent = FAILURES.recent(key, s.login_lock_seconds)
        if len(recent) >= s.login_max_failures:
            wait = int(s.login_lock_seconds - (time.monotonic() - recent[0])) + 1
            err = TooManyAttempts(f"登录失败次数过多，请 {max(wait, 1)} 秒后再试")
            err.retry_after = max(wait, 1)
            raise err


async def login(username: str, password: str, client: str, kind: str = "api") -> tuple[str, dict]:
    """Check the password; return a new token and the user. Wrong credentials: Unauthorized."""
    keys = [f"ip:{client}", f"user:{username.lower()}"]
    _check_rate(keys)
    user = await User.select().where(User.username == username).first()
    ok = user is not None and user["active"] and await verify_password(user["password_hash"], password)
    if not ok:
        for k in keys:
            FAILURES.add(k)
        raise Unauthorized("用户名或密码错误")
    FAILURES.clear(keys[1])
    token = secrets.token_urlsafe(32)
    ttl = dt.timedelta(hours=get_settings().token_ttl_hours)
    async with write_tx():
        await AuthToken.insert(
            AuthToken(token_hash=token_hash(token), user=user["id"], kind=kind, created_at=Clock.now(), expires_at=Clock.now() + ttl)
        )
        actor = actor_of(user)
        await audit(actor, "login", "user", user["id"], after={"kind": kind})
    return token, user


def actor_of(user: dict) -> Actor:
    return Actor(id=user["id"], username=user["username"], role=user["role"], unit_id=user["unit"], display_name=user["display_name"])


# Runs on every request: a fixed parameterised statement (building the joined select with the
# query builder cost several milliseconds per request in a profile).
AUTH_SQL = (
    'SELECT t.expires_at, t.revoked_at, u.id, u.username, u.role, u.unit, u.display_name, u.active '
    'FROM auth_token t JOIN app_user u ON u.id = t."user" WHERE t.token_hash = {}'
)


async def authenticate(token: str) -> Actor:
    """The Actor a live token belongs to; Unauthorized if unknown, revoked or expired."""
    row = await sql.fetch_one(AUTH_SQL, token_hash(token))
    if row is None or row["revoked_at"] is not None:
        raise Unauthorized("登录已失效，请重新登录")
    expires = row["expires_at"]
    if isinstance(expires, str):  # SQLite returns the stored text for raw queries
        expires = dt.datetime.fromisoformat(expires)
    if expires <= Clock.now():
        raise Unauthorized("登录已过期，请重新登录")
    if not row["active"]:
        raise Unauthorized("账号已停用")
    return Actor(id=row["id"], username=row["username"], role=row["role"], unit_id=row["unit"], display_name=row["display_name"])


async def logout(token: str) -> None:
    async with write_tx():
        await AuthToken.update({AuthToken.revoked_at: Clock.now()}).where(
            (AuthToken.token_hash == token_hash(token)) & AuthToken.revoked_at.is_null()
        )
