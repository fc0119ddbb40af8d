"""Combining service answers (every view uses it): independent calls run concurrently; a
part whose service is down or slow is left out and named in ``unavailable`` (or, with
``complete=true``, 503)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

from gateway.actions import as_app_error
from gateway.clients.base import ServiceError, ServiceRejected
from services.common.errors import ServiceUnavailable


class Parts:
    """Results of named calls, and the services that could not answer."""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {}
        self.unavailable: list[str] = []
        self.errors: dict[str, str] = {}

    def get(self, name: str, default: Any = None) -> Any:
        return self.values.get(name, default)

    def __contains__(self, name: str) -> bool:
        return name in self.values


async def gather(calls: dict[str, tuple[str, Awaitable[Any]]]) -> Parts:
    """Run ``{part: (service, awaitable)}`` concurrently. A ServiceError marks the service
    unavailable; a 4xx from a service (the caller's mistake) is re-raised as it is."""
    names = list(calls)
    results = await asyncio.gather(*(calls[n][1] for n in names), return_exceptions=True)
    parts = Parts()
    for name, result in zip(names, results, strict=True):
        service = calls[name][0]
        if isinstance(result, ServiceRejected):
            raise as_app_error(result)
        if isinstance(result, ServiceError):
            if service not in parts.unavailable:
                parts.unavailable.append(service)
            parts.errors[service] = result.detail
            continue
        if isinstance(result, BaseException):
            raise result
        parts.values[name] = result
    parts.unavailable.sort()
    return parts


def require_complete(parts: Parts, complete: bool) -> None:
    """With ``?complete=true`` a caller that needs everything gets 503 naming what is missing."""
    if complete and parts.unavailable:
        raise ServiceUnavailable(
            "次のサービスが応答しないため、完全な結果を返せません: " + ", ".join(parts.unavailable),
            unavailable=parts.unavailable,
            errors=[
                {"loc": ["service", s], "msg": parts.errors.get(s, "")} for s in parts.unavailable
            ],
        )
