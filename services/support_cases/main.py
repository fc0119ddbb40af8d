"""The support_cases service app: `uvicorn services.support_cases.main:app --port 8002`."""

from fastapi import FastAPI

from services.common.app import create_service_app
from services.common.me import router as me_router
from services.support_cases import tables
from services.support_cases.advisors.routes import router as advisors_router
from services.support_cases.cases.routes import router as cases_router
from services.support_cases.reports.routes import router as reports_router
from services.support_cases.roadmaps.routes import router as roadmaps_router
from services.support_cases.rounds.routes import router as rounds_router
from services.support_cases.settings import Settings
from services.support_cases.trees.routes import router as trees_router
from services.support_cases.views.routes import router as views_router
from services.support_cases.visits.routes import router as visits_router


def create_app(settings: Settings | None = None) -> FastAPI:
    return create_service_app(
        settings or Settings(),
        audit=tables.audit,
        data_version=tables.data_version,
        title="Bansō 伴走型支援サービス",
        description="伴走型支援: 希望、選定、ヒアリング、ロジックツリー、ロードマップ、報告書",
        api_routers=[
            me_router,
            rounds_router,
            advisors_router,
            cases_router,
            visits_router,
            trees_router,
            roadmaps_router,
            reports_router,
            views_router,
        ],
    )


app = create_app()
