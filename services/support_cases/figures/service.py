"""Keeping the support_cases read models current: one refresh at the end of every write that
changes their inputs, in its transaction (so a read right after the write sees it, in every
process and replica).

The refresh recomputes the summary rows of the cases the write touched, and the figures of
their rounds (and of rounds named directly, for applications), from the base tables. On
PostgreSQL it first takes one transaction-scoped advisory lock, so that two writes to cases of
the same round never compute the round's figures from snapshots that miss each other; it is
the last lock a write takes, so it cannot deadlock. Synchronous on a Connection, so that the
migration that creates the tables fills them with the same code.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from services.common.registry import REGION_CLASSES, get_registry
from services.support_cases.advisors.models import Advisor
from services.support_cases.cases.models import (
    STATUS_ORDER,
    CaseAdvisor,
    CaseObserver,
    CaseStatus,
    CaseTransition,
    SupportCase,
)
from services.support_cases.figures.items import (
    PUBLIC_FIELDS,
    ROUND_QUERY,
    application_parts,
    case_parts,
    round_parts,
)
from services.support_cases.figures.models import (
    ApplicationItem,
    CaseItem,
    CaseSummary,
    RoundFigures,
    RoundItem,
)
from services.support_cases.roadmaps.models import ItemStatus, RoadmapItem
from services.support_cases.rounds.models import Application, ApplicationStatus, SupportRound
from services.support_cases.visits.models import Visit, VisitAdvisor

# One constant key for pg_advisory_xact_lock ("support_cases figures").
LOCK_KEY = 0x73757070_6F727466

CS = CaseSummary.__table__  # type: ignore[attr-defined]
RF = RoundFigures.__table__  # type: ignore[attr-defined]
CI = CaseItem.__table__  # type: ignore[attr-defined]
AI = ApplicationItem.__table__  # type: ignore[attr-defined]
APP = Application.__table__  # type: ignore[attr-defined]
RI = RoundItem.__table__  # type: ignore[attr-defined]
ROUNDS = SupportRound.__table__  # type: ignore[attr-defined]


def _lock(conn: Connection) -> None:
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": LOCK_KEY})


def _value(status: Any) -> str:
    return status.value if hasattr(status, "value") else str(status)


def _case_rows(conn: Connection, case_ids: list[int]) -> list[dict[str, Any]]:
    cases = conn.execute(
        select(SupportCase.id, SupportCase.round_id).where(col(SupportCase.id).in_(case_ids))
    ).all()
    if not cases:
        return []
    advisors: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for cid, aid, name, affiliation in conn.execute(
        select(CaseAdvisor.case_id, Advisor.id, Advisor.name, Advisor.affiliation)
        .join(Advisor, col(Advisor.id) == CaseAdvisor.advisor_id)
        .where(col(CaseAdvisor.case_id).in_(case_ids))
        .order_by(Advisor.id)
    ).all():
        advisors[cid].append({"id": aid, "name": name, "affiliation": affiliation})
    observers: dict[int, list[str]] = defaultdict(list)
    for cid, code in conn.execute(
        select(CaseObserver.case_id, CaseObserver.municipality_code)
        .where(col(CaseObserver.case_id).in_(case_ids))
        .order_by(CaseObserver.municipality_code)
    ).all():
        observers[cid].append(code)
    dates: dict[int, list[str]] = defaultdict(list)
    for cid, d in conn.execute(
        select(Visit.case_id, Visit.visit_date)
        .where(col(Visit.case_id).in_(case_ids))
        .order_by(Visit.visit_date, Visit.id)
    ).all():
        dates[cid].append(d.isoformat())
    hours = dict(
        conn.execute(
            select(Visit.case_id, func.sum(VisitAdvisor.hours))
            .join(Visit, col(Visit.id) == VisitAdvisor.visit_id)
            .where(col(Visit.case_id).in_(case_ids))
            .group_by(Visit.case_id)
        ).all()
    )
    items: dict[int, list[str]] = defaultdict(list)
    for cid, st in conn.execute(
        select(RoadmapItem.case_id, RoadmapItem.status).where(
            col(RoadmapItem.case_id).in_(case_ids)
        )
    ).all():
        items[cid].append(_value(st))
    changed = dict(
        conn.execute(
            select(CaseTransition.case_id, func.max(CaseTransition.at))
            .where(col(CaseTransition.case_id).in_(case_ids))
            .group_by(CaseTransition.case_id)
        ).all()
    )
    return [
        {
            "case_id": cid,
            "round_id": rid,
            "advisors": advisors.get(cid, []),
            "observers": observers.get(cid, []),
            "visit_dates": dates.get(cid, []),
            "visits_count": len(dates.get(cid, [])),
            "advisor_hours": float(hours.get(cid) or 0.0),
            "roadmap_items": len(items.get(cid, [])),
            "roadmap_items_done": sum(1 for s in items.get(cid, []) if s == ItemStatus.done.value),
            "status_changed_at": changed.get(cid),
        }
        for cid, rid in cases
    ]


def _round_row(conn: Connection, round_id: int) -> dict[str, Any]:
    reg = get_registry()
    apps = conn.execute(
        select(Application.municipality_code, Application.status).where(
            Application.round_id == round_id
        )
    ).all()
    by_status = Counter(_value(s) for _, s in apps)
    selected = dict.fromkeys(REGION_CLASSES, 0)
    for code, s in apps:
        if _value(s) == ApplicationStatus.selected.value:
            m = reg.get(code)
            key = (m.region_class if m else None) or "その他"
            selected[key] = selected.get(key, 0) + 1
    cases = {s.value: 0 for s in (*STATUS_ORDER, CaseStatus.cancelled)}
    for s, n in conn.execute(
        select(SupportCase.status, func.count())
        .where(SupportCase.round_id == round_id)
        .group_by(SupportCase.status)
    ).all():
        cases[CaseStatus(s).value] = n
    n, h = conn.execute(
        select(func.count(), func.coalesce(func.sum(VisitAdvisor.hours), 0.0))
        .select_from(VisitAdvisor)
        .join(Visit, col(Visit.id) == VisitAdvisor.visit_id)
        .join(SupportCase, col(SupportCase.id) == Visit.case_id)
        .where(SupportCase.round_id == round_id)
    ).one()
    return {
        "round_id": round_id,
        "applications": len(apps),
        "applications_by_status": {s.value: by_status.get(s.value, 0) for s in ApplicationStatus},
        "selected_by_region_class": selected,
        "cases_by_status": cases,
        "advisor_dispatches": int(n),
        "advisor_hours": float(h or 0.0),
    }


def case_items(conn: Connection, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The ``case_item`` rows of the cases whose summary ``rows`` were just computed."""
    ids = [r["case_id"] for r in rows]
    cases = {
        r[0]: r
        for r in conn.execute(
            select(
                SupportCase.id,
                SupportCase.municipality_code,
                SupportCase.theme,
                SupportCase.status,
                SupportCase.version,
                SupportCase.fiscal_year,
                SupportCase.round_id,
                SupportCase.coordinator,
                SupportCase.indicator_item_codes,
            ).where(col(SupportCase.id).in_(ids))
        ).all()
    }
    items = []
    for r in rows:
        head, tail = case_parts(
            (*cases[r["case_id"]], r["advisors"], r["observers"], r["visit_dates"],
             r["advisor_hours"], r["roadmap_items"], r["roadmap_items_done"],
             r["status_changed_at"])
        )  # fmt: skip
        items.append(
            {"case_id": r["case_id"], "head": head, "tail": tail, "visit_dates": r["visit_dates"]}
        )
    return items


