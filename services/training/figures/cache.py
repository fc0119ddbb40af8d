"""Answers of the readers cached in process memory in front of the stored figures, correct
with any number of processes: each entry remembers the write generation it was made at
(``figures_generation``, bumped in the transaction of every write of this service), and a
request serves it only when a one-row read of the database says the generation is unchanged.
A read right after a write, in any process, therefore recomputes from the stored rows.

The key holds everything else an answer depends on: the path and query, the actor's role and
municipality (answers are scoped), and today's date in Tokyo (sessions held, overdue steps and
targets judged by the running year change at midnight without a write)."""

from __future__ import annotations

import secrets
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import Request, Response
from pydantic import BaseModel
from sqlalchemy import event, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.common import clock
from services.common.actor import Actor
from services.training.figures.models import FiguresGeneration

GEN = FiguresGeneration.__table__  # type: ignore[attr-defined]
MAX_ENTRIES = 512
_entries: OrderedDict[tuple[Any, ...], tuple[int, bytes]] = OrderedDict()


def bump(connection: Any) -> None:
    """Mark a write (in its transaction): a new random generation, not the old one plus one,
    so that a database restored from a copy never repeats a generation an answer was cached
    at with other data. The row is created when it is not there."""
    if connection.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    value = secrets.randbits(62)
    stmt = insert(GEN).values(id=1, generation=value)
    connection.execute(
        stmt.on_conflict_do_update(index_elements=["id"], set_={"generation": value})
    )


def install(db: Any) -> None:
    """Count every flush of this service's sessions as a write (programs, registrations,
    attendance, targets, surveys, 工程表, history …): the figures' refresh runs in the same
    transaction, and so does the bump."""
    session_class = db.sessionmaker.kw["sync_session_class"]

    @event.listens_for(session_class, "after_flush")
    def _bump(session: Any, _ctx: Any) -> None:
        if not session.info.get("figures_bumped"):
            bump(session.connection())
            session.info["figures_bumped"] = True

    @event.listens_for(session_class, "after_commit")
    @event.listens_for(session_class, "after_rollback")
    def _reset(session: Any) -> None:
        session.info.pop("figures_bumped", None)


async def generation(db: Any) -> int | None:
    """The write generation, read on its own connection outside the request's transaction
    (one round trip on PostgreSQL, no BEGIN/COMMIT): a hit then never opens the request's
    session. Read before the figures, so an answer is never older than the generation it is
    cached at."""
    async with db.engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
        return (await conn.execute(select(GEN.c.generation))).scalar_one_or_none()


async def answer(
    session: AsyncSession,
    request: Request,
    actor: Actor,
    model: type[BaseModel],
    produce: Callable[[], Awaitable[Any]],
) -> Response:
    """The JSON answer of ``produce()`` as ``model`` serialises it, from the cache while the
    write generation is unchanged."""
    gen = await generation(request.app.state.db)
    if gen is None:  # no write counted yet (an emptied database): answer without caching
        return Response(
            model.model_validate(await produce()).model_dump_json().encode(),
            media_type="application/json",
        )
    key = (
        request.url.path,
        request.url.query,
        actor.role.value,
        actor.municipality_code,
        clock.today(),
    )
    hit = _entries.get(key)
    if hit is not None and hit[0] == gen:
        _entries.move_to_end(key)
        return Response(hit[1], media_type="application/json")
    body = model.model_validate(await produce()).model_dump_json().encode()
    _entries[key] = (gen, body)
    _entries.move_to_end(key)
    while len(_entries) > MAX_ENTRIES:
        _entries.popitem(last=False)
    return Response(body, media_type="application/json")


def clear() -> None:
    _entries.clear()
