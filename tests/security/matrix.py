"""The authorization matrix: "METHOD /path/template" → expected outcome per role, per app.

tests/security/test_matrix.py sends one real request per route × role (demo data loaded, path
parameters filled with real demo ids: 八王子市 (132012) records where it matters) and checks the
outcome class. A route missing here fails the test.

Spec strings: a base profile, then ``role=outcome`` overrides, separated by ``;``.

Profiles
  all    every role is allowed
  staff  admin and coordinator allowed; everybody else 403
  admin  admin allowed; everybody else 403

Outcomes
  allow  allowed: answers the entry's ``ok=`` status exactly (200 for a read without one); a
         write's ``ok=`` is its success (200/201/204) or 409 (a stale ``version``: allowed past
         authorization, nothing changes) — never "anything but 401/403/404"
  own    allowed, and only because the record is the actor's own: the municipality token is
         for 八王子市 (132012, whose case/application/registration the path names) and the
         advisor token is the advisor assigned to 八王子市's case
  404    hidden: the record is another municipality's (e.g. the Tokyo PDCA sheet 130001, the
         工程表 of 133078) — existence must not leak
  403    refused for the role
  NNN    any other exact status for that role (e.g. ``coordinator=409``: the admin's identical
         write just made it a duplicate)

Every refused write (403/404) and every 409 is followed by a read of the service's audit trail
(every write appends to it) or, for the gateway's own records, of its users and tokens:
nothing changed.

Write bodies: routes get a schema-valid body (WRITE_BODIES) so that the request reaches the
check and an allowed role's answer is exact; edits carry a stale ``version`` (999999) so an
allowed role gets 409 and nothing changes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

ROLES = ("admin", "coordinator", "advisor", "municipality", "viewer", "api_client")
OWN_MUNICIPALITY = "132012"  # 八王子市: has a case, an application and registrations in the demo
STALE = 999999
# A write body that is the OpenAPI example of the route's request (kept in step with the docs).
EXAMPLE = "__openapi_example__"


@dataclass(frozen=True)
class Upload:
    """A multipart write: files (name → (file name, text, encoding)), form fields and query
    parameters; "{name}" inside any of them is replaced by that path parameter's demo value."""

    files: dict[str, tuple[str, str, str]]
    data: dict[str, Any] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)


def _framework_file() -> str:
    """The documented framework example as an import file, for a grant year the demo lacks."""
    import json

    from services.indicators.frameworks.schemas import FrameworkDoc

    doc = dict(FrameworkDoc.model_config["json_schema_extra"]["examples"][0])  # type: ignore[index]
    doc.update(code="matrix-import", grant_fy=2071, evaluation_fy=2070)
    return json.dumps(doc, ensure_ascii=False)


PROFILES: dict[str, dict[str, str]] = {
    "all": dict.fromkeys(ROLES, "allow"),
    "staff": {r: "allow" if r in ("admin", "coordinator") else "403" for r in ROLES},
    "admin": {r: "allow" if r == "admin" else "403" for r in ROLES},
}

# Readable by every role, including the municipality's own record.
READ = "all"
# A record of 八王子市: the municipality actor reads its own, the advisor their assigned case.
READ_OWN = "all; municipality=own; advisor=own"
# Case work (support_cases): staff and the case's advisor write; municipality and the
# read-only roles are refused.
CASE_WORK = "staff; advisor=own"

