"""One call per gateway view: everything a round's views need from this service in one
request, from the stored case summaries and round figures.

- the grant report (cases and round summary), the support candidates (applications and the
  round's targets) and the support round page (applications, round, cases):
  ``/views/rounds/{fiscal_year}``
- the prefecture's PDCA actuals over several years: ``/views/round-summaries``
(The dashboard and a municipality's profile need only ``/cases``, already one call.)"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response
from pydantic import BaseModel
from pydantic_core import to_json
from sqlalchemy import select
from sqlmodel import col
from sqlmodel import select as sqlmodel_select

from services.common.actor import Role
from services.common.errors import Invalid
from services.support_cases.cases import service as cases_service
from services.support_cases.cases.models import CaseListItem
from services.support_cases.deps import CurrentActor, Session
from services.support_cases.figures.models import RoundFigures
from services.support_cases.rounds import service as rounds_service
from services.support_cases.rounds.models import (
    ApplicationPublic,
    RoundPublic,
    RoundSummary,
    SupportRound,
)

router = APIRouter(prefix="/views", tags=["画面用 (1画面1回)"])


class RoundView(BaseModel):
    """A round with everything its views read. ``round`` and ``summary`` are null when the
    year has no round; ``applications`` is null for an advisor (not theirs to see) and holds
    only its own for a municipality; ``cases`` are the cases the actor may see."""

    fiscal_year: int
    round: RoundPublic | None
    summary: RoundSummary | None
    applications: list[ApplicationPublic] | None
    cases: list[CaseListItem]


class YearSummary(BaseModel):
    fiscal_year: int
    summary: RoundSummary | None  # null: no round that year


class RoundSummaries(BaseModel):
    years: list[YearSummary]


@router.get(
    "/rounds/{fiscal_year}",
    response_model=RoundView,
    summary="支援年度の画面・交付金報告・支援候補用: 支援年度、集計、希望、事例",
)
async def round_view(
    session: Session,
    actor: CurrentActor,
    fiscal_year: Annotated[int, Path(ge=2018, le=2100)],
) -> Any:
    # The round with its stored figures (one row), the applications and the cases (one
    # statement each, table columns, no ORM objects), serialised at once from plain fields:
    # FastAPI validating a few hundred applications and cases as SQLModel objects against
    # RoundView cost more than the rest of the request.
    conn = await session.connection()
    row = (await conn.execute(_ROUND_QUERY.where(_R.c.fiscal_year == fiscal_year))).first()
    rnd, summary = _round_fields(row) if row else (None, None)
    applications = (
        "null"
        if actor.role == Role.advisor
        else "[]"
        if rnd is None
        else await rounds_service.applications_json(
            session, actor=actor, round_id=rnd["id"], fiscal_year=fiscal_year
        )
    )
    cases = await cases_service.list_cases(session, actor=actor, fiscal_year=fiscal_year)
    # The parts already JSON (the stored items, joined) go in as they are.
    head = to_json({"fiscal_year": fiscal_year, "round": rnd, "summary": summary})
    body = b"".join(
        (head[:-1], b',"applications":', applications.encode(), b',"cases":', cases.encode(), b"}")
    )
    return Response(body, media_type="application/json")


_R = SupportRound.__table__  # type: ignore[attr-defined]
_RF = RoundFigures.__table__  # type: ignore[attr-defined]
_ROUND_COLUMNS = tuple(_R.c[k] for k in RoundPublic.model_fields)
_FIGURE_COLUMNS = (
    _RF.c.applications,
    _RF.c.applications_by_status,
    _RF.c.selected_by_region_class,
    _RF.c.cases_by_status,
    _RF.c.advisor_dispatches,
    _RF.c.advisor_hours,
)
_ROUND_QUERY = select(*_ROUND_COLUMNS, *_FIGURE_COLUMNS).select_from(
    _R.outerjoin(_RF, _RF.c.round_id == _R.c.id)
)


def _round_fields(row: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """RoundPublic's and RoundSummary's fields (as rounds_service.summary_of makes them) from
    one row of ``_ROUND_QUERY`` (the figures are None when the round has none stored yet)."""
    n = len(_ROUND_COLUMNS)
    rnd = dict(zip(RoundPublic.model_fields, row[:n], strict=True))
    apps, by_status, selected, cases, dispatches, hours = (
        row[n:] if row[n] is not None else (0, {}, {}, {}, 0, 0.0)
    )
    summary = {
        "fiscal_year": rnd["fiscal_year"],
        "applications": apps,
        "selected_by_region_class": selected,
        "cases_by_status": cases,
        "advisor_dispatches": dispatches,
        "advisor_hours": round(float(hours), 2),
        "applications_by_status": by_status,
        "targets_by_region_class": rnd["targets_by_region_class"],
        "advisor_days_budget": rnd["advisor_days_budget"],
        "cases": sum(cases.values()),
    }
    return rnd, summary


@router.get(
    "/round-summaries",
    response_model=RoundSummaries,
    summary="複数年度の支援年度の集計 (取組と目標の実績用)",
)
async def round_summaries(
    session: Session,
    _actor: CurrentActor,
    fy_from: Annotated[int, Query(ge=2018, le=2100, description="最初の年度")],
    fy_to: Annotated[int, Query(ge=2018, le=2100, description="最後の年度 (10年度以内)")],
) -> Any:
    if fy_to < fy_from or fy_to - fy_from > 10:
        msg = "fy_to は fy_from 以降、10年度以内にしてください"
        raise Invalid(msg, errors=[{"loc": ["query", "fy_to"], "msg": msg}])
    years = list(range(fy_from, fy_to + 1))
    rounds = {
        r.fiscal_year: r
        for r in (
            await session.exec(
                sqlmodel_select(SupportRound).where(col(SupportRound.fiscal_year).in_(years))
            )
        ).all()
    }
    return {
        "years": [
            {
                "fiscal_year": y,
                "summary": await rounds_service.summary_of(session, rounds[y])
                if y in rounds
                else None,
            }
            for y in years
        ]
    }
