"""One call per gateway view: everything a round's views need from this service in one
request, from the stored JSON of the round, its applications and the cases (figures.items)
and the stored round figures.

- the grant report (cases and round summary), the support candidates (applications and the
  round's targets) and the support round page (applications, round, cases):
  ``/views/rounds/{fiscal_year}``
- the prefecture's PDCA actuals over several years: ``/views/round-summaries``
(The dashboard and a municipality's profile need only ``/cases``, already one call.)"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response
from pydantic import BaseModel
from sqlalchemy import literal_column, null, select, union_all
from sqlmodel import col
from sqlmodel import select as sqlmodel_select

from services.common.actor import Role
from services.common.errors import Invalid
from services.support_cases.cases import service as cases_service
from services.support_cases.cases.models import CaseListItem, SupportCase
from services.support_cases.deps import CurrentActor, Session
from services.support_cases.figures.items import ROUND_QUERY, round_parts
from services.support_cases.figures.models import RoundItem
from services.support_cases.rounds import service as rounds_service
from services.support_cases.rounds.models import (
    Application,
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
    # One statement: the round's, the applications' and the cases' JSON as the writes stored
    # it (figures.items), joined as it is; what is missing or older than its record is built
    # from the records. (FastAPI validating a few hundred applications and cases against
    # RoundView cost more than the rest of the request; reading them as columns, and
    # serialising them on every read, cost as much again.)
    parts = [
        select(
            literal_column("0").label("kind"),
            literal_column("''").label("code"),
            _R.c.id,
            _R.c.version,
            _RI.c.version,
            _RI.c.round,
            _RI.c.summary,
            null(),
        )
        .select_from(_R.outerjoin(_RI, _RI.c.round_id == _R.c.id))
        .where(_R.c.fiscal_year == fiscal_year)
    ]
    if actor.role != Role.advisor:
        parts.append(
            select(
                literal_column("1"),
                _APP.c.municipality_code,
                *rounds_service.APPLICATION_ITEM_COLUMNS[:1],
                *rounds_service.APPLICATION_ITEM_COLUMNS[2:],
                null(),
            )
            .select_from(
                rounds_service.APPLICATIONS_WITH_ITEMS.join(_R, _R.c.id == _APP.c.round_id)
            )
            .where(_R.c.fiscal_year == fiscal_year, *rounds_service.application_filter(actor))
        )
    where = await cases_service.case_filter(session, actor=actor, fiscal_year=fiscal_year)
    if where is not None:
        cid, head, tail, dates = cases_service.CASE_ITEM_COLUMNS
        parts.append(
            select(
                literal_column("2"), _SC.c.municipality_code, cid, null(), null(), head, tail, dates
            )  # fmt: skip
            .select_from(cases_service.CASES_WITH_ITEMS)
            .where(*where)
        )
    stmt = union_all(*parts)
    stmt = stmt.order_by(stmt.selected_columns[0], stmt.selected_columns[1])
    conn = await session.connection()
    rows = (await conn.execute(stmt)).all()
    rnd = [r for r in rows if r[0] == 0]
    apps = [(r[2], r[1], r[3], r[4], r[5], r[6]) for r in rows if r[0] == 1]
    case_rows = [(r[2], r[5], r[6], r[7]) for r in rows if r[0] == 2]
    if not rnd:
        round_part = summary_part = "null"
    elif rnd[0][5] is None or rnd[0][3] != rnd[0][4]:  # no stored JSON yet, or an older one
        stored = (await conn.execute(ROUND_QUERY.where(_R.c.id == rnd[0][2]))).one()
        round_part, summary_part = round_parts(stored)
    else:
        round_part, summary_part = rnd[0][5], rnd[0][6]
    applications = (
        "null"
        if actor.role == Role.advisor
        else await rounds_service.applications_json(
            session, apps, actor=actor, fiscal_year=fiscal_year
        )
    )
    cases = await cases_service.cases_json(session, case_rows)
    body = (
        f'{{"fiscal_year":{fiscal_year},"round":{round_part},"summary":{summary_part},'
        f'"applications":{applications},"cases":{cases}}}'
    )
    return Response(body.encode(), media_type="application/json")


_R = SupportRound.__table__  # type: ignore[attr-defined]
_RI = RoundItem.__table__  # type: ignore[attr-defined]
_APP = Application.__table__  # type: ignore[attr-defined]
_SC = SupportCase.__table__  # type: ignore[attr-defined]


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
