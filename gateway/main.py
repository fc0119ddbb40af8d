"""The gateway app: `uvicorn gateway.main:app --port 8000`."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from gateway.actions import is_page
from gateway.api.combined import router as combined_router
from gateway.api.registry import router as registry_router
from gateway.auth.api import router as auth_api
from gateway.auth.deps import authenticate, install_auth
from gateway.auth.pages import router as auth_pages
from gateway.auth.passwords import Passwords
from gateway.clients.base import Kept, ServiceError, ServiceRejected
from gateway.clients.pool import Services, build_services
from gateway.pages.audit import router as audit_pages
from gateway.pages.centres import router as centre_pages
from gateway.pages.imports import router as import_pages
from gateway.pages.indicators import router as indicator_pages
from gateway.pages.municipalities import router as municipality_pages
from gateway.pages.pdca import router as pdca_pages
from gateway.pages.pdca_shared import router as pdca_shared_pages
from gateway.pages.peer_types import router as peer_type_pages
from gateway.pages.regional import router as regional_pages
from gateway.pages.support import router as support_pages
from gateway.pages.training import router as training_pages
from gateway.settings import Settings
from gateway.templating import render
from services.common.app import settle_heap
from services.common.db import Database
from services.common.errors import AppError, ServiceUnavailable, install_error_handlers
from services.common.health import database_check, migration_heads
from services.common.inputs import input_policy
from services.common.observability import configure_logging, install_observability
from services.common.openapi import install_openapi

STATIC_DIR = Path(__file__).parent / "static"


def _static_version() -> str:
    h = hashlib.sha256()
    for p in sorted(STATIC_DIR.rglob("*")):
        if p.is_file():
            h.update(p.name.encode())
            h.update(str(p.stat().st_size).encode())
    return h.hexdigest()[:10]


def _install_page_errors(app: FastAPI) -> None:
    """Pages get an HTML error page; the JSON API keeps problem+json."""
    api_app_error = app.exception_handlers[AppError]
    api_http_error = app.exception_handlers[StarletteHTTPException]
    api_validation = app.exception_handlers[RequestValidationError]

    async def app_error(request: Request, exc: AppError) -> Response:
        if is_page(request):
            return render(
                request,
                "error.html",
                {"title": exc.title, "detail": exc.detail},
                status_code=exc.status,
            )
        return await api_app_error(request, exc)

    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if is_page(request):
            title = "ページが見つかりません" if exc.status_code == 404 else "エラー"
            detail = "アドレスを確かめてください。" if exc.status_code == 404 else str(exc.detail)
            return render(
                request,
                "error.html",
                {"title": title, "detail": detail},
                status_code=exc.status_code,
            )
        return await api_http_error(request, exc)

    async def validation(request: Request, exc: RequestValidationError) -> Response:
        if is_page(request):
            policy = [e for e in exc.errors() if e.get("type") == "control_character"]
            detail = (
                f"「{policy[0]['loc'][-1]}」: {policy[0]['msg']}"
                if policy
                else "アドレスの値を確かめてください。"
            )
            return render(
                request,
                "error.html",
                {"title": "入力内容に誤りがあります", "detail": detail},
                status_code=422,
            )
        return await api_validation(request, exc)

    app.add_exception_handler(AppError, app_error)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, http_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, validation)  # type: ignore[arg-type]

    async def service_error(request: Request, exc: ServiceError) -> Response:
        """A service call no route caught: its own 4xx passed on, anything else a 503 naming the
        service (the service is away or slow), never a 500."""
        if isinstance(exc, ServiceRejected):
            err = AppError(exc.problem.get("detail") or "サービスが要求を受け付けませんでした")
            err.status, err.errors = exc.status or 400, exc.problem.get("errors")
        else:
            err = ServiceUnavailable(
                f"{exc.service} が応答しません。しばらくしてから再度お試しください",
                errors=[{"loc": ["service", exc.service], "msg": exc.detail}],
                headers={"Retry-After": "5"},
            )
        return await app_error(request, err)

    app.add_exception_handler(ServiceError, service_error)  # type: ignore[arg-type]


def create_app(
    settings: Settings | None = None,
    *,
    transports: dict[str, httpx.AsyncBaseTransport] | None = None,
) -> FastAPI:
    settings = settings or Settings()
    configure_logging(
        "gateway", level=settings.common.log_level, json_lines=settings.common.log_json
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.db = Database(settings.database_url, pool_size=settings.db_pool_size)
        app.state.migration_heads = migration_heads("gateway")
        app.state.services = build_services(settings, transports)
        settle_heap()
        try:
            yield
        finally:
            await app.state.services.aclose()
            await app.state.db.dispose()

    app = FastAPI(
        title="Bansō ゲートウェイ",
        description="保険者支援の作業台: 画面と、交付金の報告向けにまとめた JSON API",
        version="0.1.0",
        lifespan=lifespan,
        # Every route needs a session or an API token, except the open ones (gateway.auth).
        # The input policy (services/common/inputs.py) then checks every text it was sent.
        dependencies=[Depends(authenticate), Depends(input_policy)],
    )
    app.state.settings = settings
    app.state.passwords = Passwords(settings)
    app.state.static_version = _static_version()
    app.state.kept_responses = Kept(256, 32 * 1024 * 1024)  # gateway/kept.py
    install_error_handlers(app)
    _install_page_errors(app)
    install_auth(app)
    install_observability(app, "gateway")
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    @app.get("/healthz", tags=["運用"], summary="プロセスの死活")
    async def healthz() -> dict[str, str]:
        return {"status": "ok", "service": "gateway"}

    @app.get("/readyz", tags=["運用"], summary="各サービスを含む準備状態")
    async def readyz(request: Request) -> JSONResponse:
        services: Services = request.app.state.services
        checks, database = await asyncio.gather(services.readiness(), database_check(request))
        failing = [name for name, r in checks.items() if not r.get("ok")]
        if not database.get("ok"):
            failing.insert(0, "database")
        body = {
            "status": "ok" if not failing else "unavailable",
            "service": "gateway",
            "failing": failing,
            "database": database,
            "checks": {
                name: {k: v for k, v in r.items() if k in ("ok", "detail", "failing", "status")}
                for name, r in checks.items()
            },
        }
        return JSONResponse(body, status_code=200 if not failing else 503)

    app.include_router(registry_router, prefix="/api/v1")
    app.include_router(combined_router, prefix="/api/v1")
    app.include_router(auth_api, prefix="/api/v1")
    app.include_router(auth_pages)
    app.include_router(municipality_pages)
    app.include_router(training_pages)
    app.include_router(support_pages)
    app.include_router(indicator_pages)
    app.include_router(regional_pages)
    app.include_router(centre_pages)
    app.include_router(pdca_shared_pages)
    app.include_router(pdca_pages)
    app.include_router(audit_pages)
    app.include_router(import_pages)
    app.include_router(peer_type_pages)
    install_openapi(app, paths=("/api/",))  # every problem answer documented (kernel)
    # Outermost: behind a reverse proxy the real client address and scheme come from
    # X-Forwarded-For / X-Forwarded-Proto, believed only from GATEWAY_FORWARDED_ALLOW_IPS
    # (the lock-out per address, the logs and the sessions then see the real client).
    app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.forwarded_allow_ips)
    return app


app = create_app()
