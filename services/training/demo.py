"""Demo data (サンプル) for the training service, loaded once into an empty database."""

from __future__ import annotations

from datetime import date

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.common.fiscal import fiscal_year_of
from services.training.programs.models import Program

DEMO_ACTOR = "demo:サンプル"

PROGRAMS = [
    ("全体研修・情報交換会", "全体研修・情報交換会", "全域"),
    ("見える化システム活用研修", "見える化システム活用研修", "全域"),
    ("パワーアップセミナー", "パワーアップセミナー", "町村部"),
]


async def load(session: AsyncSession) -> str | None:
    if (await session.exec(select(Program).limit(1))).first() is not None:
        return None
    fy = fiscal_year_of(date.today())
    for name, kind, region in PROGRAMS:
        session.add(
            Program(
                name=name,
                kind=kind,
                fiscal_year=fy,
                region=region,
                created_by=DEMO_ACTOR,
                updated_by=DEMO_ACTOR,
            )
        )
    return f"研修 {len(PROGRAMS)}件"
