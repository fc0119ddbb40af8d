"""Client of the indicators service."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from gateway.clients.base import ServiceClient
from services.common.actor import Actor


class FrameworkSummary(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: int
    code: str
    name: str
    grant: str
    level: str
    grant_fy: int
    evaluation_fy: int
    max_points: float = 0


class IndicatorsClient(ServiceClient):
    service = "indicators"

    async def frameworks(self, *, actor: Actor | None = None) -> list[FrameworkSummary]:
        data = await self.get_json("/api/v1/frameworks", actor=actor)
        return [FrameworkSummary.model_validate(x) for x in data]
