"""The report (報告書): the lessons for other municipalities, edited with versions kept."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from services.common.models import Tracked, tz_field, utcnow
from services.support_cases.base import Base


class ReportLessons(Tracked, Base, table=True):  # type: ignore[call-arg]
    """The current lessons (他の区市町村への示唆) of a case's report."""

    __tablename__ = "report_lessons"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="support_case.id", unique=True)
    lessons: str = Field(default="", sa_column=Column(Text, nullable=False))


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


class LessonsUpdate(SQLModel):
    lessons: str
    version: int = Field(description="現在の版 (まだ書かれていなければ 0)")

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
    version: int
    updated_at: datetime | None
    updated_by: str
    revisions: list[dict]
