"""The app factory every service shares: lifespan, logging, errors, metrics, health."""

from __future__ import annotations

import gc
import os
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager

from fastapi import APIRouter, Depends, FastAPI
from sqlalchemy import Table

from services.common.actor import get_actor
from services.common.conditional import ConditionalGetMiddleware, VersionReader, bump_quietly
from services.common.db import Database
from services.common.errors import install_error_handlers
from services.common.health import database_check, health_router, migration_heads
from services.common.inputs import input_policy
from services.common.observability import configure_logging, install_observability
from services.common.openapi import install_openapi
from services.common.settings import ServiceSettings


def settle_heap() -> None:
    """In a served process (scripts/serve.py sets BANSO_GC_FREEZE=1): collect once after
    start-up and freeze what is left (modules, templates, the registry, settings), so that the
    collector's full passes no longer walk it — shorter pauses under load, and the tail latency
    with them. Not in tests, where many apps come and go in one process."""
    if os.environ.get("BANSO_GC_FREEZE") == "1":
        gc.collect()
        gc.freeze()


PROBLEM_RESPONSES = {
    401: {"description": "トークンがないか無効です (problem+json)"},
    422: {"description": "入力内容の誤り (problem+json, errors: [{loc, msg}])"},
}


def create_service_app(
    settings: ServiceSettings,
    *,
    title: str,
    description: str,
    api_routers: Sequence[APIRouter] = (),
    on_startup: Callable[[FastAPI], object] | None = None,
    version: str = "0.1.0",
    audit: Table | None = None,
    data_version: Table | None = None,
) -> FastAPI:
    """A JSON service: every router under /api/v1 requires a valid actor token."""
    configure_logging(
        settings.service_name, level=settings.common.log_level, json_lines=settings.common.log_json
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.db = Database(
            settings.database_url,
            pool_size=settings.db_pool_size,
            echo=settings.db_echo,
            audit=audit,
            data_version=data_version,
        )
        if data_version is not None:
            # What migrations and scripts wrote while the service was down (conditional.py).
            await bump_quietly(app.state.db.engine, data_version.name)
            app.state.version_reader = VersionReader(app.state.db.engine, data_version)
        app.state.migration_heads = migration_heads(settings.service_name)
        if on_startup is not None:
            result = on_startup(app)
            if hasattr(result, "__await__"):
                await result  # type: ignore[misc]
        settle_heap()
        try:
            yield
        finally:
            if data_version is not None:
                await app.state.version_reader.close()
            await app.state.db.dispose()

    app = FastAPI(title=title, description=description, version=version, lifespan=lifespan)
    app.state.settings = settings
    install_error_handlers(app)
    if data_version is not None:
        # Inside the observability middleware: a 304 is logged and counted like any answer.
        app.add_middleware(ConditionalGetMiddleware, table=data_version)
    install_observability(app, settings.service_name)
    app.include_router(health_router({"database": database_check}))
    routers = list(api_routers)
    if audit is not None:
        from services.common.audit import audit_router

        routers.append(audit_router(audit))
    for router in routers:
        app.include_router(
            router,
            prefix="/api/v1",
            # The actor first (401 before anything else), then the input policy on every text.
            dependencies=[Depends(get_actor), Depends(input_policy)],
            responses=PROBLEM_RESPONSES,
        )
    # every problem answer documented, one place (and the GETs' 304 with conditional reads)
    install_openapi(app, paths=("/api/",), conditional=data_version is not None)
    return app
