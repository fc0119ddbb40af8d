"""Program and session endpoints."""

from fastapi import APIRouter, Body

from services.training.deps import CurrentActor, Session, Staff
from services.training.programs import service
from services.training.programs.models import (
    Kind,
    Program,
    ProgramCreate,
    ProgramPublic,
    ProgramUpdate,
    SessionCreate,
    SessionPublic,
    SessionUpdate,
)

router = APIRouter(tags=["研修と開催回"])


@router.get("/programs", response_model=list[ProgramPublic], summary="研修の一覧")
async def list_programs(
    session: Session, _actor: CurrentActor, fiscal_year: int | None = None, kind: Kind | None = None
) -> list[Program]:
    return await service.list_programs(session, fiscal_year=fiscal_year, kind=kind)


@router.post("/programs", status_code=201, response_model=ProgramPublic, summary="研修を登録")
async def create_program(session: Session, actor: Staff, body: ProgramCreate) -> Program:
    return await service.create_program(session, data=body, actor=actor)


@router.get("/programs/{program_id}", response_model=ProgramPublic, summary="研修")
async def get_program(session: Session, _actor: CurrentActor, program_id: int) -> Program:
    return await service.get_program(session, program_id)


@router.patch(
    "/programs/{program_id}",
    response_model=ProgramPublic,
    summary="研修を変更 (version 必須、古い版は 409)",
)
async def update_program(
    session: Session, actor: Staff, program_id: int, body: ProgramUpdate
) -> Program:
    return await service.update_program(session, program_id=program_id, data=body, actor=actor)


@router.get("/sessions", response_model=list[SessionPublic], summary="開催回の一覧")
async def list_sessions(
    session: Session,
    _actor: CurrentActor,
    program_id: int | None = None,
    fiscal_year: int | None = None,
    kind: Kind | None = None,
) -> list[SessionPublic]:
    rows = await service.list_sessions(
        session, program_id=program_id, fiscal_year=fiscal_year, kind=kind
    )
    return await service.to_public(session, rows)


@router.post(
    "/sessions",
    status_code=201,
    response_model=SessionPublic,
    summary="開催回を登録 (祝日・土日は warnings で知らせる)",
)
async def create_session(session: Session, actor: Staff, body: SessionCreate) -> SessionPublic:
    ts, warnings = await service.create_session(session, data=body, actor=actor)
    return (await service.to_public(session, [ts], warnings))[0]


@router.get("/sessions/{session_id}", response_model=SessionPublic, summary="開催回")
async def get_session(session: Session, _actor: CurrentActor, session_id: int) -> SessionPublic:
    ts = await service.get_session_row(session, session_id)
    return (await service.to_public(session, [ts]))[0]


@router.patch(
    "/sessions/{session_id}",
    response_model=SessionPublic,
    summary="開催回を変更 (日程の移動、定員の変更; version 必須)",
)
async def update_session(
    session: Session,
    actor: Staff,
    session_id: int,
    body: SessionUpdate = Body(
        examples=[
            {"version": 1, "days": [{"date": "2025-11-03", "start": "10:00", "end": "12:00"}]}
        ]
    ),
) -> SessionPublic:
    ts, warnings = await service.update_session(
        session, session_id=session_id, data=body, actor=actor
    )
    return (await service.to_public(session, [ts], warnings))[0]
