"""Visits and hearings: record, edit, list; data requested from the municipality."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from sqlalchemy import delete, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.common.actor import Actor
from services.common.errors import Invalid, NotFound
from services.common.models import check_version, get_for_update, stamp_created, stamp_updated
from services.support_cases.access import Need, load_case, visible_case_ids
from services.support_cases.advisors.models import Advisor
from services.support_cases.cases.models import CaseAdvisor, CaseObserver, SupportCase
from services.support_cases.deps import today_jst
from services.support_cases.figures.service import keep
from services.support_cases.trees.models import TreeSnapshot
from services.support_cases.trees.service import load_tree, take_snapshot
from services.support_cases.visits.models import (
    AdvisorHours,
    DataRequest,
    DataRequestPublic,
    DataRequestUpdate,
    Visit,
    VisitAdvisor,
    VisitCreate,
    VisitPublic,
    VisitUpdate,
)


async def _check_visit_people(
    session: AsyncSession, case_id: int, advisors: list[AdvisorHours], observers: list[str]
) -> None:
    assigned = set(
        (
            await session.exec(select(CaseAdvisor.advisor_id).where(CaseAdvisor.case_id == case_id))
        ).all()
    )
    ids = [a.advisor_id for a in advisors]
    if len(set(ids)) != len(ids):
        raise Invalid(
            "同じ専門家が2回指定されています",
            errors=[{"loc": ["body", "advisors"], "msg": "重複しています"}],
        )
    for i, a in enumerate(advisors):
        if a.advisor_id not in assigned:
            raise Invalid(
                f"専門家 {a.advisor_id} はこの支援事例の担当ではありません",
                errors=[{"loc": ["body", "advisors", i, "advisor_id"], "msg": "担当外です"}],
            )
    invited = set(
        (
            await session.exec(
                select(CaseObserver.municipality_code).where(CaseObserver.case_id == case_id)
            )
        ).all()
    )
    for i, code in enumerate(observers):
        if code not in invited:
            raise Invalid(
                f"{code} はこの支援事例の同席団体 (observers) に登録されていません",
                errors=[{"loc": ["body", "observer_codes", i], "msg": "同席団体ではありません"}],
            )


def _request_public(r: DataRequest, today: date) -> DataRequestPublic:
    return DataRequestPublic.model_validate(
        {
            **r.model_dump(),
            "overdue": bool(not r.received and r.due_date is not None and r.due_date < today),
        }
    )


async def visits_public(session: AsyncSession, visits: list[Visit]) -> list[VisitPublic]:
    ids = [v.id for v in visits]
    if not ids:
        return []
    advisors: dict[int, list[dict]] = defaultdict(list)
    for va, adv in (
        await session.exec(
            select(VisitAdvisor, Advisor)
            .join(Advisor, col(Advisor.id) == VisitAdvisor.advisor_id)
            .where(col(VisitAdvisor.visit_id).in_(ids))
            .order_by(Advisor.id)
        )
    ).all():
        advisors[va.visit_id].append({"advisor_id": adv.id, "name": adv.name, "hours": va.hours})
    requests: dict[int, list[DataRequest]] = defaultdict(list)
    for r in (
        await session.exec(
            select(DataRequest).where(col(DataRequest.visit_id).in_(ids)).order_by(DataRequest.id)
        )
    ).all():
        requests[r.visit_id].append(r)
    today = today_jst()
    out = []
    for v in visits:
        advs = advisors.get(v.id, [])  # type: ignore[arg-type]
        out.append(
            VisitPublic.model_validate(
                {
                    **v.model_dump(warnings=False),
                    "advisors": advs,
                    "advisor_hours": round(sum(a["hours"] for a in advs), 2),
                    "data_requests": [
                        _request_public(r, today)
                        for r in requests.get(v.id, [])  # type: ignore[arg-type]
                    ],
                }
            )
        )
    return out


async def create_visit(
    session: AsyncSession, *, actor: Actor, case_id: int, body: VisitCreate
) -> VisitPublic:
    """Record a visit or hearing; freeze the logic tree as it stands at it."""
    case = await load_case(session, actor, case_id, need=Need.work, lock=True)
    await _check_visit_people(session, case_id, body.advisors, body.observer_codes)
    visit = Visit(
        case_id=case_id,
        **body.model_dump(exclude={"advisors", "data_requests", "snapshot_tree", "attendees"}),
        attendees=[a.model_dump() for a in body.attendees],
    )
    stamp_created(visit, actor)
    session.add(visit)
    await session.flush()
    for a in body.advisors:
        session.add(VisitAdvisor(visit_id=visit.id, advisor_id=a.advisor_id, hours=a.hours))  # type: ignore[arg-type]
    for r in body.data_requests:
        req = DataRequest(visit_id=visit.id, case_id=case_id, **r.model_dump())  # type: ignore[arg-type]
        stamp_created(req, actor)
        session.add(req)
    await session.flush()
    if body.snapshot_tree:
        if (await load_tree(session, case_id)).nodes:
            label = f"{body.visit_date.isoformat()} {body.kind}"
            await take_snapshot(session, actor=actor, case=case, label=label, visit_id=visit.id)
    await keep(session, cases=[case_id])
    [public] = await visits_public(session, [visit])
    return public


async def _visit_of_case(session: AsyncSession, case_id: int, visit_id: int) -> Visit:
    visit = await get_for_update(session, Visit, visit_id)
    if visit is None or visit.case_id != case_id:
        raise NotFound("ヒアリング・訪問の記録が見つかりません")
    return visit


async def update_visit(
    session: AsyncSession, *, actor: Actor, case_id: int, visit_id: int, body: VisitUpdate
) -> VisitPublic:
    await load_case(session, actor, case_id, need=Need.work)
    visit = await _visit_of_case(session, case_id, visit_id)
    check_version(visit, body.version, what="ヒアリング・訪問の記録")
    data = body.model_dump(exclude_unset=True, exclude={"version", "advisors", "attendees"})
    if body.attendees is not None:
        data["attendees"] = [a.model_dump() for a in body.attendees]
    await _check_visit_people(session, case_id, body.advisors or [], data.get("observer_codes", []))
    visit.sqlmodel_update(data)
    if body.advisors is not None:
        for row in (
            await session.exec(select(VisitAdvisor).where(VisitAdvisor.visit_id == visit.id))
        ).all():
            await session.delete(row)
        await session.flush()
        for a in body.advisors:
            session.add(VisitAdvisor(visit_id=visit.id, advisor_id=a.advisor_id, hours=a.hours))  # type: ignore[arg-type]
    stamp_updated(visit, actor)
    await session.flush()
    await keep(session, cases=[case_id])
    [public] = await visits_public(session, [visit])
    return public


async def list_case_visits(
    session: AsyncSession, *, actor: Actor, case_id: int
) -> list[VisitPublic]:
    await load_case(session, actor, case_id)
    rows = await session.exec(
        select(Visit).where(Visit.case_id == case_id).order_by(Visit.visit_date, Visit.id)
    )
    return await visits_public(session, list(rows.all()))


async def list_visits(
    session: AsyncSession,
    *,
    actor: Actor,
    fiscal_year: int | None = None,
    municipality_code: str | None = None,
    advisor: int | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
) -> list[VisitPublic]:
    """Visits across cases (for calendars and dispatch evidence), filtered."""
    stmt = (
        select(Visit)
        .join(SupportCase, col(SupportCase.id) == Visit.case_id)
        .order_by(Visit.visit_date, Visit.id)
    )
    visible = await visible_case_ids(session, actor)
    if visible is not None:
        if not visible:
            return []
        stmt = stmt.where(col(Visit.case_id).in_(visible))
    if fiscal_year is not None:
        stmt = stmt.where(SupportCase.fiscal_year == fiscal_year)
    if municipality_code is not None:
        stmt = stmt.where(SupportCase.municipality_code == municipality_code)
    if advisor is not None:
        stmt = stmt.where(
            col(Visit.id).in_(
                select(VisitAdvisor.visit_id).where(VisitAdvisor.advisor_id == advisor)
            )
        )
    if date_from is not None:
        stmt = stmt.where(Visit.visit_date >= date_from)
    if date_to is not None:
        stmt = stmt.where(Visit.visit_date <= date_to)
    return await visits_public(session, list((await session.exec(stmt)).all()))


async def update_data_request(
    session: AsyncSession, *, actor: Actor, case_id: int, request_id: int, body: DataRequestUpdate
) -> DataRequestPublic:
    """Mark requested data as received, or change its due date."""
    await load_case(session, actor, case_id, need=Need.work)
    req = await get_for_update(session, DataRequest, request_id)
    if req is None or req.case_id != case_id:
        raise NotFound("依頼資料が見つかりません")
    check_version(req, body.version, what="依頼資料")
    data = body.model_dump(exclude_unset=True, exclude={"version"})
    req.sqlmodel_update(data)
    if req.received and req.received_on is None:
        req.received_on = today_jst()
    if not req.received:
        req.received_on = None
    stamp_updated(req, actor)
    await session.flush()
    return _request_public(req, today_jst())


async def list_data_requests(
    session: AsyncSession, *, actor: Actor, case_id: int, received: bool | None = None
) -> list[DataRequestPublic]:
    await load_case(session, actor, case_id)
    stmt = select(DataRequest).where(DataRequest.case_id == case_id)
    if received is not None:
        stmt = stmt.where(DataRequest.received == received)
    # Undated requests last, on SQLite and PostgreSQL alike.
    stmt = stmt.order_by(col(DataRequest.due_date).is_(None), DataRequest.due_date, DataRequest.id)
    today = today_jst()
    return [_request_public(r, today) for r in (await session.exec(stmt)).all()]


async def delete_visit(
    session: AsyncSession, *, actor: Actor, case_id: int, visit_id: int, version: int
) -> None:
    """Delete a visit recorded by mistake, with its dispatches and data requests; tree
    snapshots taken at it are kept (unlinked)."""
    await load_case(session, actor, case_id, need=Need.work)
    visit = await _visit_of_case(session, case_id, visit_id)
    check_version(visit, version, what="ヒアリング・訪問の記録")
    await session.exec(delete(VisitAdvisor).where(col(VisitAdvisor.visit_id) == visit_id))  # type: ignore[call-overload]
    await session.exec(delete(DataRequest).where(col(DataRequest.visit_id) == visit_id))  # type: ignore[call-overload]
    await session.exec(
        update(TreeSnapshot).where(col(TreeSnapshot.visit_id) == visit_id).values(visit_id=None)  # type: ignore[call-overload]
    )
    await session.delete(visit)
    await session.flush()
    await keep(session, cases=[case_id])
