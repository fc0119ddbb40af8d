"""Registering, cancelling and promoting from the waitlist, serialized on the session row.

Every change to a session's seats first locks the session row (``SELECT … FOR UPDATE`` on
PostgreSQL; on SQLite the request already holds the write lock from ``BEGIN IMMEDIATE``) and
only then counts the confirmed seats, so two requests can never both take the last seat.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import and_, case, func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.common.access import (
    ensure_municipality_write,
    ensure_visible,
    municipality_filter,
    sees_contact_details,
)
from services.common.actor import Actor
from services.common.errors import Conflict, Invalid, NotFound
from services.common.models import get_for_update, stamp_created, stamp_updated
from services.training.figures.service import keep, keep_registered
from services.training.programs.models import TrainingSession
from services.training.programs.service import CANCELLED, CONFIRMED, WAITLISTED
from services.training.registrations.models import (
    Registration,
    RegistrationCreate,
    RegistrationPublic,
)
from services.training.timeutil import TOKYO, from_db, now


async def _lock_session(session: AsyncSession, session_id: int) -> TrainingSession:
    ts = await get_for_update(session, TrainingSession, session_id)
    if ts is None:
        raise NotFound(f"開催回 (id={session_id}) が見つかりません")
    return ts


async def _confirmed_count(
    session: AsyncSession, session_id: int, municipality_code: str | None = None
) -> int:
    query = select(func.count()).where(
        Registration.session_id == session_id, Registration.status == CONFIRMED
    )
    if municipality_code is not None:
        query = query.where(Registration.municipality_code == municipality_code)
    return (await session.exec(query)).one()


def _check_window(ts: TrainingSession) -> None:
    current = now()
    opens, closes = from_db(ts.registration_opens), from_db(ts.registration_closes)
    if opens and current < opens:
        msg = f"申込受付は {opens.astimezone(TOKYO):%Y年%m月%d日 %H:%M} からです"
        raise Invalid(msg, errors=[{"loc": ["body"], "msg": msg}])
    if closes and current > closes:
        msg = f"申込受付は {closes.astimezone(TOKYO):%Y年%m月%d日 %H:%M} で締め切りました"
        raise Invalid(msg, errors=[{"loc": ["body"], "msg": msg}])


async def register(
    session: AsyncSession, *, session_id: int, data: RegistrationCreate, actor: Actor
) -> Registration:
    """Confirm a seat while one remains (and the municipality's quota allows), else waitlist."""
    ensure_municipality_write(actor, data.municipality_code)
    ts = await _lock_session(session, session_id)
    _check_window(ts)
    email = data.email.strip().lower()
    # One pass over the session's registrations (it holds the lock): a live one with the same
    # e-mail, the last arrival number, and the seats its municipality and everyone hold.
    confirmed_here = Registration.status == CONFIRMED
    duplicate, last_seq, taken, taken_here = (
        await session.exec(
            select(
                func.max(
                    case(
                        (
                            and_(Registration.email == email, Registration.status != CANCELLED),
                            Registration.id,
                        )
                    )
                ),
                func.coalesce(func.max(Registration.seq), 0),
                func.coalesce(func.sum(case((confirmed_here, 1), else_=0)), 0),
                func.coalesce(
                    func.sum(
                        case(
                            (
                                and_(
                                    confirmed_here,
                                    Registration.municipality_code == data.municipality_code,
                                ),
                                1,
                            ),
                            else_=0,
                        )
                    ),
                    0,
                ),
            ).where(Registration.session_id == session_id)
        )
    ).one()
    if duplicate is not None:
        raise Conflict(
            f"{email} はこの開催回に既に申し込まれています (申込ID {duplicate})",
            registration_id=duplicate,
        )
    seq = last_seq + 1
    confirmed = taken < ts.capacity and (
        ts.municipality_quota is None or taken_here < ts.municipality_quota
    )
    reg = Registration(
        session_id=session_id,
        name=data.name.strip(),
        municipality_code=data.municipality_code,
        role=data.role,
        email=email,
        status=CONFIRMED if confirmed else WAITLISTED,
        seq=seq,
        confirmed_at=now() if confirmed else None,
    )
    stamp_created(reg, actor)
    session.add(reg)
    await session.flush()
    await keep_registered(
        session,
        session_id=session_id,
        municipality_code=reg.municipality_code,
        confirmed=confirmed,
    )
    return reg


async def promote_waitlisted(
    session: AsyncSession, ts: TrainingSession, *, actor: Actor
) -> list[Registration]:
    """Give free seats to the waitlist in arrival order (the caller holds the session lock).

    A person whose municipality has used its quota is passed over and keeps their place.
    The caller refreshes the read models for the promoted people's municipalities."""
    promoted: list[Registration] = []
    free = ts.capacity - await _confirmed_count(session, ts.id)  # type: ignore[arg-type]
    if free <= 0:
        return promoted
    waiting = (
        await session.exec(
            select(Registration)
            .where(Registration.session_id == ts.id, Registration.status == WAITLISTED)
            .order_by(Registration.seq)
        )
    ).all()
    used: dict[str, int] = {}
    for reg in waiting:
        if free <= 0:
            break
        if ts.municipality_quota is not None:
            code = reg.municipality_code
            if code not in used:
                used[code] = await _confirmed_count(session, ts.id, code)  # type: ignore[arg-type]
            if used[code] >= ts.municipality_quota:
                continue
            used[code] += 1
        reg.status = CONFIRMED
        reg.confirmed_at = now()
        stamp_updated(reg, actor)
        promoted.append(reg)
        free -= 1
    await session.flush()
    return promoted


async def cancel(
    session: AsyncSession, *, registration_id: int, actor: Actor
) -> list[Registration]:
    """Cancel a registration; a freed seat goes at once to the first on the waitlist."""
    found = await session.get(Registration, registration_id)
    if found is None or found.status == CANCELLED:
        raise NotFound(f"申込 (id={registration_id}) が見つかりません")
    ensure_municipality_write(actor, found.municipality_code)
    ts = await _lock_session(session, found.session_id)
    await session.refresh(found)  # the state after the lock, not before it
    if found.status == CANCELLED:
        raise NotFound(f"申込 (id={registration_id}) が見つかりません")
    was_confirmed = found.status == CONFIRMED
    found.status = CANCELLED
    found.cancelled_at = now()
    stamp_updated(found, actor)
    await session.flush()
    promoted = await promote_waitlisted(session, ts, actor=actor) if was_confirmed else []
    await keep(
        session,
        sessions=[ts.id],  # type: ignore[list-item]
        codes={found.municipality_code, *(r.municipality_code for r in promoted)},
        # a confirmed person may have attended: 実人数 can change
        persons=was_confirmed,
    )
    return promoted


async def cancel_returning(
    session: AsyncSession, *, registration_id: int, actor: Actor
) -> tuple[Registration, list[Registration]]:
    """Cancel, and return the cancelled registration with those promoted to its seat."""
    promoted = await cancel(session, registration_id=registration_id, actor=actor)
    found = await session.get(Registration, registration_id)
    if found is None:  # cancel() found it and only changed its status: never here
        raise NotFound(f"申込 (id={registration_id}) が見つかりません")
    return found, promoted


async def waitlist_positions(session: AsyncSession, session_ids: Sequence[int]) -> dict[int, int]:
    """Position (1-based) of every waitlisted registration of these sessions."""
    if not session_ids:
        return {}
    rows = await session.exec(
        select(Registration.id, Registration.session_id)
        .where(col(Registration.session_id).in_(session_ids), Registration.status == WAITLISTED)
        .order_by(Registration.session_id, Registration.seq)
    )
    positions: dict[int, int] = {}
    counter: dict[int, int] = {}
    for rid, sid in rows.all():
        counter[sid] = counter.get(sid, 0) + 1
        positions[rid] = counter[sid]
    return positions


async def to_public(
    session: AsyncSession, regs: Sequence[Registration], actor: Actor
) -> list[RegistrationPublic]:
    """The registrations as ``actor`` may read them: the participant's e-mail address only for
    ``sees_contact_details``. This service does not know the support cases: an advisor's
    advised municipalities come signed in their token (``Actor.advised``, filled by the
    gateway from support_cases); a token without them shows an advisor no e-mail address."""
    positions = await waitlist_positions(session, sorted({r.session_id for r in regs}))
    return [
        RegistrationPublic(
            id=r.id,  # type: ignore[arg-type]
            session_id=r.session_id,
            name=r.name,
            municipality_code=r.municipality_code,
            role=r.role,
            email=r.email
            if sees_contact_details(actor, r.municipality_code, advised=actor.advised)
            else None,
            status=r.status,  # type: ignore[arg-type]
            waitlist_position=positions.get(r.id) if r.status == WAITLISTED else None,  # type: ignore[arg-type]
            created_at=from_db(r.created_at),  # type: ignore[arg-type]
            created_by=r.created_by,
        )
        for r in regs
    ]


async def get_registration(
    session: AsyncSession, *, registration_id: int, actor: Actor
) -> Registration:
    """One registration by its address. A cancelled one (DELETE or POST …/cancel) no longer
    answers here (404): it is kept for history and still listed, with status cancelled."""
    reg = await session.get(Registration, registration_id)
    if reg is None:
        raise NotFound(f"申込 (id={registration_id}) が見つかりません")
    ensure_visible(actor, reg.municipality_code, what="申込")
    if reg.status == CANCELLED:
        raise NotFound(
            f"申込 (id={registration_id}) は取り消し済みです (一覧では status=cancelled で確認できます)"
        )
    return reg


async def list_registrations(
    session: AsyncSession,
    *,
    actor: Actor,
    session_id: int | None = None,
    session_ids: Sequence[int] | None = None,
    municipality_code: str | None = None,
    status: str | None = None,
) -> list[Registration]:
    """Registrations, limited to the actor's own municipality for municipality staff."""
    code = municipality_filter(actor, municipality_code)
    query = select(Registration)
    if session_id is not None:
        query = query.where(Registration.session_id == session_id)
    if session_ids is not None:
        query = query.where(col(Registration.session_id).in_(session_ids))
    if code is not None:
        query = query.where(Registration.municipality_code == code)
    if status is not None:
        query = query.where(Registration.status == status)
    else:
        query = query.where(Registration.status != CANCELLED)
    query = query.order_by(Registration.session_id, Registration.seq)
    return list((await session.exec(query)).all())
