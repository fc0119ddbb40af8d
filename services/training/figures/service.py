"""Keeping the training read models current: one refresh at the end of every write, inside its
transaction, so a read right after the write sees it and every process and replica reads the
same stored rows.

The refresh recomputes, from the base tables, exactly the rows the write can have changed:
the sessions it touched (their figures, and their per-municipality rows for the municipalities
it touched), then the per-municipality and per-kind rows of the fiscal years and kinds those
sessions belong to (before and after the write: a program can move to another year or kind).
Recomputing instead of adding deltas keeps every figure equal to a from-scratch computation
(tests/training/test_figures_property.py checks that after random sequences of writes).

Concurrency: on PostgreSQL the refresh first takes one transaction-scoped advisory lock, so
two writes never recompute the same shared row from snapshots that miss each other (under READ
COMMITTED each statement after the lock sees everything committed before it). It is taken last
in every write (after the session row lock that guards seats), and nothing locks rows after
it, so it cannot deadlock. On SQLite a writing request already holds the database's write lock
(BEGIN IMMEDIATE). The functions here are synchronous on a Connection, so that a migration can
run ``rebuild`` too; the service calls them through ``AsyncSession.run_sync``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, and_, case, delete, exists, func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.training.attendance.models import Attendance
from services.training.figures.cache import bump
from services.training.figures.models import (
    READ_MODELS,
    KindYearFigures,
    MunicipalityKindFigures,
    MunicipalityYearFigures,
    SessionFigures,
    SessionMunicipalityFigures,
)
from services.training.programs.models import Program, SessionDay, TrainingSession
from services.training.registrations.models import Registration

CONFIRMED, WAITLISTED, CANCELLED = "confirmed", "waitlisted", "cancelled"
ATTENDED = ("present", "on_demand")  # オンデマンド視聴 counts as attending

# One constant key for pg_advisory_xact_lock ("training figures").
LOCK_KEY = 0x74726169_6E666967

SF = SessionFigures.__table__  # type: ignore[attr-defined]
SMF = SessionMunicipalityFigures.__table__  # type: ignore[attr-defined]
MKF = MunicipalityKindFigures.__table__  # type: ignore[attr-defined]
MYF = MunicipalityYearFigures.__table__  # type: ignore[attr-defined]
KYF = KindYearFigures.__table__  # type: ignore[attr-defined]
COUNTS = ("confirmed", "waitlisted", "persons", "attendances", "completers")


def need_days(rule: str | None, min_days: int | None, days: int) -> int:
    """Days a person must attend to complete: all of them, or N of M (never more than M)."""
    if rule == "n_of_m" and min_days:
        return min(min_days, days)
    return days


def attended_days():  # type: ignore[no-untyped-def]
    """Days a registration attended (present or on-demand), as a correlated subquery: it uses
    the index on attendance.registration_id instead of grouping the whole attendance table."""
    return (
        select(func.count())
        .select_from(Attendance)
        .where(
            Attendance.registration_id == Registration.id,
            col(Attendance.status).in_(ATTENDED),
        )
        .scalar_subquery()
    )


def _has_attended():  # type: ignore[no-untyped-def]
    return exists().where(
        Attendance.registration_id == Registration.id, col(Attendance.status).in_(ATTENDED)
    )


def _lock(conn: Connection, *, bump_generation: bool = True) -> None:
    # Count the write first (the one-row generation the read cache checks), then serialize
    # the figures' refresh: always in this order, so two writes never wait on each other
    # in opposite orders.
    if bump_generation:
        bump(conn)
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": LOCK_KEY})


def _nonzero(row: dict[str, object], keys: Iterable[str]) -> bool:
    return any(row[k] for k in keys)


@dataclass
class _Static:
    session_id: int
    program_id: int
    fiscal_year: int
    kind: str
    first_date: object
    last_date: object
    capacity: int
    days: int
    required_days: int
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTS, 0))


def _statics(conn: Connection, session_ids: list[int]) -> dict[int, _Static]:
    days = (
        select(SessionDay.session_id, func.count().label("n"))
        .where(col(SessionDay.session_id).in_(session_ids))
        .group_by(SessionDay.session_id)
        .subquery()
    )
    rows = conn.execute(
        select(
            TrainingSession.id,
            Program.id,
            Program.fiscal_year,
            Program.kind,
            TrainingSession.first_date,
            TrainingSession.last_date,
            TrainingSession.capacity,
            Program.completion_rule,
            Program.completion_min_days,
            func.coalesce(days.c.n, 0),
        )
        .join(Program, col(Program.id) == TrainingSession.program_id)
        .outerjoin(days, days.c.session_id == TrainingSession.id)
        .where(col(TrainingSession.id).in_(session_ids))
    ).all()
    return {
        sid: _Static(sid, pid, fy, kind, first, last, cap, n, need_days(rule, min_days, n))
        for sid, pid, fy, kind, first, last, cap, rule, min_days, n in rows
    }


def _session_municipality_rows(
    conn: Connection, statics: dict[int, _Static], codes: set[str] | None
) -> list[dict[str, object]]:
    """Per session × municipality counts from the registrations and their attendance."""
    query = select(
        Registration.session_id,
        Registration.municipality_code,
        Registration.status,
        attended_days(),
    ).where(col(Registration.session_id).in_(list(statics)), Registration.status != CANCELLED)
    if codes is not None:
        query = query.where(col(Registration.municipality_code).in_(sorted(codes)))
    acc: dict[tuple[int, str], dict[str, int]] = defaultdict(lambda: dict.fromkeys(COUNTS, 0))
    for sid, code, status, n in conn.execute(query).all():
        row = acc[(sid, code)]
        if status == WAITLISTED:
            row["waitlisted"] += 1
            continue
        if status != CONFIRMED:
            continue
        need = statics[sid].required_days
        row["confirmed"] += 1
        row["persons"] += 1 if n > 0 else 0
        row["attendances"] += n
        row["completers"] += 1 if need > 0 and n >= need else 0
    out = []
    for (sid, code), counts in acc.items():
        s = statics[sid]
        out.append(
            {
                "session_id": sid,
                "municipality_code": code,
                "program_id": s.program_id,
                "fiscal_year": s.fiscal_year,
                "kind": s.kind,
                **counts,
            }
        )
    return out


def _municipality_kind_rows(
    conn: Connection, fy: int, kind: str, codes: set[str] | None
) -> list[dict[str, object]]:
    where = [SMF.c.fiscal_year == fy, SMF.c.kind == kind]
    if codes is not None:
        where.append(SMF.c.municipality_code.in_(sorted(codes)))
    sums = conn.execute(
        select(
            SMF.c.municipality_code,
            func.sum(SMF.c.attendances),
            func.sum(SMF.c.completers),
            func.sum(case((SMF.c.persons > 0, 1), else_=0)),
        )
        .where(*where)
        .group_by(SMF.c.municipality_code)
    ).all()
    persons = _distinct_persons(conn, fy=fy, kind=kind, codes=codes, by_municipality=True)
    out = []
    for code, atts, comps, sessions in sums:
        row = {
            "fiscal_year": fy,
            "kind": kind,
            "municipality_code": code,
            "persons": persons.get(code, 0),
            "attendances": int(atts or 0),
            "completers": int(comps or 0),
            "sessions_attended": int(sessions or 0),
        }
        # Only municipalities whose people attended (registrations are counted per year).
        if row["persons"]:
            out.append(row)
    return out


def _distinct_persons(
    conn: Connection,
    *,
    fy: int,
    kind: str | None,
    codes: set[str] | None,
    by_municipality: bool,
) -> dict[str | None, int]:
    """実人数: distinct e-mail addresses of confirmed registrations with a day attended."""
    where = [
        SF.c.fiscal_year == fy,
        Registration.status == CONFIRMED,
        _has_attended(),
    ]
    if kind is not None:
        where.append(SF.c.kind == kind)
    if codes is not None:
        where.append(col(Registration.municipality_code).in_(sorted(codes)))
    count = func.count(func.distinct(Registration.email))
    joined = (
        select(Registration.municipality_code, count)
        .select_from(Registration)
        .join(SF, SF.c.session_id == Registration.session_id)
        .where(and_(*where))
    )
    if not by_municipality:
        n = conn.execute(joined.with_only_columns(count)).scalar_one()
        return {None: int(n)}
    query = joined.group_by(Registration.municipality_code)
    return {code: int(n) for code, n in conn.execute(query).all()}


def _municipality_year_rows(
    conn: Connection, fy: int, codes: set[str] | None
) -> list[dict[str, object]]:
    regs_where = [SMF.c.fiscal_year == fy]
    kind_where = [MKF.c.fiscal_year == fy]
    if codes is not None:
        regs_where.append(SMF.c.municipality_code.in_(sorted(codes)))
        kind_where.append(MKF.c.municipality_code.in_(sorted(codes)))
    regs = dict(
        conn.execute(
            select(SMF.c.municipality_code, func.sum(SMF.c.confirmed))
            .where(*regs_where)
            .group_by(SMF.c.municipality_code)
        ).all()
    )
    sums = {
        code: rest
        for code, *rest in conn.execute(
            select(
                MKF.c.municipality_code,
                func.sum(MKF.c.attendances),
                func.sum(MKF.c.completers),
                func.sum(MKF.c.sessions_attended),
            )
            .where(*kind_where)
            .group_by(MKF.c.municipality_code)
        ).all()
    }
    persons = _distinct_persons(conn, fy=fy, kind=None, codes=codes, by_municipality=True)
    out = []
    for code in sorted(set(regs) | set(sums)):
        atts, comps, sessions = sums.get(code, (0, 0, 0))
        row = {
            "fiscal_year": fy,
            "municipality_code": code,
            "registrations": int(regs.get(code) or 0),
            "persons": persons.get(code, 0),
            "attendances": int(atts or 0),
            "completers": int(comps or 0),
            "sessions_attended": int(sessions or 0),
        }
        if row["registrations"] or row["persons"]:
            out.append(row)
    return out


def _kind_year_row(
    conn: Connection, fy: int, kind: str, *, persons: bool
) -> dict[str, object] | None:
    n, atts, comps = conn.execute(
        select(
            func.count(),
            func.sum(SF.c.attendances),
            func.sum(SF.c.completers),
        ).where(SF.c.fiscal_year == fy, SF.c.kind == kind)
    ).one()
    if not n:
        return None
    if persons:
        distinct = _distinct_persons(conn, fy=fy, kind=kind, codes=None, by_municipality=False)
        people = next(iter(distinct.values()), 0)
    else:
        # Registrations, promotions and capacity changes never change who attended: keep
        # the stored figure.
        people = (
            conn.execute(
                select(KYF.c.persons).where(KYF.c.fiscal_year == fy, KYF.c.kind == kind)
            ).scalar_one_or_none()
            or 0
        )
    return {
        "fiscal_year": fy,
        "kind": kind,
        "sessions": int(n),
        "persons": people,
        "attendances": int(atts or 0),
        "completers": int(comps or 0),
    }


def refresh(
    conn: Connection,
    *,
    sessions: Iterable[int],
    codes: Iterable[str] | None = None,
    persons: bool = True,
    counted: bool = False,
) -> None:
    """Recompute the read models a write to ``sessions`` can have changed.

    ``codes``: the municipalities whose registrations or attendance the write touched (None:
    every municipality of those sessions, e.g. after the session's days or its program's
    completion rule, year or kind changed; an empty set: only the sessions' own figures).
    ``persons=False`` when the write cannot change who attended (a registration, a promotion):
    the prefecture-wide 実人数 per kind is then kept instead of recounted."""
    session_ids = sorted(set(sessions))
    if not session_ids:
        return
    scope = None if codes is None else set(codes)
    _lock(conn, bump_generation=not counted)
    before = conn.execute(
        select(SF.c.session_id, SF.c.fiscal_year, SF.c.kind).where(SF.c.session_id.in_(session_ids))
    ).all()
    pairs = {(fy, kind) for _, fy, kind in before}
    touched: set[str] = set(scope or ())
    if scope is None:
        touched |= set(
            conn.execute(
                select(SMF.c.municipality_code).where(SMF.c.session_id.in_(session_ids)).distinct()
            ).scalars()
        )
    statics = _statics(conn, session_ids)
    pairs |= {(s.fiscal_year, s.kind) for s in statics.values()}

    # Per session × municipality.
    if scope is None or scope:
        where = [SMF.c.session_id.in_(session_ids)]
        if scope is not None:
            where.append(SMF.c.municipality_code.in_(sorted(scope)))
        conn.execute(delete(SMF).where(*where))
        rows = _session_municipality_rows(conn, statics, scope)
        touched |= {str(r["municipality_code"]) for r in rows}
        if rows:
            conn.execute(insert(SMF), rows)

    # Per session: its facts and the sums of its municipality rows.
    for sid, *sums in conn.execute(
        select(SMF.c.session_id, *(func.sum(SMF.c[c]) for c in COUNTS))
        .where(SMF.c.session_id.in_(session_ids))
        .group_by(SMF.c.session_id)
    ).all():
        statics[sid].counts = {c: int(v or 0) for c, v in zip(COUNTS, sums, strict=True)}
    conn.execute(delete(SF).where(SF.c.session_id.in_(session_ids)))
    conn.execute(
        insert(SF),
        [
            {
                "session_id": s.session_id,
                "program_id": s.program_id,
                "fiscal_year": s.fiscal_year,
                "kind": s.kind,
                "first_date": s.first_date,
                "last_date": s.last_date,
                "capacity": s.capacity,
                "days": s.days,
                "required_days": s.required_days,
                **s.counts,
            }
            for s in statics.values()
        ],
    )

    # Per municipality (by kind, then over every kind) and per kind, for every year and kind
    # the sessions were in before or are in now.
    _refresh_shared(conn, pairs=pairs, codes=touched, persons=persons)


def _refresh_shared(
    conn: Connection, *, pairs: set[tuple[int, str]], codes: set[str] | None, persons: bool
) -> None:
    for fy, kind in sorted(pairs):
        if codes is None or codes:
            where = [MKF.c.fiscal_year == fy, MKF.c.kind == kind]
            if codes is not None:
                where.append(MKF.c.municipality_code.in_(sorted(codes)))
            conn.execute(delete(MKF).where(*where))
            rows = _municipality_kind_rows(conn, fy, kind, codes)
            if rows:
                conn.execute(insert(MKF), rows)
        row = _kind_year_row(conn, fy, kind, persons=persons)
        conn.execute(delete(KYF).where(KYF.c.fiscal_year == fy, KYF.c.kind == kind))
        if row is not None:
            conn.execute(insert(KYF), [row])
    if codes is not None and not codes:
        return
    for fy in sorted({fy for fy, _ in pairs}):
        where = [MYF.c.fiscal_year == fy]
        if codes is not None:
            where.append(MYF.c.municipality_code.in_(sorted(codes)))
        conn.execute(delete(MYF).where(*where))
        rows = _municipality_year_rows(conn, fy, codes)
        if rows:
            conn.execute(insert(MYF), rows)


def rebuild(conn: Connection) -> None:
    """Every read model from scratch (after a bulk load straight into the base tables, or in
    the migration that creates them)."""
    _lock(conn)
    for model in READ_MODELS:
        conn.execute(delete(model.__table__))  # type: ignore[attr-defined]
    ids = list(conn.execute(select(TrainingSession.id).order_by(TrainingSession.id)).scalars())
    # In slices: an IN list stays far below SQLite's variable limit.
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        statics = _statics(conn, chunk)
        rows = _session_municipality_rows(conn, statics, None)
        if rows:
            conn.execute(insert(SMF), rows)
        for sid, *sums in conn.execute(
            select(SMF.c.session_id, *(func.sum(SMF.c[c]) for c in COUNTS))
            .where(SMF.c.session_id.in_(chunk))
            .group_by(SMF.c.session_id)
        ).all():
            statics[sid].counts = {c: int(v or 0) for c, v in zip(COUNTS, sums, strict=True)}
        if statics:
            conn.execute(
                insert(SF),
                [
                    {
                        "session_id": s.session_id,
                        "program_id": s.program_id,
                        "fiscal_year": s.fiscal_year,
                        "kind": s.kind,
                        "first_date": s.first_date,
                        "last_date": s.last_date,
                        "capacity": s.capacity,
                        "days": s.days,
                        "required_days": s.required_days,
                        **s.counts,
                    }
                    for s in statics.values()
                ],
            )
    pairs = {(fy, kind) for fy, kind in conn.execute(select(SF.c.fiscal_year, SF.c.kind)).all()}
    _refresh_shared(conn, pairs=pairs, codes=None, persons=True)


def _upsert_add(
    conn: Connection,
    table: Any,
    keys: dict[str, Any],
    adds: dict[str, int],
    *,
    fixed: dict[str, Any] | None = None,
) -> None:
    """Add to counters of a row, creating it (other counters zero, ``fixed`` columns set) when
    it is not there: INSERT … ON CONFLICT DO UPDATE, on SQLite and PostgreSQL alike."""
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    given = {**keys, **(fixed or {}), **adds}
    zeros = {c.name: 0 for c in table.c if c.name not in given}  # the other counters
    stmt = dialect_insert(table).values(**given, **zeros)
    conn.execute(
        stmt.on_conflict_do_update(
            index_elements=list(keys),
            set_={k: table.c[k] + stmt.excluded[k] for k in adds},
        )
    )


def registered(
    conn: Connection,
    *,
    session_id: int,
    municipality_code: str,
    confirmed: bool,
    counted: bool = False,
) -> None:
    """A new registration, confirmed or waitlisted: add it to the counters it changes.

    The hot path of a registration burst (every request holds the session's row lock): three
    additions instead of a recomputation. A new registration has no attendance, so 実人数,
    延べ人数 and completers cannot change; the year's registrations of its municipality count
    confirmed ones only. ``counted``: the write generation was already bumped."""
    _lock(conn, bump_generation=not counted)
    name = "confirmed" if confirmed else "waitlisted"
    program_id, fy, kind = conn.execute(
        SF.update()
        .where(SF.c.session_id == session_id)
        .values({name: SF.c[name] + 1})
        .returning(SF.c.program_id, SF.c.fiscal_year, SF.c.kind)
    ).one()
    _upsert_add(
        conn,
        SMF,
        {"session_id": session_id, "municipality_code": municipality_code},
        {name: 1},
        fixed={"program_id": program_id, "fiscal_year": fy, "kind": kind},
    )
    if confirmed:
        _upsert_add(
            conn,
            MYF,
            {"fiscal_year": fy, "municipality_code": municipality_code},
            {"registrations": 1},
        )


async def keep(
    session: AsyncSession,
    *,
    sessions: Iterable[int],
    codes: Iterable[str] | None = None,
    persons: bool = True,
) -> None:
    """``refresh`` from a request's session, after flushing its pending changes."""
    ids = list(sessions)
    code_list = None if codes is None else list(codes)
    await session.flush()
    await session.run_sync(
        lambda s: refresh(
            s.connection(),
            sessions=ids,
            codes=code_list,
            persons=persons,
            counted=bool(s.info.get("figures_bumped")),
        )
    )


async def keep_registered(
    session: AsyncSession, *, session_id: int, municipality_code: str, confirmed: bool
) -> None:
    """``registered`` from a request's session, after flushing the new registration."""
    await session.flush()
    await session.run_sync(
        lambda s: registered(
            s.connection(),
            session_id=session_id,
            municipality_code=municipality_code,
            confirmed=confirmed,
            counted=bool(s.info.get("figures_bumped")),
        )
    )


async def rebuild_async(session: AsyncSession) -> None:
    await session.flush()
    await session.run_sync(lambda s: rebuild(s.connection()))
