"""Client of the training service."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from gateway.clients.base import ServiceClient
from services.common.actor import Actor


class ProgramSummary(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: int
    name: str
    kind: str
    fiscal_year: int
    region: str = "全域"


class TrainingClient(ServiceClient):
    service = "training"

    async def programs(
        self, *, fiscal_year: int | None = None, actor: Actor | None = None
    ) -> list[ProgramSummary]:
        params = {"fiscal_year": fiscal_year} if fiscal_year is not None else None
        data = await self.get_json("/api/v1/programs", params=params, actor=actor)
        return [ProgramSummary.model_validate(x) for x in data]