MATRIX: dict[str, dict[str, str]] = {
    "indicators": {
        "GET /api/v1/me": READ,
        "GET /api/v1/audit": "admin",  # the audit trail: admins only
        "GET /api/v1/frameworks": READ,
        "POST /api/v1/frameworks": "staff",
        "POST /api/v1/frameworks/import": "staff",
        "POST /api/v1/frameworks/shipped": "staff",
        "GET /api/v1/frameworks/{framework_id}": READ,
        "GET /api/v1/frameworks/{framework_id}/export": READ,
        "PUT /api/v1/frameworks/{framework_id}/scores": "staff",
        "POST /api/v1/frameworks/{framework_id}/scores/import": "staff",
        "GET /api/v1/frameworks/{framework_id}/scores": READ,
        "GET /api/v1/frameworks/{framework_id}/scores/export": READ,
        "GET /api/v1/frameworks/{framework_id}/results": READ,
        "GET /api/v1/frameworks/{framework_id}/results/export": READ,
        "GET /api/v1/results/latest": READ,
        "GET /api/v1/frameworks/{framework_id}/averages": READ,
        "GET /api/v1/frameworks/{framework_id}/recover": READ,
        "GET /api/v1/frameworks/{framework_id}/compare": READ,
        # one call per gateway view, from the stored read models (published figures)
        "GET /api/v1/views/dashboard": READ,
        "GET /api/v1/views/municipalities/{code}": READ,
        "GET /api/v1/views/grant-report": READ,
        "GET /api/v1/peer-sets": READ,
        "POST /api/v1/peer-sets": "staff",
        "PUT /api/v1/peer-sets/{peer_set_id}": "staff",
        "GET /api/v1/peer-types": READ,
        "PUT /api/v1/peer-types/{entity_code}": "staff",
        "PUT /api/v1/allocation/{grant}/{grant_fy}/inputs": "staff",
        "POST /api/v1/allocation/{grant}/{grant_fy}/inputs/import": "staff",
        "GET /api/v1/allocation/{grant}/{grant_fy}/inputs": READ,
        # a what-if simulation of the allocation: computes, writes nothing
        "POST /api/v1/frameworks/{framework_id}/allocation": READ,
        # insurers, framework authoring, published results, budgets, the derived deduction
        "GET /api/v1/insurers": READ,
        "GET /api/v1/insurers/{code}": READ,
        "POST /api/v1/insurers/import": "staff",
        "GET /api/v1/frameworks/combined": READ,
        "PATCH /api/v1/frameworks/{framework_id}": "staff",
        "PUT /api/v1/frameworks/{framework_id}/tree": "staff",
        "POST /api/v1/frameworks/{framework_id}/copy": "staff",
        "POST /api/v1/frameworks/{framework_id}/items/import": "staff",
        "POST /api/v1/frameworks/{framework_id}/published-results/import": "staff",
        "GET /api/v1/frameworks/{framework_id}/published-results/mapping": READ,
        "PUT /api/v1/frameworks/{framework_id}/published-results/mapping": "staff",
        "GET /api/v1/frameworks/{framework_id}/deduction": READ,
        "GET /api/v1/deduction-rules": READ,
        "PUT /api/v1/deduction-rules/{grant}/{grant_fy}": "staff",
        "GET /api/v1/budgets": READ,
        "PUT /api/v1/budgets/{grant}/{level}/{grant_fy}": "staff",
        "GET /api/v1/allocation/rules": READ,
        "GET /api/v1/allocation/{grant}/{level}/{grant_fy}/national": READ,
        "PUT /api/v1/allocation/{grant}/{level}/{grant_fy}/national": "staff",
        "POST /api/v1/first-insured/{fiscal_year}/import": "staff",
        "GET /api/v1/first-insured/{fiscal_year}": READ,
        "GET /api/v1/pdca/sheets": READ,
        # staff, or the municipality for its own sheet (the body names 八王子市)
        "POST /api/v1/pdca/sheets": "staff; municipality=own",
        "GET /api/v1/pdca/sheets/{sheet_id}": "all; municipality=404",
        # the Tokyo sheet (130001): hidden from a municipality, refused to the read-only roles
        "PUT /api/v1/pdca/sheets/{sheet_id}": "staff; municipality=404",
        # computes progress from the values passed; writes nothing
        "POST /api/v1/pdca/sheets/{sheet_id}/progress": "all; municipality=404",
        "GET /api/v1/pdca/sheets/{sheet_id}/export.xlsx": "all; municipality=404",
        # publishing: the sheet's owners (the Tokyo sheet, a draft: hidden from a municipality)
        "PUT /api/v1/pdca/sheets/{sheet_id}/published": "staff; municipality=404",
        "GET /api/v1/pdca/themes": READ,
        "GET /api/v1/pdca/metric-sources": READ,
        # the 62 side by side: a municipality gets the others' published sheets only
        "GET /api/v1/pdca/municipalities": READ,
        # 好事例: coordinators mark; everybody reads (a municipality: on published sheets)
        "POST /api/v1/pdca/good-practices": "staff",
        "GET /api/v1/pdca/good-practices": READ,
        "GET /api/v1/pdca/good-practices/{good_practice_id}": READ,
        "PATCH /api/v1/pdca/good-practices/{good_practice_id}": "staff",
        "DELETE /api/v1/pdca/good-practices/{good_practice_id}": "staff",
        # 地域包括支援センター: the register and the catalogue are the prefecture's to write;
        # answers: staff, or the municipality for its own centres (a 八王子市 centre here) and
        # its own answers; everybody reads
        "GET /api/v1/centres": READ,
        "POST /api/v1/centres": "staff",
        "POST /api/v1/centres/import": "staff",
        "GET /api/v1/centres/stats": READ,
        "GET /api/v1/centres/work-areas": READ,
        "GET /api/v1/centres/{centre_id}": READ,
        "PATCH /api/v1/centres/{centre_id}": "staff",
        "PUT /api/v1/centres/{centre_id}/years/{fiscal_year}": "staff",
        "GET /api/v1/centres/catalogues": READ,
        "GET /api/v1/centres/catalogues/{fiscal_year}": READ,
        "PUT /api/v1/centres/catalogues/{fiscal_year}": "staff",
        "POST /api/v1/centres/catalogues/{fiscal_year}/import": "staff",
        "GET /api/v1/centres/catalogues/{fiscal_year}/export": READ,
        "GET /api/v1/centres/evaluations/{fiscal_year}/summary": READ,
        "GET /api/v1/centres/evaluations/{fiscal_year}/areas": READ,
        "POST /api/v1/centres/evaluations/{fiscal_year}/import": "staff; municipality=own",
        "GET /api/v1/centres/evaluations/{fiscal_year}/municipalities/{municipality_code}": READ,
        "PUT /api/v1/centres/evaluations/{fiscal_year}/municipalities/{municipality_code}": (
            "staff; municipality=own"
        ),
        "GET /api/v1/centres/{centre_id}/evaluations/{fiscal_year}": READ,
        "PUT /api/v1/centres/{centre_id}/evaluations/{fiscal_year}": "staff; municipality=own",
        "GET /api/v1/centres/{centre_id}/evaluations/{fiscal_year}/radar": READ,
        # regional analysis: prefecture-level statistics; staff write, everybody reads
        # (a municipality too, for every municipality: they are published figures)
        "GET /api/v1/regional/measures": READ,
        "PUT /api/v1/regional/measures": "staff",
        "GET /api/v1/regional/years": READ,
        "PUT /api/v1/regional/{fiscal_year}/values": "staff",
        "GET /api/v1/regional/{fiscal_year}/compare": READ,
        "GET /api/v1/regional/{fiscal_year}/measures/{measure_code}": READ,
        "GET /api/v1/regional/trend": READ,
        "GET /api/v1/regional/evidence": READ,
        "GET /api/v1/regional/{fiscal_year}/national": READ,
        "PUT /api/v1/regional/{fiscal_year}/national": "staff",
        "POST /api/v1/regional/imports": "staff",
        "GET /api/v1/regional/imports": "staff",
        "GET /api/v1/regional/imports/{import_id}": "staff",
        "PUT /api/v1/regional/imports/{import_id}": "staff",
        "POST /api/v1/regional/imports/{import_id}/commit": "staff",
    },
    "support_cases": {
        "GET /api/v1/me": READ,
        "GET /api/v1/audit": "admin",  # the audit trail: admins only
        "GET /api/v1/rounds": READ,
        "POST /api/v1/rounds": "staff",
        "GET /api/v1/rounds/{fiscal_year}": READ,
        "PATCH /api/v1/rounds/{fiscal_year}": "staff",
        "GET /api/v1/rounds/{fiscal_year}/summary": READ,
        # applications: not the advisors' business; a municipality sees its own
        "GET /api/v1/rounds/{fiscal_year}/applications": "all; advisor=403; municipality=own",
        "POST /api/v1/rounds/{fiscal_year}/applications": "staff; municipality=own",
        "GET /api/v1/applications": "all; advisor=403; municipality=own",
        "GET /api/v1/applications/{application_id}": "all; advisor=404; municipality=own",
        "PATCH /api/v1/applications/{application_id}": "staff; advisor=deny; municipality=own",
        "POST /api/v1/applications/{application_id}/decision": "staff",
        "GET /api/v1/advisors": READ,
        "POST /api/v1/advisors": "staff",
        "GET /api/v1/advisors/{advisor_id}": READ,
        "PATCH /api/v1/advisors/{advisor_id}": "staff",
        # the case of 八王子市: its municipality and its advisor read it
        "GET /api/v1/cases": READ,
        # the acting advisor's assigned municipalities (the gateway signs them into the token);
        # every other role reads an empty list
        "GET /api/v1/advised-municipalities": READ,
        "POST /api/v1/cases": "staff",
        "GET /api/v1/cases/{case_id}": READ_OWN,
        "PATCH /api/v1/cases/{case_id}": "staff",
        "POST /api/v1/cases/{case_id}/transitions": "staff",
        "GET /api/v1/visits": READ,
        "GET /api/v1/cases/{case_id}/visits": READ_OWN,
        "POST /api/v1/cases/{case_id}/visits": CASE_WORK,
        "PATCH /api/v1/cases/{case_id}/visits/{visit_id}": CASE_WORK,
        "DELETE /api/v1/cases/{case_id}/visits/{visit_id}": CASE_WORK,
        "GET /api/v1/cases/{case_id}/data-requests": READ_OWN,
        "PATCH /api/v1/cases/{case_id}/data-requests/{request_id}": CASE_WORK,
        "GET /api/v1/cases/{case_id}/tree": READ_OWN,
        "POST /api/v1/cases/{case_id}/tree/nodes": CASE_WORK,
        "PATCH /api/v1/cases/{case_id}/tree/nodes/{node_id}": CASE_WORK,
        "POST /api/v1/cases/{case_id}/tree/nodes/{node_id}/move": CASE_WORK,
        "DELETE /api/v1/cases/{case_id}/tree/nodes/{node_id}": CASE_WORK,
        "POST /api/v1/cases/{case_id}/tree/reorder": CASE_WORK,
        "GET /api/v1/cases/{case_id}/tree/snapshots": READ_OWN,
        "POST /api/v1/cases/{case_id}/tree/snapshots": CASE_WORK,
        "GET /api/v1/cases/{case_id}/tree/snapshots/{snapshot_id}": READ_OWN,
        "GET /api/v1/cases/{case_id}/initiatives": READ_OWN,
        "POST /api/v1/cases/{case_id}/initiatives": CASE_WORK,
        "PATCH /api/v1/cases/{case_id}/initiatives/{initiative_id}": CASE_WORK,
        "DELETE /api/v1/cases/{case_id}/initiatives/{initiative_id}": CASE_WORK,
        "GET /api/v1/cases/{case_id}/roadmap": READ_OWN,
        "POST /api/v1/cases/{case_id}/roadmap": CASE_WORK,
        "PATCH /api/v1/cases/{case_id}/roadmap/{item_id}": CASE_WORK,
        "DELETE /api/v1/cases/{case_id}/roadmap/{item_id}": CASE_WORK,
        # the report's lessons are the coordinator's (the case's advisor reads them)
        "GET /api/v1/cases/{case_id}/report/lessons": READ_OWN,
        "PUT /api/v1/cases/{case_id}/report/lessons": "staff",
        "GET /api/v1/cases/{case_id}/report": READ_OWN,
        "GET /api/v1/cases/{case_id}/report.html": READ_OWN,
        "GET /api/v1/cases/{case_id}/report.docx": READ_OWN,
        # one call per gateway view (applications scoped inside: none for an advisor)
        "GET /api/v1/views/rounds/{fiscal_year}": READ,
        "GET /api/v1/views/round-summaries": READ,
    },
    "training": {
        "GET /api/v1/me": READ,
        "GET /api/v1/audit": "admin",  # the audit trail: admins only
        "GET /api/v1/programs": READ,
        "POST /api/v1/programs": "staff",
        "GET /api/v1/programs/{program_id}": READ,
        "PATCH /api/v1/programs/{program_id}": "staff",
        "GET /api/v1/sessions": READ,
        "POST /api/v1/sessions": "staff",
        "GET /api/v1/sessions/{session_id}": READ,
        "PATCH /api/v1/sessions/{session_id}": "staff",
        # municipality staff register (and cancel) their own people
        "POST /api/v1/sessions/{session_id}/registrations": "staff; municipality=own",
        "GET /api/v1/sessions/{session_id}/registrations": READ,
        "GET /api/v1/registrations": READ,
        "GET /api/v1/registrations/{registration_id}": "all; municipality=own",
        "DELETE /api/v1/registrations/{registration_id}": "staff; municipality=own",
        "POST /api/v1/registrations/{registration_id}/cancel": "staff; municipality=own",
        "GET /api/v1/sessions/{session_id}/attendance": READ,
        "PUT /api/v1/sessions/{session_id}/attendance": "staff",
        "POST /api/v1/sessions/{session_id}/attendance/import": "staff",
        "GET /api/v1/stats": READ,
        "GET /api/v1/participation": READ,
        "GET /api/v1/targets": READ,
        "POST /api/v1/targets": "staff",
        "GET /api/v1/targets/{target_id}": READ,
        "PATCH /api/v1/targets/{target_id}": "staff",
        "GET /api/v1/demand": READ,
        # participants (staff, or a municipality for its people) answer the survey
        "POST /api/v1/sessions/{session_id}/surveys": "staff; municipality=own",
        "GET /api/v1/sessions/{session_id}/surveys/summary": READ,
        "GET /api/v1/programs/{program_id}/surveys/summary": READ,
        "GET /api/v1/kotei-hyo/overdue": READ,
        "GET /api/v1/kotei-hyo/status": READ,
        "GET /api/v1/kotei-hyo": READ,
        # a 工程表 for 八王子市 (the body); the demo's 工程表 is 133078's: hidden from 八王子市
        "POST /api/v1/kotei-hyo": "staff; municipality=own",
        "GET /api/v1/kotei-hyo/{kotei_hyo_id}": "all; municipality=404",
        "PUT /api/v1/kotei-hyo/{kotei_hyo_id}": "staff; municipality=404",
        "POST /api/v1/kotei-hyo/{kotei_hyo_id}/check-ins": "staff; municipality=404",
        "GET /api/v1/sessions/{session_id}/calendar.ics": READ,
        "GET /api/v1/programs/{program_id}/calendar.ics": READ,
        "GET /api/v1/sessions/{session_id}/participants.{fmt}": READ,
        "GET /api/v1/sessions/{session_id}/attendance.{fmt}": READ,
        # history from before the product (過去の実績): staff write, everybody reads
        "GET /api/v1/history": READ,
        "POST /api/v1/history": "staff",
        "POST /api/v1/history/import": "staff",
        "DELETE /api/v1/history/{history_id}": "staff",
        # one call per gateway view; a municipality's view of another municipality is hidden
        "GET /api/v1/views/dashboard": READ,
        "GET /api/v1/views/municipalities/{code}": "all; municipality=own",
        "GET /api/v1/views/years": READ,
        "GET /api/v1/views/programs": READ,
    },
    "gateway": {
        "GET /api/v1/me": READ,
        "GET /api/v1/municipalities": READ,
        "GET /api/v1/municipalities/{code}": READ,
        "GET /api/v1/prefectures": READ,
        "GET /api/v1/municipalities/{code}/overview": "all; municipality=own",
        # the grant report and the prefecture's PDCA figures: not for a municipality
        "GET /api/v1/grant-report/{fiscal_year}": "all; municipality=403",
        "GET /api/v1/pdca/prefecture": "all; municipality=403",
        # choosing whom to support: prefecture staff and viewers
        "GET /api/v1/support-candidates": "all; advisor=403; municipality=403; api_client=403",
        "GET /api/v1/impact": READ,
        "GET /api/v1/admin/users": "admin",
        "POST /api/v1/admin/users": "admin",
        "PATCH /api/v1/admin/users/{user_id}": "admin",
        "GET /api/v1/admin/tokens": "admin",
        "POST /api/v1/admin/tokens": "admin",
        "POST /api/v1/admin/tokens/{token_id}/revoke": "admin",
    },
}

