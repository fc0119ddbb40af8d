"""The support_cases service's answers as the gateway reads them: generated from its
OpenAPI document by ``python -m scripts.client_shapes``; do not edit by hand."""

from __future__ import annotations

from typing import Any, Literal, NotRequired

from typing_extensions import TypedDict  # pydantic needs it on Python < 3.12


class Actor(TypedDict):
    "Who is acting. ``municipality_code`` is set for municipality staff only; ``advised``"

    id: str
    name: str
    role: Role
    municipality_code: NotRequired[str | None]
    advised: NotRequired[list[str]]


class AdvisedMunicipalities(TypedDict):
    "The acting advisor's assigned cases (all but 中止) and their municipalities."

    advisor_id: NotRequired[int | None]
    case_ids: NotRequired[list[int]]
    municipality_codes: NotRequired[list[str]]


class AdvisorCreate(TypedDict):
    name: str
    affiliation: NotRequired[str]
    specialties: NotRequired[list[str]]
    availability: NotRequired[str]
    actor_id: NotRequired[str | None]
    active: NotRequired[bool]


class AdvisorHours(TypedDict):
    advisor_id: int
    hours: float


class AdvisorPublic(TypedDict):
    name: str
    affiliation: NotRequired[str]
    specialties: NotRequired[list[str]]
    availability: NotRequired[str]
    actor_id: NotRequired[str | None]
    active: NotRequired[bool]
    id: int
    version: int
    updated_at: str


class AdvisorRef(TypedDict):
    id: int
    name: str
    affiliation: NotRequired[str]


class AdvisorUpdate(TypedDict):
    version: int
    name: NotRequired[str | None]
    affiliation: NotRequired[str | None]
    specialties: NotRequired[list[str] | None]
    availability: NotRequired[str | None]
    actor_id: NotRequired[str | None]
    active: NotRequired[bool | None]


class ApplicationCreate(TypedDict):
    wished_themes: NotRequired[list[str]]
    motivation: NotRequired[str]
    current_efforts: NotRequired[str]
    contact_name: NotRequired[str]
    contact_department: NotRequired[str]
    contact_email: NotRequired[str]
    contact_phone: NotRequired[str]
    municipality_code: str


class ApplicationDecision(TypedDict):
    status: ApplicationStatus
    reason: NotRequired[str]
    version: int


class ApplicationPublic(TypedDict):
    wished_themes: NotRequired[list[str]]
    motivation: NotRequired[str]
    current_efforts: NotRequired[str]
    contact_name: NotRequired[str | None]
    contact_department: NotRequired[str]
    contact_email: NotRequired[str | None]
    contact_phone: NotRequired[str | None]
    id: int
    round_id: int
    fiscal_year: int
    municipality_code: str
    municipality_name: str
    region_class: str | None
    status: ApplicationStatus
    decision_reason: str
    decided_at: str | None
    decided_by: str
    created_at: str
    created_by: str
    version: int


ApplicationStatus = Literal["提出", "選定", "見送り"]


class ApplicationUpdate(TypedDict):
    version: int
    wished_themes: NotRequired[list[str] | None]
    motivation: NotRequired[str | None]
    current_efforts: NotRequired[str | None]
    contact_name: NotRequired[str | None]
    contact_department: NotRequired[str | None]
    contact_email: NotRequired[str | None]
    contact_phone: NotRequired[str | None]


class Attendee(TypedDict):
    name: str
    organization: NotRequired[str]
    municipality_code: NotRequired[str | None]


class AuditEntry(TypedDict):
    id: int
    at: str
    actor_id: str
    actor_name: str
    actor_role: str
    entity_type: str
    entity_id: str
    action: str
    changes: dict[str, Any]
    note: NotRequired[dict[str, Any] | None]
    request_id: NotRequired[str | None]


class CaseCreate(TypedDict):
    fiscal_year: int
    municipality_code: str
    theme: str
    indicator_item_codes: NotRequired[list[str]]
    observers: NotRequired[list[str]]
    advisor_ids: list[int]
    coordinator: NotRequired[str]
    background: NotRequired[str]


class CaseListItem(TypedDict):
    "Fixed contract (GET /api/v1/cases) plus fields the gateway shows without more calls."

    id: int
    municipality_code: str
    theme: str
    status: CaseStatus
    advisors: list[AdvisorRef]
    visits_count: int
    version: int
    municipality_name: str
    region_class: str | None
    fiscal_year: int
    round_id: int
    coordinator: str
    observers: list[str]
    last_visit_date: str | None
    next_visit_date: str | None
    advisor_hours: float
    roadmap_items: int
    roadmap_items_done: int
    roadmap_progress: float | None
    status_changed_at: str | None
    indicator_item_codes: NotRequired[list[str]]