def _store_case_items(conn: Connection, rows: list[dict[str, Any]]) -> None:
    items = case_items(conn, rows)
    conn.execute(delete(CI).where(CI.c.case_id.in_([r["case_id"] for r in rows])))
    if items:
        conn.execute(insert(CI), items)


def application_items(conn: Connection, app_ids: list[int]) -> list[dict[str, Any]]:
    """The ``application_item`` rows of these applications: their JSON as ApplicationPublic
    answers them, with and without the contact person's data."""
    columns = [APP.c[k] for k in PUBLIC_FIELDS if k in APP.c]
    rows = conn.execute(
        select(*columns, SupportRound.fiscal_year)
        .join(SupportRound, col(SupportRound.id) == APP.c.round_id)
        .where(APP.c.id.in_(app_ids))
    ).all()
    items = []
    for row in rows:
        data = dict(zip([c.name for c in columns], row[:-1], strict=True))
        full, redacted = application_parts(data, row[-1])
        items.append(
            {
                "application_id": data["id"],
                "round_id": data["round_id"],
                "municipality_code": data["municipality_code"],
                "version": data["version"],
                "full": full,
                "redacted": redacted,
            }
        )
    return items


def _store_application_items(conn: Connection, app_ids: list[int]) -> None:
    items = application_items(conn, app_ids)
    conn.execute(delete(AI).where(AI.c.application_id.in_(app_ids)))
    if items:
        conn.execute(insert(AI), items)


