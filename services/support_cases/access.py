"""Who may see and change a support case (on top of the kernel's roles).

staff (admin, coordinator) read and write everything; an advisor sees only the cases they are
assigned to and may work on them (visits, tree, initiatives, roadmap); municipality staff see
their own municipality's case and the cases they are invited to observe; viewer and
api_client only read. A case the actor may not see is answered 404.
"""

from __future__ import annotations

from enum import StrEnum

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.common.access import READ_ONLY, is_staff
from services.common.actor import Actor, Role
from services.common.errors import Conflict, Forbidden, NotFound
from services.common.models import get_for_update
from services.support_cases.advisors.models import Advisor
from services.support_cases.cases.models import (
    CaseAdvisor,
    CaseObserver,
    CaseStatus,
    SupportCase,
)

CASE_NOT_FOUND = "支援事例が見つかりません"


class Need(StrEnum):
    read = "read"
    work = "work"  # visits, hearing notes, tree, initiatives, roadmap: staff and assigned advisors
    manage = "manage"  # the case itself, transitions, report lessons: staff


async def advisor_id_of(session: AsyncSession, actor: Actor) -> int | None:
    """The advisor record an advisor actor logs in as (None when there is none)."""
    if actor.role != Role.advisor:
        return None
    row = (await session.exec(select(Advisor.id).where(Advisor.actor_id == actor.id))).first()
    return row


async def advised_municipalities(
    session: AsyncSession, actor: Actor
) -> tuple[int | None, list[int], list[str]]:
    """The advisor record of an advisor actor, the cases they are assigned to (all but 中止)
    and those cases' municipality codes (sorted, unique): the circle whose personal data an
    advisor may see (services.common.access.sees_contact_details). Nothing for other roles."""
    adv = await advisor_id_of(session, actor)
    if adv is None:
        return None, [], []
    rows = (
        await session.exec(
            select(SupportCase.id, SupportCase.municipality_code)
            .join(CaseAdvisor, CaseAdvisor.case_id == SupportCase.id)  # type: ignore[arg-type]
            .where(CaseAdvisor.advisor_id == adv, SupportCase.status != CaseStatus.cancelled)
            .order_by(SupportCase.id)
        )
    ).all()
    return adv, [i for i, _ in rows if i is not None], sorted({c for _, c in rows})


async def visible_case_ids(session: AsyncSession, actor: Actor) -> set[int] | None:
    """The ids of the cases the actor may see; None means all of them."""
    if is_staff(actor) or actor.role in READ_ONLY:
        return None
    if actor.role == Role.advisor:
        adv = await advisor_id_of(session, actor)
        if adv is None:
            return set()
        rows = await session.exec(select(CaseAdvisor.case_id).where(CaseAdvisor.advisor_id == adv))
        return set(rows.all())
    if actor.role == Role.municipality and actor.municipality_code:
        own = await session.exec(
            select(SupportCase.id).where(SupportCase.municipality_code == actor.municipality_code)
        )
        observed = await session.exec(
            select(CaseObserver.case_id).where(
                CaseObserver.municipality_code == actor.municipality_code
            )
        )
        return {i for i in own.all() if i is not None} | set(observed.all())
    return set()


async def can_see_case(session: AsyncSession, actor: Actor, case: SupportCase) -> bool:
    ids = await visible_case_ids(session, actor)
    return ids is None or case.id in ids


async def load_case(
    session: AsyncSession,
    actor: Actor,
    case_id: int,
    *,
    need: Need = Need.read,
    lock: bool = False,
) -> SupportCase:
    """The case if the actor may see it (404 otherwise) and may do what they need (403)."""
    case = (
        await get_for_update(session, SupportCase, case_id)
        if lock
        else await session.get(SupportCase, case_id)
    )
    if case is None or not await can_see_case(session, actor, case):
        raise NotFound(CASE_NOT_FOUND)
    if need == Need.read:
        return case
    if need == Need.work and case.status in (CaseStatus.completed, CaseStatus.cancelled):
        if is_staff(actor) or actor.role == Role.advisor:
            raise Conflict(f"この支援事例は「{case.status}」のため、記録やツリーは変更できません")
    if is_staff(actor):
        return case
    if need == Need.work and actor.role == Role.advisor:
        return case
    raise Forbidden(
        "この支援事例を変更する権限がありません"
        if need == Need.work
        else "この操作は都の担当者だけが行えます"
    )
