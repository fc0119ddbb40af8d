"""Advisor endpoints: the roster of experts."""

from typing import Annotated

from fastapi import APIRouter, Depends
from sqlmodel import select

from services.common.access import staff_only
from services.common.actor import Actor
from services.common.errors import Conflict, NotFound
from services.common.models import check_version, get_for_update, stamp_created, stamp_updated
from services.support_cases.advisors.models import (
    Advisor,
    AdvisorCreate,
    AdvisorPublic,
    AdvisorUpdate,
)
from services.support_cases.cases.models import CaseAdvisor
from services.support_cases.deps import Session
from services.support_cases.figures.service import keep

router = APIRouter(tags=["専門家"])
Staff = Annotated[Actor, Depends(staff_only)]


async def _unique_actor_id(session: Session, actor_id: str | None, own_id: int | None) -> None:
    if not actor_id:
        return
    other = (await session.exec(select(Advisor.id).where(Advisor.actor_id == actor_id))).first()
    if other is not None and other != own_id:
        raise Conflict(f"利用者ID {actor_id} は別の専門家に割り当て済みです")


@router.get("/advisors", response_model=list[AdvisorPublic], summary="専門家の一覧")
async def list_advisors(
    session: Session, specialty: str | None = None, active: bool | None = None
) -> list[Advisor]:
    stmt = select(Advisor).order_by(Advisor.id)
    if active is not None:
        stmt = stmt.where(Advisor.active == active)
    rows = list((await session.exec(stmt)).all())
    if specialty:
        rows = [a for a in rows if specialty in a.specialties]
    return rows


@router.post("/advisors", response_model=AdvisorPublic, status_code=201, summary="専門家を登録")
async def create_advisor(session: Session, actor: Staff, body: AdvisorCreate) -> Advisor:
    await _unique_actor_id(session, body.actor_id, None)
    adv = Advisor.model_validate(body)
    stamp_created(adv, actor)
    session.add(adv)
    await session.flush()
    return adv


@router.get("/advisors/{advisor_id}", response_model=AdvisorPublic, summary="専門家")
async def get_advisor(session: Session, advisor_id: int) -> Advisor:
    adv = await session.get(Advisor, advisor_id)
    if adv is None:
        raise NotFound("専門家が見つかりません")
    return adv


@router.patch("/advisors/{advisor_id}", response_model=AdvisorPublic, summary="専門家を変更")
async def update_advisor(
    session: Session, actor: Staff, advisor_id: int, body: AdvisorUpdate
) -> Advisor:
    adv = await get_for_update(session, Advisor, advisor_id)
    if adv is None:
        raise NotFound("専門家が見つかりません")
    check_version(adv, body.version, what="専門家")
    data = body.model_dump(exclude_unset=True, exclude={"version"})
    if "actor_id" in data:
        await _unique_actor_id(session, data["actor_id"], adv.id)
    adv.sqlmodel_update(data)
    stamp_updated(adv, actor)
    await session.flush()
    # The case list shows advisors' names and affiliations: refresh their cases.
    cases = (
        await session.exec(select(CaseAdvisor.case_id).where(CaseAdvisor.advisor_id == adv.id))
    ).all()
    await keep(session, cases=cases)
    return adv
