"""The indicators service app: `uvicorn services.indicators.main:app --port 8001`."""

from fastapi import FastAPI

from services.common.app import create_service_app
from services.common.me import router as me_router
from services.indicators import tables
from services.indicators.allocation.routes import router as allocation_router
from services.indicators.centres.routes import router as centres_router
from services.indicators.frameworks.routes import router as frameworks_router
from services.indicators.insurers.routes import router as insurers_router
from services.indicators.pdca.routes import router as pdca_router
from services.indicators.peers.routes import router as peers_router
from services.indicators.regional.catalogue import on_startup as regional_startup
from services.indicators.regional.routes import router as regional_router
from services.indicators.results.routes import router as results_router
from services.indicators.scores.routes import router as scores_router
from services.indicators.settings import Settings
from services.indicators.shipped import on_startup


async def startup(app: FastAPI) -> None:
    await on_startup(app)
    await regional_startup(app)


def create_app(settings: Settings | None = None) -> FastAPI:
    return create_service_app(
        settings or Settings(),
        audit=tables.audit,
        data_version=tables.data_version,
        title="Bansō 評価指標サービス",
        description="交付金の評価指標の体系、得点、比較、配分シミュレーション、取組と目標、地域分析、"
        "地域包括支援センターの事業評価",
        api_routers=[
            me_router,
            frameworks_router,
            insurers_router,
            scores_router,
            results_router,
            peers_router,
            allocation_router,
            pdca_router,
            regional_router,
            centres_router,
        ],
        on_startup=startup,
    )


app = create_app()
