"""Peer group set endpoints: the built-in sets and user-defined ones."""

from typing import Annotated

from fastapi import APIRouter, Depends
from sqlmodel.ext.asyncio.session import AsyncSession

from services.common.access import staff_only
from services.common.actor import Actor
from services.common.db import get_session
from services.indicators.peers import service, types
from services.indicators.peers.schemas import (
    PeerSetIn,
    PeerSetOut,
    PeerSets,
    PeerTypeIn,
    PeerTypeOut,
    PeerTypesOut,
)

router = APIRouter(tags=["結果・比較"])
Session = Annotated[AsyncSession, Depends(get_session, scope="function")]
Staff = Annotated[Actor, Depends(staff_only)]


@router.get(
    "/peer-sets", response_model=PeerSets, summary="比較グループ集合の一覧 (組み込み + 登録済み)"
)
async def list_peer_sets(session: Session) -> object:
    return await service.list_sets(session)


@router.post(
    "/peer-sets", status_code=201, response_model=PeerSetOut, summary="比較グループ集合を登録"
)
async def create_peer_set(body: PeerSetIn, session: Session, actor: Staff) -> object:
    return await service.create_set(session, body, actor)


@router.put(
    "/peer-sets/{peer_set_id}",
    response_model=PeerSetOut,
    summary="比較グループ集合を更新 (version 必須)",
)
async def update_peer_set(
    peer_set_id: int, body: PeerSetIn, session: Session, actor: Staff
) -> object:
    return await service.update_set(session, peer_set_id, body, actor)


@router.get(
    "/peer-types",
    response_model=PeerTypesOut,
    summary="区市町村の類型 (大都市型・都市型・離島・中山間型): 既定と都の設定",
)
async def list_peer_types(session: Session) -> object:
    return await types.list_types(session)


@router.put(
    "/peer-types/{entity_code}",
    response_model=PeerTypeOut,
    summary="区市町村の類型を設定 (null で既定に戻す。version 必須)。"
    "地域分析の類型平均と結果の類型グループはこの書き込みで再計算",
)
async def put_peer_type(
    entity_code: str, body: PeerTypeIn, session: Session, actor: Staff
) -> object:
    return await types.set_type(session, entity_code, body.peer_type, body.version, actor=actor)
