"""Stats, participation per municipality, targets, demand signal and surveys."""

from typing import Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, RootModel

from services.training.deps import CurrentActor, Session, Staff
from services.training.figures import cache
from services.training.reporting import service
from services.training.reporting.models import (
    ProgramSurveySummary,
    SessionSurveySummary,
    SurveyCreate,
    TargetCreate,
    TargetProgress,
    TargetUpdate,
)

router = APIRouter(tags=["実績と目標"])

FY = Query(ge=2018, le=2100, description="年度 (例 2025 = 令和7年度)")


class StatsPart(BaseModel):
    """One source's part of the year's figures (every kind a key)."""

    sessions_held_by_kind: dict[str, int]
    completers_by_kind: dict[str, int]
    persons_by_kind: dict[str, int]
    municipalities_reached: list[str]


class HistorySource(BaseModel):
    fiscal_year: int
    kind: str
    municipality_code: str | None
    source: str


class Stats(BaseModel):
    """The year's figures: per-person records plus imported history (過去の実績), each part
    also given apart in ``from_records`` and ``from_history``."""

    fiscal_year: int
    sessions_held_by_kind: dict[str, int]
    completers_by_kind: dict[str, int]
    persons_by_kind: dict[str, int]
    attendances_by_kind: dict[str, int]  # records only (history carries no person-days)
    municipalities_reached: list[str]
    municipalities_not_reached: list[str]
    from_records: StatsPart
    from_history: StatsPart
    history_sources: list[HistorySource]


class HistoryPart(BaseModel):
    participants: int
    completers: int
    sessions: int


class MunicipalityParticipation(BaseModel):
    municipality_code: str
    sessions_attended_by_kind: dict[str, int]
    sessions_attended: int
    completers_by_kind: dict[str, int]
    completers: int
    persons: int
    attendances: int
    registrations: int
    reached: bool
    from_history: HistoryPart | None = None  # the imported part of persons and completers


class Participation(BaseModel):
    fiscal_year: int
    municipalities: list[MunicipalityParticipation]


class DemandSession(BaseModel):
    session_id: int
    program_id: int
    capacity: int
    applicants: int
    ratio: float
    over_subscribed: bool


class DemandProgram(BaseModel):
    program_id: int
    name: str
    kind: str
    capacity: int
    applicants: int
    ratio: float | None
    over_subscribed: bool
    suggested_capacity: int | None


class Demand(BaseModel):
    fiscal_year: int
    rule: str
    sessions: list[DemandSession]
    programs: list[DemandProgram]
    over_subscribed: list[DemandProgram]


TargetList = RootModel[list[TargetProgress]]


class SurveyCreated(BaseModel):
    id: int
    session_id: int
    satisfaction: int
    comment: str


@router.get(
    "/stats",
    response_model=Stats,
    summary="年度の実績: 種類別の開催回数・修了者、受講した/していない区市町村 (都内62)",
)
async def stats(
    session: Session, actor: CurrentActor, request: Request, fiscal_year: int = FY
) -> Any:
    return await cache.answer(
        session, request, actor, Stats, lambda: service.stats(session, fiscal_year=fiscal_year)
    )


@router.get(
    "/participation",
    response_model=Participation,
    summary="区市町村別の受講状況を1回で (種類別の受講開催回数、修了者、実人数、延べ人数)",
)
async def participation(
    session: Session,
    actor: CurrentActor,
    request: Request,
    fiscal_year: int = FY,
    municipality_code: str | None = None,
) -> Any:
    return await cache.answer(
        session,
        request,
        actor,
        Participation,
        lambda: service.participation(
            session, fiscal_year=fiscal_year, municipality_code=municipality_code, actor=actor
        ),
    )


@router.get("/targets", response_model=list[TargetProgress], summary="目標と進捗 (年度で絞り込み)")
async def list_targets(
    session: Session, actor: CurrentActor, request: Request, fiscal_year: int | None = None
) -> Any:
    return await cache.answer(
        session,
        request,
        actor,
        TargetList,
        lambda: service.list_targets(session, fiscal_year=fiscal_year),
    )


@router.post("/targets", status_code=201, response_model=TargetProgress, summary="目標を登録")
async def create_target(session: Session, actor: Staff, body: TargetCreate) -> TargetProgress:
    target = await service.create_target(session, data=body, actor=actor)
    return await service.target_progress(session, target)


@router.get("/targets/{target_id}", response_model=TargetProgress, summary="目標の進捗")
async def get_target(session: Session, _actor: CurrentActor, target_id: int) -> TargetProgress:
    return await service.target_progress(session, await service.get_target(session, target_id))


@router.patch("/targets/{target_id}", response_model=TargetProgress, summary="目標を変更")
async def update_target(
    session: Session, actor: Staff, target_id: int, body: TargetUpdate
) -> TargetProgress:
    target = await service.update_target(session, target_id=target_id, data=body, actor=actor)
    return await service.target_progress(session, target)


@router.get(
    "/demand",
    response_model=Demand,
    summary="需要: 開催回・研修ごとの申込者数と定員、定員超過の研修と翌年度の定員案",
)
async def demand(
    session: Session, actor: CurrentActor, request: Request, fiscal_year: int = FY
) -> Any:
    return await cache.answer(
        session, request, actor, Demand, lambda: service.demand(session, fiscal_year=fiscal_year)
    )


@router.post(
    "/sessions/{session_id}/surveys",
    status_code=201,
    response_model=SurveyCreated,
    summary="アンケートの回答を登録 (満足度1〜5と自由記述)",
)
async def add_survey(
    session: Session, actor: CurrentActor, session_id: int, body: SurveyCreate
) -> Any:
    return await service.add_survey(session, session_id=session_id, data=body, actor=actor)


@router.get(
    "/sessions/{session_id}/surveys/summary",
    response_model=SessionSurveySummary,
    summary="開催回のアンケート集計",
)
async def session_survey(
    session: Session, _actor: CurrentActor, session_id: int
) -> SessionSurveySummary:
    return await service.session_survey(session, session_id=session_id)


@router.get(
    "/programs/{program_id}/surveys/summary",
    response_model=ProgramSurveySummary,
    summary="研修のアンケート集計 (開催回別を含む)",
)
async def program_survey(
    session: Session, _actor: CurrentActor, program_id: int
) -> ProgramSurveySummary:
    return await service.program_survey(session, program_id=program_id)
