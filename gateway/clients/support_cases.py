"""Client of the support_cases service."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from gateway.clients.base import ServiceClient
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
