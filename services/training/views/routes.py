"""One call per gateway view: each endpoint answers everything one page or combined answer
needs from this service, from the stored figures (no per-row calls, no recomputation).

- the dashboard of the 62 (training reach, how many sessions this month): ``/views/dashboard``
- a municipality's profile and its overview JSON: ``/views/municipalities/{code}``
- the prefecture's PDCA actuals over several years: ``/views/years``
- the training programs page and the calendar: ``/views/programs``
(The grant report needs only ``/stats``, already one call.)"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel
from sqlalchemy import func
from sqlmodel import select

from services.common import clock
from services.common.access import ensure_visible
from services.common.errors import Invalid
from services.common.registry import CodeError, get_registry
from services.training.deps import CurrentActor, Session
from services.training.figures import cache
from services.training.figures.models import SessionFigures
from services.training.kotei_hyo import service as kotei_service
from services.training.kotei_hyo.models import KoteiStatus
from services.training.programs import service as programs_service
from services.training.programs.models import ProgramPublic, SessionDay, SessionPublic
from services.training.reporting import service as reporting
from services.training.reporting.models import TargetProgress
from services.training.reporting.routes import Demand, MunicipalityParticipation, Stats

router = APIRouter(prefix="/views", tags=["画面用 (1画面1回)"])

FY = Query(ge=2018, le=2100, description="年度 (例 2025 = 令和7年度)")


class DashboardView(BaseModel):
    """The dashboard's training part: the year's stats, and how many of the year's sessions
    have a day in the current month (Tokyo)."""

    fiscal_year: int
    stats: Stats
    month: str  # YYYY-MM, Tokyo
    sessions_this_month: int


class MunicipalityView(BaseModel):
    """A municipality's training for its profile and overview: participation and 工程表."""

    fiscal_year: int
    municipality_code: str
    participation: MunicipalityParticipation
    kotei_hyo: list[KoteiStatus]


class YearsView(BaseModel):
    """The stats of a range of fiscal years (the PDCA sheet's actuals), oldest first."""

    years: list[Stats]


class ProgramsView(BaseModel):
    """The training programs page and the calendar: programs, sessions, targets, demand and
    stats of one fiscal year."""

    fiscal_year: int
    programs: list[ProgramPublic]
    sessions: list[SessionPublic]
    targets: list[TargetProgress]
    demand: Demand
    stats: Stats


@router.get(
    "/dashboard",
    response_model=DashboardView,
    summary="ダッシュボード用: 年度の実績と今月の開催回数",
)
async def dashboard(
    session: Session, actor: CurrentActor, request: Request, fiscal_year: int = FY
) -> Any:
    async def produce() -> dict[str, Any]:
        today = clock.today()
        first = today.replace(day=1)
        after = (first + timedelta(days=32)).replace(day=1)
        this_month = (
            await session.exec(
                select(func.count(func.distinct(SessionDay.session_id)))
                .join(SessionFigures, SessionFigures.session_id == SessionDay.session_id)
                .where(
                    SessionFigures.fiscal_year == fiscal_year,
                    SessionDay.date >= first,
                    SessionDay.date < after,
                )
            )
        ).one()
        return {
            "fiscal_year": fiscal_year,
            "stats": await reporting.stats(session, fiscal_year=fiscal_year),
            "month": f"{today:%Y-%m}",
            "sessions_this_month": this_month,
        }

    return await cache.answer(session, request, actor, DashboardView, produce)


@router.get(
    "/municipalities/{code}",
    response_model=MunicipalityView,
    summary="区市町村の画面・概要用: 受講状況と工程表の状況",
    responses={404: {"description": "区市町村の職員が他の区市町村を指定した"}},
)
async def municipality(
    session: Session,
    actor: CurrentActor,
    request: Request,
    code: Annotated[str, Path(description="6桁の地方公共団体コード")],
    fiscal_year: int = FY,
) -> Any:
    try:
        m = get_registry().require(code)
    except CodeError as exc:
        raise Invalid(str(exc), errors=[{"loc": ["path", "code"], "msg": str(exc)}]) from exc
    ensure_visible(actor, m.code, what="区市町村の研修")

    async def produce() -> dict[str, Any]:
        part = await reporting.participation(
            session, fiscal_year=fiscal_year, municipality_code=m.code, actor=actor
        )
        kotei = await kotei_service.status(
            session, actor=actor, fiscal_year=fiscal_year, municipality_code=m.code
        )
        return {
            "fiscal_year": fiscal_year,
            "municipality_code": m.code,
            "participation": part["municipalities"][0],  # type: ignore[index]
            "kotei_hyo": kotei,
        }

    return await cache.answer(session, request, actor, MunicipalityView, produce)


@router.get("/years", response_model=YearsView, summary="複数年度の実績 (取組と目標の実績用)")
async def years(
    session: Session,
    actor: CurrentActor,
    request: Request,
    fy_from: Annotated[int, Query(ge=2018, le=2100, description="最初の年度")],
    fy_to: Annotated[int, Query(ge=2018, le=2100, description="最後の年度 (10年度以内)")],
) -> Any:
    if fy_to < fy_from or fy_to - fy_from > 10:
        msg = "fy_to は fy_from 以降、10年度以内にしてください"
        raise Invalid(msg, errors=[{"loc": ["query", "fy_to"], "msg": msg}])

    async def produce() -> dict[str, Any]:
        years = list(range(fy_from, fy_to + 1))
        return {"years": await reporting.stats_of_years(session, fiscal_years=years)}

    return await cache.answer(session, request, actor, YearsView, produce)


@router.get(
    "/programs",
    response_model=ProgramsView,
    summary="研修の画面・カレンダー用: 研修、開催回、目標、需要、実績",
)
async def programs(
    session: Session, actor: CurrentActor, request: Request, fiscal_year: int = FY
) -> Any:
    async def produce() -> dict[str, Any]:
        programs = await programs_service.list_programs(session, fiscal_year=fiscal_year, kind=None)
        sessions = await programs_service.list_sessions(
            session, program_id=None, fiscal_year=fiscal_year, kind=None
        )
        return {
            "fiscal_year": fiscal_year,
            "programs": [ProgramPublic.model_validate(p, from_attributes=True) for p in programs],
            "sessions": await programs_service.to_public(session, sessions),
            "targets": await reporting.list_targets(session, fiscal_year=fiscal_year),
            "demand": await reporting.demand(session, fiscal_year=fiscal_year),
            "stats": await reporting.stats(session, fiscal_year=fiscal_year),
        }

    return await cache.answer(session, request, actor, ProgramsView, produce)