# What an allowed role answers, exactly (merged into MATRIX below): ``ok=`` for every write and
# every read that does not answer 200, and the exact refusal where a role may get 403 or 404.
EXACT: dict[str, dict[str, str]] = {
    "indicators": {
        "POST /api/v1/frameworks": "ok=409",
        "POST /api/v1/frameworks/import": "ok=201; coordinator=409",
        "POST /api/v1/frameworks/shipped": "ok=200",
        "PUT /api/v1/frameworks/{framework_id}/scores": "ok=200",
        "POST /api/v1/frameworks/{framework_id}/scores/import": "ok=200",
        "POST /api/v1/peer-sets": "ok=201",
        "PUT /api/v1/peer-sets/{peer_set_id}": "ok=409",
        "PUT /api/v1/peer-types/{entity_code}": "ok=409",
        "PUT /api/v1/allocation/{grant}/{grant_fy}/inputs": "ok=200",
        "POST /api/v1/allocation/{grant}/{grant_fy}/inputs/import": "ok=200",
        "POST /api/v1/frameworks/{framework_id}/allocation": "ok=200",
        "POST /api/v1/insurers/import": "ok=200",
        "PATCH /api/v1/frameworks/{framework_id}": "ok=409",
        "PUT /api/v1/frameworks/{framework_id}/tree": "ok=409",
        "POST /api/v1/frameworks/{framework_id}/copy": "ok=409",
        "POST /api/v1/frameworks/{framework_id}/items/import": "ok=200",
        "POST /api/v1/frameworks/{framework_id}/published-results/import": "ok=200",
        "PUT /api/v1/frameworks/{framework_id}/published-results/mapping": "ok=200",
        "PUT /api/v1/deduction-rules/{grant}/{grant_fy}": "ok=409",
        "PUT /api/v1/budgets/{grant}/{level}/{grant_fy}": "ok=409",
        "PUT /api/v1/allocation/{grant}/{level}/{grant_fy}/national": "ok=409",
        "POST /api/v1/first-insured/{fiscal_year}/import": "ok=200",
        "POST /api/v1/pdca/sheets": "ok=201; coordinator=409; municipality=409",
        "PUT /api/v1/pdca/sheets/{sheet_id}": "ok=409",
        "POST /api/v1/pdca/sheets/{sheet_id}/progress": "ok=200",
        "PUT /api/v1/pdca/sheets/{sheet_id}/published": "ok=409",
        "POST /api/v1/pdca/good-practices": "ok=201; coordinator=409",
        "PATCH /api/v1/pdca/good-practices/{good_practice_id}": "ok=409",
        "DELETE /api/v1/pdca/good-practices/{good_practice_id}": "ok=409",
        "POST /api/v1/centres": "ok=201; coordinator=409",
        "POST /api/v1/centres/import": "ok=200",
        "PATCH /api/v1/centres/{centre_id}": "ok=409",
        "PUT /api/v1/centres/{centre_id}/years/{fiscal_year}": "ok=409",
        "PUT /api/v1/centres/catalogues/{fiscal_year}": "ok=409",
        "POST /api/v1/centres/catalogues/{fiscal_year}/import": "ok=409",
        "POST /api/v1/centres/evaluations/{fiscal_year}/import": "ok=200",
        "PUT /api/v1/centres/evaluations/{fiscal_year}/municipalities/{municipality_code}": "ok=409",
        "PUT /api/v1/centres/{centre_id}/evaluations/{fiscal_year}": "ok=409",
        "PUT /api/v1/regional/measures": "ok=200",
        "PUT /api/v1/regional/{fiscal_year}/values": "ok=200",
        "PUT /api/v1/regional/{fiscal_year}/national": "ok=200",
        "POST /api/v1/regional/imports": "ok=201",
        "PUT /api/v1/regional/imports/{import_id}": "ok=409",
        "POST /api/v1/regional/imports/{import_id}/commit": "ok=409",
    },
    "support_cases": {
        "POST /api/v1/rounds": "ok=201; coordinator=409",
        "PATCH /api/v1/rounds/{fiscal_year}": "ok=409",
        "POST /api/v1/rounds/{fiscal_year}/applications": "ok=409",
        "PATCH /api/v1/applications/{application_id}": "ok=409; advisor=404",
        "POST /api/v1/applications/{application_id}/decision": "ok=409",
        "POST /api/v1/advisors": "ok=201; coordinator=409",
        "PATCH /api/v1/advisors/{advisor_id}": "ok=409",
        "POST /api/v1/cases": "ok=409",
        "PATCH /api/v1/cases/{case_id}": "ok=409",
        "POST /api/v1/cases/{case_id}/transitions": "ok=409",
        "POST /api/v1/cases/{case_id}/visits": "ok=201",
        "PATCH /api/v1/cases/{case_id}/visits/{visit_id}": "ok=409",
        "DELETE /api/v1/cases/{case_id}/visits/{visit_id}": "ok=409",
        "PATCH /api/v1/cases/{case_id}/data-requests/{request_id}": "ok=409",
        "POST /api/v1/cases/{case_id}/tree/nodes": "ok=201",
        "PATCH /api/v1/cases/{case_id}/tree/nodes/{node_id}": "ok=409",
        "POST /api/v1/cases/{case_id}/tree/nodes/{node_id}/move": "ok=409",
        "DELETE /api/v1/cases/{case_id}/tree/nodes/{node_id}": "ok=409",
        "POST /api/v1/cases/{case_id}/tree/reorder": "ok=200",
        "POST /api/v1/cases/{case_id}/tree/snapshots": "ok=201",
        "POST /api/v1/cases/{case_id}/initiatives": "ok=201",
        "PATCH /api/v1/cases/{case_id}/initiatives/{initiative_id}": "ok=409",
        "DELETE /api/v1/cases/{case_id}/initiatives/{initiative_id}": "ok=409",
        "POST /api/v1/cases/{case_id}/roadmap": "ok=201",
        "PATCH /api/v1/cases/{case_id}/roadmap/{item_id}": "ok=409",
        "DELETE /api/v1/cases/{case_id}/roadmap/{item_id}": "ok=409",
        "PUT /api/v1/cases/{case_id}/report/lessons": "ok=409",
    },
    "training": {
        "POST /api/v1/programs": "ok=201",
        "PATCH /api/v1/programs/{program_id}": "ok=409",
        "POST /api/v1/sessions": "ok=201",
        "PATCH /api/v1/sessions/{session_id}": "ok=409",
        "POST /api/v1/sessions/{session_id}/registrations": "ok=201; coordinator=409; municipality=409",
        "DELETE /api/v1/registrations/{registration_id}": "ok=204",
        "POST /api/v1/registrations/{registration_id}/cancel": "ok=200",
        "PUT /api/v1/sessions/{session_id}/attendance": "ok=200",
        "POST /api/v1/sessions/{session_id}/attendance/import": "ok=200",
        "POST /api/v1/targets": "ok=201",
        "PATCH /api/v1/targets/{target_id}": "ok=409",
        "POST /api/v1/sessions/{session_id}/surveys": "ok=201",
        "POST /api/v1/kotei-hyo": "ok=201; coordinator=409; municipality=409",
        "PUT /api/v1/kotei-hyo/{kotei_hyo_id}": "ok=409",
        "POST /api/v1/kotei-hyo/{kotei_hyo_id}/check-ins": "ok=201",
        "POST /api/v1/history": "ok=201",
        "POST /api/v1/history/import": "ok=200",
        "DELETE /api/v1/history/{history_id}": "ok=409",
    },
    "gateway": {
        "POST /api/v1/admin/users": "ok=201",
        "PATCH /api/v1/admin/users/{user_id}": "ok=409",
        "POST /api/v1/admin/tokens": "ok=201",
        "POST /api/v1/admin/tokens/{token_id}/revoke": "ok=200",
    },
}

