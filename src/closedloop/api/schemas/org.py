"""Sign-in, units and users."""

from __future__ import annotations

from typing import Annotated

from msgspec import UNSET, Meta, Struct, UnsetType

from closedloop.api.schemas.common import Id, In, Role, Version

# --- auth -----------------------------------------------------------------------------


class LoginIn(In):
    username: Annotated[str, Meta(min_length=1, max_length=80)]
    password: Annotated[str, Meta(min_length=1, max_length=200)]


class LoginOut(Struct):
    token: str
    token_type: str
    expires_in: int
    user: UserRead


class UserRead(Struct):
    id: int
    username: str
    display_name: str
    role: str
    unit_id: int | None
    active: bool
    version: int


# --- org ------------------------------------------------------------------------------


class UnitCreate(In):
    name: Annotated[str, Meta(min_length=1, max_length=200)]
    webhook_url: Annotated[str, Meta(max_length=500, pattern=r"^https?://")] | None = None


class UnitUpdate(In):
    version: Version
    name: Annotated[str, Meta(min_length=1, max_length=200)] | UnsetType = UNSET
    webhook_url: Annotated[str, Meta(max_length=500, pattern=r"^https?://")] | None | UnsetType = UNSET


class UnitRead(Struct):
    id: int
    name: str
    webhook_url: str | None
    version: int


class UserCreate(In):
    username: Annotated[str, Meta(min_length=1, max_length=80, pattern=r"^[A-Za-z0-9_.@-]+$")]
    password: Annotated[str, Meta(min_length=8, max_length=200)]
    role: Role
    unit_id: Id | None = None
    display_name: Annotated[str, Meta(max_length=100)] = ""


class UserUpdate(In):
    version: Version
    password: Annotated[str, Meta(min_length=8, max_length=200)] | UnsetType = UNSET
    role: Role | UnsetType = UNSET
    unit_id: Id | None | UnsetType = UNSET
    display_name: Annotated[str, Meta(max_length=100)] | UnsetType = UNSET
    active: bool | UnsetType = UNSET
