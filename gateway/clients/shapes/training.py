"""The training service's answers as the gateway reads them: generated from its
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


class AttendanceBulk(TypedDict):
    entries: list[AttendanceEntry]


class AttendanceEntry(TypedDict):
    registration_id: int
    day_no: int
    status: Mark


class AttendanceRow(TypedDict):
    registration_id: int
    name: str
    municipality_code: str
    role: str
    marks: dict[str, Mark | None]
    attended_days: int
    completed: bool


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


class Body_import_attendance_api_v1_sessions__session_id__attendance_import_post(TypedDict):
    file: str


class Body_import_history_api_v1_history_import_post(TypedDict):
    file: str
    source: NotRequired[str]


class CancelResult(TypedDict):
    "A cancelled registration and who took the freed seat (the first on the waitlist)."

    cancelled: RegistrationPublic
    promoted: list[RegistrationPublic]


class CheckInCreate(TypedDict):
    step_id: NotRequired[int | None]
    checked_on: str
    status: CheckStatus
    note: NotRequired[str]


class CheckInPublic(TypedDict):
    id: int
    step_id: int | None
    checked_on: str
    status: CheckStatus
    note: str
    created_by: str


CheckStatus = Literal["予定通り", "遅れ", "完了"]


CompletionRule = Literal["all_days", "n_of_m"]


class DashboardView(TypedDict):
    "The dashboard's training part: the year's stats, and how many of the year's sessions"

    fiscal_year: int
    stats: Stats
    month: str
    sessions_this_month: int


class DayIn(TypedDict):
    date: str
    start: str
    end: str


class DayPublic(TypedDict):
    date: str
    start: str
    end: str
    day_no: int


class Demand(TypedDict):
    fiscal_year: int
    rule: str
    sessions: list[DemandSession]
    programs: list[DemandProgram]
    over_subscribed: list[DemandProgram]


class DemandProgram(TypedDict):
    program_id: int
    name: str
    kind: str
    capacity: int
    applicants: int
    ratio: float | None
    over_subscribed: bool
    suggested_capacity: int | None


class DemandSession(TypedDict):
    session_id: int
    program_id: int
    capacity: int
    applicants: int
    ratio: float
    over_subscribed: bool


Format = Literal["会場", "オンライン", "ハイブリッド"]


class HistoryImport(TypedDict):
    rows: list[HistoryRowIn]


class HistoryPart(TypedDict):
    participants: int
    completers: int
    sessions: int


class HistoryPublic(TypedDict):
    id: int
    fiscal_year: int
    kind: str
    municipality_code: str | None
    participants: int | None
    completers: int | None
    sessions: int | None
    source: str
    note: str
    version: int
    updated_by: str


class HistoryRowIn(TypedDict):
    kind: Kind
    fiscal_year: int
    municipality_code: NotRequired[str | None]
    participants: NotRequired[int | None]
    completers: NotRequired[int | None]
    sessions: NotRequired[int | None]
    source: str
    note: NotRequired[str]


class HistorySource(TypedDict):
    fiscal_year: int
    kind: str
    municipality_code: str | None
    source: str


class HistoryWritten(TypedDict):
    created: int
    replaced: int
    rows: list[HistoryPublic]
    warnings: list[str]


Kind = Literal[
    "全体研修・情報交換会",
    "見える化システム活用研修",
    "パワーアップセミナー",
    "地域ケア会議 司会者・助言者養成",
    "生活支援コーディネーター 初任者",
    "生活支援コーディネーター 現任者",
    "介護予防 総論",
    "介護予防 実践",
    "その他",
]


class KoteiHyoCreate(TypedDict):
    program_id: int
    municipality_code: str
    title: NotRequired[str]
    steps: NotRequired[list[StepIn]]


class KoteiHyoPublic(TypedDict):
    id: int
    program_id: int
    fiscal_year: int
    municipality_code: str
    title: str
    version: int
    steps: list[StepPublic]
    check_ins: list[CheckInPublic]
    updated_by: str


class KoteiHyoUpdate(TypedDict):
    version: int
    title: NotRequired[str | None]
    steps: NotRequired[list[StepIn] | None]


class KoteiStatus(TypedDict):
    "A municipality's 工程表 at a glance (for the gateway)."

    municipality_code: str
    kotei_hyo_id: int
    program_id: int
    steps: int
    done: int
    delayed: int
    overdue: int
    last_check_in: str | None
    status: str


Mark = Literal["present", "absent", "on_demand"]


Metric = Literal["completers", "sessions_per_year", "municipalities_reached"]


class MunicipalityParticipation(TypedDict):
    municipality_code: str
    sessions_attended_by_kind: dict[str, int]
    sessions_attended: int
    completers_by_kind: dict[str, int]
    completers: int
    persons: int
    attendances: int
    registrations: int
    reached: bool
    from_history: NotRequired[HistoryPart | None]


class MunicipalityView(TypedDict):
    "A municipality's training for its profile and overview: participation and 工程表."

    fiscal_year: int
    municipality_code: str
    participation: MunicipalityParticipation
    kotei_hyo: list[KoteiStatus]


class OverdueStep(TypedDict):
    kotei_hyo_id: int
    municipality_code: str
    step_id: int
    title: str
    due_date: str
    owner: str
    status: CheckStatus | None
    days_overdue: int


class Participation(TypedDict):
    fiscal_year: int
    municipalities: list[MunicipalityParticipation]


Problem = dict[str, Any]


class ProgramCreate(TypedDict):
    name: str
    kind: Kind
    fiscal_year: int
    region: NotRequired[Region]
    theme: NotRequired[str]
    completion_rule: NotRequired[CompletionRule]
    completion_min_days: NotRequired[int | None]
    audience_roles: NotRequired[list[str]]


class ProgramPublic(TypedDict):
    name: str
    kind: str
    fiscal_year: int
    region: NotRequired[str]
    theme: NotRequired[str]
    completion_rule: NotRequired[str]
    completion_min_days: NotRequired[int | None]
    id: int
    audience_roles: list[str]
    version: int
    created_by: str
    updated_by: str


class ProgramSurveySummary(TypedDict):
    responses: int
    average: float | None
    distribution: dict[str, int]
    comments: list[str]
    program_id: int
    sessions: list[SessionSurveySummary]


class ProgramUpdate(TypedDict):
    version: int
    name: NotRequired[str | None]
    kind: NotRequired[Kind | None]
    fiscal_year: NotRequired[int | None]
    region: NotRequired[Region | None]
    theme: NotRequired[str | None]
    audience_roles: NotRequired[list[str] | None]
    completion_rule: NotRequired[CompletionRule | None]
    completion_min_days: NotRequired[int | None]


class ProgramsView(TypedDict):
    "The training programs page and the calendar: programs, sessions, targets, demand and"

    fiscal_year: int
    programs: list[ProgramPublic]
    sessions: list[SessionPublic]
    targets: list[TargetProgress]
    demand: Demand
    stats: Stats


Region = Literal["全域", "区部", "市部", "町村部"]


class RegistrationCreate(TypedDict):
    name: str
    municipality_code: str
    role: NotRequired[str]
    email: str


class RegistrationPublic(TypedDict):
    id: int
    session_id: int
    name: str
    municipality_code: str
    role: str
    email: str | None
    status: Literal["confirmed", "waitlisted", "cancelled"]
    waitlist_position: int | None
    created_at: str
    created_by: str


Role = Literal["admin", "coordinator", "advisor", "municipality", "viewer", "api_client"]


class SessionAttendance(TypedDict):
    session_id: int
    program_id: int
    days: int
    required_days: int
    rows: list[AttendanceRow]
    persons: int
    attendances: int
    completers: int


class SessionCreate(TypedDict):
    program_id: int
    days: list[DayIn]
    format: Format
    capacity: int
    title: NotRequired[str]
    venue: NotRequired[str]
    meeting_url: NotRequired[str]
    recording_url: NotRequired[str]
    registration_opens: NotRequired[str | None]
    registration_closes: NotRequired[str | None]
    municipality_quota: NotRequired[int | None]


class SessionPublic(TypedDict):
    id: int
    program_id: int
    title: str
    format: Format
    venue: str
    meeting_url: str
    recording_url: str
    capacity: int
    confirmed: int
    waitlisted: int
    registration_opens: str | None
    registration_closes: str | None
    municipality_quota: int | None
    days: list[DayPublic]
    version: int
    warnings: NotRequired[list[str]]


class SessionSurveySummary(TypedDict):
    responses: int
    average: float | None
    distribution: dict[str, int]
    comments: list[str]
    session_id: int


class SessionUpdate(TypedDict):
    version: int
    days: NotRequired[list[DayIn] | None]
    format: NotRequired[Format | None]
    capacity: NotRequired[int | None]
    title: NotRequired[str | None]
    venue: NotRequired[str | None]
    meeting_url: NotRequired[str | None]
    recording_url: NotRequired[str | None]
    registration_opens: NotRequired[str | None]
    registration_closes: NotRequired[str | None]
    municipality_quota: NotRequired[int | None]


class Stats(TypedDict):
    "The year's figures: per-person records plus imported history (過去の実績), each part"

    fiscal_year: int
    sessions_held_by_kind: dict[str, int]
    completers_by_kind: dict[str, int]
    persons_by_kind: dict[str, int]
    attendances_by_kind: dict[str, int]
    municipalities_reached: list[str]
    municipalities_not_reached: list[str]
    from_records: StatsPart
    from_history: StatsPart
    history_sources: list[HistorySource]


class StatsPart(TypedDict):
    "One source's part of the year's figures (every kind a key)."

    sessions_held_by_kind: dict[str, int]
    completers_by_kind: dict[str, int]
    persons_by_kind: dict[str, int]
    municipalities_reached: list[str]


class StepIn(TypedDict):
    id: NotRequired[int | None]
    title: str
    due_date: str
    owner: NotRequired[str]


class StepPublic(TypedDict):
    id: int
    step_no: int
    title: str
    due_date: str
    owner: str
    status: CheckStatus | None
    overdue: bool


class SurveyCreate(TypedDict):
    satisfaction: int
    comment: NotRequired[str]
    registration_id: NotRequired[int | None]


class SurveyCreated(TypedDict):
    id: int
    session_id: int
    satisfaction: int
    comment: str


class TargetCreate(TypedDict):
    name: str
    program_id: NotRequired[int | None]
    kind: NotRequired[Kind | None]
    metric: Metric
    fy_from: int
    fy_to: int
    value: NotRequired[int | None]


class TargetProgress(TypedDict):
    id: int
    name: str
    program_id: int | None
    kind: str | None
    metric: Metric
    fy_from: int
    fy_to: int
    value: int
    version: int
    actual: int
    actual_from_records: NotRequired[int]
    actual_from_history: NotRequired[int]
    remaining: int
    progress: float
    achieved: bool
    by_year: list[YearProgress]
    municipalities_not_reached: list[str]


class TargetUpdate(TypedDict):
    version: int
    name: NotRequired[str | None]
    fy_from: NotRequired[int | None]
    fy_to: NotRequired[int | None]
    value: NotRequired[int | None]


class YearProgress(TypedDict):
    fiscal_year: int
    actual: int
    from_records: NotRequired[int]
    from_history: NotRequired[int]
    met: bool | None
    municipalities_not_reached: NotRequired[list[str] | None]


class YearsView(TypedDict):
    "The stats of a range of fiscal years (the PDCA sheet's actuals), oldest first."

    years: list[Stats]


# Each JSON operation's answer (2xx), as the annotation a client method declares.
RESPONSES: dict[str, str] = {
    "GET /api/v1/audit": "list[AuditEntry]",
    "GET /api/v1/demand": "Demand",
    "GET /api/v1/history": "list[HistoryPublic]",
    "POST /api/v1/history": "HistoryWritten",
    "POST /api/v1/history/import": "HistoryWritten",
    "GET /api/v1/kotei-hyo": "list[KoteiHyoPublic]",
    "POST /api/v1/kotei-hyo": "KoteiHyoPublic",
    "GET /api/v1/kotei-hyo/overdue": "list[OverdueStep]",
    "GET /api/v1/kotei-hyo/status": "list[KoteiStatus]",
    "GET /api/v1/kotei-hyo/{kotei_hyo_id}": "KoteiHyoPublic",
    "PUT /api/v1/kotei-hyo/{kotei_hyo_id}": "KoteiHyoPublic",
    "POST /api/v1/kotei-hyo/{kotei_hyo_id}/check-ins": "CheckInPublic",
    "GET /api/v1/me": "Actor",
    "GET /api/v1/participation": "Participation",
    "GET /api/v1/programs": "list[ProgramPublic]",
    "POST /api/v1/programs": "ProgramPublic",
    "GET /api/v1/programs/{program_id}": "ProgramPublic",
    "PATCH /api/v1/programs/{program_id}": "ProgramPublic",
    "GET /api/v1/programs/{program_id}/surveys/summary": "ProgramSurveySummary",
    "GET /api/v1/registrations": "list[RegistrationPublic]",
    "GET /api/v1/registrations/{registration_id}": "RegistrationPublic",
    "POST /api/v1/registrations/{registration_id}/cancel": "CancelResult",
    "GET /api/v1/sessions": "list[SessionPublic]",
    "POST /api/v1/sessions": "SessionPublic",
    "GET /api/v1/sessions/{session_id}": "SessionPublic",
    "PATCH /api/v1/sessions/{session_id}": "SessionPublic",
    "GET /api/v1/sessions/{session_id}/attendance": "SessionAttendance",
    "PUT /api/v1/sessions/{session_id}/attendance": "SessionAttendance",
    "POST /api/v1/sessions/{session_id}/attendance/import": "SessionAttendance",
    "GET /api/v1/sessions/{session_id}/registrations": "list[RegistrationPublic]",
    "POST /api/v1/sessions/{session_id}/registrations": "RegistrationPublic",
    "POST /api/v1/sessions/{session_id}/surveys": "SurveyCreated",
    "GET /api/v1/sessions/{session_id}/surveys/summary": "SessionSurveySummary",
    "GET /api/v1/stats": "Stats",
    "GET /api/v1/targets": "list[TargetProgress]",
    "POST /api/v1/targets": "TargetProgress",
    "GET /api/v1/targets/{target_id}": "TargetProgress",
    "PATCH /api/v1/targets/{target_id}": "TargetProgress",
    "GET /api/v1/views/dashboard": "DashboardView",
    "GET /api/v1/views/municipalities/{code}": "MunicipalityView",
    "GET /api/v1/views/programs": "ProgramsView",
    "GET /api/v1/views/years": "YearsView",
    "GET /healthz": "dict[str, str]",
    "GET /readyz": "Any",
}

# Each operation's JSON request body, as the annotation a client method's body takes.
REQUESTS: dict[str, str] = {
    "POST /api/v1/history": "HistoryImport",
    "POST /api/v1/kotei-hyo": "KoteiHyoCreate",
    "PUT /api/v1/kotei-hyo/{kotei_hyo_id}": "KoteiHyoUpdate",
    "POST /api/v1/kotei-hyo/{kotei_hyo_id}/check-ins": "CheckInCreate",
    "POST /api/v1/programs": "ProgramCreate",
    "PATCH /api/v1/programs/{program_id}": "ProgramUpdate",
    "POST /api/v1/sessions": "SessionCreate",
    "PATCH /api/v1/sessions/{session_id}": "SessionUpdate",
    "PUT /api/v1/sessions/{session_id}/attendance": "AttendanceBulk",
    "POST /api/v1/sessions/{session_id}/registrations": "RegistrationCreate",
    "POST /api/v1/sessions/{session_id}/surveys": "SurveyCreate",
    "POST /api/v1/targets": "TargetCreate",
    "PATCH /api/v1/targets/{target_id}": "TargetUpdate",
}
