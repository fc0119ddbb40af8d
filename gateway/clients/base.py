"""What every service client shares: the actor token, the request ID, timeouts, errors."""

from __future__ import annotations

import time
from typing import Any

import httpx

from services.common.actor import SYSTEM_COORDINATOR, Actor, mint_token
from services.common.observability import REQUEST_ID_HEADER, current_request_id


class ServiceError(Exception):
    """A service could not answer (down, slow, or an unexpected status)."""

    def __init__(self, service: str, detail: str, *, status: int | None = None) -> None:
        super().__init__(f"{service}: {detail}")
        self.service = service
        self.detail = detail
        self.status = status


class TokenSigner:
    """Mints actor tokens for service calls, reusing one until half its life is gone."""

    def __init__(self, secret: str, ttl_seconds: int) -> None:
        self.secret = secret
        self.ttl = ttl_seconds
        self._cache: dict[tuple[str, str, str | None], tuple[float, str]] = {}

    def token_for(self, actor: Actor) -> str:
        key = (actor.id, actor.role.value, actor.municipality_code)
        now = time.time()
        hit = self._cache.get(key)
        if hit and hit[0] > now:
            return hit[1]
        token = mint_token(self.secret, actor, ttl_seconds=self.ttl, now=now)
        self._cache[key] = (now + self.ttl / 2, token)
        return token


class ServiceClient:
    """Base for the per-service clients. One shared ``httpx.AsyncClient`` per service."""

    service: str = ""

    def __init__(self, http: httpx.AsyncClient, signer: TokenSigner) -> None:
        self.http = http
        self.signer = signer

    def _headers(self, actor: Actor | None) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self.signer.token_for(actor or SYSTEM_COORDINATOR)}"}
        rid = current_request_id()
        if rid:
            headers[REQUEST_ID_HEADER] = rid
        return headers

    async def request(
        self,
        method: str,
        path: str,
        *,
        actor: Actor | None = None,
        params: dict[str, Any] | None = None,
        json: Any = None,
        expect: tuple[int, ...] = (200,),
    ) -> httpx.Response:
        try:
            resp = await self.http.request(
                method, path, params=params, json=json, headers=self._headers(actor)
            )
        except httpx.TimeoutException as exc:
            raise ServiceError(self.service, "応答がありません (タイムアウト)") from exc
        except httpx.TransportError as exc:
            raise ServiceError(self.service, f"接続できません ({exc.__class__.__name__})") from exc
        if resp.status_code not in expect:
            raise ServiceError(
                self.service, f"想定外の応答 {resp.status_code}", status=resp.status_code
            )
        return resp

    async def get_json(self, path: str, **kw: Any) -> Any:
        return (await self.request("GET", path, **kw)).json()

    async def readiness(self) -> dict[str, Any]:
        """The service's /readyz body, or why it could not be read."""
        try:
            resp = await self.http.get("/readyz", headers=self._headers(None))
        except httpx.TimeoutException:
            return {"ok": False, "detail": "応答がありません (タイムアウト)"}
        except httpx.TransportError as exc:
            return {"ok": False, "detail": f"接続できません ({exc.__class__.__name__})"}
        try:
            body = resp.json()
        except ValueError:
            body = {}
        if resp.status_code != 200:
            return {"ok": False, "detail": f"準備ができていません ({resp.status_code})", **body}
        return {"ok": True, **body}
