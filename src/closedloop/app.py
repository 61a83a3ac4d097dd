"""create_app(): builds the Litestar application. Nothing happens at import time."""

from __future__ import annotations

from contextlib import asynccontextmanager
from typing import AsyncIterator

import logging
import os
from pathlib import Path

from litestar import Litestar, Request, Response, Router, get
from litestar.datastructures import CacheControlHeader
from litestar.middleware.base import DefineMiddleware
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Redirect
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme

from closedloop import __version__
from closedloop.web import filters as web_filters
from closedloop.api.auth import AuthController
from closedloop.api.cockpit import CockpitController
from closedloop.api import errors as api_errors
from closedloop.api.items import ItemController
from closedloop.api.ledger import LedgerController
from closedloop.api.openapi import add_error_responses
from closedloop.api.org import UnitController, UserController
from closedloop.api.plan_goals import PlanGoalController
from closedloop.api.plans import PlanController
from closedloop.api.publications import PublicationController
from closedloop.api.records import GoalController, ProblemController, ProjectController, ResultController
from closedloop.api.security import auth_middleware, current_actor, refuse_nul_characters
from closedloop.http_common import PUBLIC_OPT
from closedloop.api.supervision import InboxController, SupervisionController
from closedloop.api.workdays import WorkdayController
from closedloop.hardening import harden
from closedloop.settings import get_settings
from closedloop.web.cockpit_pages import CockpitPages
from closedloop.web.csrf import SessionCSRFMiddleware
from closedloop.web.csrf import secret as csrf_secret
from closedloop.web.ledger_pages import LedgerPages
from closedloop.web.pages import AdminPages, AuthPages, LeadPages, SupervisorPages
from closedloop.web.plan_admin import PlanAdminPages
from closedloop.web.public import ExportController, PublicController, PublicPlanController
from closedloop.web import errors as web_errors
from closedloop.web.session import session_auth
from closedloop.web.workday_pages import WorkdayPages


WEB_DIR = Path(__file__).parent / "web"
log = logging.getLogger("closedloop")


@get("/healthz", opt={PUBLIC_OPT: True}, include_in_schema=False)
async def healthz() -> dict:
    return {"status": "ok"}


@get("/", opt={PUBLIC_OPT: True}, include_in_schema=False)
async def index() -> Redirect:
    return Redirect(path="/rankings")


def api_router() -> Router:
    """The JSON API: bearer tokens, role guards, JSON errors, never cached, no CSRF (no cookies)."""
    return Router(
        path="/",
        route_handlers=[
            AuthController,
            UnitController,
            UserController,
            PlanController,
            PlanGoalController,
            ItemController,
            GoalController,
            ProblemController,
            ProjectController,
            ResultController,
            SupervisionController,
            InboxController,
            LedgerController,
            PublicationController,
            CockpitController,
            WorkdayController,
        ],
        dependencies={"actor": Provide(current_actor, sync_to_thread=False)},
        middleware=[auth_middleware],
        exception_handlers=api_errors.EXCEPTION_HANDLERS,  # type: ignore[arg-type]  # see create_app
        cache_control=CacheControlHeader(no_store=True),
    )


def pages_router() -> Router:
    """The server-rendered pages: the session cookie, CSRF and same-origin forms, error pages."""
    return Router(
        path="/",
        route_handlers=[
            PublicController,
            PublicPlanController,
            ExportController,
            AuthPages,
            LeadPages,
            LedgerPages,
            SupervisorPages,
            AdminPages,
            CockpitPages,
            WorkdayPages,
            PlanAdminPages,
        ],
        middleware=[session_auth, DefineMiddleware(SessionCSRFMiddleware, secret=csrf_secret())],
        exception_handlers=web_errors.EXCEPTION_HANDLERS,  # type: ignore[arg-type]  # see create_app
    )


def _wants_page(request: Request) -> bool:
    """Content negotiation for answers outside both routers: browsers ask for HTML first."""
    accept = request.headers.get("accept", "")
    return "text/html" in accept.split(",")[0]


