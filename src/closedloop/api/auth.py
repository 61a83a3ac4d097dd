"""/api/v1/auth: log in with a password for a bearer token, log out, who am I."""

from __future__ import annotations

from litestar import Controller, Request, get, post
from litestar.params import JSONBody

from closedloop.api.schemas.common import Message, read
from closedloop.api.schemas.org import LoginIn, LoginOut, UserRead
from closedloop.api.security import CurrentActor, bearer_token
from closedloop.http_common import PUBLIC_OPT, client_address
from closedloop.services import auth as auth_service
from closedloop.settings import get_settings


class AuthController(Controller):
    path = "/api/v1/auth"
    tags = ["认证"]

    @post("/login", opt={PUBLIC_OPT: True}, status_code=200, summary="登录，取得令牌")
    async def login(self, request: Request, data: JSONBody[LoginIn]) -> LoginOut:
        token, user = await auth_service.login(data.username, data.password, client_address(request))
        return LoginOut(
            token=token,
            token_type="Bearer",
            expires_in=get_settings().token_ttl_hours * 3600,
            user=read(UserRead, user),
        )

    @post("/logout", status_code=200, summary="注销当前令牌")
    async def logout(self, request: Request) -> Message:
        token = bearer_token(request) or request.auth
        await auth_service.logout(token)
        return Message("已注销")

    @get("/me", summary="当前用户")
    async def me(self, actor: CurrentActor) -> UserRead:
        return UserRead(
            id=actor.id or 0, username=actor.username, display_name=actor.display_name, role=actor.role,
            unit_id=actor.unit_id, active=True, version=0,
        )
