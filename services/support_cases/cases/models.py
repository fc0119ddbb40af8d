"""Support cases (伴走型支援の事例): one municipality supported in one round, and its status."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import JSON, Column, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from services.common.models import Tracked, tz_field, utcnow
from services.support_cases.base import Base


class CaseStatus(StrEnum):
    selected = "選定"
    hearing = "ヒアリング"
    analysis = "課題分析"
    initiative_selection = "取組選定"
    roadmap = "ロードマップ作成"
    implementation = "実施・検証"
    reporting = "報告"
    completed = "完了"
    cancelled = "中止"


# The steps in order; a case moves one step forward at a time (or to 中止).
STATUS_ORDER: tuple[CaseStatus, ...] = (
    CaseStatus.selected,
    CaseStatus.hearing,
    CaseStatus.analysis,
    CaseStatus.initiative_selection,
    CaseStatus.roadmap,
    CaseStatus.implementation,
    CaseStatus.reporting,
    CaseStatus.completed,
)


class CaseBase(SQLModel):
    theme: str = Field(max_length=50, description="計画の進捗管理 / 介護予防 / 認知症 / …")
    indicator_item_codes: list[str] = Field(
        default_factory=list,
        sa_column=Column(JSON, nullable=False),
        description="動かしたい評価指標の項目コード",
    )
    coordinator: str = Field(default="", max_length=200, description="都の担当者")
    background: str = Field(
        default="", sa_column=Column(Text, nullable=False), description="背景 (報告書に載る)"
    )
    results: str = Field(
        default="", sa_column=Column(Text, nullable=False), description="成果 (報告書に載る)"
    )


class SupportCase(Tracked, CaseBase, Base, table=True):  # type: ignore[call-arg]
    __tablename__ = "support_case"
    __table_args__ = (UniqueConstraint("round_id", "municipality_code"),)

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="support_round.id", index=True)
    fiscal_year: int = Field(index=True)
    municipality_code: str = Field(max_length=6, index=True)
    application_id: int | None = Field(default=None, foreign_key="application.id")
    status: CaseStatus = Field(
        default=CaseStatus.selected,
        sa_type=String(20),
        index=True,  # type: ignore[call-overload]
    )
    cancel_reason: str = Field(default="", sa_column=Column(Text, nullable=False))


class CaseAdvisor(Base, table=True):  # type: ignore[call-arg]
    __tablename__ = "case_advisor"

    case_id: int = Field(foreign_key="support_case.id", primary_key=True)
    advisor_id: int = Field(foreign_key="advisor.id", primary_key=True, index=True)


class CaseObserver(Base, table=True):  # type: ignore[call-arg]
    """A neighbouring municipality invited to sit in (傍聴・同席)."""

    __tablename__ = "case_observer"

    case_id: int = Field(foreign_key="support_case.id", primary_key=True)
    municipality_code: str = Field(max_length=6, primary_key=True, index=True)


class CaseTransition(Base, table=True):  # type: ignore[call-arg]
    __tablename__ = "case_transition"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="support_case.id", index=True)
    from_status: str | None = Field(default=None, max_length=20)
    to_status: str = Field(max_length=20)
    reason: str = Field(default="", sa_column=Column(Text, nullable=False))
    at: datetime = tz_field(default_factory=utcnow)
    by: str = Field(default="", max_length=200)


class CaseCreate(SQLModel):
    fiscal_year: int = Field(description="支援年度 (その年度の支援年度が必要)")
    municipality_code: str = Field(description="選定された希望の区市町村")
    theme: str = Field(min_length=1, max_length=50)
    indicator_item_codes: list[str] = Field(default_factory=list)
    observers: list[str] = Field(default_factory=list, description="同席する近隣区市町村のコード")
    advisor_ids: list[int] = Field(min_length=1, description="担当専門家 (1人以上)")
    coordinator: str = Field(default="", max_length=200)
    background: str = ""

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "fiscal_year": 2025,
                    "municipality_code": "132012",
                    "theme": "介護予防",
                    "indicator_item_codes": ["Ⅱ(3)①"],
                    "observers": ["132098"],
                    "advisor_ids": [1],
                    "coordinator": "東京都 支援担当",
                    "background": "通いの場の参加率が横ばい",
                }
            ]
        }
    }


class CaseUpdate(SQLModel):
    version: int
    theme: str | None = Field(default=None, min_length=1, max_length=50)
    indicator_item_codes: list[str] | None = None
    observers: list[str] | None = None
    advisor_ids: list[int] | None = Field(default=None, min_length=1)
    coordinator: str | None = Field(default=None, max_length=200)
    background: str | None = None
    results: str | None = None


class TransitionRequest(SQLModel):
    to_status: CaseStatus
    reason: str = Field(default="", description="中止のときは必須")
    version: int

    model_config = {
        "json_schema_extra": {"examples": [{"to_status": "ヒアリング", "reason": "", "version": 1}]}
    }


class AdvisorRef(SQLModel):
    id: int
    name: str
    affiliation: str = ""


class TransitionPublic(SQLModel):
    id: int
    from_status: str | None
    to_status: str
    reason: str
    at: datetime
    by: str


class CaseListItem(SQLModel):
    """Fixed contract (GET /api/v1/cases) plus fields the gateway shows without more calls."""

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
    last_visit_date: date | None
    next_visit_date: date | None
    advisor_hours: float
    roadmap_items: int
    roadmap_items_done: int
    roadmap_progress: float | None
    status_changed_at: datetime | None
    indicator_item_codes: list[str] = []


class AdvisedMunicipalities(SQLModel):
    """The acting advisor's assigned cases (all but 中止) and their municipalities."""

    advisor_id: int | None = Field(
        default=None, description="専門家ID (利用者が専門家として登録されていなければ null)"
    )
    case_ids: list[int] = Field(default_factory=list, description="担当する支援事例 (中止を除く)")
    municipality_codes: list[str] = Field(
        default_factory=list, description="担当する支援事例の区市町村コード (重複なし、昇順)"
    )


class CasePublic(CaseListItem):
    background: str
    results: str
    cancel_reason: str
    application_id: int | None
    next_status: CaseStatus | None
    transitions: list[TransitionPublic]
    created_at: datetime
    created_by: str
    updated_at: datetime
    updated_by: str