def _negotiated(exc_type: type[Exception]):
    def handler(request: Request, exc: Exception) -> Response:
        table = web_errors.EXCEPTION_HANDLERS if _wants_page(request) else api_errors.EXCEPTION_HANDLERS
        return table[exc_type](request, exc)  # type: ignore[operator]  # each table maps exc_type to its handler

    return handler


UNROUTED_HANDLERS = {exc_type: _negotiated(exc_type) for exc_type in api_errors.EXCEPTION_HANDLERS}


async def _calendar_warnings() -> None:
    """Say at start-up when this year or next is counted Monday–Friday (no calendar data)."""
    from closedloop.services import workdays
    from closedloop.services.common import Clock

    try:
        for warning in await workdays.warnings(Clock.today()):
            log.warning(warning)
    except Exception:  # a fresh database without tables yet: migrations run later
        log.debug("calendar check skipped", exc_info=True)


def create_app(*, run_scheduler: bool | None = None) -> Litestar:
    settings = get_settings()

    start_scheduler = settings.scheduler if run_scheduler is None else run_scheduler

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        from closedloop.db.engine import close_engine, prepare_engine

        await prepare_engine()
        await _calendar_warnings()
        scheduler = None
        lock = None
        if start_scheduler:
            from closedloop.scheduler.runner import build_scheduler, scheduler_lock

            # with several workers on this host only the first to take the lock schedules
            lock = scheduler_lock(settings.database_url)
            if lock is not None:
                scheduler = build_scheduler()
                scheduler.start()
                log.info("scheduler started in process %s", os.getpid())
        try:
            yield
        finally:
            if scheduler is not None:
                scheduler.shutdown(wait=False)
            if lock is not None:
                lock.close()
            await close_engine()

    app = Litestar(
        route_handlers=[
            healthz,
            index,
            api_router(),
            pages_router(),
            create_static_files_router(path="/static", directories=[WEB_DIR / "static"], opt={PUBLIC_OPT: True}, include_in_schema=False),
            *_swagger_files(),
        ],
        template_config=TemplateConfig(directory=WEB_DIR / "templates", engine=JinjaTemplateEngine, engine_callback=web_filters.register),
        before_request=refuse_nul_characters,
        # what no router answers (an unknown address, a method the address does not take):
        # a page for a browser, JSON for anything else
        exception_handlers=UNROUTED_HANDLERS,  # type: ignore[arg-type]  # Litestar's handler map is typed for its own handler signature
        lifespan=[lifespan],
        request_max_body_size=settings.upload_max_bytes + 1024 * 1024,
        openapi_config=OpenAPIConfig(
            title="closedloop API",
            version=__version__,
            description="工作要点闭环管理：四项管理、六步工作法、亮灯、督办与晾晒。",
            path="/schema",
            components=Components(
                security_schemes={"BearerToken": SecurityScheme(type="http", scheme="bearer")}
            ),
            security=[{"BearerToken": []}],
            # Swagger UI only (the other schema UIs are off), from files the app serves itself
            render_plugins=[
                SwaggerRenderPlugin(
                    js_url=f"{SWAGGER_STATIC}/swagger-ui-bundle.js",
                    css_url=f"{SWAGGER_STATIC}/swagger-ui.css",
                    standalone_preset_js_url=f"{SWAGGER_STATIC}/swagger-ui-standalone-preset.js",
                    favicon=f"<link rel='icon' type='image/png' href='{SWAGGER_STATIC}/favicon-32x32.png' sizes='32x32' />",
                )
            ],
        ),
        debug=False,
    )
    add_error_responses(app)
    app.asgi_handler = harden(app.asgi_handler)
    return app


SWAGGER_STATIC = "/static/swagger"


def _swagger_files() -> list:
    """Swagger UI's own files (swagger-ui-bundle), so the API page works offline and loads
    no script from another origin."""
    try:
        from swagger_ui_bundle import swagger_ui_path
    except ImportError:  # pragma: no cover - a dependency; without it the page lacks its UI
        return []
    return [
        create_static_files_router(
            path=SWAGGER_STATIC, directories=[Path(str(swagger_ui_path))], opt={PUBLIC_OPT: True}, include_in_schema=False, name="swagger-static"
        )
    ]