# Allowed writes that still answer a refusal after authorization: 八王子市 (the municipality
# actor's own) has already applied in the demo's round, and a second application in a year is
# answered 422 (a rule of the application, not a stale version); the municipality actor can
# only apply for itself, so this route has no body that gives its allowed roles a 2xx.
NOT_YET_EXACT: frozenset[tuple[str, str]] = frozenset()

for _app, _routes in EXACT.items():
    for _route, _suffix in _routes.items():
        MATRIX[_app][_route] = f"{MATRIX[_app][_route]}; {_suffix}"

# Query parameters some routes need to answer at all.
QUERIES: dict[str, dict[str, dict[str, Any]]] = {
    "indicators": {
        "GET /api/v1/frameworks/{framework_id}/recover": {"entity_code": OWN_MUNICIPALITY},
        "GET /api/v1/frameworks/{framework_id}/compare": {"previous_id": "{framework_id}"},
        "GET /api/v1/frameworks/combined": {"grant_fy": 2019},
        "GET /api/v1/pdca/municipalities": {"fiscal_year": "{fiscal_year}"},
        "GET /api/v1/centres/stats": {"fiscal_year": "{fiscal_year}"},
        "GET /api/v1/centres/evaluations/{fiscal_year}/summary": {
            "municipality_code": OWN_MUNICIPALITY
        },
        "DELETE /api/v1/pdca/good-practices/{good_practice_id}": {"version": STALE},
        "GET /api/v1/regional/{fiscal_year}/compare": {"entity_code": OWN_MUNICIPALITY},
        "GET /api/v1/regional/trend": {"entity_code": OWN_MUNICIPALITY},
        "GET /api/v1/regional/evidence": {
            "entity_code": OWN_MUNICIPALITY,
            "cite": "certification_rate:2023",
        },
        "GET /api/v1/views/grant-report": {"fiscal_year": 2026, "prefecture": "13"},
    },
    "support_cases": {
        "DELETE /api/v1/cases/{case_id}/visits/{visit_id}": {"version": STALE},
        "DELETE /api/v1/cases/{case_id}/initiatives/{initiative_id}": {"version": STALE},
        "DELETE /api/v1/cases/{case_id}/roadmap/{item_id}": {"version": STALE},
        "DELETE /api/v1/cases/{case_id}/tree/nodes/{node_id}": {"version": STALE},
        "GET /api/v1/views/round-summaries": {"fy_from": 2024, "fy_to": 2026},
    },
    "training": {
        "GET /api/v1/demand": {"fiscal_year": 2026},
        "GET /api/v1/participation": {"fiscal_year": 2026},
        "GET /api/v1/stats": {"fiscal_year": 2026},
        "DELETE /api/v1/history/{history_id}": {"version": STALE},
        "GET /api/v1/views/dashboard": {"fiscal_year": 2026},
        "GET /api/v1/views/municipalities/{code}": {"fiscal_year": 2026},
        "GET /api/v1/views/years": {"fy_from": 2018, "fy_to": 2026},
        "GET /api/v1/views/programs": {"fiscal_year": 2026},
    },
}

