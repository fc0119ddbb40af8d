"""Round endpoints."""

from typing import Annotated

from fastapi import APIRouter, Depends
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.common.db import get_session
from services.support_cases.rounds.models import RoundPublic, SupportRound

router = APIRouter(tags=["支援年度"])
Session = Annotated[AsyncSession, Depends(get_session, scope="function")]


@router.get("/rounds", response_model=list[RoundPublic], summary="支援年度の一覧")
async def list_rounds(session: Session) -> list[SupportRound]:
    return list((await session.exec(select(SupportRound).order_by(SupportRound.fiscal_year))).all())
