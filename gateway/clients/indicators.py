"""Client of the indicators service: one small method per call the gateway makes."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import httpx
from pydantic import BaseModel, ConfigDict

from gateway.clients.base import ServiceClient
from gateway.clients.shapes import indicators as shapes
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
    state: str = "provisional"
    state_label: str = "暫定"
    state_note: str = ""
    source: dict[str, Any] = {}
    provisional_points: bool = False
    items_pending: bool = False
    version: int = 1

    @property
    def provisional(self) -> bool:
        """Its figures rest on something 暫定 (the framework, or points no document confirms)."""
        return self.state != "confirmed" or self.provisional_points or self.items_pending


class DashboardGrantView(BaseModel):
    """One grant of /views/dashboard: rows stay dicts (the dashboard reads a few keys each)."""

    model_config = ConfigDict(extra="ignore")

    grant: str
    framework: dict[str, Any]
    rows: list[dict[str, Any]]
    summary: dict[str, Any]


class IndicatorsDashboard(BaseModel):
    model_config = ConfigDict(extra="ignore")

    prefecture: str | None
    grants: list[DashboardGrantView]
    peer_types: dict[str, str | None] = {}  # code → the peer type in use (one source)


class MunicipalityGrantView(BaseModel):
    """One grant of /views/municipalities/{code} (null parts: not scored in that grant)."""

    model_config = ConfigDict(extra="ignore")

    grant: str
    framework: dict[str, Any] | None = None
    entity: dict[str, Any] | None = None
    summary: dict[str, Any] | None = None
    recover: dict[str, Any] | None = None
    years: list[dict[str, Any]] = []
    averages: dict[str, Any] | None = None


class IndicatorsMunicipality(BaseModel):
    model_config = ConfigDict(extra="ignore")

    entity_code: str
    name: str
    prefecture: str
    peer_type: str | None = None  # the peer type in use (the prefecture's, else the default)
    default_peer_type: str | None = None
    grants: list[MunicipalityGrantView]
    pdca: dict[str, Any] | None = None  # the newest sheet, when asked for (pdca=true)


class IndicatorsGrantReport(BaseModel):
    """/views/grant-report: ``municipal`` entries carry framework, results and allocation
    (null: no estimate), ``prefectural`` entries framework and results."""

    model_config = ConfigDict(extra="ignore")

    fiscal_year: int
    municipal: list[dict[str, Any]]
    prefectural: list[dict[str, Any]]
    peer_types: dict[str, str | None] = {}  # code → the peer type in use (one source)


IMPORT_TIMEOUT = 60.0  # seconds: a national file (174,100 cells) is read whole


def _flag(value: bool) -> str:
    return "true" if value else "false"


@dataclass(frozen=True)
class FileUpload:
    """A file to send on (kept by the gateway between the steps of an import)."""

    file_name: str
    content: bytes
    content_type: str = ""

    def parts(self, fields: dict[str, str] | None = None) -> dict[str, Any]:
        """The multipart body: the file and the form fields (``files=`` of a request)."""
        out: dict[str, Any] = {
            "file": (self.file_name, self.content, self.content_type or "application/octet-stream")
        }
        for name, value in (fields or {}).items():
            out[name] = (None, value)
        return {"files": out}


class IndicatorsClient(ServiceClient):
    service = "indicators"

    async def frameworks(
        self, *, actor: Actor | None = None, **filters: Any
    ) -> list[FrameworkSummary]:
        params = {k: v for k, v in filters.items() if v is not None} or None
        data = await self.get_json("/api/v1/frameworks", params=params, actor=actor)
        return [FrameworkSummary.model_validate(x) for x in data]

    async def framework(
        self, framework_id: int, *, actor: Actor | None = None
    ) -> shapes.FrameworkDetail:
        return await self.get_json(f"/api/v1/frameworks/{framework_id}", actor=actor)

    async def latest_results(
        self,
        *,
        prefecture: str,
        level: str = "municipality",
        entity_code: str | None = None,
        peer_set: str = "region_class",
        actor: Actor | None = None,
    ) -> list[shapes.LatestResults]:
        """For each grant, the newest framework of ``level`` with scores, and its results."""
        params: dict[str, Any] = {"level": level, "prefecture": prefecture, "peer_set": peer_set}
        if entity_code:
            params["entity_code"] = entity_code
        return await self.get_json("/api/v1/results/latest", params=params, actor=actor)

    async def dashboard_view(
        self, *, prefecture: str, peer_set: str = "region_class", actor: Actor | None = None
    ) -> IndicatorsDashboard:
        """The dashboard's figures in one call: per grant, the newest scored municipal
        framework, every municipality row of the prefecture and the prefecture's summary."""
        return await self.get_model(
            "/api/v1/views/dashboard",
            IndicatorsDashboard,
            params={"prefecture": prefecture, "peer_set": peer_set},
            actor=actor,
        )

    async def municipality_view(
        self,
        code: str,
        *,
        prefecture: str,
        group_set: str = "region_class",
        years: int = 3,
        pdca: bool = False,
        actor: Actor | None = None,
    ) -> IndicatorsMunicipality:
        """A municipality's figures in one call: per grant its row, the prefecture's summary,
        取り戻す指標, totals of the last ``years`` grant years and the averages; with ``pdca``
        also its newest 取組と目標 sheet the actor may read."""
        params: dict[str, Any] = {"prefecture": prefecture, "group_set": group_set, "years": years}
        if pdca:
            params["pdca"] = "true"
        return await self.get_model(
            f"/api/v1/views/municipalities/{code}",
            IndicatorsMunicipality,
            params=params,
            actor=actor,
        )

    async def grant_report_view(
        self,
        *,
        fiscal_year: int,
        prefecture: str,
        actor: Actor | None = None,
    ) -> IndicatorsGrantReport:
        """The grant report's figures in one call: per grant the municipal framework's results
        and allocation estimate at the service's budget of the year (or what is missing), and
        the prefecture's own results."""
        params = {"fiscal_year": fiscal_year, "prefecture": prefecture}
        return await self.get_model(
            "/api/v1/views/grant-report", IndicatorsGrantReport, params=params, actor=actor
        )

    async def results(
        self, framework_id: int, *, actor: Actor | None = None, **params: Any
    ) -> shapes.Results:
        params = {k: v for k, v in params.items() if v is not None}
        return await self.get_json(
            f"/api/v1/frameworks/{framework_id}/results", params=params, actor=actor
        )

    async def averages(
        self, framework_id: int, *, prefecture: str, group_set: str, actor: Actor | None = None
    ) -> shapes.Averages:
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
    ) -> shapes.Recover:
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
    ) -> shapes.Compare:
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
        self, framework_id: int, body: shapes.SimulateIn | None, *, actor: Actor | None = None
    ) -> shapes.SimulationOut:
        resp = await self.request(
            "POST", f"/api/v1/frameworks/{framework_id}/allocation", json=body, actor=actor
        )
        return resp.json()

    async def pdca_sheets(
        self, *, entity_code: str | None = None, actor: Actor | None = None
    ) -> list[shapes.SheetOut]:
        params = {"entity_code": entity_code} if entity_code else None
        data = await self.get_json("/api/v1/pdca/sheets", params=params, actor=actor)
        return data["data"] if isinstance(data, dict) and "data" in data else data

    async def pdca_sheet(self, sheet_id: int, *, actor: Actor | None = None) -> shapes.SheetOut:
        return await self.get_json(f"/api/v1/pdca/sheets/{sheet_id}", actor=actor)

    async def pdca_progress(
        self, sheet_id: int, metrics: dict[str, float], *, actor: Actor | None = None
    ) -> shapes.SheetOut:
        resp = await self.request(
            "POST",
            f"/api/v1/pdca/sheets/{sheet_id}/progress",
            json={"metrics": metrics},
            actor=actor,
        )
        return resp.json()

    # --- used by the indicators and PDCA pages -------------------------------------------

    async def peer_sets(self, *, actor: Actor | None = None) -> shapes.PeerSets:
        """Built-in group sets, the size bands' labels and user-defined sets."""
        return await self.get_json("/api/v1/peer-sets", actor=actor)

    async def peer_types(self, *, actor: Actor | None = None) -> shapes.PeerTypesOut:
        """The home prefecture's municipalities with their peer type: the registry's default
        and the one in use (the prefecture's setting, when there is one)."""
        return await self.get_json("/api/v1/peer-types", actor=actor)

    async def put_peer_type(
        self, code: str, body: shapes.PeerTypeIn, *, actor: Actor | None = None
    ) -> shapes.PeerTypeOut:
        """Set a municipality's peer type (``peer_type`` null: back to the default), version
        checked (409 when stale)."""
        resp = await self.request("PUT", f"/api/v1/peer-types/{code}", json=body, actor=actor)
        return resp.json()

    async def import_scores(
        self,
        framework_id: int,
        filename: str,
        content: bytes,
        content_type: str,
        *,
        actor: Actor | None = None,
    ) -> shapes.services__indicators__scores__routes__Written:
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
    ) -> list[shapes.ScoreCell]:
        params = {"entity_code": entity_code} if entity_code else None
        return await self.get_json(
            f"/api/v1/frameworks/{framework_id}/scores", params=params, actor=actor
        )

    async def update_pdca_sheet(
        self, sheet_id: int, body: shapes.SheetUpdate, *, actor: Actor | None = None
    ) -> shapes.SheetOut:
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

    # --- regional analysis, 地域包括支援センター, the 62 PDCA sheets (issue #16 pages) -------

    async def regional_years(self, *, actor: Actor | None = None) -> list[RegionalYear]:
        data = await self.get_json("/api/v1/regional/years", actor=actor)
        return [RegionalYear.model_validate(x) for x in data]

    async def regional_measures(
        self, *, fiscal_year: int | None = None, actor: Actor | None = None
    ) -> list[RegionalMeasure]:
        params = {"fiscal_year": fiscal_year} if fiscal_year else None
        data = await self.get_json("/api/v1/regional/measures", params=params, actor=actor)
        return [RegionalMeasure.model_validate(x) for x in data]

    async def regional_compare(
        self, fiscal_year: int, entity_code: str, *, actor: Actor | None = None
    ) -> RegionalCompare:
        data = await self.get_json(
            f"/api/v1/regional/{fiscal_year}/compare",
            params={"entity_code": entity_code},
            actor=actor,
        )
        return RegionalCompare.model_validate(data)

    async def regional_trend(
        self, entity_code: str, *, actor: Actor | None = None
    ) -> RegionalTrend:
        data = await self.get_json(
            "/api/v1/regional/trend", params={"entity_code": entity_code}, actor=actor
        )
        return RegionalTrend.model_validate(data)

    async def regional_across(
        self, fiscal_year: int, measure_code: str, *, prefecture: str, actor: Actor | None = None
    ) -> RegionalAcross:
        data = await self.get_json(
            f"/api/v1/regional/{fiscal_year}/measures/{measure_code}",
            params={"prefecture": prefecture},
            actor=actor,
        )
        return RegionalAcross.model_validate(data)

    async def regional_evidence(
        self, entity_code: str, cites: list[str], *, actor: Actor | None = None
    ) -> list[RegionalEvidence]:
        """The cited ``code:fy`` values of one municipality, in one call for a whole tree."""
        data = await self.get_json(
            "/api/v1/regional/evidence",
            params=[("entity_code", entity_code), *(("cite", c) for c in cites[:100])],
            actor=actor,
        )
        return [RegionalEvidence.model_validate(x) for x in data.get("items", [])]

    async def centres(
        self,
        *,
        municipality_code: str | None = None,
        fiscal_year: int | None = None,
        actor: Actor | None = None,
    ) -> list[shapes.CentreOut]:
        params = {"municipality_code": municipality_code, "fiscal_year": fiscal_year}
        return await self.get_json(
            "/api/v1/centres",
            params={k: v for k, v in params.items() if v is not None},
            actor=actor,
        )

    async def centre_stats(
        self, fiscal_year: int, *, actor: Actor | None = None
    ) -> shapes.CentreStats:
        return await self.get_json(
            "/api/v1/centres/stats", params={"fiscal_year": fiscal_year}, actor=actor
        )

    async def centre_catalogues(
        self, *, actor: Actor | None = None
    ) -> list[shapes.CatalogueSummary]:
        return await self.get_json("/api/v1/centres/catalogues", actor=actor)

    async def centre_summary(
        self, fiscal_year: int, municipality_code: str, *, actor: Actor | None = None
    ) -> shapes.EvaluationSummary:
        return await self.get_json(
            f"/api/v1/centres/evaluations/{fiscal_year}/summary",
            params={"municipality_code": municipality_code},
            actor=actor,
        )

    async def centre_radar(
        self, centre_id: int, fiscal_year: int, *, actor: Actor | None = None
    ) -> shapes.CentreRadar:
        return await self.get_json(
            f"/api/v1/centres/{centre_id}/evaluations/{fiscal_year}/radar", actor=actor
        )

    async def centre_evaluation(
        self, centre_id: int, fiscal_year: int, *, actor: Actor | None = None
    ) -> shapes.CentreSheet:
        return await self.get_json(
            f"/api/v1/centres/{centre_id}/evaluations/{fiscal_year}", actor=actor
        )

    async def save_centre_evaluation(
        self,
        centre_id: int,
        fiscal_year: int,
        body: shapes.AnswersIn,
        *,
        actor: Actor | None = None,
    ) -> shapes.CentreSheet:
        resp = await self.request(
            "PUT", f"/api/v1/centres/{centre_id}/evaluations/{fiscal_year}", json=body, actor=actor
        )
        return resp.json()

    async def municipality_evaluation(
        self, fiscal_year: int, municipality_code: str, *, actor: Actor | None = None
    ) -> shapes.MunicipalitySheet:
        return await self.get_json(
            f"/api/v1/centres/evaluations/{fiscal_year}/municipalities/{municipality_code}",
            actor=actor,
        )

    async def save_municipality_evaluation(
        self,
        fiscal_year: int,
        municipality_code: str,
        body: shapes.AnswersIn,
        *,
        actor: Actor | None = None,
    ) -> shapes.MunicipalitySheet:
        resp = await self.request(
            "PUT",
            f"/api/v1/centres/evaluations/{fiscal_year}/municipalities/{municipality_code}",
            json=body,
            actor=actor,
        )
        return resp.json()

    async def centre_areas(
        self,
        fiscal_year: int,
        *,
        subject: str = "centre",
        prefecture: str | None = None,
        actor: Actor | None = None,
    ) -> shapes.WeakestAreas:
        params = {"subject": subject} | ({"prefecture": prefecture} if prefecture else {})
        return await self.get_json(
            f"/api/v1/centres/evaluations/{fiscal_year}/areas", params=params, actor=actor
        )

    async def pdca_municipalities(
        self, fiscal_year: int, *, actor: Actor | None = None, **filters: str | None
    ) -> shapes.SideBySide:
        params = {"fiscal_year": fiscal_year} | {k: v for k, v in filters.items() if v}
        return await self.get_json("/api/v1/pdca/municipalities", params=params, actor=actor)

    async def pdca_themes(self, *, actor: Actor | None = None) -> list[shapes.ThemeOut]:
        return await self.get_json("/api/v1/pdca/themes", actor=actor)

    async def good_practices(
        self, *, actor: Actor | None = None, **filters: Any
    ) -> list[shapes.GoodPracticeOut]:
        params = {k: v for k, v in filters.items() if v not in (None, "")} or None
        data = await self.get_json("/api/v1/pdca/good-practices", params=params, actor=actor)
        return data["data"] if isinstance(data, dict) and "data" in data else data

    async def good_practice(
        self, good_practice_id: int, *, actor: Actor | None = None
    ) -> shapes.GoodPracticeOut:
        return await self.get_json(f"/api/v1/pdca/good-practices/{good_practice_id}", actor=actor)

    async def mark_good_practice(
        self, sheet_id: int, item_code: str, note: str, *, actor: Actor | None = None
    ) -> shapes.GoodPracticeOut:
        resp = await self.request(
            "POST",
            "/api/v1/pdca/good-practices",
            json={"sheet_id": sheet_id, "item_code": item_code, "note": note},
            expect=(201,),
            actor=actor,
        )
        return resp.json()

    # authoring (authoring15) ------------------------------------------------------------------
    # Frameworks' source and state, their trees, budgets and the national allocation basis.

    async def copy_framework(
        self, framework_id: int, body: shapes.FrameworkCopy, *, actor: Actor | None = None
    ) -> shapes.FrameworkDetail:
        """A new framework for another grant year from this one's tree (暫定); 409 if it exists."""
        resp = await self.request(
            "POST",
            f"/api/v1/frameworks/{framework_id}/copy",
            json=body,
            expect=(201,),
            actor=actor,
        )
        return resp.json()

    async def patch_framework(
        self, framework_id: int, body: shapes.FrameworkPatch, *, actor: Actor | None = None
    ) -> shapes.FrameworkDetail:
        """Name, source, state (暫定/確定) with the current ``version`` (stale: 409)."""
        resp = await self.request(
            "PATCH", f"/api/v1/frameworks/{framework_id}", json=body, actor=actor
        )
        return resp.json()

    async def put_tree(
        self, framework_id: int, body: shapes.TreeIn, *, actor: Actor | None = None
    ) -> shapes.FrameworkDetail:
        """Replace the categories and items, all or nothing (422 lists every problem)."""
        resp = await self.request(
            "PUT", f"/api/v1/frameworks/{framework_id}/tree", json=body, actor=actor
        )
        return resp.json()

    async def budgets(
        self, *, grant: str | None = None, actor: Actor | None = None
    ) -> list[shapes.BudgetOut]:
        params = {"grant": grant} if grant else None
        return await self.get_json("/api/v1/budgets", params=params, actor=actor)

    async def put_budget(
        self,
        grant: str,
        level: str,
        grant_fy: int,
        body: shapes.BudgetIn,
        *,
        actor: Actor | None = None,
    ) -> shapes.BudgetOut:
        """A published budget with its source, or an override with its reason."""
        resp = await self.request(
            "PUT", f"/api/v1/budgets/{grant}/{level}/{grant_fy}", json=body, actor=actor
        )
        return resp.json()

    async def allocation_rules(self, *, actor: Actor | None = None) -> list[shapes.RuleOut]:
        return await self.get_json("/api/v1/allocation/rules", actor=actor)

    async def national_basis(
        self, grant: str, level: str, grant_fy: int, *, actor: Actor | None = None
    ) -> shapes.NationalBasisOut | None:
        """The published national denominator of a year (None: not entered)."""
        return await self.get_json(
            f"/api/v1/allocation/{grant}/{level}/{grant_fy}/national", actor=actor
        )

    async def put_national_basis(
        self,
        grant: str,
        level: str,
        grant_fy: int,
        body: shapes.NationalBasisIn,
        *,
        actor: Actor | None = None,
    ) -> shapes.NationalBasisOut:
        resp = await self.request(
            "PUT",
            f"/api/v1/allocation/{grant}/{level}/{grant_fy}/national",
            json=body,
            actor=actor,
        )
        return resp.json()

    # the prefecture's deduction rules (done15)

    async def deduction_rules(self, *, actor: Actor | None = None) -> list[shapes.DeductionRuleOut]:
        return await self.get_json("/api/v1/deduction-rules", actor=actor)

    async def put_deduction_rule(
        self, grant: str, grant_fy: int, body: shapes.DeductionRuleIn, *, actor: Actor | None = None
    ) -> shapes.DeductionRuleOut:
        """The year's rule (item, threshold, points, wording, source); the year's results
        take it at once. 422 naming each bad field (a source is required)."""
        resp = await self.request(
            "PUT", f"/api/v1/deduction-rules/{grant}/{grant_fy}", json=body, actor=actor
        )
        return resp.json()

    # sheets (sheets16)

    async def create_pdca_sheet(
        self, body: shapes.SheetIn, *, actor: Actor | None = None
    ) -> shapes.SheetOut:
        """A municipality's new 取組と目標 sheet (a draft unless ``published``); 409 when one
        already starts that year, 422 naming each bad field."""
        resp = await self.request(
            "POST", "/api/v1/pdca/sheets", json=body, expect=(201,), actor=actor
        )
        return resp.json()

    async def publish_pdca_sheet(
        self, sheet_id: int, published: bool, version: int, *, actor: Actor | None = None
    ) -> shapes.SheetOut:
        """Publish the sheet to the other municipalities, or make it a draft again (409 when
        ``version`` is stale)."""
        resp = await self.request(
            "PUT",
            f"/api/v1/pdca/sheets/{sheet_id}/published",
            json={"published": published, "version": version},
            actor=actor,
        )
        return resp.json()

    # imports (wizard15) --------------------------------------------------------------------
    # Each import sends the file (multipart ``file``) with its form fields as multipart parts,
    # and waits longer than a read (the service reads the whole file); 422 lists every bad row.

    async def import_items(
        self,
        framework_id: int,
        upload: FileUpload,
        mapping: dict[str, str],
        *,
        dry_run: bool,
        drop_scored: bool = False,
        actor: Actor | None = None,
    ) -> shapes.ItemImport:
        """An item table into a framework (the ministry's list of 評価指標)."""
        resp = await self.request(
            "POST",
            f"/api/v1/frameworks/{framework_id}/items/import",
            **upload.parts({"mapping": json.dumps(mapping, ensure_ascii=False)}),
            params={"dry_run": _flag(dry_run), "drop_scored": _flag(drop_scored)},
            bound=IMPORT_TIMEOUT,
            actor=actor,
        )
        return resp.json()

    async def import_published(
        self,
        framework_id: int,
        upload: FileUpload,
        mapping: dict[str, Any],
        *,
        dry_run: bool,
        actor: Actor | None = None,
    ) -> shapes.PublishedImport:
        """The ministry's per-insurer results (the service saves the mapping when written)."""
        resp = await self.request(
            "POST",
            f"/api/v1/frameworks/{framework_id}/published-results/import",
            **upload.parts({"mapping": json.dumps(mapping, ensure_ascii=False)}),
            params={"dry_run": _flag(dry_run)},
            bound=IMPORT_TIMEOUT,
            actor=actor,
        )
        return resp.json()

    async def published_mapping(
        self, framework_id: int, *, actor: Actor | None = None
    ) -> shapes.SavedMapping | None:
        """The column mapping saved for the framework's grant × level × year (None: none)."""
        return await self.get_json(
            f"/api/v1/frameworks/{framework_id}/published-results/mapping", actor=actor
        )

    async def save_published_mapping(
        self, framework_id: int, mapping: shapes.MappingIn, *, actor: Actor | None = None
    ) -> shapes.SavedMapping:
        resp = await self.request(
            "PUT",
            f"/api/v1/frameworks/{framework_id}/published-results/mapping",
            json=mapping,
            actor=actor,
        )
        return resp.json()

    async def import_insurers(
        self, upload: FileUpload, *, dry_run: bool, actor: Actor | None = None
    ) -> shapes.InsurerImport:
        """The insurer list (replaces the loaded one)."""
        resp = await self.request(
            "POST",
            "/api/v1/insurers/import",
            **upload.parts(),
            params={"dry_run": _flag(dry_run)},
            bound=IMPORT_TIMEOUT,
            actor=actor,
        )
        return resp.json()

    async def import_first_insured(
        self,
        fiscal_year: int,
        upload: FileUpload,
        *,
        as_of: str,
        dry_run: bool,
        actor: Actor | None = None,
    ) -> shapes.FirstInsuredImportOut:
        """第1号被保険者数 per insurer for a year."""
        params = {"dry_run": _flag(dry_run)} | ({"as_of": as_of} if as_of else {})
        resp = await self.request(
            "POST",
            f"/api/v1/first-insured/{fiscal_year}/import",
            **upload.parts(),
            params=params,
            bound=IMPORT_TIMEOUT,
            actor=actor,
        )
        return resp.json()

    async def import_allocation_inputs(
        self,
        grant: str,
        grant_fy: int,
        upload: FileUpload,
        *,
        dry_run: bool,
        actor: Actor | None = None,
    ) -> shapes.InputsImported:
        """The allocation's inputs (first-insured persons, requested amounts) per insurer."""
        resp = await self.request(
            "POST",
            f"/api/v1/allocation/{grant}/{grant_fy}/inputs/import",
            **upload.parts(),
            params={"dry_run": _flag(dry_run)},
            bound=IMPORT_TIMEOUT,
            actor=actor,
        )
        return resp.json()

    async def create_regional_import(
        self,
        upload: FileUpload,
        *,
        fiscal_year: int | None,
        source: str,
        actor: Actor | None = None,
    ) -> shapes.ImportPreview:
        """The regional service's staged import: the file kept there, its preview answered."""
        fields = {"source": source} | ({"fiscal_year": str(fiscal_year)} if fiscal_year else {})
        resp = await self.request(
            "POST",
            "/api/v1/regional/imports",
            **upload.parts(fields),
            expect=(201,),
            bound=IMPORT_TIMEOUT,
            actor=actor,
        )
        return resp.json()

    async def update_regional_import(
        self, import_id: int, body: shapes.ImportUpdate, *, actor: Actor | None = None
    ) -> shapes.ImportPreview:
        """A new mapping (with the preview's ``version``): the preview again (409 if stale)."""
        resp = await self.request(
            "PUT",
            f"/api/v1/regional/imports/{import_id}",
            json=body,
            bound=IMPORT_TIMEOUT,
            actor=actor,
        )
        return resp.json()

    async def commit_regional_import(
        self, import_id: int, body: shapes.ImportCommit, *, actor: Actor | None = None
    ) -> shapes.ImportPreview:
        resp = await self.request(
            "POST",
            f"/api/v1/regional/imports/{import_id}/commit",
            json=body,
            bound=IMPORT_TIMEOUT,
            actor=actor,
        )
        return resp.json()

    async def import_centres(
        self, upload: FileUpload, *, dry_run: bool, actor: Actor | None = None
    ) -> shapes.RegisterImported:
        """地域包括支援センター register rows (centre × fiscal year)."""
        resp = await self.request(
            "POST",
            "/api/v1/centres/import",
            **upload.parts(),
            params={"dry_run": _flag(dry_run)},
            bound=IMPORT_TIMEOUT,
            actor=actor,
        )
        return resp.json()

    async def import_centre_catalogue(
        self,
        fiscal_year: int,
        upload: FileUpload,
        meta: dict[str, str],
        *,
        dry_run: bool,
        actor: Actor | None = None,
    ) -> shapes.CatalogueOut:
        """The year's evaluation items (meta: name, source_*, state, note, version)."""
        resp = await self.request(
            "POST",
            f"/api/v1/centres/catalogues/{fiscal_year}/import",
            **upload.parts({k: v for k, v in meta.items() if v != ""}),
            params={"dry_run": _flag(dry_run)},
            bound=IMPORT_TIMEOUT,
            actor=actor,
        )
        return resp.json()

    async def import_centre_answers(
        self, fiscal_year: int, upload: FileUpload, *, dry_run: bool, actor: Actor | None = None
    ) -> shapes.AnswersImported:
        """The evaluation survey's answers (municipality staff: their own rows only)."""
        resp = await self.request(
            "POST",
            f"/api/v1/centres/evaluations/{fiscal_year}/import",
            **upload.parts(),
            params={"dry_run": _flag(dry_run)},
            bound=IMPORT_TIMEOUT,
            actor=actor,
        )
        return resp.json()


