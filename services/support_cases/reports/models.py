"""The report (報告書): the lessons for other municipalities, edited with versions kept."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel
from pydantic import Field as PField
from sqlalchemy import JSON, Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from services.common.models import Tracked, tz_field, utcnow
from services.support_cases.base import Base


class ReportLessons(Tracked, Base, table=True):  # type: ignore[call-arg]
    """The current lessons (他の区市町村への示唆) of a case's report."""

    __tablename__ = "report_lessons"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="support_case.id", unique=True)
    lessons: str = Field(default="", sa_column=Column(Text, nullable=False))
    citations: list[dict[str, Any]] = Field(
        default_factory=list,
        sa_column=Column(JSON, nullable=False, server_default="[]"),
        description="引用した好事例 [{reference, title, entity_name, note}]",
    )


class ReportLessonsRevision(Base, table=True):  # type: ignore[call-arg]
    """Every saved version of the lessons, so earlier wording can be shown."""

    __tablename__ = "report_lessons_revision"
    __table_args__ = (UniqueConstraint("case_id", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="support_case.id", index=True)
    version: int
    lessons: str = Field(sa_column=Column(Text, nullable=False))
    saved_at: datetime = tz_field(default_factory=utcnow)
    saved_by: str = Field(default="", max_length=200)


class GoodPracticeCitation(BaseModel):
    """A 好事例 of the 取組と目標 (indicators service) the report cites. The gateway passes
    its reference and a snapshot of its title and municipality (services never call each
    other), so the report reads the same later."""

    reference: str = PField(pattern=r"^pdca-good-practice:[1-9][0-9]{0,9}$")
    title: str = PField(min_length=1, max_length=300, description="事項の名称 (引用時点)")
    entity_name: str = PField(default="", max_length=100, description="区市町村名 (引用時点)")
    note: str = PField(default="", max_length=500, description="好事例のメモ・引用の理由")


class LessonsUpdate(SQLModel):
    lessons: str
    version: int = Field(description="現在の版 (まだ書かれていなければ 0)")
    citations: list[GoodPracticeCitation] | None = Field(
        default=None, max_length=20, description="引用した好事例 (省略: 変えない)"
    )

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "lessons": "データは打合せの場で担当者に持ってきてもらうと早い。",
                    "version": 0,
                }
            ]
        }
    }


class LessonsPublic(SQLModel):
    case_id: int
    lessons: str
    citations: list[dict[str, Any]] = []
    version: int
    updated_at: datetime | None
    updated_by: str
    revisions: list[dict]
