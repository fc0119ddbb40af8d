"""Client of the support_cases service: one small method per call the gateway makes."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from gateway.clients.base import ServiceClient, ServiceRejected
from services.common.actor import Actor


class RoundSummary(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: int
    fiscal_year: int
    theme_policy: str = "open"


class SupportCasesClient(ServiceClient):
    service = "support_cases"

    async def rounds(self, *, actor: Actor | None = None) -> list[RoundSummary]:
        data = await self.get_json("/api/v1/rounds", actor=actor)
        return [RoundSummary.model_validate(x) for x in data]

    async def round(self, fiscal_year: int, *, actor: Actor | None = None) -> dict[str, Any] | None:
        """The round of a fiscal year, or None when there is none."""
        try:
            return await self.get_json(f"/api/v1/rounds/{fiscal_year}", actor=actor)
        except ServiceRejected as exc:
            if exc.status == 404:
                return None
            raise

    async def round_summary(
        self, fiscal_year: int, *, actor: Actor | None = None
    ) -> dict[str, Any] | None:
        try:
            return await self.get_json(f"/api/v1/rounds/{fiscal_year}/summary", actor=actor)
        except ServiceRejected as exc:
            if exc.status == 404:
                return None
            raise

    async def cases(self, *, actor: Actor | None = None, **filters: Any) -> list[dict[str, Any]]:
        """Case summaries (status, advisors, next visit, roadmap progress) by filter."""
        params = {k: v for k, v in filters.items() if v is not None} or None
        return await self.get_json("/api/v1/cases", params=params, actor=actor)

    async def applications(
        self, *, actor: Actor | None = None, **filters: Any
    ) -> list[dict[str, Any]]:
        params = {k: v for k, v in filters.items() if v is not None} or None
        return await self.get_json("/api/v1/applications", params=params, actor=actor)
