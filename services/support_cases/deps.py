"""Dependencies the routes of this service share."""

from datetime import date
from typing import Annotated

from fastapi import Depends
from sqlmodel.ext.asyncio.session import AsyncSession

from services.common import clock
from services.common.actor import Actor, get_actor
from services.common.db import get_session

Session = Annotated[AsyncSession, Depends(get_session, scope="function")]
CurrentActor = Annotated[Actor, Depends(get_actor)]


def today_jst() -> date:
    """Today in Japan: application windows are Japanese calendar days."""
    return clock.today()
