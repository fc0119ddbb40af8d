"""Targets (目標) over fiscal years and survey answers (アンケート)."""

from __future__ import annotations

from enum import StrEnum

import pydantic
from pydantic import BaseModel, model_validator
from sqlmodel import Field

from services.common.models import Tracked
from services.training.base import Base
from services.training.programs.models import Kind


class Metric(StrEnum):
    completers = "completers"  # 修了者数 over the whole range (e.g. 1,350 over FY2018–2020)
    sessions_per_year = "sessions_per_year"  # 開催回数 each year (年1回以上 → 1)
    municipalities_reached = "municipalities_reached"  # 受講した区市町村 each year (全62)


class Target(Tracked, Base, table=True):  # type: ignore[call-arg]
    __tablename__ = "target"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    program_id: int | None = Field(default=None, foreign_key="program.id", index=True)
    kind: str | None = Field(default=None, max_length=60)
    metric: str = Field(max_length=30)
    fy_from: int
    fy_to: int
    value: int


class TargetCreate(BaseModel):
    name: str = pydantic.Field(min_length=1, max_length=200)
    program_id: int | None = None
    kind: Kind | None = None
    metric: Metric
    fy_from: int = pydantic.Field(ge=2018, le=2100)
    fy_to: int = pydantic.Field(ge=2018, le=2100)
    value: int | None = pydantic.Field(default=None, ge=1)

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "name": "地域ケア会議 司会者・助言者 修了者 3か年で1,350人",
                    "kind": "地域ケア会議 司会者・助言者養成",
                    "metric": "completers",
                    "fy_from": 2018,
                    "fy_to": 2020,
                    "value": 1350,
                },
                {
                    "name": "見える化研修 年1回以上",
                    "kind": "見える化システム活用研修",
                    "metric": "sessions_per_year",
                    "fy_from": 2024,
                    "fy_to": 2026,
                    "value": 1,
                },
                {
                    "name": "全62区市町村が受講",
                    "metric": "municipalities_reached",
                    "fy_from": 2024,
                    "fy_to": 2026,
                },
            ]
        }
    }

    @model_validator(mode="after")
    def _check(self) -> TargetCreate:
        if self.fy_to < self.fy_from:
            raise ValueError("fy_to は fy_from 以降の年度にしてください")
        if self.program_id is not None and self.kind is not None:
            raise ValueError("program_id と kind はどちらか一方だけ指定してください")
        if self.value is None and self.metric != Metric.municipalities_reached:
            raise ValueError("目標値 value を入れてください")
        return self


class TargetUpdate(BaseModel):
    version: int
    name: str | None = pydantic.Field(default=None, min_length=1, max_length=200)
    fy_from: int | None = pydantic.Field(default=None, ge=2018, le=2100)
    fy_to: int | None = pydantic.Field(default=None, ge=2018, le=2100)
    value: int | None = pydantic.Field(default=None, ge=1)


class YearProgress(BaseModel):
    fiscal_year: int
    actual: int  # from_records + from_history
    from_records: int = 0  # per-person records kept in this service
    # imported history (過去の実績); for coverage: municipalities reached only in the history
    from_history: int = 0
    met: bool | None  # None for a year still to come (or the running one, for yearly targets)
    municipalities_not_reached: list[str] | None = None


class TargetProgress(BaseModel):
    id: int
    name: str
    program_id: int | None
    kind: str | None
    metric: Metric
    fy_from: int
    fy_to: int
    value: int
    version: int
    actual: int  # completers: the sum; yearly metrics: the latest year so far
    actual_from_records: int = 0  # the part of actual from per-person records
    actual_from_history: int = 0  # the part of actual from imported history (過去の実績)
    remaining: int  # the gap still to close (0 when met)
    progress: float  # actual / value, 0–1 (may exceed 1)
    achieved: bool
    by_year: list[YearProgress]
    municipalities_not_reached: list[str]  # latest year so far (municipalities_reached only)


class SurveyResponse(Tracked, Base, table=True):  # type: ignore[call-arg]
    __tablename__ = "survey_response"

    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="training_session.id", index=True)
    registration_id: int | None = Field(default=None, foreign_key="registration.id")
    municipality_code: str | None = Field(default=None, max_length=6)
    satisfaction: int = Field(ge=1, le=5)
    comment: str = Field(default="", max_length=4000)


class SurveyCreate(BaseModel):
    satisfaction: int = pydantic.Field(ge=1, le=5, description="満足度 1 (不満) 〜 5 (満足)")
    comment: str = pydantic.Field(default="", max_length=4000)
    registration_id: int | None = None

    model_config = {
        "json_schema_extra": {
            "examples": [{"satisfaction": 4, "comment": "他自治体の事例が参考になった"}]
        }
    }


class SurveySummary(BaseModel):
    responses: int
    average: float | None
    distribution: dict[int, int]  # satisfaction → answers
    comments: list[str]


class SessionSurveySummary(SurveySummary):
    session_id: int


class ProgramSurveySummary(SurveySummary):
    program_id: int
    sessions: list[SessionSurveySummary]
