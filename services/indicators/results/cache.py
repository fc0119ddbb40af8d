"""Answers of the result readers cached in process memory in front of the stored read models,
correct with any number of processes: each entry remembers the write generation it was made at
(``results_generation``, replaced in the transaction of every refresh of the read models,
readmodels.bump), and a request serves it only when a one-row read of the database says the
generation is unchanged. A read right after a write, in any process, therefore reads the
stored rows again.

The key is the path and the query: result answers are published figures, the same for every
role, and nothing in them changes with the date."""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import Request, Response
from pydantic import TypeAdapter
from sqlalchemy import select

from services.indicators.results.models import ResultsGeneration

GEN = ResultsGeneration.__table__  # type: ignore[attr-defined]
MAX_ENTRIES = 256
_entries: OrderedDict[tuple[str, str], tuple[int, bytes]] = OrderedDict()
_adapters: dict[Any, TypeAdapter[Any]] = {}
_computing: dict[tuple[str, str], asyncio.Lock] = {}


async def generation(db: Any) -> int | None:
    """The write generation, read on its own connection outside the request's transaction
    (a hit never opens the request's session). Read before the figures, so an answer is never
    older than the generation it is cached at."""
    async with db.engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
        return (await conn.execute(select(GEN.c.generation))).scalar_one_or_none()


def _dump(model: Any, data: Any) -> bytes:
    adapter = _adapters.get(model)
    if adapter is None:
        adapter = _adapters[model] = TypeAdapter(model)
    return adapter.dump_json(adapter.validate_python(data), exclude_unset=True)


async def answer(request: Request, model: Any, produce: Callable[[], Awaitable[Any]]) -> Response:
    """The JSON answer of ``produce()`` as ``model`` serialises it (keys the answer does not
    carry left out), from the cache while the write generation is unchanged."""
    gen = await generation(request.app.state.db)
    if gen is None:  # nothing refreshed yet (an emptied database): answer without caching
        return Response(_dump(model, await produce()), media_type="application/json")
    key = (request.url.path, request.url.query)
    hit = _entries.get(key)
    if hit is not None and hit[0] == gen:
        _entries.move_to_end(key)
        return Response(hit[1], media_type="application/json")
    # One computation per key at a time: twenty requests that miss together (a cold start,
    # the first reads after an import) wait for the first one's answer instead of each
    # computing it (hundreds of ms apiece, past the gateway's deadline).
    lock = _computing.setdefault(key, asyncio.Lock())
    try:
        async with lock:
            hit = _entries.get(key)
            if hit is not None and hit[0] == gen:
                _entries.move_to_end(key)
                return Response(hit[1], media_type="application/json")
            body = _dump(model, await produce())
            _entries[key] = (gen, body)
            _entries.move_to_end(key)
            while len(_entries) > MAX_ENTRIES:
                _entries.popitem(last=False)
            return Response(body, media_type="application/json")
    finally:
        if not lock.locked() and _computing.get(key) is lock:
            del _computing[key]


def clear() -> None:
    _entries.clear()
    _computing.clear()
