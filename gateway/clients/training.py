"""Client of the training service: one small typed method per call, tolerant read models."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

import httpx
from pydantic import BaseModel, ConfigDict, Field

from gateway.clients.base import ServiceClient
from gateway.clients.shapes import training as shapes
from services.common.actor import Actor


class _Read(BaseModel):
    model_config = ConfigDict(extra="ignore")


class ProgramSummary(_Read):
    id: int
    name: str
    kind: str
    fiscal_year: int
    region: str = "全域"
    theme: str | None = ""
    completion_rule: str = "all_days"
    completion_min_days: int | None = None
    audience_roles: list[str] = Field(default_factory=list)


class SessionDay(_Read):
    day_no: int
    date: date
    start: time | None = None
    end: time | None = None


class SessionInfo(_Read):
    id: int
    program_id: int
    title: str | None = ""
    format: str = ""
    venue: str | None = ""
    meeting_url: str | None = ""
    recording_url: str | None = ""
    capacity: int = 0
    confirmed: int = 0
    waitlisted: int = 0
    registration_opens: datetime | None = None
    registration_closes: datetime | None = None
    municipality_quota: int | None = None
    days: list[SessionDay] = Field(default_factory=list)
    version: int = 1

    @property
    def full(self) -> bool:
        return self.confirmed >= self.capacity


class RegistrationInfo(_Read):
    id: int
    session_id: int
    name: str
    municipality_code: str
    role: str = ""
    email: str | None = None  # null: not the reader's to see (services.common.access)
    status: str
    waitlist_position: int | None = None
    created_at: datetime | None = None


class CancelResult(_Read):
    cancelled: RegistrationInfo
    promoted: list[RegistrationInfo] = Field(default_factory=list)


class AttendanceRow(_Read):
    registration_id: int
    name: str
    municipality_code: str
    role: str = ""
    marks: dict[int, str | None] = Field(default_factory=dict)
    attended_days: int = 0
    completed: bool = False


class AttendanceSheet(_Read):
    session_id: int
    days: int
    required_days: int = 0
    rows: list[AttendanceRow] = Field(default_factory=list)
    persons: int = 0
    attendances: int = 0
    completers: int = 0


class YearProgress(_Read):
    fiscal_year: int
    actual: int = 0
    met: bool | None = None


class TargetProgress(_Read):
    id: int
    name: str
    program_id: int | None = None
    kind: str | None = None
    metric: str
    fy_from: int
    fy_to: int
    value: int
    actual: int = 0
    remaining: int = 0
    progress: float = 0.0
    achieved: bool = False
    by_year: list[YearProgress] = Field(default_factory=list)
    municipalities_not_reached: list[str] = Field(default_factory=list)


class ProgramDemand(_Read):
    program_id: int
    name: str = ""
    kind: str = ""
    capacity: int = 0
    applicants: int = 0
    ratio: float | None = None
    over_subscribed: bool = False
    suggested_capacity: int | None = None


class SessionDemand(_Read):
    session_id: int
    program_id: int
    capacity: int = 0
    applicants: int = 0
    over_subscribed: bool = False


class Demand(_Read):
    fiscal_year: int
    rule: str = ""
    sessions: list[SessionDemand] = Field(default_factory=list)
    programs: list[ProgramDemand] = Field(default_factory=list)
    over_subscribed: list[ProgramDemand] = Field(default_factory=list)


class KoteiStep(_Read):
    id: int
    step_no: int
    title: str
    due_date: date | None = None
    owner: str = ""
    status: str | None = None
    overdue: bool = False


class KoteiCheckIn(_Read):
    id: int
    step_id: int | None = None
    checked_on: date | None = None
    status: str = ""
    note: str = ""


class KoteiHyo(_Read):  # 工程表
    id: int
    program_id: int
    fiscal_year: int | None = None
    municipality_code: str
    title: str = ""
    steps: list[KoteiStep] = Field(default_factory=list)
    check_ins: list[KoteiCheckIn] = Field(default_factory=list)


class Stats(_Read):
    fiscal_year: int
    sessions_held_by_kind: dict[str, int] = Field(default_factory=dict)
    completers_by_kind: dict[str, int] = Field(default_factory=dict)
    persons_by_kind: dict[str, int] = Field(default_factory=dict)
    attendances_by_kind: dict[str, int] = Field(default_factory=dict)
    municipalities_reached: list[str] = Field(default_factory=list)
    municipalities_not_reached: list[str] = Field(default_factory=list)


class MunicipalityParticipation(_Read):
    municipality_code: str
    sessions_attended_by_kind: dict[str, int] = Field(default_factory=dict)
    sessions_attended: int = 0
    completers_by_kind: dict[str, int] = Field(default_factory=dict)
    completers: int = 0
    persons: int = 0
    attendances: int = 0
    reached: bool = False


class Participation(_Read):
    fiscal_year: int
    municipalities: list[MunicipalityParticipation] = Field(default_factory=list)


class KoteiStatus(_Read):  # 工程表 at a glance
    municipality_code: str
    kotei_hyo_id: int
    program_id: int
    steps: int = 0
    done: int = 0
    delayed: int = 0
    overdue: int = 0
    last_check_in: date | None = None
    status: str = ""


class DashboardView(_Read):
    """/views/dashboard: the year's stats and the sessions with a day this month (Tokyo)."""

    fiscal_year: int
    stats: Stats
    month: str
    sessions_this_month: int