class CasePublic(TypedDict):
    id: int
    municipality_code: str
    theme: str
    status: CaseStatus
    advisors: list[AdvisorRef]
    visits_count: int
    version: int
    municipality_name: str
    region_class: str | None
    fiscal_year: int
    round_id: int
    coordinator: str
    observers: list[str]
    last_visit_date: str | None
    next_visit_date: str | None
    advisor_hours: float
    roadmap_items: int
    roadmap_items_done: int
    roadmap_progress: float | None
    status_changed_at: str | None
    indicator_item_codes: NotRequired[list[str]]
    background: str
    results: str
    cancel_reason: str
    application_id: int | None
    next_status: CaseStatus | None
    transitions: list[TransitionPublic]
    created_at: str
    created_by: str
    updated_at: str
    updated_by: str


CaseStatus = Literal[
    "選定",
    "ヒアリング",
    "課題分析",
    "取組選定",
    "ロードマップ作成",
    "実施・検証",
    "報告",
    "完了",
    "中止",
]


class CaseUpdate(TypedDict):
    version: int
    theme: NotRequired[str | None]
    indicator_item_codes: NotRequired[list[str] | None]
    observers: NotRequired[list[str] | None]
    advisor_ids: NotRequired[list[int] | None]
    coordinator: NotRequired[str | None]
    background: NotRequired[str | None]
    results: NotRequired[str | None]


class DataRequestIn(TypedDict):
    description: str
    due_date: NotRequired[str | None]
    received: NotRequired[bool]
    received_on: NotRequired[str | None]


class DataRequestPublic(TypedDict):
    id: int
    visit_id: int
    case_id: int
    description: str
    due_date: str | None
    received: bool
    received_on: str | None
    overdue: bool
    version: int


class DataRequestUpdate(TypedDict):
    version: int
    description: NotRequired[str | None]
    due_date: NotRequired[str | None]
    received: NotRequired[bool | None]
    received_on: NotRequired[str | None]


class GoodPracticeCitation(TypedDict):
    "A 好事例 of the 取組と目標 (indicators service) the report cites. The gateway passes"

    reference: str
    title: str
    entity_name: NotRequired[str]
    note: NotRequired[str]


class InitiativeCreate(TypedDict):
    node_id: int
    title: str
    description: NotRequired[str]
    chosen: NotRequired[bool]
    reason: NotRequired[str]


class InitiativePublic(TypedDict):
    title: str
    description: NotRequired[str]
    chosen: NotRequired[bool]
    reason: NotRequired[str]
    id: int
    case_id: int
    node_id: int
    node_statement: str
    version: int
    updated_at: str
    updated_by: str


class InitiativeUpdate(TypedDict):
    version: int
    node_id: NotRequired[int | None]
    title: NotRequired[str | None]
    description: NotRequired[str | None]
    chosen: NotRequired[bool | None]
    reason: NotRequired[str | None]


ItemStatus = Literal["未着手", "実施中", "完了", "中止"]


class LessonsPublic(TypedDict):
    case_id: int
    lessons: str
    citations: NotRequired[list[dict[str, Any]]]
    version: int
    updated_at: str | None
    updated_by: str
    revisions: list[dict[str, Any]]


class LessonsUpdate(TypedDict):
    lessons: str
    version: int
    citations: NotRequired[list[GoodPracticeCitation] | None]


class MeasureCitation(TypedDict):
    "A regional-analysis measure and year cited as evidence (地域分析の指標を根拠に引用)."

    measure_code: str
    fiscal_year: int
    note: NotRequired[str]


class Milestone(TypedDict):
    month: str
    description: str
    done: NotRequired[bool]


class NodeCreate(TypedDict):
    parent_id: NotRequired[int | None]
    position: NotRequired[int | None]
    statement: str
    evidence: NotRequired[str]
    indicator_item_codes: NotRequired[list[str]]
    data_refs: NotRequired[list[str]]
    is_hypothesis: NotRequired[bool]
    measure_evidence: NotRequired[list[MeasureCitation]]


class NodeMove(TypedDict):
    version: int
    parent_id: int
    position: NotRequired[int | None]