def round_items(conn: Connection, round_ids: list[int]) -> list[dict[str, Any]]:
    """The ``round_item`` rows of these rounds (after their figures were stored)."""
    items = []
    for row in conn.execute(ROUND_QUERY.where(ROUNDS.c.id.in_(round_ids))).all():
        rnd, summary = round_parts(row)
        items.append({"round_id": row.id, "version": row.version, "round": rnd, "summary": summary})
    return items


def _store_round_items(conn: Connection, round_ids: list[int]) -> None:
    items = round_items(conn, round_ids)
    conn.execute(delete(RI).where(RI.c.round_id.in_(round_ids)))
    if items:
        conn.execute(insert(RI), items)


def refresh(
    conn: Connection,
    *,
    cases: Iterable[int] = (),
    rounds: Iterable[int] = (),
    applications: Iterable[int] = (),
) -> None:
    """Recompute the summaries and items of ``cases``, the items of ``applications``, and the
    figures of the cases' rounds and of ``rounds``."""
    case_ids = sorted(set(cases))
    round_ids = set(rounds)
    app_ids = sorted(set(applications))
    if not case_ids and not round_ids and not app_ids:
        return
    _lock(conn)
    if app_ids:
        _store_application_items(conn, app_ids)
    if case_ids:
        rows = _case_rows(conn, case_ids)
        conn.execute(delete(CS).where(CS.c.case_id.in_(case_ids)))
        if rows:
            conn.execute(insert(CS), rows)
            _store_case_items(conn, rows)
        round_ids |= {int(r["round_id"]) for r in rows}
    if not round_ids:
        return
    existing = set(
        conn.execute(
            select(SupportRound.id).where(col(SupportRound.id).in_(sorted(round_ids)))
        ).scalars()
    )
    conn.execute(delete(RF).where(RF.c.round_id.in_(sorted(round_ids))))
    if existing:
        conn.execute(insert(RF), [_round_row(conn, rid) for rid in sorted(existing)])
    _store_round_items(conn, sorted(round_ids))


def rebuild(conn: Connection) -> None:
    """Every summary from scratch (in the migration that creates the tables)."""
    _lock(conn)
    conn.execute(delete(CS))
    conn.execute(delete(RF))
    ids = list(conn.execute(select(SupportCase.id).order_by(SupportCase.id)).scalars())
    for start in range(0, len(ids), 500):
        rows = _case_rows(conn, ids[start : start + 500])
        if rows:
            conn.execute(insert(CS), rows)
    rounds = list(conn.execute(select(SupportRound.id).order_by(SupportRound.id)).scalars())
    if rounds:
        conn.execute(insert(RF), [_round_row(conn, rid) for rid in rounds])


def rebuild_items(conn: Connection) -> None:
    """Every round, case and application item from scratch (in the migration that creates them)."""
    _lock(conn)
    conn.execute(delete(CI))
    conn.execute(delete(AI))
    rounds = list(conn.execute(select(ROUNDS.c.id).order_by(ROUNDS.c.id)).scalars())
    if rounds:
        _store_round_items(conn, rounds)
    ids = list(conn.execute(select(SupportCase.id).order_by(SupportCase.id)).scalars())
    for start in range(0, len(ids), 500):
        rows = _case_rows(conn, ids[start : start + 500])
        if rows:
            _store_case_items(conn, rows)
    ids = list(conn.execute(select(APP.c.id).order_by(APP.c.id)).scalars())
    for start in range(0, len(ids), 500):
        _store_application_items(conn, ids[start : start + 500])


async def keep(
    session: AsyncSession,
    *,
    cases: Iterable[int] = (),
    rounds: Iterable[int] = (),
    applications: Iterable[int] = (),
) -> None:
    """``refresh`` from a request's session, after flushing its pending changes."""
    case_ids = [int(c) for c in cases]
    round_ids = [int(r) for r in rounds]
    app_ids = [int(a) for a in applications]
    await session.flush()
    await session.run_sync(
        lambda s: refresh(s.connection(), cases=case_ids, rounds=round_ids, applications=app_ids)
    )
