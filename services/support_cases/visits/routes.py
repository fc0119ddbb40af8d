"""Visit and hearing endpoints."""

from datetime import date

from fastapi import APIRouter, Query, Response

from services.support_cases.deps import CurrentActor, Session
from services.support_cases.visits import service
from services.support_cases.visits.models import (
    DataRequestPublic,
    DataRequestUpdate,
    VisitCreate,
    VisitPublic,
    VisitUpdate,
)

router = APIRouter(tags=["派遣・ヒアリング"])


@router.get(
    "/visits",
    response_model=list[VisitPublic],
    summary="派遣・ヒアリングの一覧 (年度・区市町村・専門家・期間で絞り込み)",
)
async def list_visits(
    session: Session,
    actor: CurrentActor,
    fiscal_year: int | None = None,
    municipality_code: str | None = None,
    advisor: int | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
) -> list[VisitPublic]:
    return await service.list_visits(
        session,
        actor=actor,
        fiscal_year=fiscal_year,
        municipality_code=municipality_code,
        advisor=advisor,
        date_from=date_from,
        date_to=date_to,
    )


@router.get(
    "/cases/{case_id}/visits", response_model=list[VisitPublic], summary="事例の派遣・ヒアリング"
)
async def list_case_visits(
    session: Session, actor: CurrentActor, case_id: int
) -> list[VisitPublic]:
    return await service.list_case_visits(session, actor=actor, case_id=case_id)


@router.post(
    "/cases/{case_id}/visits",
    response_model=VisitPublic,
    status_code=201,
    summary="派遣・ヒアリングを記録 (そのときのロジックツリーも記録)",
)
async def create_visit(
    session: Session, actor: CurrentActor, case_id: int, body: VisitCreate
) -> VisitPublic:
    return await service.create_visit(session, actor=actor, case_id=case_id, body=body)


@router.patch(
    "/cases/{case_id}/visits/{visit_id}",
    response_model=VisitPublic,
    summary="派遣・ヒアリングの記録を変更",
)
async def update_visit(
    session: Session, actor: CurrentActor, case_id: int, visit_id: int, body: VisitUpdate
) -> VisitPublic:
    return await service.update_visit(
        session, actor=actor, case_id=case_id, visit_id=visit_id, body=body
    )


@router.get(
    "/cases/{case_id}/data-requests",
    response_model=list[DataRequestPublic],
    summary="依頼資料の一覧 (期限順、received で絞り込み)",
)
async def list_data_requests(
    session: Session, actor: CurrentActor, case_id: int, received: bool | None = None
) -> list[DataRequestPublic]:
    return await service.list_data_requests(
        session, actor=actor, case_id=case_id, received=received
    )


@router.patch(
    "/cases/{case_id}/data-requests/{request_id}",
    response_model=DataRequestPublic,
    summary="依頼資料を受領済みにする・期限を変える",
)
async def update_data_request(
    session: Session, actor: CurrentActor, case_id: int, request_id: int, body: DataRequestUpdate
) -> DataRequestPublic:
    return await service.update_data_request(
        session, actor=actor, case_id=case_id, request_id=request_id, body=body
    )


@router.delete(
    "/cases/{case_id}/visits/{visit_id}",
    status_code=204,
    summary="派遣・ヒアリングの記録を削除 (誤登録の取消し)",
)
async def delete_visit(
    session: Session,
    actor: CurrentActor,
    case_id: int,
    visit_id: int,
    version: int = Query(description="読み込んだときの版"),
) -> Response:
    await service.delete_visit(
        session, actor=actor, case_id=case_id, visit_id=visit_id, version=version
    )
    return Response(status_code=204)