class MunicipalityView(_Read):
    """/views/municipalities/{code}: a municipality's participation and 工程表."""

    fiscal_year: int
    municipality_code: str
    participation: MunicipalityParticipation
    kotei_hyo: list[KoteiStatus]


class TrainingClient(ServiceClient):
    service = "training"

    async def programs(
        self, *, fiscal_year: int | None = None, actor: Actor | None = None
    ) -> list[ProgramSummary]:
        params = {"fiscal_year": fiscal_year} if fiscal_year is not None else None
        data = await self.get_json("/api/v1/programs", params=params, actor=actor)
        return [ProgramSummary.model_validate(x) for x in data]

    async def program(self, program_id: int, *, actor: Actor | None = None) -> ProgramSummary:
        data = await self.get_json(f"/api/v1/programs/{program_id}", actor=actor)
        return ProgramSummary.model_validate(data)

    async def sessions(
        self,
        *,
        fiscal_year: int | None = None,
        program_id: int | None = None,
        actor: Actor | None = None,
    ) -> list[SessionInfo]:
        params = {k: v for k, v in (("fiscal_year", fiscal_year), ("program_id", program_id)) if v}
        data = await self.get_json("/api/v1/sessions", params=params or None, actor=actor)
        return [SessionInfo.model_validate(x) for x in data]

    async def session(self, session_id: int, *, actor: Actor | None = None) -> SessionInfo:
        data = await self.get_json(f"/api/v1/sessions/{session_id}", actor=actor)
        return SessionInfo.model_validate(data)

    async def registrations(
        self, session_id: int, *, actor: Actor | None = None
    ) -> list[RegistrationInfo]:
        """The session's registrations that are not cancelled."""
        data = await self.get_json(f"/api/v1/sessions/{session_id}/registrations", actor=actor)
        regs = [RegistrationInfo.model_validate(x) for x in data]
        return [r for r in regs if r.status != "cancelled"]

    async def register(
        self, session_id: int, body: shapes.RegistrationCreate, *, actor: Actor | None = None
    ) -> RegistrationInfo:
        resp = await self.request(
            "POST",
            f"/api/v1/sessions/{session_id}/registrations",
            json=body,
            actor=actor,
            expect=(201,),
        )
        return RegistrationInfo.model_validate(resp.json())

    async def cancel(self, registration_id: int, *, actor: Actor | None = None) -> CancelResult:
        """Cancel; the service says who took the freed seat (the first on the waitlist)."""
        resp = await self.request(
            "POST", f"/api/v1/registrations/{registration_id}/cancel", actor=actor
        )
        return CancelResult.model_validate(resp.json())

    async def attendance(self, session_id: int, *, actor: Actor | None = None) -> AttendanceSheet:
        data = await self.get_json(f"/api/v1/sessions/{session_id}/attendance", actor=actor)
        return AttendanceSheet.model_validate(data)

    async def save_attendance(
        self, session_id: int, entries: list[dict[str, Any]], *, actor: Actor | None = None
    ) -> AttendanceSheet:
        resp = await self.request(
            "PUT",
            f"/api/v1/sessions/{session_id}/attendance",
            json={"entries": entries},
            actor=actor,
        )
        return AttendanceSheet.model_validate(resp.json())

    async def targets(
        self, *, fiscal_year: int | None = None, actor: Actor | None = None
    ) -> list[TargetProgress]:
        params = {"fiscal_year": fiscal_year} if fiscal_year is not None else None
        data = await self.get_json("/api/v1/targets", params=params, actor=actor)
        return [TargetProgress.model_validate(x) for x in data]

    async def demand(self, *, fiscal_year: int, actor: Actor | None = None) -> Demand:
        data = await self.get_json(
            "/api/v1/demand", params={"fiscal_year": fiscal_year}, actor=actor
        )
        return Demand.model_validate(data)

    async def dashboard_view(
        self, *, fiscal_year: int, actor: Actor | None = None
    ) -> DashboardView:
        return await self.get_model(
            "/api/v1/views/dashboard",
            DashboardView,
            params={"fiscal_year": fiscal_year},
            actor=actor,
        )

    async def municipality_view(
        self, code: str, *, fiscal_year: int, actor: Actor | None = None
    ) -> MunicipalityView:
        return await self.get_model(
            f"/api/v1/views/municipalities/{code}",
            MunicipalityView,
            params={"fiscal_year": fiscal_year},
            actor=actor,
        )

    async def years_view(
        self, *, fy_from: int, fy_to: int, actor: Actor | None = None
    ) -> list[Stats]:
        """The stats of fiscal years ``fy_from``..``fy_to`` (at most 11) in one call."""
        data = await self.get_json(
            "/api/v1/views/years", params={"fy_from": fy_from, "fy_to": fy_to}, actor=actor
        )
        return [Stats.model_validate(x) for x in data["years"]]

    async def stats(self, *, fiscal_year: int, actor: Actor | None = None) -> Stats:
        data = await self.get_json(
            "/api/v1/stats", params={"fiscal_year": fiscal_year}, actor=actor
        )
        return Stats.model_validate(data)

    async def participation(
        self, *, fiscal_year: int, municipality_code: str | None = None, actor: Actor | None = None
    ) -> Participation:
        params: dict[str, Any] = {"fiscal_year": fiscal_year}
        if municipality_code:
            params["municipality_code"] = municipality_code
        data = await self.get_json("/api/v1/participation", params=params, actor=actor)
        return Participation.model_validate(data)

    async def kotei_status(
        self, *, fiscal_year: int, actor: Actor | None = None
    ) -> list[KoteiStatus]:
        data = await self.get_json(
            "/api/v1/kotei-hyo/status", params={"fiscal_year": fiscal_year}, actor=actor
        )
        return [KoteiStatus.model_validate(x) for x in data]

    async def kotei_hyo(
        self, *, fiscal_year: int | None = None, actor: Actor | None = None
    ) -> list[KoteiHyo]:
        params = {"fiscal_year": fiscal_year} if fiscal_year is not None else None
        data = await self.get_json("/api/v1/kotei-hyo", params=params, actor=actor)
        return [KoteiHyo.model_validate(x) for x in data]

    async def open_file(
        self, session_id: int, name: str, *, actor: Actor | None = None
    ) -> httpx.Response:
        """An export of the session (calendar.ics, participants.csv/.xlsx, attendance.csv/.xlsx),
        opened for streaming: the caller passes the body on and closes the response."""
        return await self.open_stream(f"/api/v1/sessions/{session_id}/{name}", actor=actor)


def stats_query(fiscal_year: int) -> str:
    """The query behind the year's training figures, as evidence sources name it."""
    return f"GET /api/v1/stats?fiscal_year={fiscal_year}"
