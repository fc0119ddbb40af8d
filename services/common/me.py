"""GET /api/v1/me: who the service thinks is acting (for scripts and operations)."""

from typing import Annotated

from fastapi import APIRouter, Depends

from services.common.actor import Actor, get_actor

router = APIRouter(tags=["運用"])


@router.get("/me", response_model=Actor, summary="トークンの利用者")
async def me(actor: Annotated[Actor, Depends(get_actor)]) -> Actor:
    return actor
