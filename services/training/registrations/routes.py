"""Registration endpoints: register, list (scoped), cancel with promotion."""

from fastapi import APIRouter, Response

from services.training.deps import CurrentActor, Session
from services.training.programs.service import get_session_row, list_sessions
from services.training.registrations import service
from services.training.registrations.models import (
    CancelResult,
    RegistrationCreate,
    RegistrationPublic,
)

router = APIRouter(tags=["申込"])


@router.post(
    "/sessions/{session_id}/registrations",
    status_code=201,
    response_model=RegistrationPublic,
    summary="申込 (空きがあれば confirmed、なければ waitlisted)",
    responses={
        409: {"description": "同じメールアドレスで申込済み"},
        422: {"description": "受付期間外"},
    },
)
async def register(
    session: Session, actor: CurrentActor, session_id: int, body: RegistrationCreate
) -> RegistrationPublic:
    reg = await service.register(session, session_id=session_id, data=body, actor=actor)
    return (await service.to_public(session, [reg], actor))[0]


@router.get(
    "/sessions/{session_id}/registrations",
    response_model=list[RegistrationPublic],
    summary="開催回の申込一覧 (区市町村の職員には自分の区市町村の分だけ)",
)
async def list_for_session(
    session: Session,
    actor: CurrentActor,
    session_id: int,
    municipality_code: str | None = None,
    status: str | None = None,
) -> list[RegistrationPublic]:
    await get_session_row(session, session_id)
    regs = await service.list_registrations(
        session,
        actor=actor,
        session_id=session_id,
        municipality_code=municipality_code,
        status=status,
    )
    return await service.to_public(session, regs, actor)


@router.get(
    "/registrations",
    response_model=list[RegistrationPublic],
    summary="申込一覧 (年度・区市町村で絞り込み)",
)
async def list_registrations(
    session: Session,
    actor: CurrentActor,
    fiscal_year: int | None = None,
    program_id: int | None = None,
    municipality_code: str | None = None,
) -> list[RegistrationPublic]:
    ids = [
        s.id
        for s in await list_sessions(
            session, program_id=program_id, fiscal_year=fiscal_year, kind=None
        )
    ]
    regs = await service.list_registrations(
        session, actor=actor, session_ids=ids, municipality_code=municipality_code
    )
    return await service.to_public(session, regs, actor)


@router.get("/registrations/{registration_id}", response_model=RegistrationPublic, summary="申込")
async def get_registration(
    session: Session, actor: CurrentActor, registration_id: int
) -> RegistrationPublic:
    reg = await service.get_registration(session, registration_id=registration_id, actor=actor)
    return (await service.to_public(session, [reg], actor))[0]


@router.delete(
    "/registrations/{registration_id}",
    status_code=204,
    summary="申込の取消 (空いた席はキャンセル待ちの先頭へ)",
)
async def cancel(session: Session, actor: CurrentActor, registration_id: int) -> Response:
    await service.cancel(session, registration_id=registration_id, actor=actor)
    return Response(status_code=204)


@router.post(
    "/registrations/{registration_id}/cancel",
    response_model=CancelResult,
    summary="申込の取消 (取り消した申込と、空いた席で確定になった人を返す)",
)
async def cancel_with_result(
    session: Session, actor: CurrentActor, registration_id: int
) -> CancelResult:
    found, promoted = await service.cancel_returning(
        session, registration_id=registration_id, actor=actor
    )
    cancelled, *moved = await service.to_public(session, [found, *promoted], actor)
    return CancelResult(cancelled=cancelled, promoted=moved)
