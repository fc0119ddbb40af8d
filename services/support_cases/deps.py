"""Dependencies the routes of this service share."""

from datetime import UTC, date, datetime, timedelta, timezone
from typing import Annotated

from fastapi import Depends
from sqlmodel.ext.asyncio.session import AsyncSession

from services.common.actor import Actor, get_actor
from services.common.db import get_session

Session = Annotated[AsyncSession, Depends(get_session, scope="function")]
CurrentActor = Annotated[Actor, Depends(get_actor)]

JST = timezone(timedelta(hours=9))


def today_jst() -> date:
    """Today in Japan: application windows are Japanese calendar days."""
    return datetime.now(UTC).astimezone(JST).date()
