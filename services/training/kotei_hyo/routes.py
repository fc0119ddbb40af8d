"""工程表 endpoints (municipality staff may edit their own)."""

from fastapi import APIRouter

from services.training.deps import CurrentActor, Session
from services.training.kotei_hyo import service
from services.training.kotei_hyo.models import (
    CheckInCreate,
    CheckInPublic,
    KoteiHyoCreate,
    KoteiHyoPublic,
    KoteiHyoUpdate,
    KoteiStatus,
    OverdueStep,
)

router = APIRouter(tags=["工程表"])


@router.get(
    "/kotei-hyo/overdue", response_model=list[OverdueStep], summary="期限を過ぎて未完了の手順"
)
async def overdue(
    session: Session,
    actor: CurrentActor,
    fiscal_year: int | None = None,
    municipality_code: str | None = None,
) -> list[OverdueStep]:
    return await service.overdue(
        session, actor=actor, fiscal_year=fiscal_year, municipality_code=municipality_code
    )


@router.get(
    "/kotei-hyo/status", response_model=list[KoteiStatus], summary="区市町村別の工程表の状況"
)
async def status(
    session: Session,
    actor: CurrentActor,
    fiscal_year: int | None = None,
    municipality_code: str | None = None,
) -> list[KoteiStatus]:
    return await service.status(
        session, actor=actor, fiscal_year=fiscal_year, municipality_code=municipality_code
    )


@router.get("/kotei-hyo", response_model=list[KoteiHyoPublic], summary="工程表の一覧")
async def list_kotei_hyo(
    session: Session,
    actor: CurrentActor,
    program_id: int | None = None,
    fiscal_year: int | None = None,
    municipality_code: str | None = None,
) -> list[KoteiHyoPublic]:
    rows = await service.list_kotei_hyo(
        session,
        actor=actor,
        program_id=program_id,
        fiscal_year=fiscal_year,
        municipality_code=municipality_code,
    )
    return await service.to_public(session, rows)


@router.post("/kotei-hyo", status_code=201, response_model=KoteiHyoPublic, summary="工程表を作成")
async def create(session: Session, actor: CurrentActor, body: KoteiHyoCreate) -> KoteiHyoPublic:
    kh = await service.create(session, data=body, actor=actor)
    return (await service.to_public(session, [kh]))[0]


@router.get("/kotei-hyo/{kotei_hyo_id}", response_model=KoteiHyoPublic, summary="工程表")
async def get_one(session: Session, actor: CurrentActor, kotei_hyo_id: int) -> KoteiHyoPublic:
    kh = await service.get_one(session, kotei_hyo_id=kotei_hyo_id, actor=actor)
    return (await service.to_public(session, [kh]))[0]


@router.put(
    "/kotei-hyo/{kotei_hyo_id}",
    response_model=KoteiHyoPublic,
    summary="工程表を変更 (手順を丸ごと置き換え; version 必須、古い版は 409)",
)
async def update(
    session: Session, actor: CurrentActor, kotei_hyo_id: int, body: KoteiHyoUpdate
) -> KoteiHyoPublic:
    kh = await service.update(session, kotei_hyo_id=kotei_hyo_id, data=body, actor=actor)
    return (await service.to_public(session, [kh]))[0]


@router.post(
    "/kotei-hyo/{kotei_hyo_id}/check-ins",
    status_code=201,
    response_model=CheckInPublic,
    summary="フォローアップの記録 (予定通り / 遅れ / 完了)",
)
async def add_check_in(
    session: Session, actor: CurrentActor, kotei_hyo_id: int, body: CheckInCreate
) -> CheckInPublic:
    ci = await service.add_check_in(session, kotei_hyo_id=kotei_hyo_id, data=body, actor=actor)
    return CheckInPublic(
        id=ci.id,  # type: ignore[arg-type]
        step_id=ci.step_id,
        checked_on=ci.checked_on,
        status=ci.status,  # type: ignore[arg-type]
        note=ci.note,
        created_by=ci.created_by,
    )
