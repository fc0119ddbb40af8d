"""工程表 (kotei_hyo, process schedule) of a パワーアップセミナー municipality: the steps it
committed to, with due dates and owners, and the follow-up check-ins."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

import pydantic
from pydantic import BaseModel
from sqlalchemy import UniqueConstraint
from sqlmodel import Field

from services.common.models import Tracked
from services.common.registry import MunicipalityCode
from services.training.base import Base


class CheckStatus(StrEnum):
    on_track = "予定通り"
    delayed = "遅れ"
    done = "完了"


class KoteiHyo(Tracked, Base, table=True):  # type: ignore[call-arg]
    __tablename__ = "kotei_hyo"
    __table_args__ = (UniqueConstraint("program_id", "municipality_code"),)

    id: int | None = Field(default=None, primary_key=True)
    program_id: int = Field(foreign_key="program.id", index=True)
    municipality_code: str = Field(max_length=6, index=True)
    title: str = Field(default="", max_length=300)


class KoteiStep(Tracked, Base, table=True):  # type: ignore[call-arg]
    __tablename__ = "kotei_step"

    id: int | None = Field(default=None, primary_key=True)
    kotei_hyo_id: int = Field(foreign_key="kotei_hyo.id", index=True)
    step_no: int
    title: str = Field(max_length=300)
    due_date: date
    owner: str = Field(default="", max_length=200)


class CheckIn(Tracked, Base, table=True):  # type: ignore[call-arg]
    __tablename__ = "kotei_check_in"

    id: int | None = Field(default=None, primary_key=True)
    kotei_hyo_id: int = Field(foreign_key="kotei_hyo.id", index=True)
    step_id: int | None = Field(default=None, foreign_key="kotei_step.id", index=True)
    checked_on: date
    status: str = Field(max_length=10)
    note: str = Field(default="", max_length=4000)


class StepIn(BaseModel):
    id: int | None = None  # an existing step to keep (its check-ins stay with it)
    title: str = pydantic.Field(min_length=1, max_length=300)
    due_date: date
    owner: str = pydantic.Field(default="", max_length=200)


class KoteiHyoCreate(BaseModel):
    program_id: int
    municipality_code: MunicipalityCode
    title: str = pydantic.Field(default="", max_length=300)
    steps: list[StepIn] = pydantic.Field(default_factory=list, max_length=100)

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "program_id": 3,
                    "municipality_code": "133086",
                    "title": "介護予防・日常生活支援の推進",
                    "steps": [
                        {
                            "title": "現状分析 (見える化システム)",
                            "due_date": "2025-09-30",
                            "owner": "高齢福祉課 計画係",
                        },
                        {
                            "title": "地域ケア会議で課題を共有",
                            "due_date": "2025-12-15",
                            "owner": "地域包括支援センター",
                        },
                    ],
                }
            ]
        }
    }


class KoteiHyoUpdate(BaseModel):
    version: int
    title: str | None = pydantic.Field(default=None, max_length=300)
    steps: list[StepIn] | None = pydantic.Field(default=None, max_length=100)


class CheckInCreate(BaseModel):
    step_id: int | None = None
    checked_on: date
    status: CheckStatus
    note: str = pydantic.Field(default="", max_length=4000)

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "step_id": 1,
                    "checked_on": "2025-10-05",
                    "status": "遅れ",
                    "note": "データ抽出に時間がかかっている",
                }
            ]
        }
    }


class CheckInPublic(BaseModel):
    id: int
    step_id: int | None
    checked_on: date
    status: CheckStatus
    note: str
    created_by: str


class StepPublic(BaseModel):
    id: int
    step_no: int
    title: str
    due_date: date
    owner: str
    status: CheckStatus | None  # the latest check-in's status (None: not checked yet)
    overdue: bool


class KoteiHyoPublic(BaseModel):
    id: int
    program_id: int
    fiscal_year: int
    municipality_code: str
    title: str
    version: int
    steps: list[StepPublic]
    check_ins: list[CheckInPublic]
    updated_by: str


class OverdueStep(BaseModel):
    kotei_hyo_id: int
    municipality_code: str
    step_id: int
    title: str
    due_date: date
    owner: str
    status: CheckStatus | None
    days_overdue: int


class KoteiStatus(BaseModel):
    """A municipality's 工程表 at a glance (for the gateway)."""

    municipality_code: str
    kotei_hyo_id: int
    program_id: int
    steps: int
    done: int
    delayed: int
    overdue: int
    last_check_in: date | None
    status: str  # 完了 / 遅れ / 予定通り / 未確認
