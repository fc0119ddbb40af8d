"""User-defined peer group sets (each entity in exactly one group of a set). A change marks
every framework's results for refresh (group ranks and averages follow the sets)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.common.actor import Actor
from services.common.errors import Conflict, Invalid, NotFound
from services.common.models import check_version, get_for_update, stamp_created, stamp_updated
from services.common.registry import CodeError, get_registry
from services.indicators.peers.models import PeerMember, PeerSet
from services.indicators.peers.schemas import PeerSetIn
from services.indicators.results import readmodels
from services.indicators.results.grouping import BUILTIN_SETS, SIZE_BANDS


def check_members(members: dict[str, str]) -> None:
    reg = get_registry()
    errors = []
    for code, g in members.items():
        try:
            reg.require_entity(code)
        except CodeError as exc:
            errors.append({"loc": ["members", code], "msg": str(exc)})
        if not g.strip():
            errors.append({"loc": ["members", code], "msg": "グループ名を入力してください"})
    if errors:
        raise Invalid("比較グループの内容に誤りがあります", errors=errors)


async def peer_out(session: AsyncSession, ps: PeerSet) -> dict[str, Any]:
    members = (await session.exec(select(PeerMember).where(PeerMember.peer_set_id == ps.id))).all()
    return {
        "id": ps.id,
        "name": ps.name,
        "description": ps.description,
        "version": ps.version,
        "members": {m.entity_code: m.group_name for m in members},
    }


async def list_sets(session: AsyncSession) -> dict[str, Any]:
    rows = (await session.exec(select(PeerSet).order_by(PeerSet.name))).all()
    return {
        "builtin": list(BUILTIN_SETS),
        "size_bands": [label for _, label in SIZE_BANDS],
        "user": [await peer_out(session, r) for r in rows],
    }


async def create_set(session: AsyncSession, body: PeerSetIn, actor: Actor) -> dict[str, Any]:
    if body.name in BUILTIN_SETS:
        raise Conflict(f"{body.name} は組み込みの集合名です")
    check_members(body.members)
    if (await session.exec(select(PeerSet).where(PeerSet.name == body.name))).first():
        raise Conflict(f"比較グループ {body.name} は既にあります")
    ps = PeerSet(name=body.name, description=body.description)
    stamp_created(ps, actor)
    session.add(ps)
    await session.flush()
    session.add_all(
        PeerMember(peer_set_id=ps.id, entity_code=c, group_name=g.strip())
        for c, g in body.members.items()
    )
    await session.flush()
    readmodels.mark(session, peers=True)
    return await peer_out(session, ps)


async def update_set(
    session: AsyncSession, peer_set_id: int, body: PeerSetIn, actor: Actor
) -> dict[str, Any]:
    ps = await get_for_update(session, PeerSet, peer_set_id)
    if ps is None:
        raise NotFound("比較グループが見つかりません")
    check_version(ps, body.version, what="比較グループ")
    check_members(body.members)
    ps.name, ps.description = body.name, body.description
    await (await session.connection()).execute(
        delete(PeerMember).where(PeerMember.peer_set_id == ps.id)  # type: ignore[arg-type]
    )
    session.add_all(
        PeerMember(peer_set_id=ps.id, entity_code=c, group_name=g.strip())
        for c, g in body.members.items()
    )
    stamp_updated(ps, actor)
    await session.flush()
    readmodels.mark(session, peers=True)
    return await peer_out(session, ps)
