"""Units and users (admin)."""

from __future__ import annotations

from closedloop.db.engine import write_tx
from closedloop.db.tables import Unit, User
from closedloop.domain.errors import Conflict, Invalid, NotFound, Issue
from closedloop.services import auth
from closedloop.services.access import ROLES
from closedloop.services.common import Actor, audit, versioned_update
from closedloop.services.passwords import hash_password

USER_COLUMNS = [User.id, User.username, User.display_name, User.role, User.unit, User.active, User.created_at, User.version]


async def list_units() -> list[dict]:
    return await Unit.select().order_by(Unit.name)


async def create_unit(actor: Actor, name: str, webhook_url: str | None = None) -> dict:
    name = name.strip()
    if not name:
        raise Invalid("单位名称不能为空", [Issue("required", "单位名称不能为空", "name")])
    async with write_tx():
        if await Unit.exists().where(Unit.name == name):
            raise Conflict(f"单位「{name}」已存在", [Issue("duplicate", f"单位「{name}」已存在", "name")])
        row = (await Unit.insert(Unit(name=name, webhook_url=webhook_url)).returning(*Unit.all_columns()))[0]
        await audit(actor, "create", "unit", row["id"], after=row)
    return row


async def update_unit(actor: Actor, unit_id: int, version: int, values: dict) -> dict:
    async with write_tx():
        before = await Unit.select().where(Unit.id == unit_id).first()
        if before is None:
            raise NotFound("单位不存在")
        if "name" in values:
            values["name"] = values["name"].strip()
            if await Unit.exists().where((Unit.name == values["name"]) & (Unit.id != unit_id)):
                raise Conflict("单位名称重复", [Issue("duplicate", "单位名称重复", "name")])
        row = await versioned_update(Unit, unit_id, version, {getattr(Unit, k): v for k, v in values.items()}, "单位")
        await audit(actor, "update", "unit", unit_id, before=before, after=row)
    return row


async def find_unit(name: str) -> dict | None:
    return await Unit.select().where(Unit.name == name).first()


async def list_users() -> list[dict]:
    return await User.select(*USER_COLUMNS).order_by(User.username)


def _check_role(role: str, unit_id: int | None) -> None:
    if role not in ROLES:
        raise Invalid("角色无效", [Issue("invalid", "角色必须是 admin、supervisor 或 lead", "role")])
    if role == "lead" and unit_id is None:
        raise Invalid("责任单位联络人必须属于一个单位", [Issue("required", "角色为责任单位联络人时必须指定单位", "unit_id")])


async def create_user(
    actor: Actor, username: str, password: str, role: str, unit_id: int | None = None, display_name: str = ""
) -> dict:
    username = username.strip()
    _check_role(role, unit_id)
    if len(password) < 8:
        raise Invalid("密码至少 8 位", [Issue("too_short", "密码至少 8 位", "password")])
    password_hash = await hash_password(password)
    async with write_tx():
        if unit_id is not None and not await Unit.exists().where(Unit.id == unit_id):
            raise Invalid("单位不存在", [Issue("not_found", "单位不存在", "unit_id")])
        if await User.exists().where(User.username == username):
            raise Conflict(f"用户名「{username}」已存在", [Issue("duplicate", "用户名已存在", "username")])
        row = (
            await User.insert(
                User(username=username, display_name=display_name or username, role=role, unit=unit_id, password_hash=password_hash)
            ).returning(*USER_COLUMNS)
        )[0]
        await audit(actor, "create", "user", row["id"], after=row)
    return row


async def update_user(actor: Actor, user_id: int, version: int, values: dict) -> dict:
    if "password" in values:
        password = values.pop("password")
        if len(password) < 8:
            raise Invalid("密码至少 8 位", [Issue("too_short", "密码至少 8 位", "password")])
        values["password_hash"] = await hash_password(password)
    async with write_tx():
        before = await User.select(*USER_COLUMNS).where(User.id == user_id).first()
        if before is None:
            raise NotFound("用户不存在")
        merged = {**before, **values}
        _check_role(merged["role"], merged["unit"])
        if values.get("unit") is not None and not await Unit.exists().where(Unit.id == values["unit"]):
            raise Invalid("单位不存在", [Issue("not_found", "单位不存在", "unit_id")])
        await versioned_update(User, user_id, version, {getattr(User, k): v for k, v in values.items()}, "用户")
        row = await User.select(*USER_COLUMNS).where(User.id == user_id).first()
        assert row is not None
        # a new password, role, unit or a (re-)enabling or disabling ends every old session:
        # an old token must not carry powers the account no longer has, nor revive with it
        revoked = 0
        if "password_hash" in values or any(values.get(k, before[k]) != before[k] for k in ("role", "unit", "active") if k in values):
            revoked = await auth.revoke_user_sessions(user_id)
        await audit(actor, "update", "user", user_id, before=before, after={**row, "sessions_revoked": revoked})
    return row  # type: ignore[return-value]  # versioned_update returns the row or raises
