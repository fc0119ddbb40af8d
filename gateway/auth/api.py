"""JSON: who am I, and the admin's users and API tokens (/api/v1/admin/...)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from sqlmodel.ext.asyncio.session import AsyncSession

from gateway.auth import service
from gateway.auth.deps import AdminActor, CurrentActor
from gateway.auth.schemas import (
    TokenCreate,
    TokenCreated,
    TokenPublic,
    UserCreate,
    UserPublic,
    UserUpdate,
)
from services.common.actor import Actor
from services.common.db import get_session

router = APIRouter()
Session = Annotated[AsyncSession, Depends(get_session, scope="function")]

ADMIN_RESPONSES = {
    401: {"description": "ログインしていないか、API トークンが無効です (problem+json)"},
    403: {"description": "管理者だけが使えます (problem+json)"},
}


@router.get("/me", response_model=Actor, tags=["利用者"], summary="いま操作している利用者")
async def me(actor: CurrentActor) -> Actor:
    return actor


@router.get(
    "/admin/users",
    response_model=list[UserPublic],
    tags=["管理"],
    summary="利用者の一覧",
    responses=ADMIN_RESPONSES,
)
async def list_users(session: Session, _: AdminActor) -> list[UserPublic]:
    return [service.to_public(u) for u in await service.list_users(session)]


@router.post(
    "/admin/users",
    response_model=UserPublic,
    status_code=201,
    tags=["管理"],
    summary="利用者を追加",
    responses={**ADMIN_RESPONSES, 409: {"description": "ログインIDが既に使われています"}},
)
async def create_user(
    request: Request, body: UserCreate, session: Session, actor: AdminActor
) -> UserPublic:
    user = await service.create_user(
        session,
        data=body,
        passwords=request.app.state.passwords,
        settings=request.app.state.settings,
        by=actor.label,
    )
    return service.to_public(user)


@router.patch(
    "/admin/users/{user_id}",
    response_model=UserPublic,
    tags=["管理"],
    summary="利用者を変更 (無効化・パスワード再設定を含む)",
    responses={**ADMIN_RESPONSES, 404: {}, 409: {"description": "版が古い"}},
)
async def update_user(
    request: Request, user_id: int, body: UserUpdate, session: Session, actor: AdminActor
) -> UserPublic:
    user = await service.update_user(
        session,
        user_id,
        data=body,
        passwords=request.app.state.passwords,
        settings=request.app.state.settings,
        by=actor.label,
        now=request.app.state.clock.now(),
    )
    return service.to_public(user)


@router.get(
    "/admin/tokens",
    response_model=list[TokenPublic],
    tags=["管理"],
    summary="API トークンの一覧 (秘密の値は含みません)",
    responses=ADMIN_RESPONSES,
)
async def list_tokens(request: Request, session: Session, _: AdminActor) -> list[TokenPublic]:
    now = request.app.state.clock.now()
    return [service.token_public(t, u, now) for t, u in await service.list_tokens(session)]


@router.post(
    "/admin/tokens",
    response_model=TokenCreated,
    status_code=201,
    tags=["管理"],
    summary="API トークンを発行 (値はこの応答でだけ表示)",
    responses=ADMIN_RESPONSES,
)
async def create_token(
    request: Request, body: TokenCreate, session: Session, actor: AdminActor
) -> TokenCreated:
    settings = request.app.state.settings
    now = request.app.state.clock.now()
    raw, token, user = await service.create_token(
        session,
        name=body.name,
        user_id=body.user_id,
        expires_in_days=body.expires_in_days or settings.api_token_default_days,
        by=actor.label,
        now=now,
    )
    return TokenCreated(**service.token_public(token, user, now).model_dump(), token=raw)


@router.post(
    "/admin/tokens/{token_id}/revoke",
    response_model=TokenPublic,
    tags=["管理"],
    summary="API トークンを失効させる",
    responses={**ADMIN_RESPONSES, 404: {}},
)
async def revoke_token(
    request: Request, token_id: int, session: Session, actor: AdminActor
) -> TokenPublic:
    now = request.app.state.clock.now()
    token, user = await service.revoke_token(session, token_id, by=actor.label, now=now)
    return service.token_public(token, user, now)
