"""The frameworks shipped as data files (services/indicators/data/), loaded on first start."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from fastapi import FastAPI
from sqlalchemy.exc import IntegrityError
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.common.actor import Actor, Role
from services.common.errors import Conflict
from services.indicators.frameworks.models import Framework
from services.indicators.frameworks.schemas import FrameworkDoc
from services.indicators.frameworks.service import create_framework

log = logging.getLogger("banso.indicators")
DATA_DIR = Path(__file__).parent / "data" / "frameworks"
SYSTEM = Actor(id="system", name="初期データ", role=Role.admin)


def shipped_documents() -> list[FrameworkDoc]:
    return [
        FrameworkDoc.model_validate_json(p.read_text(encoding="utf-8"))
        for p in sorted(DATA_DIR.glob("*.json"))
    ]


async def load_shipped(
    session: AsyncSession,
    *,
    actor: Actor = SYSTEM,
    only: Callable[[FrameworkDoc], bool] | None = None,
) -> list[str]:
    """Create the shipped frameworks, budgets and rules that are not there yet (idempotent;
    a concurrent start that created one first is tolerated via a savepoint). Returns what
    was created."""
    from services.indicators.allocation import reference
    from services.indicators.scores import deduction

    created: list[str] = []
    try:
        async with session.begin_nested():
            created += await reference.load_shipped(session, actor=actor)
            created += await deduction.load_shipped_rules(session)
    except IntegrityError:  # another replica loaded them meanwhile
        pass
    for doc in shipped_documents():
        if only is not None and not only(doc):
            continue
        exists = (
            await session.exec(
                select(Framework.id).where(
                    Framework.grant == doc.grant,
                    Framework.level == doc.level,
                    Framework.grant_fy == doc.grant_fy,
                )
            )
        ).first()
        if exists is not None:
            continue
        try:
            async with session.begin_nested():
                fw = await create_framework(session, doc, actor=actor)
                await deduction.refresh(session, fw)
            created.append(doc.code)
        except (IntegrityError, Conflict):  # another replica created it meanwhile
            continue
    return created


async def on_startup(app: FastAPI) -> None:
    """Lifespan hook: load the shipped frameworks once; never stop the app from starting
    (an unmigrated database is reported by /readyz, not here)."""
    try:
        async with app.state.db.session(write=True) as session:
            created = await load_shipped(session)
            await session.commit()
        if created:
            log.info("shipped frameworks loaded: %s", ", ".join(created))
    except Exception as exc:
        log.warning("shipped frameworks not loaded: %s", exc)