class _Tolerant(BaseModel):
    model_config = ConfigDict(extra="ignore")


class RegionalYear(_Tolerant):
    fiscal_year: int
    measures: int = 0
    values: int = 0
    sample: bool = False
    national_figures: int = 0


class RegionalMeasure(_Tolerant):
    code: str
    name: str
    unit: str = ""
    category: str = ""
    favourable_direction: str | None = None
    decimals: int = 1
    definition: str | None = None
    sources: list[dict[str, Any]] = []


class RegionalCompareRow(_Tolerant):
    code: str
    name: str
    unit: str = ""
    value: float | None = None
    peer_mean: float | None = None
    prefecture_mean: float | None = None
    national_mean: float | None = None
    rank_in_prefecture: int | None = None


class RegionalCompare(_Tolerant):
    entity_code: str
    fiscal_year: int
    peer_group: str | None = None
    measures: list[RegionalCompareRow] = []


class RegionalTrendPoint(_Tolerant):
    fiscal_year: int
    value: float | None = None
    peer_mean: float | None = None
    prefecture_mean: float | None = None
    national_mean: float | None = None
    rank_in_prefecture: int | None = None
    rank_of: int | None = None


class RegionalTrendMeasure(_Tolerant):
    code: str
    name: str
    unit: str = ""
    decimals: int = 1
    favourable_direction: str | None = None
    points: list[RegionalTrendPoint] = []


