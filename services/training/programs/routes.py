"""Program endpoints."""

from typing import Annotated

from fastapi import APIRouter, Depends
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.common.db import get_session
from services.training.programs.models import Program, ProgramPublic

router = APIRouter(tags=["研修"])
Session = Annotated[AsyncSession, Depends(get_session, scope="function")]


@router.get("/programs", response_model=list[ProgramPublic], summary="研修の一覧")
async def list_programs(session: Session, fiscal_year: int | None = None) -> list[Program]:
    query = select(Program).order_by(Program.fiscal_year, Program.id)
    if fiscal_year is not None:
        query = query.where(Program.fiscal_year == fiscal_year)
    return list((await session.exec(query)).all())
