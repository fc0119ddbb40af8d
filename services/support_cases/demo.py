"""Demo data (サンプル) for the support_cases service, loaded once into an empty database."""

from __future__ import annotations

from datetime import date

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.common.fiscal import fiscal_year_of
from services.support_cases.rounds.models import SupportRound

DEMO_ACTOR = "demo:サンプル"


async def load(session: AsyncSession) -> str | None:
    if (await session.exec(select(SupportRound).limit(1))).first() is not None:
        return None
    fy = fiscal_year_of(date.today())
    session.add(
        SupportRound(
            fiscal_year=fy,
            application_opens=date(fy, 4, 1),
            application_closes=date(fy, 5, 31),
            advisor_days_budget=30,
            created_by=DEMO_ACTOR,
            updated_by=DEMO_ACTOR,
        )
    )
    return f"支援年度 {fy}"