class NodePublic(TypedDict):
    statement: str
    evidence: NotRequired[str]
    indicator_item_codes: NotRequired[list[str]]
    data_refs: NotRequired[list[str]]
    is_hypothesis: NotRequired[bool]
    measure_evidence: NotRequired[list[dict[str, Any]]]
    id: int
    case_id: int
    parent_id: int | None
    position: int
    depth: int
    version: int
    updated_at: str
    updated_by: str


class NodeUpdate(TypedDict):
    version: int
    statement: NotRequired[str | None]
    evidence: NotRequired[str | None]
    indicator_item_codes: NotRequired[list[str] | None]
    data_refs: NotRequired[list[str] | None]
    is_hypothesis: NotRequired[bool | None]
    measure_evidence: NotRequired[list[MeasureCitation] | None]


Problem = dict[str, Any]


class ProgressNote(TypedDict):
    at: str
    by: str
    text: str


class Reorder(TypedDict):
    parent_id: int
    node_ids: list[int]


class RoadmapItemCreate(TypedDict):
    initiative_id: int
    owner: NotRequired[str]
    start_month: str
    end_month: str
    milestones: NotRequired[list[Milestone]]
    kpi_item_code: NotRequired[str | None]
    kpi_custom: NotRequired[str]
    kpi_unit: NotRequired[str]
    baseline: NotRequired[float | None]
    target: NotRequired[float | None]
    verification_method: NotRequired[str]
    status: NotRequired[ItemStatus]


class RoadmapItemPublic(TypedDict):
    id: int
    case_id: int
    initiative_id: int
    initiative_title: str
    owner: str
    start_month: str
    end_month: str
    milestones: list[Milestone]
    kpi_item_code: str | None
    kpi_custom: str
    kpi_unit: str
    baseline: float | None
    target: float | None
    verification_method: str
    status: ItemStatus
    progress_notes: list[ProgressNote]
    action_fiscal_year: int
    first_grant_year: int
    version: int
    updated_at: str
    updated_by: str


class RoadmapItemUpdate(TypedDict):
    version: int
    owner: NotRequired[str | None]
    start_month: NotRequired[str | None]
    end_month: NotRequired[str | None]
    milestones: NotRequired[list[Milestone] | None]
    kpi_item_code: NotRequired[str | None]
    kpi_custom: NotRequired[str | None]
    kpi_unit: NotRequired[str | None]
    baseline: NotRequired[float | None]
    target: NotRequired[float | None]
    verification_method: NotRequired[str | None]
    status: NotRequired[ItemStatus | None]
    progress_note: NotRequired[str | None]


Role = Literal["admin", "coordinator", "advisor", "municipality", "viewer", "api_client"]


class RoundCreate(TypedDict):
    theme_policy: NotRequired[ThemePolicy]
    themes: NotRequired[list[str]]
    application_opens: str
    application_closes: str
    targets_by_region_class: NotRequired[dict[str, int]]
    advisor_days_budget: NotRequired[int]
    fiscal_year: int


class RoundPublic(TypedDict):
    theme_policy: NotRequired[ThemePolicy]
    themes: NotRequired[list[str]]
    application_opens: str
    application_closes: str
    targets_by_region_class: NotRequired[dict[str, int]]
    advisor_days_budget: NotRequired[int]
    id: int
    fiscal_year: int
    version: int
    updated_at: str
    updated_by: str


class RoundSummaries(TypedDict):
    years: list[YearSummary]


class RoundSummary(TypedDict):
    "Fixed contract: GET /api/v1/rounds/{fy}/summary."

    fiscal_year: int
    applications: int
    selected_by_region_class: dict[str, int]
    cases_by_status: dict[str, int]
    advisor_dispatches: int
    advisor_hours: float
    applications_by_status: dict[str, int]
    targets_by_region_class: dict[str, int]
    advisor_days_budget: int
    cases: int


class RoundUpdate(TypedDict):
    version: int
    theme_policy: NotRequired[ThemePolicy | None]
    themes: NotRequired[list[str] | None]
    application_opens: NotRequired[str | None]
    application_closes: NotRequired[str | None]
    targets_by_region_class: NotRequired[dict[str, int] | None]
    advisor_days_budget: NotRequired[int | None]


class RoundView(TypedDict):
    "A round with everything its views read. ``round`` and ``summary`` are null when the"

    fiscal_year: int
    round: RoundPublic | None
    summary: RoundSummary | None
    applications: list[ApplicationPublic] | None
    cases: list[CaseListItem]


class SnapshotCreate(TypedDict):
    label: NotRequired[str]
    visit_id: NotRequired[int | None]


class SnapshotInfo(TypedDict):
    id: int
    case_id: int
    visit_id: int | None
    label: str
    node_count: int
    taken_at: str
    taken_by: str