# Schema-valid bodies for writes whose authorization is decided in the handler. A string
# "{name}" is replaced by that path parameter's demo value.
WRITE_BODIES: dict[str, dict[str, Any]] = {
    "indicators": {
        "POST /api/v1/frameworks/{framework_id}/allocation": {"budget": 1_000_000},
        "PATCH /api/v1/centres/{centre_id}": {"version": STALE},
        "POST /api/v1/centres": EXAMPLE,
        "POST /api/v1/frameworks": EXAMPLE,
        "PUT /api/v1/allocation/{grant}/{grant_fy}/inputs": EXAMPLE,
        "PUT /api/v1/frameworks/{framework_id}/scores": EXAMPLE,
        "PUT /api/v1/regional/measures": EXAMPLE,
        "PUT /api/v1/regional/{fiscal_year}/national": EXAMPLE,
        "PUT /api/v1/regional/{fiscal_year}/values": EXAMPLE,
        "PUT /api/v1/regional/imports/{import_id}": {"version": STALE},
        "POST /api/v1/regional/imports/{import_id}/commit": {"version": STALE},
        "PUT /api/v1/frameworks/{framework_id}/tree": {"version": STALE, "categories": []},
        "PUT /api/v1/budgets/{grant}/{level}/{grant_fy}": {
            "published_amount": 1000,
            "source": {"document": "マトリクス"},
            "version": STALE,
        },
        "PUT /api/v1/allocation/{grant}/{level}/{grant_fy}/national": {
            "denominator": 1,
            "source": {"document": "マトリクス"},
            "version": STALE,
        },
        "POST /api/v1/frameworks/{framework_id}/copy": {"grant_fy": "{grant_fy}"},
        "POST /api/v1/pdca/good-practices": {
            "sheet_id": "{gp_sheet_id}",
            "item_code": "{gp_item}",
            "note": "マトリクス",
        },
        "PUT /api/v1/centres/{centre_id}/years/{fiscal_year}": {
            "operation": "委託",
            "version": STALE,
        },
        "PUT /api/v1/centres/catalogues/{fiscal_year}": {
            "name": "マトリクス",
            "items": "{catalogue_items}",
            "version": STALE,
        },
        "PATCH /api/v1/frameworks/{framework_id}": {"version": STALE},
        "PATCH /api/v1/pdca/good-practices/{good_practice_id}": {
            "note": "マトリクス",
            "version": STALE,
        },
        "POST /api/v1/peer-sets": {
            "name": "マトリクス {role}",
            "members": {OWN_MUNICIPALITY: "対象"},
        },
        "PUT /api/v1/peer-sets/{peer_set_id}": {
            "name": "マトリクス",
            "members": {OWN_MUNICIPALITY: "対象"},
            "version": STALE,
        },
        "PUT /api/v1/peer-types/{entity_code}": {"peer_type": "都市型", "version": STALE},
        "POST /api/v1/pdca/sheets": {
            "entity_code": OWN_MUNICIPALITY,
            "title": "マトリクス試験",
            "start_fy": 2024,
            "end_fy": 2026,
        },
        "PUT /api/v1/pdca/sheets/{sheet_id}": {
            "entity_code": "130001",
            "title": "マトリクス試験",
            "start_fy": 2018,
            "end_fy": 2020,
            "version": STALE,
        },
        "POST /api/v1/pdca/sheets/{sheet_id}/progress": {"metrics": {}},
        "PUT /api/v1/pdca/sheets/{sheet_id}/published": {"published": True, "version": STALE},
        "PUT /api/v1/centres/{centre_id}/evaluations/{fiscal_year}": {
            "answers": "{centre_answers}",
            "version": STALE,
        },
        "PUT /api/v1/centres/evaluations/{fiscal_year}/municipalities/{municipality_code}": {
            "answers": "{muni_answers}",
            "version": STALE,
        },
        # imports: a real file each (a stale version where the import replaces a record)
        "POST /api/v1/frameworks/import": Upload({"file": ("fw.json", _framework_file(), "utf-8")}),
        "POST /api/v1/frameworks/{framework_id}/scores/import": Upload(
            {"file": ("s.csv", "entity_code,item_code,points\n132012,{item_code},0\n", "utf-8")}
        ),
        "POST /api/v1/allocation/{grant}/{grant_fy}/inputs/import": Upload(
            {
                "file": (
                    "in.csv",
                    "団体コード,第1号被保険者数,所要見込額\n132012,1000,5000\n",
                    "cp932",
                )
            }
        ),
        "POST /api/v1/insurers/import": Upload(
            {
                "file": (
                    "insurers.csv",
                    '保険者番号,保険者名,構成市町村\n019018,マトリクス広域連合,"芦別市、赤平市"\n',
                    "cp932",
                )
            }
        ),
        "POST /api/v1/frameworks/{framework_id}/items/import": Upload(
            {"file": ("items.csv", "分野,番号,指標の内容,配点\nⅠ,M-1,マトリクス,10\n", "cp932")},
            data={
                "mapping": '{"category": "分野", "code": "番号", "text": "指標の内容",'
                ' "max_points": "配点"}'
            },
            params={"dry_run": "true"},
        ),
        "POST /api/v1/frameworks/{framework_id}/published-results/import": Upload(
            {"file": ("r.csv", "保険者番号,保険者名,総合得点\n132012,八王子市,100\n", "cp932")},
            params={"dry_run": "true"},
        ),
        "PUT /api/v1/frameworks/{framework_id}/published-results/mapping": {
            "entity_column": "保険者番号",
            "columns": {"総合得点": "total"},
        },
        "PUT /api/v1/deduction-rules/{grant}/{grant_fy}": {
            "item_code": "Ⅲ-②",
            "threshold": 0.3,
            "points": -10,
            "wording": "マトリクス",
            "source": {"document": "マトリクス"},
            "version": STALE,
        },
        "POST /api/v1/first-insured/{fiscal_year}/import": Upload(
            {"file": ("fi.csv", "団体コード,第1号被保険者数\n132012,100\n", "cp932")}
        ),
        "POST /api/v1/centres/import": Upload(
            {
                "file": (
                    "c.csv",
                    "区市町村コード,センター名,年度,設置形態,運営法人,保健師等\n"
                    "132012,マトリクス センター,{fiscal_year},委託,法人,1\n",
                    "utf-8",
                )
            }
        ),
        "POST /api/v1/centres/catalogues/{fiscal_year}/import": Upload(
            {"file": ("cat.csv", "{catalogue_csv}", "utf-8")},
            data={"name": "マトリクス", "version": str(STALE)},
        ),
        "POST /api/v1/centres/evaluations/{fiscal_year}/import": Upload(
            {
                "file": (
                    "a.csv",
                    "{centre_eval_csv}",
                    "utf-8",
                )
            }
        ),
        "POST /api/v1/regional/imports": Upload(
            {"file": ("m.csv", "団体コード,認定率\n132012,19.5\n", "utf-8")},
            data={"fiscal_year": "{fiscal_year}"},
        ),
    },
    "support_cases": {
        "PATCH /api/v1/advisors/{advisor_id}": {"version": STALE},
        "POST /api/v1/advisors": EXAMPLE,
        "POST /api/v1/rounds": EXAMPLE,
        "POST /api/v1/cases": {
            "fiscal_year": "{fiscal_year}",
            "municipality_code": OWN_MUNICIPALITY,
            "theme": "マトリクス",
            "advisor_ids": ["{advisor_id}"],
        },
        "PATCH /api/v1/rounds/{fiscal_year}": {"version": STALE},
        "POST /api/v1/applications/{application_id}/decision": {
            "status": "選定",
            "reason": "マトリクス",
            "version": STALE,
        },
        "PATCH /api/v1/applications/{application_id}": {"version": STALE},
        "PATCH /api/v1/cases/{case_id}": {"version": STALE},
        "PATCH /api/v1/cases/{case_id}/data-requests/{request_id}": {"version": STALE},
        "PATCH /api/v1/cases/{case_id}/initiatives/{initiative_id}": {"version": STALE},
        "PATCH /api/v1/cases/{case_id}/roadmap/{item_id}": {"version": STALE},
        "PATCH /api/v1/cases/{case_id}/tree/nodes/{node_id}": {"version": STALE},
        "PATCH /api/v1/cases/{case_id}/visits/{visit_id}": {"version": STALE},
        "POST /api/v1/cases/{case_id}/initiatives": {"node_id": "{node_id}", "title": "試験"},
        "POST /api/v1/cases/{case_id}/roadmap": {
            "initiative_id": "{initiative_id}",
            "start_month": "2026-10",
            "end_month": "2027-03",
            "kpi_custom": "試験",
        },
        "POST /api/v1/cases/{case_id}/transitions": {"to_status": "ヒアリング", "version": STALE},
        "POST /api/v1/cases/{case_id}/tree/nodes": {"statement": "試験", "parent_id": "{node_id}"},
        "POST /api/v1/cases/{case_id}/tree/nodes/{node_id}/move": {
            "version": STALE,
            "parent_id": "{node_id}",
        },
        "POST /api/v1/cases/{case_id}/tree/reorder": {
            "parent_id": "{root_id}",
            "node_ids": "{root_children}",
        },
        "POST /api/v1/cases/{case_id}/visits": {
            "visit_date": "2026-09-01",
            "advisors": [{"advisor_id": "{advisor_id}", "hours": 1.0}],
        },
        "POST /api/v1/rounds/{fiscal_year}/applications": {"municipality_code": OWN_MUNICIPALITY},
        "PUT /api/v1/cases/{case_id}/report/lessons": {"lessons": "試験", "version": STALE},
    },
    "training": {
        "PATCH /api/v1/programs/{program_id}": {"version": STALE},
        "POST /api/v1/programs": EXAMPLE,
        "POST /api/v1/sessions": EXAMPLE,
        "POST /api/v1/targets": EXAMPLE,
        "POST /api/v1/history": EXAMPLE,
        "PUT /api/v1/sessions/{session_id}/attendance": {
            "entries": [
                {
                    "registration_id": "{attendance_registration_id}",
                    "day_no": 1,
                    "status": "present",
                }
            ]
        },
        "POST /api/v1/sessions/{session_id}/attendance/import": Upload(
            {
                "file": (
                    "出欠.csv",
                    "申込ID,日目,出欠\n{attendance_registration_id},1,出席\n",
                    "utf-8",
                )
            }
        ),
        "POST /api/v1/history/import": Upload(
            {
                "file": (
                    "h.csv",
                    "研修の種類,年度,区市町村コード,受講者数,修了者数,開催回数,出典,備考\n"
                    "地域ケア会議 司会者・助言者養成,R2,,,419,,マトリクス,\n",
                    "utf-8",
                )
            }
        ),
        "PATCH /api/v1/sessions/{session_id}": {"version": STALE},
        "PATCH /api/v1/targets/{target_id}": {"version": STALE},
        "POST /api/v1/kotei-hyo": {
            "program_id": "{power_up_program_id}",
            "municipality_code": OWN_MUNICIPALITY,
        },
        "POST /api/v1/kotei-hyo/{kotei_hyo_id}/check-ins": {
            "checked_on": "2026-10-05",
            "status": "遅れ",
        },
        "POST /api/v1/sessions/{session_id}/registrations": {
            "name": "試験 太郎",
            "municipality_code": OWN_MUNICIPALITY,
            "email": "matrix@example.lg.jp",
        },
        "POST /api/v1/sessions/{session_id}/surveys": {"satisfaction": 4},
        "PUT /api/v1/kotei-hyo/{kotei_hyo_id}": {"version": STALE},
    },
    "gateway": {
        "PATCH /api/v1/admin/users/{user_id}": {"version": STALE},
        "POST /api/v1/admin/tokens": {"name": "マトリクス {role}", "expires_in_days": 1},
        "POST /api/v1/admin/users": {
            "login": "matrix-api-{role}",
            "display_name": "マトリクス",
            "role": "viewer",
            "password": "matrix-password-0123",
        },
    },
}


