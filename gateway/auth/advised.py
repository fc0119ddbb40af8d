"""An advisor's advised municipalities: the municipality codes of the support cases they are
assigned to, read from support_cases (GET /api/v1/advised-municipalities) and put on the
actor (``Actor.advised``), which the service clients sign into every service token. Training
then shows an advisor the e-mail addresses of those municipalities' participants only.

One call per advisor per ``GATEWAY_ADVISED_CACHE_SECONDS`` (default 45 s), kept in the
gateway process. When support_cases cannot answer, the advisor acts without the claim (no
contact data anywhere, nothing else changes) and the next request asks again.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from gateway.clients.base import ServiceError
from services.common.actor import MAX_ADVISED, Actor, Role

log = logging.getLogger(__name__)

_MAX_ENTRIES = 10_000


class AdvisedCache:
    def __init__(self, ttl_seconds: float) -> None:
        self.ttl = ttl_seconds
        self._cache: dict[str, tuple[float, tuple[str, ...]]] = {}

    def forget(self, actor_id: str | None = None) -> None:
        """Drop one advisor's entry (all of them without an id)."""
        if actor_id is None:
            self._cache.clear()
        else:
            self._cache.pop(actor_id, None)

    async def codes(self, services: Any, actor: Actor) -> tuple[str, ...] | None:
        """The advisor's advised municipality codes (sorted), or None when support_cases could
        not say."""
        now = time.monotonic()
        hit = self._cache.get(actor.id)
        if hit and hit[0] > now:
            return hit[1]
        try:
            data = await services.support_cases.advised_municipalities(actor=actor)
        except ServiceError as exc:
            log.warning("advised municipalities of %s unavailable: %s", actor.id, exc.detail)
            return None
        codes = tuple(sorted(set(data.get("municipality_codes") or [])))
        if len(codes) > MAX_ADVISED:
            log.warning("advisor %s has %d advised municipalities", actor.id, len(codes))
            codes = codes[:MAX_ADVISED]
        if self.ttl > 0:
            if len(self._cache) > _MAX_ENTRIES:
                self._cache.clear()
            self._cache[actor.id] = (now + self.ttl, codes)
        return codes


def cache_of(app: Any) -> AdvisedCache:
    cache = getattr(app.state, "advised", None)
    if cache is None:
        cache = app.state.advised = AdvisedCache(app.state.settings.advised_cache_seconds)
    return cache


async def with_advised(app: Any, actor: Actor) -> Actor:
    """``actor`` with its advised municipalities when it is an advisor (else unchanged)."""
    if actor.role != Role.advisor:
        return actor
    codes = await cache_of(app).codes(app.state.services, actor)
    if not codes:
        return actor
    return Actor.model_validate({**actor.model_dump(), "advised": codes})