class SnapshotPublic(TypedDict):
    id: int
    case_id: int
    visit_id: int | None
    label: str
    node_count: int
    taken_at: str
    taken_by: str
    tree: dict[str, Any] | None


ThemePolicy = Literal["open", "fixed"]


class TransitionPublic(TypedDict):
    id: int
    from_status: str | None
    to_status: str
    reason: str
    at: str
    by: str


class TransitionRequest(TypedDict):
    to_status: CaseStatus
    reason: NotRequired[str]
    version: int


class TreePublic(TypedDict):
    case_id: int
    node_count: int
    max_depth: int | None
    root: dict[str, Any] | None


class VisitCreate(TypedDict):
    visit_date: str
    kind: NotRequired[VisitKind]
    place: NotRequired[str]
    online: NotRequired[bool]
    attendees: NotRequired[list[Attendee]]
    observer_codes: NotRequired[list[str]]
    agenda: NotRequired[str]
    notes: NotRequired[str]
    issues_found: NotRequired[list[str]]
    follow_ups: NotRequired[list[str]]
    advisors: list[AdvisorHours]
    data_requests: NotRequired[list[DataRequestIn]]
    snapshot_tree: NotRequired[bool]


VisitKind = Literal["ヒアリング", "訪問支援", "検討会"]


class VisitPublic(TypedDict):
    visit_date: str
    kind: NotRequired[VisitKind]
    place: NotRequired[str]
    online: NotRequired[bool]
    attendees: NotRequired[list[dict[str, Any]]]
    observer_codes: NotRequired[list[str]]
    agenda: NotRequired[str]
    notes: NotRequired[str]
    issues_found: NotRequired[list[str]]
    follow_ups: NotRequired[list[str]]
    id: int
    case_id: int
    advisors: list[dict[str, Any]]
    advisor_hours: float
    data_requests: list[DataRequestPublic]
    version: int
    created_at: str
    created_by: str
    updated_at: str
    updated_by: str


class VisitUpdate(TypedDict):
    version: int
    visit_date: NotRequired[str | None]
    kind: NotRequired[VisitKind | None]
    place: NotRequired[str | None]
    online: NotRequired[bool | None]
    attendees: NotRequired[list[Attendee] | None]
    observer_codes: NotRequired[list[str] | None]
    agenda: NotRequired[str | None]
    notes: NotRequired[str | None]
    issues_found: NotRequired[list[str] | None]
    follow_ups: NotRequired[list[str] | None]
    advisors: NotRequired[list[AdvisorHours] | None]


class YearSummary(TypedDict):
    fiscal_year: int
    summary: RoundSummary | None


