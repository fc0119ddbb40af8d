"""Initiative and roadmap endpoints."""

from fastapi import APIRouter, Query, Response

from services.support_cases.deps import CurrentActor, Session
from services.support_cases.roadmaps import service
from services.support_cases.roadmaps.models import (
    InitiativeCreate,
    InitiativePublic,
    InitiativeUpdate,
    RoadmapItemCreate,
    RoadmapItemPublic,
    RoadmapItemUpdate,
)

router = APIRouter(tags=["取組・ロードマップ"])


@router.get(
    "/cases/{case_id}/initiatives",
    response_model=list[InitiativePublic],
    summary="取組の一覧 (chosen で絞り込み)",
)
async def list_initiatives(
    session: Session, actor: CurrentActor, case_id: int, chosen: bool | None = None
) -> list[InitiativePublic]:
    return await service.list_initiatives(session, actor=actor, case_id=case_id, chosen=chosen)


@router.post(
    "/cases/{case_id}/initiatives",
    response_model=InitiativePublic,
    status_code=201,
    summary="ツリーのノードに取組を追加",
)
async def create_initiative(
    session: Session, actor: CurrentActor, case_id: int, body: InitiativeCreate
) -> InitiativePublic:
    return await service.create_initiative(session, actor=actor, case_id=case_id, body=body)


@router.patch(
    "/cases/{case_id}/initiatives/{initiative_id}",
    response_model=InitiativePublic,
    summary="取組を変更 (選定・理由)",
)
async def update_initiative(
    session: Session, actor: CurrentActor, case_id: int, initiative_id: int, body: InitiativeUpdate
) -> InitiativePublic:
    return await service.update_initiative(
        session, actor=actor, case_id=case_id, initiative_id=initiative_id, body=body
    )


@router.delete(
    "/cases/{case_id}/initiatives/{initiative_id}",
    status_code=204,
    summary="取組を削除 (ロードマップに載っていないもの)",
)
async def delete_initiative(
    session: Session,
    actor: CurrentActor,
    case_id: int,
    initiative_id: int,
    version: int = Query(description="読み込んだときの版"),
) -> Response:
    await service.delete_initiative(
        session, actor=actor, case_id=case_id, initiative_id=initiative_id, version=version
    )
    return Response(status_code=204)


@router.get(
    "/cases/{case_id}/roadmap",
    response_model=list[RoadmapItemPublic],
    summary="ロードマップ (開始月順、交付金に効く最初の年度つき)",
)
async def list_roadmap(
    session: Session, actor: CurrentActor, case_id: int
) -> list[RoadmapItemPublic]:
    return await service.list_roadmap(session, actor=actor, case_id=case_id)


@router.post(
    "/cases/{case_id}/roadmap",
    response_model=RoadmapItemPublic,
    status_code=201,
    summary="選定した取組をロードマップに載せる",
)
async def create_item(
    session: Session, actor: CurrentActor, case_id: int, body: RoadmapItemCreate
) -> RoadmapItemPublic:
    return await service.create_item(session, actor=actor, case_id=case_id, body=body)


@router.patch(
    "/cases/{case_id}/roadmap/{item_id}",
    response_model=RoadmapItemPublic,
    summary="ロードマップの項目を変更・進捗を記録",
)
async def update_item(
    session: Session, actor: CurrentActor, case_id: int, item_id: int, body: RoadmapItemUpdate
) -> RoadmapItemPublic:
    return await service.update_item(
        session, actor=actor, case_id=case_id, item_id=item_id, body=body
    )


@router.delete(
    "/cases/{case_id}/roadmap/{item_id}", status_code=204, summary="ロードマップの項目を削除"
)
async def delete_item(
    session: Session,
    actor: CurrentActor,
    case_id: int,
    item_id: int,
    version: int = Query(description="読み込んだときの版"),
) -> Response:
    await service.delete_item(
        session, actor=actor, case_id=case_id, item_id=item_id, version=version
    )
    return Response(status_code=204)
