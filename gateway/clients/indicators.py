"""Client of the indicators service: one small method per call the gateway makes."""

from __future__ import annotations

from typing import Any

import httpx
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

    async def frameworks(
        self, *, actor: Actor | None = None, **filters: Any
    ) -> list[FrameworkSummary]:
        params = {k: v for k, v in filters.items() if v is not None} or None
        data = await self.get_json("/api/v1/frameworks", params=params, actor=actor)
        return [FrameworkSummary.model_validate(x) for x in data]

    async def framework(self, framework_id: int, *, actor: Actor | None = None) -> dict[str, Any]:
        return await self.get_json(f"/api/v1/frameworks/{framework_id}", actor=actor)

    async def latest_results(
        self,
        *,
        prefecture: str,
        level: str = "municipality",
        entity_code: str | None = None,
        peer_set: str = "region_class",
        actor: Actor | None = None,
    ) -> list[dict[str, Any]]:
        """For each grant, the newest framework of ``level`` with scores, and its results."""
        params: dict[str, Any] = {"level": level, "prefecture": prefecture, "peer_set": peer_set}
        if entity_code:
            params["entity_code"] = entity_code
        return await self.get_json("/api/v1/results/latest", params=params, actor=actor)

    async def results(
        self, framework_id: int, *, actor: Actor | None = None, **params: Any
    ) -> dict[str, Any]:
        params = {k: v for k, v in params.items() if v is not None}
        return await self.get_json(
            f"/api/v1/frameworks/{framework_id}/results", params=params, actor=actor
        )

    async def averages(
        self, framework_id: int, *, prefecture: str, group_set: str, actor: Actor | None = None
    ) -> dict[str, Any]:
        return await self.get_json(
            f"/api/v1/frameworks/{framework_id}/averages",
            params={"prefecture": prefecture, "group_set": group_set},
            actor=actor,
        )

    async def recover(
        self,
        framework_id: int,
        entity_code: str,
        *,
        group_set: str = "region_class",
        actor: Actor | None = None,
    ) -> dict[str, Any]:
        return await self.get_json(
            f"/api/v1/frameworks/{framework_id}/recover",
            params={"entity_code": entity_code, "group_set": group_set},
            actor=actor,
        )

    async def compare(
        self,
        framework_id: int,
        *,
        previous_id: int | None = None,
        prefecture: str | None = None,
        item_codes: list[str] | None = None,
        actor: Actor | None = None,
    ) -> dict[str, Any]:
        params = {
            "previous_id": previous_id,
            "prefecture": prefecture,
            "item_codes": ",".join(item_codes) if item_codes else None,
        }
        return await self.get_json(
            f"/api/v1/frameworks/{framework_id}/compare",
            params={k: v for k, v in params.items() if v is not None},
            actor=actor,
        )

    async def allocation(
        self, framework_id: int, body: dict[str, Any], *, actor: Actor | None = None
    ) -> dict[str, Any]:
        resp = await self.request(
            "POST", f"/api/v1/frameworks/{framework_id}/allocation", json=body, actor=actor
        )
        return resp.json()

    async def pdca_sheets(
        self, *, entity_code: str | None = None, actor: Actor | None = None
    ) -> list[dict[str, Any]]:
        params = {"entity_code": entity_code} if entity_code else None
        data = await self.get_json("/api/v1/pdca/sheets", params=params, actor=actor)
        return data["data"] if isinstance(data, dict) and "data" in data else data

    async def pdca_sheet(self, sheet_id: int, *, actor: Actor | None = None) -> dict[str, Any]:
        return await self.get_json(f"/api/v1/pdca/sheets/{sheet_id}", actor=actor)

    async def pdca_progress(
        self, sheet_id: int, metrics: dict[str, float], *, actor: Actor | None = None
    ) -> dict[str, Any]:
        resp = await self.request(
            "POST",
            f"/api/v1/pdca/sheets/{sheet_id}/progress",
            json={"metrics": metrics},
            actor=actor,
        )
        return resp.json()

    # --- used by the indicators and PDCA pages -------------------------------------------

    async def peer_sets(self, *, actor: Actor | None = None) -> dict[str, Any]:
        """Built-in group sets, the size bands' labels and user-defined sets."""
        return await self.get_json("/api/v1/peer-sets", actor=actor)

    async def import_scores(
        self,
        framework_id: int,
        filename: str,
        content: bytes,
        content_type: str,
        *,
        actor: Actor | None = None,
    ) -> dict[str, Any]:
        """Forward an uploaded score file (multipart ``file``); 422 lists every bad row."""
        resp = await self.request(
            "POST",
            f"/api/v1/frameworks/{framework_id}/scores/import",
            files={"file": (filename, content, content_type or "application/octet-stream")},
            actor=actor,
        )
        return resp.json()

    async def scores(
        self, framework_id: int, *, entity_code: str | None = None, actor: Actor | None = None
    ) -> list[dict[str, Any]]:
        params = {"entity_code": entity_code} if entity_code else None
        return await self.get_json(
            f"/api/v1/frameworks/{framework_id}/scores", params=params, actor=actor
        )

    async def update_pdca_sheet(
        self, sheet_id: int, body: dict[str, Any], *, actor: Actor | None = None
    ) -> dict[str, Any]:
        """PUT the whole sheet with its ``version``; a stale version is a 409 (ServiceRejected)."""
        resp = await self.request("PUT", f"/api/v1/pdca/sheets/{sheet_id}", json=body, actor=actor)
        return resp.json()

    async def framework_export(
        self, framework_id: int, format: str, *, actor: Actor | None = None
    ) -> httpx.Response:
        """The framework as a file (csv/xlsx), opened for streaming."""
        path = f"/api/v1/frameworks/{framework_id}/export"
        return await self.open_stream(path, params={"format": format}, actor=actor)

    async def results_export(
        self, framework_id: int, params: dict[str, Any], *, actor: Actor | None = None
    ) -> httpx.Response:
        path = f"/api/v1/frameworks/{framework_id}/results/export"
        return await self.open_stream(path, params=params, actor=actor)

    async def pdca_export(self, sheet_id: int, *, actor: Actor | None = None) -> httpx.Response:
        path = f"/api/v1/pdca/sheets/{sheet_id}/export.xlsx"
        return await self.open_stream(path, actor=actor)


def results_query(framework_id: int, prefecture: str) -> str:
    """The query behind a results figure, as evidence sources name it."""
    return f"GET /api/v1/frameworks/{framework_id}/results?prefecture={prefecture}"
