"""Framework endpoints."""

from typing import Annotated

from fastapi import APIRouter, Depends
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.common.db import get_session
from services.indicators.frameworks.models import Framework, FrameworkPublic

router = APIRouter(tags=["評価指標の体系"])
Session = Annotated[AsyncSession, Depends(get_session, scope="function")]


@router.get("/frameworks", response_model=list[FrameworkPublic], summary="評価指標の体系の一覧")
async def list_frameworks(session: Session) -> list[FrameworkPublic]:
    rows = (await session.exec(select(Framework).order_by(Framework.grant_fy, Framework.id))).all()
    return [FrameworkPublic.model_validate(r, from_attributes=True) for r in rows]
