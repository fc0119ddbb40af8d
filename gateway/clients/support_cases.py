"""Client of the support_cases service: one small method per call the gateway makes."""

from __future__ import annotations

from typing import Any, get_args

import httpx
from pydantic import BaseModel, ConfigDict

from gateway.clients.base import ServiceClient, ServiceRejected
from gateway.clients.shapes import support_cases as shapes
from services.common.actor import Actor

# The service's vocabularies, in its order, from its OpenAPI (the generated shapes): no copy.
CASE_STATUSES: tuple[str, ...] = get_args(shapes.CaseStatus)
CANCELLED = CASE_STATUSES[-1]  # 中止: the service lists it last; it is no step of the process
CASE_STEPS = CASE_STATUSES[:-1]
ITEM_STATUSES: tuple[str, ...] = get_args(shapes.ItemStatus)


class RoundSummary(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: int
    fiscal_year: int
    theme_policy: str = "open"


class RoundView(BaseModel):
    """/views/rounds/{fiscal_year}: the round, its summary, applications and cases in one
    call (``round``/``summary`` null when the year has no round)."""

    model_config = ConfigDict(extra="ignore")

    fiscal_year: int
    round: dict[str, Any] | None
    summary: dict[str, Any] | None
    applications: list[dict[str, Any]] | None
    cases: list[dict[str, Any]]


class SupportCasesClient(ServiceClient):
    service = "support_cases"

    async def rounds(self, *, actor: Actor | None = None) -> list[RoundSummary]:
        data = await self.get_json("/api/v1/rounds", actor=actor)
        return [RoundSummary.model_validate(x) for x in data]

    async def round(
        self, fiscal_year: int, *, actor: Actor | None = None
    ) -> shapes.RoundPublic | None:
        """The round of a fiscal year, or None when there is none."""
        try:
            return await self.get_json(f"/api/v1/rounds/{fiscal_year}", actor=actor)
        except ServiceRejected as exc:
            if exc.status == 404:
                return None
            raise

    async def round_summary(
        self, fiscal_year: int, *, actor: Actor | None = None
    ) -> shapes.RoundSummary | None:
        try:
            return await self.get_json(f"/api/v1/rounds/{fiscal_year}/summary", actor=actor)
        except ServiceRejected as exc:
            if exc.status == 404:
                return None
            raise

    async def round_view(self, fiscal_year: int, *, actor: Actor | None = None) -> RoundView:
        data = await self.get_json(f"/api/v1/views/rounds/{fiscal_year}", actor=actor)
        return RoundView.model_validate(data)

    async def round_summaries(
        self, *, fy_from: int, fy_to: int, actor: Actor | None = None
    ) -> dict[int, shapes.RoundSummary | None]:
        """Each fiscal year's round summary (None: no round that year), at most 11 years, in
        one call."""
        data = await self.get_json(
            "/api/v1/views/round-summaries",
            params={"fy_from": fy_from, "fy_to": fy_to},
            actor=actor,
        )
        return {y["fiscal_year"]: y["summary"] for y in data["years"]}

    async def cases(
        self, *, actor: Actor | None = None, **filters: Any
    ) -> list[shapes.CaseListItem]:
        """Case summaries (status, advisors, next visit, roadmap progress) by filter."""
        params = {k: v for k, v in filters.items() if v is not None} or None
        return await self.get_json("/api/v1/cases", params=params, actor=actor)

    async def advised_municipalities(
        self, *, actor: Actor | None = None
    ) -> shapes.AdvisedMunicipalities:
        """The acting advisor's assigned cases (all but 中止) and their municipality codes."""
        return await self.get_json("/api/v1/advised-municipalities", actor=actor)

    async def applications(
        self, *, actor: Actor | None = None, **filters: Any
    ) -> list[shapes.ApplicationPublic]:
        params = {k: v for k, v in filters.items() if v is not None} or None
        return await self.get_json("/api/v1/applications", params=params, actor=actor)

    # --- pages (伴走型支援の画面) ------------------------------------------------------------

    async def decide(
        self, application_id: int, body: shapes.ApplicationDecision, *, actor: Actor | None = None
    ) -> shapes.ApplicationPublic:
        """選定 / 見送り with the reason: ``{status, reason, version}``."""
        resp = await self.request(
            "POST", f"/api/v1/applications/{application_id}/decision", json=body, actor=actor
        )
        return resp.json()

    async def case(self, case_id: int, *, actor: Actor | None = None) -> shapes.CasePublic:
        return await self.get_json(f"/api/v1/cases/{case_id}", actor=actor)

    async def transition(
        self, case_id: int, body: shapes.TransitionRequest, *, actor: Actor | None = None
    ) -> shapes.CasePublic:
        resp = await self.request(
            "POST", f"/api/v1/cases/{case_id}/transitions", json=body, actor=actor
        )
        return resp.json()

    async def advisors(self, *, actor: Actor | None = None) -> list[shapes.AdvisorPublic]:
        return await self.get_json("/api/v1/advisors", actor=actor)

    async def visits(self, case_id: int, *, actor: Actor | None = None) -> list[shapes.VisitPublic]:
        return await self.get_json(f"/api/v1/cases/{case_id}/visits", actor=actor)

    async def add_visit(
        self, case_id: int, body: shapes.VisitCreate, *, actor: Actor | None = None
    ) -> shapes.VisitPublic:
        resp = await self.request(
            "POST", f"/api/v1/cases/{case_id}/visits", json=body, actor=actor, expect=(200, 201)
        )
        return resp.json()

    async def tree(self, case_id: int, *, actor: Actor | None = None) -> shapes.TreePublic:
        return await self.get_json(f"/api/v1/cases/{case_id}/tree", actor=actor)

    async def add_node(
        self, case_id: int, body: shapes.NodeCreate, *, actor: Actor | None = None
    ) -> shapes.NodePublic:
        resp = await self.request(
            "POST", f"/api/v1/cases/{case_id}/tree/nodes", json=body, actor=actor, expect=(200, 201)
        )
        return resp.json()

    async def update_node(
        self, case_id: int, node_id: int, body: shapes.NodeUpdate, *, actor: Actor | None = None
    ) -> shapes.NodePublic:
        resp = await self.request(
            "PATCH", f"/api/v1/cases/{case_id}/tree/nodes/{node_id}", json=body, actor=actor
        )
        return resp.json()

    async def move_node(
        self, case_id: int, node_id: int, body: shapes.NodeMove, *, actor: Actor | None = None
    ) -> shapes.NodePublic:
        resp = await self.request(
            "POST", f"/api/v1/cases/{case_id}/tree/nodes/{node_id}/move", json=body, actor=actor
        )
        return resp.json()

    async def reorder(
        self, case_id: int, parent_id: int, node_ids: list[int], *, actor: Actor | None = None
    ) -> shapes.TreePublic:
        resp = await self.request(
            "POST",
            f"/api/v1/cases/{case_id}/tree/reorder",
            json={"parent_id": parent_id, "node_ids": node_ids},
            actor=actor,
        )
        return resp.json()

    async def initiatives(
        self, case_id: int, *, actor: Actor | None = None
    ) -> list[shapes.InitiativePublic]:
        return await self.get_json(f"/api/v1/cases/{case_id}/initiatives", actor=actor)

    async def add_initiative(
        self, case_id: int, body: shapes.InitiativeCreate, *, actor: Actor | None = None
    ) -> shapes.InitiativePublic:
        resp = await self.request(
            "POST",
            f"/api/v1/cases/{case_id}/initiatives",
            json=body,
            actor=actor,
            expect=(200, 201),
        )
        return resp.json()

    async def roadmap(
        self, case_id: int, *, actor: Actor | None = None
    ) -> list[shapes.RoadmapItemPublic]:
        return await self.get_json(f"/api/v1/cases/{case_id}/roadmap", actor=actor)

    async def lessons(self, case_id: int, *, actor: Actor | None = None) -> shapes.LessonsPublic:
        return await self.get_json(f"/api/v1/cases/{case_id}/report/lessons", actor=actor)

    async def save_lessons(
        self, case_id: int, lessons: str, version: int, *, actor: Actor | None = None
    ) -> shapes.LessonsPublic:
        resp = await self.request(
            "PUT",
            f"/api/v1/cases/{case_id}/report/lessons",
            json={"lessons": lessons, "version": version},
            actor=actor,
        )
        return resp.json()

    async def report_html(self, case_id: int, *, actor: Actor | None = None) -> str:
        return (await self.request("GET", f"/api/v1/cases/{case_id}/report.html", actor=actor)).text

    async def report_docx(self, case_id: int, *, actor: Actor | None = None) -> httpx.Response:
        """The Word report, opened for streaming."""
        return await self.open_stream(f"/api/v1/cases/{case_id}/report.docx", actor=actor)

    async def save_citations(
        self,
        case_id: int,
        lessons: str,
        version: int,
        citations: list[dict[str, Any]],
        *,
        actor: Actor | None = None,
    ) -> shapes.LessonsPublic:
        """The report's cited 好事例 (the lessons unchanged); a stale version is a 409."""
        resp = await self.request(
            "PUT",
            f"/api/v1/cases/{case_id}/report/lessons",
            json={"lessons": lessons, "version": version, "citations": citations},
            actor=actor,
        )
        return resp.json()


def round_summary_query(fiscal_year: int) -> str:
    """The query behind a round's figures, as evidence sources name it."""
    return f"GET /api/v1/rounds/{fiscal_year}/summary"


def cases_query(fiscal_year: int) -> str:
    return f"GET /api/v1/cases?fiscal_year={fiscal_year}"
