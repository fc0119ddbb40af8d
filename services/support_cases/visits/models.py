"""Visits and hearings (派遣・ヒアリング): who went, what was heard, what data was asked for."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel
from sqlalchemy import JSON, Column, String, Text
from sqlmodel import Field, SQLModel

from services.common.models import Tracked
from services.support_cases.base import Base


class VisitKind(StrEnum):
    hearing = "ヒアリング"
    visit = "訪問支援"
    meeting = "検討会"


class Attendee(BaseModel):
    name: str
    organization: str = ""
    municipality_code: str | None = None  # set for observers from neighbouring municipalities


class VisitBase(SQLModel):
    visit_date: date = Field(description="実施日")
    kind: VisitKind = Field(default=VisitKind.hearing, sa_type=String(20))  # type: ignore[call-overload]
    place: str = Field(default="", max_length=200, description="場所 (オンラインなら空でもよい)")
    online: bool = Field(default=False)
    attendees: list[dict] = Field(
        default_factory=list,
        sa_column=Column(JSON, nullable=False),
        description="出席者 [{name, organization, municipality_code}]",
    )
    observer_codes: list[str] = Field(
        default_factory=list,
        sa_column=Column(JSON, nullable=False),
        description="同席した近隣区市町村のコード",
    )
    agenda: str = Field(default="", sa_column=Column(Text, nullable=False))
    notes: str = Field(default="", sa_column=Column(Text, nullable=False))
    issues_found: list[str] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False), description="把握した課題"
    )
    follow_ups: list[str] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False), description="次回までの宿題"
    )


class Visit(Tracked, VisitBase, Base, table=True):  # type: ignore[call-arg]
    __tablename__ = "visit"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="support_case.id", index=True)


class VisitAdvisor(Base, table=True):  # type: ignore[call-arg]
    """One advisor dispatched to one visit (one 派遣), with the hours worked."""

    __tablename__ = "visit_advisor"

    visit_id: int = Field(foreign_key="visit.id", primary_key=True)
    advisor_id: int = Field(foreign_key="advisor.id", primary_key=True, index=True)
    hours: float = Field(default=0, ge=0)


class DataRequest(Tracked, Base, table=True):  # type: ignore[call-arg]
    """Data the advisors asked the municipality to bring (依頼資料)."""

    __tablename__ = "data_request"

    id: int | None = Field(default=None, primary_key=True)
    visit_id: int = Field(foreign_key="visit.id", index=True)
    case_id: int = Field(foreign_key="support_case.id", index=True)
    description: str = Field(sa_column=Column(Text, nullable=False))
    due_date: date | None = None
    received: bool = Field(default=False)
    received_on: date | None = None


class AdvisorHours(SQLModel):
    advisor_id: int
    hours: float = Field(ge=0, le=24)


class DataRequestIn(SQLModel):
    description: str = Field(min_length=1)
    due_date: date | None = None
    received: bool = False
    received_on: date | None = None


class DataRequestUpdate(SQLModel):
    version: int
    description: str | None = Field(default=None, min_length=1)
    due_date: date | None = None
    received: bool | None = None
    received_on: date | None = None


class DataRequestPublic(SQLModel):
    id: int
    visit_id: int
    case_id: int
    description: str
    due_date: date | None
    received: bool
    received_on: date | None
    overdue: bool
    version: int


class VisitCreate(VisitBase):
    advisors: list[AdvisorHours] = Field(min_length=1, description="派遣した専門家と時間")
    attendees: list[Attendee] = Field(default_factory=list)  # type: ignore[assignment]
    data_requests: list[DataRequestIn] = Field(default_factory=list)
    snapshot_tree: bool = Field(
        default=True, description="このときのロジックツリーを保存する (ツリーがあるとき)"
    )

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "visit_date": "2025-07-10",
                    "kind": "ヒアリング",
                    "place": "八王子市役所 801会議室",
                    "online": False,
                    "advisors": [{"advisor_id": 1, "hours": 3.0}],
                    "attendees": [
                        {"name": "八王子 太郎", "organization": "高齢者いきいき課"},
                        {
                            "name": "日野 次郎",
                            "organization": "日野市",
                            "municipality_code": "132128",
                        },
                    ],
                    "observer_codes": ["132128"],
                    "agenda": "現状の共有、データの確認",
                    "notes": "通いの場の参加者は後期高齢者が中心",
                    "issues_found": ["男性の参加が少ない"],
                    "data_requests": [
                        {"description": "通いの場参加者名簿 (年齢別)", "due_date": "2025-08-01"}
                    ],
                    "follow_ups": ["次回までに参加率の推移を整理"],
                }
            ]
        }
    }


class VisitUpdate(SQLModel):
    version: int
    visit_date: date | None = None
    kind: VisitKind | None = None
    place: str | None = Field(default=None, max_length=200)
    online: bool | None = None
    attendees: list[Attendee] | None = None
    observer_codes: list[str] | None = None
    agenda: str | None = None
    notes: str | None = None
    issues_found: list[str] | None = None
    follow_ups: list[str] | None = None
    advisors: list[AdvisorHours] | None = Field(default=None, min_length=1)


class VisitPublic(VisitBase):
    id: int
    case_id: int
    advisors: list[dict]
    advisor_hours: float
    data_requests: list[DataRequestPublic]
    version: int
    created_at: datetime
    created_by: str
    updated_at: datetime
    updated_by: str
