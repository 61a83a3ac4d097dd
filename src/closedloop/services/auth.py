"""Log in, log out, and resolve a bearer token or session cookie to an Actor.

Only a token's SHA-256 is stored. Failed logins are counted in the database (table
``login_throttle``), so every worker process sees the same counts:

- per (username, client address): ``login_max_failures`` free attempts, then each further
  failure blocks that pair for a delay that doubles (30 s, 60 s, …) up to
  ``login_lock_seconds``. Someone guessing the supervisor's password from one address cannot
  lock the supervisor out from another address.
- per client address: ``login_client_max_failures`` failures within ``login_window_seconds``
  block the address (one address guessing many accounts).
Counts older than the window are forgotten; a successful login clears its pair.

Unknown and disabled users are checked against a dummy Argon2 hash, so they take as long to
refuse as a wrong password, with the same message.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from functools import lru_cache
from typing import overload

from closedloop.db import sql
from closedloop.db.engine import write_tx
from closedloop.db.tables import AuthToken, LoginThrottle, User
from closedloop.domain.errors import TooManyAttempts, Unauthorized
from closedloop.services.common import Actor, Clock, audit
from closedloop.services.passwords import hash_password_sync, verify_password
from closedloop.settings import get_settings

FIRST_DELAY_SECONDS = 30


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return hash_password_sync(secrets.token_urlsafe(16))


def _keys(username: str, client: str) -> tuple[str, str]:
    return f"pair:{username.strip().lower()[:120]}|{client[:120]}", f"client:{client[:120]}"


@overload
def _aware(value: dt.datetime | str) -> dt.datetime: ...
@overload
def _aware(value: dt.datetime | str | None) -> dt.datetime | None: ...
def _aware(value: dt.datetime | str | None) -> dt.datetime | None:
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if value is not None and value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    return value


async def _check_rate(keys: tuple[str, str]) -> None:
    now = Clock.now()
    rows = await LoginThrottle.select(LoginThrottle.blocked_until).where(LoginThrottle.key.is_in(list(keys)))
    waits = [(_aware(r["blocked_until"]) - now).total_seconds() for r in rows if r["blocked_until"] is not None]
    wait = max(waits, default=0)
    if wait > 0:
        err = TooManyAttempts(f"登录失败次数过多，请 {int(wait) + 1} 秒后再试")
        err.retry_after = int(wait) + 1
        raise err


async def _count_failure(keys: tuple[str, str]) -> None:
    """One more failure for the pair and the client, in one transaction."""
    s = get_settings()
    now = Clock.now()
    window = dt.timedelta(seconds=s.login_window_seconds)
    pair, client = keys
    async with write_tx():
        for key in keys:
            await LoginThrottle.insert(LoginThrottle(key=key, failures=0, first_at=now)).on_conflict(
                target=LoginThrottle.key, action="DO NOTHING"
            )
            if sql.is_postgres():  # serialise concurrent failures of one key across workers
                await sql.execute('SELECT 1 FROM login_throttle WHERE "key" = {} FOR UPDATE', key)
            row = await LoginThrottle.select().where(LoginThrottle.key == key).first()
            assert row is not None
            first_at = _aware(row["first_at"]) or now
            failures = row["failures"] + 1
            if now - first_at > window:
                failures, first_at = 1, now
            blocked: dt.datetime | None = None
            if key == pair and failures >= s.login_max_failures:
                delay = min(FIRST_DELAY_SECONDS * 2 ** (failures - s.login_max_failures), s.login_lock_seconds)
                blocked = now + dt.timedelta(seconds=delay)
            if key == client and failures >= s.login_client_max_failures:
                blocked = first_at + window
            await LoginThrottle.update(
                {LoginThrottle.failures: failures, LoginThrottle.first_at: first_at, LoginThrottle.blocked_until: blocked}
            ).where(LoginThrottle.key == key)


async def reset_throttle() -> None:
    """Forget every failed login (tests, and an admin after an incident)."""
    async with write_tx():
        await LoginThrottle.delete(force=True)


async def login(username: str, password: str, client: str, kind: str = "api") -> tuple[str, dict]:
    """Check the password; return a new token and the user. Wrong credentials: Unauthorized."""
    keys = _keys(username, client)
    await _check_rate(keys)
    user = await User.select().where(User.username == username).first()
    if user is None or not user["active"]:
        await verify_password(_dummy_hash(), password)  # as slow as a real check
        ok = False
    else:
        ok = await verify_password(user["password_hash"], password)
    if not ok:
        await _count_failure(keys)
        raise Unauthorized("用户名或密码错误")
    assert user is not None
    async with write_tx():
        await LoginThrottle.delete().where(LoginThrottle.key == keys[0])
    token = secrets.token_urlsafe(32)
    ttl = dt.timedelta(hours=get_settings().token_ttl_hours)
    async with write_tx():
        await AuthToken.insert(
            AuthToken(token_hash=token_hash(token), user=user["id"], kind=kind, created_at=Clock.now(), expires_at=Clock.now() + ttl)
        )
        actor = actor_from_user(user)
        await audit(actor, "login", "user", user["id"], after={"kind": kind})
    return token, user


def actor_from_user(user: dict) -> Actor:
    """The acting user of a user row (``app_user``)."""
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
    expires = row["expires_at"]  # SQLite returns the stored text for raw queries
    if _aware(expires) <= Clock.now():
        raise Unauthorized("登录已过期，请重新登录")
    if not row["active"]:
        raise Unauthorized("账号已停用")
    return actor_from_user(row)


async def logout(token: str) -> None:
    async with write_tx():
        await AuthToken.update({AuthToken.revoked_at: Clock.now()}).where(
            (AuthToken.token_hash == token_hash(token)) & AuthToken.revoked_at.is_null()
        )


async def revoke_user_sessions(user_id: int) -> int:
    """End every live token and page session of a user (inside the caller's transaction)."""
    rows = await AuthToken.update({AuthToken.revoked_at: Clock.now()}).where(
        (AuthToken.user == user_id) & AuthToken.revoked_at.is_null()
    ).returning(AuthToken.id)
    return len(rows)
