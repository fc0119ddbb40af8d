"""A municipality's peer type (類型) as the prefecture sets it, in place of the registry's
default. Compute on write: the change reaches the regional analysis's peer means (and the
results' peer_type groups) in the transaction of the write, not at the next value write."""

from __future__ import annotations

import re
from typing import Any

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.common.actor import Actor
from services.common.errors import Conflict, Invalid, NotFound
from services.common.models import get_for_update, stamp_created, stamp_updated
from services.common.registry import PEER_TYPES, CodeError, Municipality, get_registry
from services.indicators.peers.models import PeerTypeOverride
from services.indicators.regional.service import peer_types, reassign_peer_group
from services.indicators.results import readmodels


def _home_municipality(code: str) -> Municipality:
    reg = get_registry()
    if not re.fullmatch(r"\d{6}", code):
        raise Invalid(
            f"団体コードは6桁の数字です ({code!r})",
            errors=[{"loc": ["path", "entity_code"], "msg": "6桁の団体コードを指定してください"}],
        )
    try:
        m = reg.require_entity(code)
    except CodeError as exc:
        raise NotFound(str(exc)) from exc
    if not isinstance(m, Municipality):
        raise NotFound(f"{code} は区市町村ではありません")
    if m.prefecture != reg.home_prefecture:
        raise Invalid(
            f"類型は{reg.prefecture(reg.home_prefecture).name}の区市町村にだけあります ({m.full_name})",  # type: ignore[union-attr]
            errors=[{"loc": ["path", "entity_code"], "msg": "類型のない団体です"}],
        )
    return m


def _out(m: Municipality, row: PeerTypeOverride | None, effective: str | None) -> dict[str, Any]:
    return {
        "entity_code": m.code,
        "name": m.name,
        "peer_type": effective,
        "default_peer_type": m.peer_type,
        "overridden": effective != m.peer_type,
        "version": row.version if row else 0,
    }


async def list_types(session: AsyncSession) -> dict[str, Any]:
    """The home prefecture's municipalities with their peer type, default and setting."""
    reg = get_registry()
    ms = sorted(reg.in_prefecture(reg.home_prefecture), key=lambda m: m.code)
    rows = {r.entity_code: r for r in (await session.exec(select(PeerTypeOverride))).all()}
    types = await peer_types(session, ms)
    data = [_out(m, rows.get(m.code), types[m.code]) for m in ms]
    return {"data": data, "count": len(data)}


async def set_type(
    session: AsyncSession, code: str, peer_type: str | None, version: int, *, actor: Actor
) -> dict[str, Any]:
    """Set (or, with null, reset to the default) a municipality's peer type; its regional
    values move to the new peer group and the peer means are recomputed in this write."""
    m = _home_municipality(code)
    if peer_type is not None and peer_type not in PEER_TYPES:
        raise Invalid(
            f"類型は {'・'.join(PEER_TYPES)} のいずれかです (null で既定に戻します)",
            errors=[{"loc": ["body", "peer_type"], "msg": f"{peer_type!r} は類型にありません"}],
        )
    row = await get_for_update(session, PeerTypeOverride, m.code)
    current = row.version if row else 0
    if version != current:
        raise Conflict(
            f"{m.name}の類型は、読み込んだ後に変更されています (版 {current}、送られた版 {version})"
        )
    if row is None:
        row = PeerTypeOverride(entity_code=m.code, peer_type=peer_type)
        stamp_created(row, actor)
    else:
        row.peer_type = peer_type
        stamp_updated(row, actor)  # the version counts on
    session.add(row)
    await session.flush()
    effective = peer_type or m.peer_type
    refreshed = await reassign_peer_group(session, m.code, effective)
    readmodels.mark(session, every=True)  # the results' peer_type groups follow too
    return {**_out(m, row, effective), "refreshed": refreshed}
