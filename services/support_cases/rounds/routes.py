"""Round and application endpoints."""

from typing import Annotated

from fastapi import APIRouter, Depends
from sqlmodel import select

from services.common.access import staff_only
from services.common.actor import Actor
from services.support_cases.deps import CurrentActor, Session, today_jst
from services.support_cases.rounds import service
from services.support_cases.rounds.models import (
    ApplicationCreate,
    ApplicationDecision,
    ApplicationPublic,
    ApplicationStatus,
    ApplicationUpdate,
    RoundCreate,
    RoundPublic,
    RoundSummary,
    RoundUpdate,
    SupportRound,
)

router = APIRouter(tags=["支援年度・希望"])
Staff = Annotated[Actor, Depends(staff_only)]


@router.get("/rounds", response_model=list[RoundPublic], summary="支援年度の一覧")
async def list_rounds(session: Session) -> list[SupportRound]:
    return list((await session.exec(select(SupportRound).order_by(SupportRound.fiscal_year))).all())


@router.post("/rounds", response_model=RoundPublic, status_code=201, summary="支援年度を登録")
async def create_round(session: Session, actor: Staff, body: RoundCreate) -> SupportRound:
    return await service.create_round(session, actor=actor, body=body)


@router.get("/rounds/{fiscal_year}", response_model=RoundPublic, summary="支援年度")
async def get_round(session: Session, fiscal_year: int) -> SupportRound:
    return await service.get_round(session, fiscal_year)


@router.patch("/rounds/{fiscal_year}", response_model=RoundPublic, summary="支援年度を変更")
async def update_round(
    session: Session, actor: Staff, fiscal_year: int, body: RoundUpdate
) -> SupportRound:
    return await service.update_round(session, actor=actor, fiscal_year=fiscal_year, body=body)


@router.get(
    "/rounds/{fiscal_year}/summary",
    response_model=RoundSummary,
    summary="支援年度の集計 (希望数、地域区分別の選定数、状態別の事例数、専門家派遣回数・時間)",
)
async def round_summary(session: Session, fiscal_year: int) -> RoundSummary:
    return await service.round_summary(session, fiscal_year=fiscal_year)


@router.get(
    "/rounds/{fiscal_year}/applications",
    response_model=list[ApplicationPublic],
    summary="支援年度の希望の一覧 (動機・現在の取組を含む)",
)
async def list_round_applications(
    session: Session,
    actor: CurrentActor,
    fiscal_year: int,
    municipality_code: str | None = None,
    status: ApplicationStatus | None = None,
) -> list[ApplicationPublic]:
    await service.get_round(session, fiscal_year)
    return await service.list_applications(
        session,
        actor=actor,
        fiscal_year=fiscal_year,
        municipality_code=municipality_code,
        status=status,
    )


@router.post(
    "/rounds/{fiscal_year}/applications",
    response_model=ApplicationPublic,
    status_code=201,
    summary="伴走型支援を希望する (区市町村は自分の希望のみ、受付期間内に1件)",
)
async def create_application(
    session: Session, actor: CurrentActor, fiscal_year: int, body: ApplicationCreate
) -> ApplicationPublic:
    return await service.create_application(
        session, actor=actor, fiscal_year=fiscal_year, body=body, today=today_jst()
    )


@router.get("/applications", response_model=list[ApplicationPublic], summary="希望の一覧")
async def list_applications(
    session: Session,
    actor: CurrentActor,
    fiscal_year: int | None = None,
    municipality_code: str | None = None,
    status: ApplicationStatus | None = None,
) -> list[ApplicationPublic]:
    return await service.list_applications(
        session,
        actor=actor,
        fiscal_year=fiscal_year,
        municipality_code=municipality_code,
        status=status,
    )


@router.get("/applications/{application_id}", response_model=ApplicationPublic, summary="希望")
async def get_application(
    session: Session, actor: CurrentActor, application_id: int
) -> ApplicationPublic:
    return await service.get_application(session, actor=actor, application_id=application_id)


@router.patch(
    "/applications/{application_id}", response_model=ApplicationPublic, summary="希望を修正"
)
async def update_application(
    session: Session, actor: CurrentActor, application_id: int, body: ApplicationUpdate
) -> ApplicationPublic:
    return await service.update_application(
        session, actor=actor, application_id=application_id, body=body, today=today_jst()
    )


@router.post(
    "/applications/{application_id}/decision",
    response_model=ApplicationPublic,
    summary="希望を選定または見送りにする (理由つき)",
)
async def decide_application(
    session: Session, actor: Staff, application_id: int, body: ApplicationDecision
) -> ApplicationPublic:
    return await service.decide_application(
        session, actor=actor, application_id=application_id, body=body
    )