def parse(spec: str) -> tuple[dict[str, str], str | None]:
    """The outcome per role and the ``ok=`` status of a spec."""
    base, *overrides = [p.strip() for p in spec.split(";")]
    table = dict(PROFILES[base])
    ok = None
    for o in overrides:
        r, outcome = (x.strip() for x in o.split("="))
        if r == "ok":
            ok = outcome
        else:
            table[r] = outcome
    return table, ok


def expected_of(spec: str | None, role: str, method: str = "GET") -> str:
    """What ``role`` must get under ``spec``: an exact status ("200", "409", "403", "404"),
    or "deny" (403 or 404). An allowed role ("allow", "own") gets the spec's ``ok=`` status,
    200 for a read without one. No spec (a route without an entry; the entry tests fail for
    it) or a write without ``ok=``: "allow" (any status but 401/403/404/5xx), so that a probe
    run (BANSO_MATRIX_PROBE=file) still records what every role gets."""
    if spec is None:
        return "allow"
    table, ok = parse(spec)
    got = table[role]
    if got in ("allow", "own"):
        return ok or ("200" if method == "GET" else "allow")
    return got


def is_allowed(spec: str, role: str) -> bool:
    return parse(spec)[0][role] in ("allow", "own")


# ---------------------------------------------------------------- pages (issue #16)
# The gateway's pages of regional analysis, 地域包括支援センター and the shared 取組と目標:
# "METHOD /path" → the exact status each role gets on the demo data
# (tests/security/test_page_matrix.py). Path parameters: {code} 八王子市 (132012, the
# municipality actor's own), {centre_id} a centre of 八王子市, {other} 千代田区 (131016),
# {other_centre_id} a centre of 千代田区. Writes send a stale version (allowed → 409, nothing
# changes) or, for 好事例, an item already marked (allowed → 409).
PAGE_ROLES = ("admin", "coordinator", "advisor", "municipality", "viewer", "api_client")


