"""/api/v1/units and /api/v1/users (admin)."""

from __future__ import annotations

from litestar import Controller, get, patch, post
from litestar.params import JSONBody

from closedloop.api.schemas.common import changes, read, read_all
from closedloop.api.schemas.org import UnitCreate, UnitRead, UnitUpdate, UserCreate, UserRead, UserUpdate
from closedloop.api.security import CurrentActor, admin_only, any_role
from closedloop.http_common import IdPath
from closedloop.services import access, org


class UnitController(Controller):
    path = "/api/v1/units"
    tags = ["单位与用户"]

    @get("/", guards=[any_role], summary="单位列表（机器人地址仅管理员可见）")
    async def list_units(self, actor: CurrentActor) -> list[UnitRead]:
        units = await org.list_units()
        if not access.is_admin(actor):  # a webhook URL carries the robot's token
            units = [{**u, "webhook_url": None} for u in units]
        return read_all(UnitRead, units)

    @post("/", guards=[admin_only], summary="新增单位")
    async def create_unit(self, actor: CurrentActor, data: JSONBody[UnitCreate]) -> UnitRead:
        return read(UnitRead, await org.create_unit(actor, data.name, data.webhook_url))

    @patch("/{unit_id:int}", guards=[admin_only], summary="修改单位")
    async def update_unit(self, actor: CurrentActor, unit_id: IdPath, data: JSONBody[UnitUpdate]) -> UnitRead:
        return read(UnitRead, await org.update_unit(actor, unit_id, data.version, changes(data)))


class UserController(Controller):
    path = "/api/v1/users"
    tags = ["单位与用户"]
    guards = [admin_only]

    @get("/", summary="用户列表")
    async def list_users(self) -> list[UserRead]:
        return read_all(UserRead, await org.list_users())

    @post("/", summary="新增用户")
    async def create_user(self, actor: CurrentActor, data: JSONBody[UserCreate]) -> UserRead:
        row = await org.create_user(actor, data.username, data.password, data.role, data.unit_id, data.display_name)
        return read(UserRead, row)

    @patch("/{user_id:int}", summary="修改用户（角色、单位、密码、停用）")
    async def update_user(self, actor: CurrentActor, user_id: IdPath, data: JSONBody[UserUpdate]) -> UserRead:
        return read(UserRead, await org.update_user(actor, user_id, data.version, changes(data)))
