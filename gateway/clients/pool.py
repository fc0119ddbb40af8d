"""The gateway's service clients, made once in the lifespan and shared by every request."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import httpx

from gateway.clients.base import CircuitBreaker, ServiceClient, TokenSigner
from gateway.clients.indicators import IndicatorsClient
from gateway.clients.support_cases import SupportCasesClient
from gateway.clients.training import TrainingClient
from gateway.clients.transport import GatewayTransport
from gateway.settings import Settings


@dataclass
class Services:
    indicators: IndicatorsClient
    support_cases: SupportCasesClient
    training: TrainingClient
    _http: tuple[httpx.AsyncClient, ...] = ()

    def all(self) -> dict[str, ServiceClient]:
        return {
            "indicators": self.indicators,
            "support_cases": self.support_cases,
            "training": self.training,
        }

    async def readiness(self) -> dict[str, dict[str, Any]]:
        clients = self.all()
        results = await asyncio.gather(*(c.readiness() for c in clients.values()))
        return dict(zip(clients, results, strict=True))

    async def aclose(self) -> None:
        for http in self._http:
            await http.aclose()


def build_services(
    settings: Settings, transports: dict[str, httpx.AsyncBaseTransport] | None = None
) -> Services:
    """One AsyncClient per service; ``transports`` lets tests plug in the real service apps
    in-process (httpx.ASGITransport) instead of sockets."""
    transports = transports or {}
    signer = TokenSigner(settings.common.token_secret, settings.common.token_ttl_seconds)
    timeout = httpx.Timeout(settings.service_timeout_seconds)
    limits = httpx.Limits(max_connections=100, max_keepalive_connections=50)

    def http(name: str, base_url: str) -> httpx.AsyncClient:
        # httpx's API with aiohttp underneath: measured by bench/gateway_transport.py at about
        # a quarter of the client CPU per combined request of httpx's own transport.
        transport = transports.get(name) or GatewayTransport(limits=limits, trust_env=False)
        return httpx.AsyncClient(base_url=base_url, timeout=timeout, transport=transport)

    ind = http("indicators", settings.indicators_url)
    sup = http("support_cases", settings.support_cases_url)
    trn = http("training", settings.training_url)

    def breaker() -> CircuitBreaker:
        return CircuitBreaker(settings.circuit_failure_threshold, settings.circuit_cooldown_seconds)

    w = settings.service_write_timeout_seconds
    return Services(
        indicators=IndicatorsClient(ind, signer, breaker(), write_deadline=w),
        support_cases=SupportCasesClient(sup, signer, breaker(), write_deadline=w),
        training=TrainingClient(trn, signer, breaker(), write_deadline=w),
        _http=(ind, sup, trn),
    )