def _statuses(default: int, **overrides: int) -> dict[str, int]:
    return {r: overrides.get(r, default) for r in PAGE_ROLES}


# Every signed-in role reads (an API token too, as on the other pages: read-only).
READ_PAGE = _statuses(200)
PAGE_MATRIX: dict[str, dict[str, int]] = {
    # the profile's 地域分析 section and the 地域分析シート: as the profile (own only)
    "GET /municipalities/{code}/regional": READ_PAGE,
    "GET /municipalities/{other}/regional": _statuses(200, municipality=404),
    "GET /municipalities/{code}/regional/sheet": READ_PAGE,
    "GET /municipalities/{other}/regional/sheet": _statuses(200, municipality=404),
    # published statistics: everybody signed in
    "GET /regional": READ_PAGE,
    "GET /centres": READ_PAGE,
    "GET /centres/municipalities/{code}": READ_PAGE,
    "GET /centres/municipalities/{other}": READ_PAGE,
    "GET /centres/{centre_id}": READ_PAGE,
    "GET /centres/{other_centre_id}": READ_PAGE,
    # answers: staff, or the centre's own municipality (stale version → 409)
    "POST /centres/{centre_id}/evaluation": _statuses(409, advisor=403, viewer=403, api_client=403),
    "POST /centres/{other_centre_id}/evaluation": _statuses(
        409, advisor=403, municipality=403, viewer=403, api_client=403
    ),
    "POST /centres/municipalities/{code}/evaluation": _statuses(
        409, advisor=403, viewer=403, api_client=403
    ),
    "POST /centres/municipalities/{other}/evaluation": _statuses(
        409, advisor=403, municipality=403, viewer=403, api_client=403
    ),
    # the 62 side by side and the 好事例 list: everybody signed in (drafts: the service hides)
    "GET /pdca/municipalities": READ_PAGE,
    "GET /pdca/good-practices": READ_PAGE,
    # a municipality's sheet: readable (a draft reads as "no sheet" to another municipality)
    "GET /pdca/municipalities/{other}": READ_PAGE,
    # writing another's sheet: staff (stale → 409); a municipality 404, read-only roles 403
    "POST /pdca/municipalities/{other}/records": _statuses(
        409, advisor=403, municipality=404, viewer=403, api_client=403
    ),
    # the sheet written from the pages (sheets16): create (a sheet already starts that year →
    # 409), an item, publish (stale version → 409); a municipality: 404, read-only roles: 403
    "POST /pdca/municipalities/{other}/sheets": _statuses(
        409, advisor=403, municipality=404, viewer=403, api_client=403
    ),
    "POST /pdca/municipalities/{other}/items": _statuses(
        409, advisor=403, municipality=404, viewer=403, api_client=403
    ),
    "POST /pdca/municipalities/{other}/published": _statuses(
        409, advisor=403, municipality=404, viewer=403, api_client=403
    ),
    # citing a 好事例 in 八王子市's case report: the report's lessons are the coordinator's
    # (staff: 303, the citation is written once however often); the test advisor is not
    # assigned to the case (404), the others may not write (403)
    "POST /pdca/good-practices/{good_practice_id}/cite": _statuses(
        303, advisor=404, municipality=403, viewer=403, api_client=403
    ),
    # the values a logic-tree node cites: as the case (八王子市's; the test advisor is not
    # the one assigned to it)
    "GET /support/cases/{case_id}/evidence": _statuses(200, advisor=404),
    # 好事例: coordinators mark (an item already marked → 409)
    "POST /pdca/good-practices": _statuses(
        409, advisor=403, municipality=403, viewer=403, api_client=403
    ),
}
