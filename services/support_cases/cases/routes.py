"""Case endpoints: list (fixed contract), detail, create, edit, transitions."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from services.common.access import staff_only
from services.common.actor import Actor
from services.support_cases.access import advised_municipalities
from services.support_cases.cases import service
from services.support_cases.cases.models import (
    AdvisedMunicipalities,
    CaseCreate,
    CaseListItem,
    CasePublic,
    CaseStatus,
    CaseUpdate,
    TransitionRequest,
)
from services.support_cases.deps import CurrentActor, Session

router = APIRouter(tags=["支援事例"])
Staff = Annotated[Actor, Depends(staff_only)]


@router.get(
    "/cases",
    response_model=list[CaseListItem],
    summary="支援事例の一覧 (年度・区市町村・状態・専門家で絞り込み)",
    description=(
        "固定の契約: `[{id, municipality_code, theme, status,"
        " advisors: [{id, name, affiliation}], visits_count, version}]` に加え、"
        "次回訪問日・ロードマップ進捗など一覧表示に要るものを返す。"
    ),
)
async def list_cases(
    session: Session,
    actor: CurrentActor,
    fiscal_year: int | None = None,
    municipality_code: str | None = None,
    status: CaseStatus | None = None,
    advisor: Annotated[int | None, Query(description="専門家ID")] = None,
) -> Response:
    items = await service.list_cases(
        session,
        actor=actor,
        fiscal_year=fiscal_year,
        municipality_code=municipality_code,
        status=status,
        advisor=advisor,
    )
    return Response(items.encode(), media_type="application/json")


@router.get(
    "/advised-municipalities",
    response_model=AdvisedMunicipalities,
    summary="専門家が担当する支援事例の区市町村 (連絡先の閲覧範囲)",
    description=(
        "利用者が専門家 (advisor) なら、割り当てられた支援事例 (中止を除く) とその区市町村"
        "コードを返す。ゲートウェイはこれをサービス呼び出しのトークンに署名して載せ、"
        "研修サービスは担当区市町村の受講者の連絡先だけを専門家に見せる。"
        "専門家以外の利用者には空の一覧を返す。"
    ),
)
async def list_advised_municipalities(
    session: Session, actor: CurrentActor
) -> AdvisedMunicipalities:
    adv, case_ids, codes = await advised_municipalities(session, actor)
    return AdvisedMunicipalities(advisor_id=adv, case_ids=case_ids, municipality_codes=codes)


@router.post(
    "/cases",
    response_model=CasePublic,
    status_code=201,
    summary="支援事例を作成 (希望を選定し、専門家を割り当てる)",
)
async def create_case(session: Session, actor: Staff, body: CaseCreate) -> CasePublic:
    return await service.create_case(session, actor=actor, body=body)


@router.get("/cases/{case_id}", response_model=CasePublic, summary="支援事例 (状態の履歴つき)")
async def get_case(session: Session, actor: CurrentActor, case_id: int) -> CasePublic:
    return await service.get_case(session, actor=actor, case_id=case_id)


@router.patch("/cases/{case_id}", response_model=CasePublic, summary="支援事例を変更")
async def update_case(
    session: Session, actor: CurrentActor, case_id: int, body: CaseUpdate
) -> CasePublic:
    return await service.update_case(session, actor=actor, case_id=case_id, body=body)


@router.post(
    "/cases/{case_id}/transitions",
    response_model=CasePublic,
    summary="状態を次の段階へ進める / 中止する",
    responses={409: {"description": "段階を飛ばしている、または前提が満たされていない (理由つき)"}},
)
async def transition(
    session: Session, actor: CurrentActor, case_id: int, body: TransitionRequest
) -> CasePublic:
    return await service.transition(session, actor=actor, case_id=case_id, body=body)
