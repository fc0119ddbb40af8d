"""The training service app: `uvicorn services.training.main:app --port 8003`."""

from fastapi import FastAPI

from services.common.app import create_service_app
from services.common.me import router as me_router
from services.training import tables
from services.training.attendance.routes import router as attendance_router
from services.training.exports.routes import router as exports_router
from services.training.figures import cache
from services.training.history.routes import router as history_router
from services.training.kotei_hyo.routes import router as kotei_hyo_router
from services.training.programs.routes import router as programs_router
from services.training.registrations.routes import router as registrations_router
from services.training.reporting.routes import router as reporting_router
from services.training.settings import Settings
from services.training.views.routes import router as views_router


def _startup(app: FastAPI) -> None:
    # Every write of this service bumps the generation its read cache checks.
    cache.install(app.state.db)


def create_app(settings: Settings | None = None) -> FastAPI:
    return create_service_app(
        settings or Settings(),
        audit=tables.audit,
        data_version=tables.data_version,
        on_startup=_startup,
        title="Bansō 研修サービス",
        description="研修の計画、申込とキャンセル待ち、出欠、目標と到達状況、工程表",
        api_routers=[
            me_router,
            programs_router,
            registrations_router,
            attendance_router,
            reporting_router,
            kotei_hyo_router,
            exports_router,
            history_router,
            views_router,
        ],
    )


app = create_app()
