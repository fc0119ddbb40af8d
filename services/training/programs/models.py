"""Training programs (研修) and their sessions (開催回) with one or more days."""

from __future__ import annotations

from datetime import date, datetime, time
from enum import StrEnum

from pydantic import BaseModel, model_validator
from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from services.common.models import Tracked, tz_field
from services.common.types import CalendarDate, Instant, WallClockTime
from services.training.base import Base


class Kind(StrEnum):
    general = "全体研修・情報交換会"
    mieruka = "見える化システム活用研修"
    power_up = "パワーアップセミナー"
    care_meeting = "地域ケア会議 司会者・助言者養成"
    coordinator_new = "生活支援コーディネーター 初任者"
    coordinator_current = "生活支援コーディネーター 現任者"
    prevention_general = "介護予防 総論"
    prevention_practice = "介護予防 実践"
    other = "その他"


class Region(StrEnum):
    all = "全域"
    wards = "区部"
    cities = "市部"
    towns = "町村部"


class CompletionRule(StrEnum):
    all_days = "all_days"  # 全日程の出席
    n_of_m = "n_of_m"  # M日中N日以上の出席


class Format(StrEnum):
    venue = "会場"
    online = "オンライン"
    hybrid = "ハイブリッド"


AUDIENCE_ROLES = (
    "リーダー層",
    "実務担当者",
    "計画担当",
    "地域支援事業担当",
    "地域包括支援センター職員",
    "リハビリ専門職",
    "生活支援コーディネーター",
    "その他",
)


class ProgramBase(SQLModel):
    name: str = Field(min_length=1, max_length=200)
    kind: str = Field(max_length=60, description="研修の種類")
    fiscal_year: int = Field(ge=2018, le=2100, index=True)
    region: str = Field(default="全域", max_length=10, description="全域 / 区部 / 市部 / 町村部")
    theme: str = Field(default="", max_length=500, description="カリキュラムのテーマ")
    completion_rule: str = Field(default="all_days", max_length=20, description="all_days / n_of_m")
    completion_min_days: int | None = Field(
        default=None, ge=1, le=60, description="n_of_m のとき修了に必要な出席日数 (N)"
    )


class Program(Tracked, ProgramBase, Base, table=True):  # type: ignore[call-arg]
    __tablename__ = "program"

    id: int | None = Field(default=None, primary_key=True)
    audience_roles: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))


def check_completion_rule(rule: str | None, n: int | None) -> None:
    if rule == CompletionRule.n_of_m and not n:
        raise ValueError(
            "修了条件が n_of_m のときは completion_min_days (必要な出席日数) が必要です"
        )


class ProgramCreate(ProgramBase):
    kind: Kind
    region: Region = Region.all
    completion_rule: CompletionRule = CompletionRule.all_days
    audience_roles: list[str] = []

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "name": "地域ケア会議 司会者・助言者養成研修",
                    "kind": "地域ケア会議 司会者・助言者養成",
                    "fiscal_year": 2025,
                    "region": "全域",
                    "audience_roles": ["地域包括支援センター職員", "リハビリ専門職"],
                    "theme": "自立支援に資する個別事例の検討",
                    "completion_rule": "n_of_m",
                    "completion_min_days": 2,
                }
            ]
        }
    }

    @model_validator(mode="after")
    def _rule(self) -> ProgramCreate:
        check_completion_rule(self.completion_rule, self.completion_min_days)
        return self


class ProgramUpdate(BaseModel):
    version: int
    name: str | None = Field(default=None, min_length=1, max_length=200)
    kind: Kind | None = None
    fiscal_year: int | None = Field(default=None, ge=2018, le=2100)
    region: Region | None = None
    theme: str | None = Field(default=None, max_length=500)
    audience_roles: list[str] | None = None
    completion_rule: CompletionRule | None = None
    completion_min_days: int | None = Field(default=None, ge=1, le=60)


class ProgramPublic(ProgramBase):
    id: int
    audience_roles: list[str]
    version: int
    created_by: str
    updated_by: str


class TrainingSession(Tracked, Base, table=True):  # type: ignore[call-arg]
    """One 開催回 of a program. Registrations lock this row while they count seats."""

    __tablename__ = "training_session"

    id: int | None = Field(default=None, primary_key=True)
    program_id: int = Field(foreign_key="program.id", index=True)
    title: str = Field(default="", max_length=200)
    format: str = Field(max_length=10)
    venue: str = Field(default="", max_length=300)
    meeting_url: str = Field(default="", max_length=500)
    recording_url: str = Field(default="", max_length=500)
    capacity: int = Field(ge=1)
    registration_opens: datetime | None = tz_field(default=None, nullable=True)
    registration_closes: datetime | None = tz_field(default=None, nullable=True)
    municipality_quota: int | None = Field(default=None, ge=1)
    first_date: date = Field(index=True)
    last_date: date


class SessionDay(Base, table=True):  # type: ignore[call-arg]
    __tablename__ = "session_day"
    __table_args__ = (UniqueConstraint("session_id", "day_no"),)

    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="training_session.id", index=True)
    day_no: int
    date: date
    start: time
    end: time


class DayIn(BaseModel):
    date: CalendarDate
    start: WallClockTime
    end: WallClockTime

    @model_validator(mode="after")
    def _order(self) -> DayIn:
        if self.end <= self.start:
            raise ValueError("終了時刻は開始時刻より後にしてください")
        return self


class DayPublic(DayIn):
    day_no: int


class SessionCreate(BaseModel):
    program_id: int
    days: list[DayIn] = Field(min_length=1, max_length=60)
    format: Format
    capacity: int = Field(ge=1, le=10000)
    title: str = Field(default="", max_length=200)
    venue: str = Field(default="", max_length=300)
    meeting_url: str = Field(default="", max_length=500)
    recording_url: str = Field(default="", max_length=500)
    registration_opens: Instant | None = None
    registration_closes: Instant | None = None
    municipality_quota: int | None = Field(default=None, ge=1)

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "program_id": 1,
                    "days": [
                        {"date": "2025-07-10", "start": "13:30", "end": "16:30"},
                        {"date": "2025-07-24", "start": "13:30", "end": "16:30"},
                    ],
                    "format": "ハイブリッド",
                    "capacity": 120,
                    "venue": "都庁第一本庁舎 5階大会議場",
                    "meeting_url": "https://example.jp/meet/abc",
                    "registration_opens": "2025-06-01T09:00:00+09:00",
                    "registration_closes": "2025-07-03T17:00:00+09:00",
                    "municipality_quota": 5,
                }
            ]
        }
    }


class SessionUpdate(BaseModel):
    version: int
    days: list[DayIn] | None = Field(default=None, min_length=1, max_length=60)
    format: Format | None = None
    capacity: int | None = Field(default=None, ge=1, le=10000)
    title: str | None = Field(default=None, max_length=200)
    venue: str | None = Field(default=None, max_length=300)
    meeting_url: str | None = Field(default=None, max_length=500)
    recording_url: str | None = Field(default=None, max_length=500)
    registration_opens: Instant | None = None
    registration_closes: Instant | None = None
    municipality_quota: int | None = Field(default=None, ge=1)


class SessionPublic(BaseModel):
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
    registration_opens: datetime | None
    registration_closes: datetime | None
    municipality_quota: int | None
    days: list[DayPublic]
    version: int
    warnings: list[str] = []
