"""Dependencies shared by the training routes."""

from typing import Annotated

from fastapi import Depends
from sqlmodel.ext.asyncio.session import AsyncSession

from services.common.access import staff_only
from services.common.actor import Actor, get_actor
from services.common.db import get_session

Session = Annotated[AsyncSession, Depends(get_session, scope="function")]
CurrentActor = Annotated[Actor, Depends(get_actor)]
Staff = Annotated[Actor, Depends(staff_only)]