class RegionalTrend(_Tolerant):
    entity_code: str
    name: str = ""
    peer_group: str | None = None
    region_class: str = ""
    fiscal_years: list[int] = []
    sample: bool = False
    measures: list[RegionalTrendMeasure] = []


class RegionalAcrossRow(_Tolerant):
    entity_code: str
    name: str
    value: float | None = None
    rank_in_prefecture: int | None = None
    peer_group: str | None = None
    source: str | None = None
    sample: bool = False


class RegionalAcrossGroup(_Tolerant):
    region_class: str
    mean: float | None = None
    count: int = 0
    municipalities: list[RegionalAcrossRow] = []


class RegionalAcross(_Tolerant):
    fiscal_year: int
    prefecture: str
    prefecture_name: str = ""
    measure: RegionalMeasure
    prefecture_mean: float | None = None
    national_mean: float | None = None
    national_source: dict[str, Any] | None = None
    peer_means: dict[str, float] = {}
    count: int = 0
    of: int = 0
    sample: bool = False
    groups: list[RegionalAcrossGroup] = []


class RegionalEvidence(_Tolerant):
    measure_code: str
    fiscal_year: int
    known: bool = False
    name: str | None = None
    unit: str | None = None
    decimals: int | None = None
    value: float | None = None
    peer_mean: float | None = None
    prefecture_mean: float | None = None
    national_mean: float | None = None
    rank_in_prefecture: int | None = None
    rank_of: int | None = None
    source: str | None = None
    sample: bool = False


def results_query(framework_id: int, prefecture: str) -> str:
    """The query behind a results figure, as evidence sources name it."""
    return f"GET /api/v1/frameworks/{framework_id}/results?prefecture={prefecture}"
