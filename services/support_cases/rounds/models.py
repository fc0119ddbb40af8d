"""Support rounds (支援年度) and municipalities' applications (希望) to them."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from pydantic import model_validator
from sqlalchemy import JSON, Column, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from services.common.models import Tracked, tz_field
from services.common.registry import MunicipalityCode
from services.support_cases.base import Base

DEFAULT_TARGETS = {"区部": 1, "市部": 1, "町村部": 1}
THEMES = ("計画の進捗管理", "介護予防", "認知症", "在宅医療・介護連携", "その他")


class ThemePolicy(StrEnum):
    open = "open"  # テーマを定めず希望を募る (案1)
    fixed = "fixed"  # 都が重点テーマを定める (案2)


class ApplicationStatus(StrEnum):
    submitted = "提出"
    selected = "選定"
    declined = "見送り"


class RoundBase(SQLModel):
    theme_policy: ThemePolicy = Field(  # type: ignore[call-overload]
        default=ThemePolicy.open,
        sa_type=String(20),
        description="open: テーマ自由 / fixed: 都が指定",
    )
    themes: list[str] = Field(
        default_factory=list,
        sa_column=Column(JSON, nullable=False),
        description="fixed のとき都が定めるテーマ",
    )
    application_opens: date = Field(description="希望受付の開始日")
    application_closes: date = Field(description="希望受付の締切日")
    targets_by_region_class: dict[str, int] = Field(
        default_factory=lambda: dict(DEFAULT_TARGETS),
        sa_column=Column(JSON, nullable=False),
        description="区部・市部・町村部ごとの支援予定数",
    )
    advisor_days_budget: int = Field(default=0, ge=0, description="専門家派遣の予算日数")


class SupportRound(Tracked, RoundBase, Base, table=True):  # type: ignore[call-arg]
    __tablename__ = "support_round"

    id: int | None = Field(default=None, primary_key=True)
    fiscal_year: int = Field(unique=True, description="支援年度")


def _check_round(obj: RoundCreate | RoundUpdate) -> None:
    opens, closes = obj.application_opens, obj.application_closes
    if opens is not None and closes is not None and closes < opens:
        raise ValueError("希望受付の締切日は開始日以降にしてください")
    if obj.theme_policy == ThemePolicy.fixed and obj.themes is not None and not obj.themes:
        raise ValueError("テーマを都が定める場合 (fixed) は themes を1つ以上指定してください")
    targets = obj.targets_by_region_class
    if targets is not None:
        bad = set(targets) - set(DEFAULT_TARGETS)
        if bad:
            raise ValueError(f"地域区分は 区部・市部・町村部 のいずれかです: {sorted(bad)}")
        if any(v < 0 for v in targets.values()):
            raise ValueError("支援予定数は0以上にしてください")


class RoundCreate(RoundBase):
    fiscal_year: int = Field(ge=2018, le=2100, description="支援年度")

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "fiscal_year": 2025,
                    "theme_policy": "open",
                    "themes": [],
                    "application_opens": "2025-04-01",
                    "application_closes": "2025-05-31",
                    "targets_by_region_class": {"区部": 1, "市部": 1, "町村部": 1},
                    "advisor_days_budget": 36,
                }
            ]
        }
    }

    @model_validator(mode="after")
    def _valid(self) -> RoundCreate:
        _check_round(self)
        return self


class RoundUpdate(SQLModel):
    version: int = Field(description="読み込んだときの版 (古いと409)")
    theme_policy: ThemePolicy | None = None
    themes: list[str] | None = None
    application_opens: date | None = None
    application_closes: date | None = None
    targets_by_region_class: dict[str, int] | None = None
    advisor_days_budget: int | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _valid(self) -> RoundUpdate:
        _check_round(self)
        return self


class RoundPublic(RoundBase):
    id: int
    fiscal_year: int
    version: int
    updated_at: datetime
    updated_by: str


class ApplicationBase(SQLModel):
    wished_themes: list[str] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False), description="希望テーマ"
    )
    motivation: str = Field(default="", sa_column=Column(Text, nullable=False), description="動機")
    current_efforts: str = Field(
        default="", sa_column=Column(Text, nullable=False), description="現在の取組"
    )
    contact_name: str = Field(default="", max_length=200, description="担当者名")
    contact_department: str = Field(default="", max_length=200, description="担当部署")
    contact_email: str = Field(default="", max_length=200)
    contact_phone: str = Field(default="", max_length=50)


class Application(Tracked, ApplicationBase, Base, table=True):  # type: ignore[call-arg]
    __tablename__ = "application"
    __table_args__ = (UniqueConstraint("round_id", "municipality_code"),)

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="support_round.id", index=True)
    municipality_code: str = Field(max_length=6, index=True)
    status: ApplicationStatus = Field(
        default=ApplicationStatus.submitted,
        sa_type=String(10),  # type: ignore[call-overload]
    )
    decision_reason: str = Field(default="", sa_column=Column(Text, nullable=False))
    decided_at: datetime | None = tz_field(default=None, nullable=True)
    decided_by: str = Field(default="", max_length=200)


class ApplicationCreate(ApplicationBase):
    municipality_code: MunicipalityCode

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "municipality_code": "132012",
                    "wished_themes": ["介護予防"],
                    "motivation": "通いの場の参加率が伸び悩んでおり、要因を整理したい",
                    "current_efforts": "週1回の体操教室を市内12か所で実施",
                    "contact_name": "八王子 太郎",
                    "contact_department": "高齢者いきいき課",
                    "contact_email": "kaigo@example.lg.jp",
                    "contact_phone": "042-000-0000",
                }
            ]
        }
    }


class ApplicationUpdate(SQLModel):
    version: int
    wished_themes: list[str] | None = None
    motivation: str | None = None
    current_efforts: str | None = None
    contact_name: str | None = Field(default=None, max_length=200)
    contact_department: str | None = Field(default=None, max_length=200)
    contact_email: str | None = Field(default=None, max_length=200)
    contact_phone: str | None = Field(default=None, max_length=50)


class ApplicationDecision(SQLModel):
    status: ApplicationStatus = Field(description="選定 または 見送り")
    reason: str = Field(default="", description="判断の理由 (見送りのときは必須)")
    version: int

    model_config = {
        "json_schema_extra": {
            "examples": [{"status": "選定", "reason": "区部の応募で動機が明確", "version": 1}]
        }
    }


# Personal data of the applicant's contact person: null for readers who may not see it
# (services.common.access.sees_contact_details).
CONTACT_FIELDS = ("contact_name", "contact_email", "contact_phone")


class ApplicationPublic(ApplicationBase):
    contact_name: str | None = Field(  # type: ignore[assignment]
        default=None, description="担当者名 (見る権限のない利用者には null)"
    )
    contact_email: str | None = Field(  # type: ignore[assignment]
        default=None, description="担当者のメールアドレス (見る権限のない利用者には null)"
    )
    contact_phone: str | None = Field(  # type: ignore[assignment]
        default=None, description="担当者の電話番号 (見る権限のない利用者には null)"
    )
    id: int
    round_id: int
    fiscal_year: int
    municipality_code: str
    municipality_name: str
    region_class: str | None
    status: ApplicationStatus
    decision_reason: str
    decided_at: datetime | None
    decided_by: str
    created_at: datetime
    created_by: str
    version: int


class RoundSummary(SQLModel):
    """Fixed contract: GET /api/v1/rounds/{fy}/summary."""

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
