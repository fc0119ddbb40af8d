"""Initiatives (取組) chosen on the logic tree, and the roadmap (ロードマップ) that carries them."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, StringConstraints, model_validator
from sqlalchemy import JSON, Column, String, Text
from sqlmodel import Field, SQLModel

from services.common.models import Tracked
from services.support_cases.base import Base

Month = Annotated[str, StringConstraints(pattern=r"^(19|20)\d{2}-(0[1-9]|1[0-2])$")]


class ItemStatus(StrEnum):
    not_started = "未着手"
    in_progress = "実施中"
    done = "完了"
    stopped = "中止"


def fiscal_year_of_month(month: str) -> int:
    year, mon = int(month[:4]), int(month[5:7])
    return year if mon >= 4 else year - 1


class InitiativeBase(SQLModel):
    title: str = Field(min_length=1, max_length=300)
    description: str = Field(default="", sa_column=Column(Text, nullable=False))
    chosen: bool = Field(default=False, description="実施する取組として選んだか")
    reason: str = Field(default="", sa_column=Column(Text, nullable=False), description="選定理由")


class Initiative(Tracked, InitiativeBase, Base, table=True):  # type: ignore[call-arg]
    __tablename__ = "initiative"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="support_case.id", index=True)
    node_id: int = Field(foreign_key="tree_node.id", index=True)


class InitiativeCreate(SQLModel):
    node_id: int = Field(description="取組を結びつけるツリーのノード (通常は末端)")
    title: str = Field(min_length=1, max_length=300)
    description: str = ""
    chosen: bool = False
    reason: str = ""

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "node_id": 3,
                    "title": "男性向け「筋トレ×将棋」教室の試行",
                    "description": "地区会館2か所で月2回",
                    "chosen": True,
                    "reason": "男性参加の少なさに直接効き、費用が小さい",
                }
            ]
        }
    }


class InitiativeUpdate(SQLModel):
    version: int
    node_id: int | None = None
    title: str | None = Field(default=None, min_length=1, max_length=300)
    description: str | None = None
    chosen: bool | None = None
    reason: str | None = None


class InitiativePublic(InitiativeBase):
    id: int
    case_id: int
    node_id: int
    node_statement: str
    version: int
    updated_at: datetime
    updated_by: str


class Milestone(BaseModel):
    month: Month
    description: str = Field(min_length=1)
    done: bool = False


class ProgressNote(BaseModel):
    at: datetime
    by: str
    text: str


class RoadmapItem(Tracked, Base, table=True):  # type: ignore[call-arg]
    __tablename__ = "roadmap_item"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="support_case.id", index=True)
    initiative_id: int = Field(foreign_key="initiative.id", index=True)
    owner: str = Field(default="", max_length=200)
    start_month: str = Field(max_length=7)
    end_month: str = Field(max_length=7)
    milestones: list[dict] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    kpi_item_code: str | None = Field(default=None, max_length=50)
    kpi_custom: str = Field(default="", max_length=300)
    kpi_unit: str = Field(default="", max_length=50)
    baseline: float | None = None
    target: float | None = None
    verification_method: str = Field(default="", sa_column=Column(Text, nullable=False))
    status: ItemStatus = Field(default=ItemStatus.not_started, sa_type=String(10))  # type: ignore[call-overload]
    progress_notes: list[dict] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))


class RoadmapItemCreate(SQLModel):
    initiative_id: int = Field(description="選定された取組")
    owner: str = Field(default="", max_length=200, description="担当")
    start_month: Month
    end_month: Month
    milestones: list[Milestone] = Field(default_factory=list)
    kpi_item_code: str | None = Field(default=None, max_length=50, description="評価指標の項目")
    kpi_custom: str = Field(default="", max_length=300, description="独自の指標")
    kpi_unit: str = Field(default="", max_length=50)
    baseline: float | None = None
    target: float | None = None
    verification_method: str = Field(default="", description="検証方法")
    status: ItemStatus = ItemStatus.not_started

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "initiative_id": 1,
                    "owner": "高齢者いきいき課 介護予防担当",
                    "start_month": "2025-10",
                    "end_month": "2026-03",
                    "milestones": [{"month": "2025-12", "description": "試行教室 開始"}],
                    "kpi_custom": "通いの場への男性参加者数",
                    "kpi_unit": "人",
                    "baseline": 120,
                    "target": 180,
                    "verification_method": "参加者名簿を四半期ごとに集計し前年同期と比較",
                    "status": "未着手",
                }
            ]
        }
    }

    @model_validator(mode="after")
    def _valid(self) -> RoadmapItemCreate:
        if self.end_month < self.start_month:
            raise ValueError("終了月は開始月以降にしてください")
        if not self.kpi_item_code and not self.kpi_custom:
            raise ValueError("KPI は評価指標の項目コードか独自の指標のどちらかを指定してください")
        return self


class RoadmapItemUpdate(SQLModel):
    version: int
    owner: str | None = Field(default=None, max_length=200)
    start_month: Month | None = None
    end_month: Month | None = None
    milestones: list[Milestone] | None = None
    kpi_item_code: str | None = Field(default=None, max_length=50)
    kpi_custom: str | None = Field(default=None, max_length=300)
    kpi_unit: str | None = Field(default=None, max_length=50)
    baseline: float | None = None
    target: float | None = None
    verification_method: str | None = None
    status: ItemStatus | None = None
    progress_note: str | None = Field(default=None, description="進捗メモを1件追加")


class RoadmapItemPublic(SQLModel):
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
    action_fiscal_year: int = Field(description="取組を始める年度")
    first_grant_year: int = Field(description="効果が交付金の評価に現れうる最初の年度 (N+1)")
    version: int
    updated_at: datetime
    updated_by: str