# Each JSON operation's answer (2xx), as the annotation a client method declares.
RESPONSES: dict[str, str] = {
    "GET /api/v1/advised-municipalities": "AdvisedMunicipalities",
    "GET /api/v1/advisors": "list[AdvisorPublic]",
    "POST /api/v1/advisors": "AdvisorPublic",
    "GET /api/v1/advisors/{advisor_id}": "AdvisorPublic",
    "PATCH /api/v1/advisors/{advisor_id}": "AdvisorPublic",
    "GET /api/v1/applications": "list[ApplicationPublic]",
    "GET /api/v1/applications/{application_id}": "ApplicationPublic",
    "PATCH /api/v1/applications/{application_id}": "ApplicationPublic",
    "POST /api/v1/applications/{application_id}/decision": "ApplicationPublic",
    "GET /api/v1/audit": "list[AuditEntry]",
    "GET /api/v1/cases": "list[CaseListItem]",
    "POST /api/v1/cases": "CasePublic",
    "GET /api/v1/cases/{case_id}": "CasePublic",
    "PATCH /api/v1/cases/{case_id}": "CasePublic",
    "GET /api/v1/cases/{case_id}/data-requests": "list[DataRequestPublic]",
    "PATCH /api/v1/cases/{case_id}/data-requests/{request_id}": "DataRequestPublic",
    "GET /api/v1/cases/{case_id}/initiatives": "list[InitiativePublic]",
    "POST /api/v1/cases/{case_id}/initiatives": "InitiativePublic",
    "PATCH /api/v1/cases/{case_id}/initiatives/{initiative_id}": "InitiativePublic",
    "GET /api/v1/cases/{case_id}/report": "dict[str, Any]",
    "GET /api/v1/cases/{case_id}/report/lessons": "LessonsPublic",
    "PUT /api/v1/cases/{case_id}/report/lessons": "LessonsPublic",
    "GET /api/v1/cases/{case_id}/roadmap": "list[RoadmapItemPublic]",
    "POST /api/v1/cases/{case_id}/roadmap": "RoadmapItemPublic",
    "PATCH /api/v1/cases/{case_id}/roadmap/{item_id}": "RoadmapItemPublic",
    "POST /api/v1/cases/{case_id}/transitions": "CasePublic",
    "GET /api/v1/cases/{case_id}/tree": "TreePublic",
    "POST /api/v1/cases/{case_id}/tree/nodes": "NodePublic",
    "PATCH /api/v1/cases/{case_id}/tree/nodes/{node_id}": "NodePublic",
    "POST /api/v1/cases/{case_id}/tree/nodes/{node_id}/move": "NodePublic",
    "POST /api/v1/cases/{case_id}/tree/reorder": "TreePublic",
    "GET /api/v1/cases/{case_id}/tree/snapshots": "list[SnapshotInfo]",
    "POST /api/v1/cases/{case_id}/tree/snapshots": "SnapshotPublic",
    "GET /api/v1/cases/{case_id}/tree/snapshots/{snapshot_id}": "SnapshotPublic",
    "GET /api/v1/cases/{case_id}/visits": "list[VisitPublic]",
    "POST /api/v1/cases/{case_id}/visits": "VisitPublic",
    "PATCH /api/v1/cases/{case_id}/visits/{visit_id}": "VisitPublic",
    "GET /api/v1/me": "Actor",
    "GET /api/v1/rounds": "list[RoundPublic]",
    "POST /api/v1/rounds": "RoundPublic",
    "GET /api/v1/rounds/{fiscal_year}": "RoundPublic",
    "PATCH /api/v1/rounds/{fiscal_year}": "RoundPublic",
    "GET /api/v1/rounds/{fiscal_year}/applications": "list[ApplicationPublic]",
    "POST /api/v1/rounds/{fiscal_year}/applications": "ApplicationPublic",
    "GET /api/v1/rounds/{fiscal_year}/summary": "RoundSummary",
    "GET /api/v1/views/round-summaries": "RoundSummaries",
    "GET /api/v1/views/rounds/{fiscal_year}": "RoundView",
    "GET /api/v1/visits": "list[VisitPublic]",
    "GET /healthz": "dict[str, str]",
    "GET /readyz": "Any",
}

# Each operation's JSON request body, as the annotation a client method's body takes.
REQUESTS: dict[str, str] = {
    "POST /api/v1/advisors": "AdvisorCreate",
    "PATCH /api/v1/advisors/{advisor_id}": "AdvisorUpdate",
    "PATCH /api/v1/applications/{application_id}": "ApplicationUpdate",
    "POST /api/v1/applications/{application_id}/decision": "ApplicationDecision",
    "POST /api/v1/cases": "CaseCreate",
    "PATCH /api/v1/cases/{case_id}": "CaseUpdate",
    "PATCH /api/v1/cases/{case_id}/data-requests/{request_id}": "DataRequestUpdate",
    "POST /api/v1/cases/{case_id}/initiatives": "InitiativeCreate",
    "PATCH /api/v1/cases/{case_id}/initiatives/{initiative_id}": "InitiativeUpdate",
    "PUT /api/v1/cases/{case_id}/report/lessons": "LessonsUpdate",
    "POST /api/v1/cases/{case_id}/roadmap": "RoadmapItemCreate",
    "PATCH /api/v1/cases/{case_id}/roadmap/{item_id}": "RoadmapItemUpdate",
    "POST /api/v1/cases/{case_id}/transitions": "TransitionRequest",
    "POST /api/v1/cases/{case_id}/tree/nodes": "NodeCreate",
    "PATCH /api/v1/cases/{case_id}/tree/nodes/{node_id}": "NodeUpdate",
    "POST /api/v1/cases/{case_id}/tree/nodes/{node_id}/move": "NodeMove",
    "POST /api/v1/cases/{case_id}/tree/reorder": "Reorder",
    "POST /api/v1/cases/{case_id}/tree/snapshots": "SnapshotCreate",
    "POST /api/v1/cases/{case_id}/visits": "VisitCreate",
    "PATCH /api/v1/cases/{case_id}/visits/{visit_id}": "VisitUpdate",
    "POST /api/v1/rounds": "RoundCreate",
    "PATCH /api/v1/rounds/{fiscal_year}": "RoundUpdate",
    "POST /api/v1/rounds/{fiscal_year}/applications": "ApplicationCreate",
}
