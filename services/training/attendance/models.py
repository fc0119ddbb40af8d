"""Attendance (出欠) per person and day: present, absent or on-demand viewed."""

from __future__ import annotations

from enum import StrEnum

import pydantic
from pydantic import BaseModel
from sqlalchemy import UniqueConstraint
from sqlmodel import Field

from services.common.models import Tracked
from services.training.base import Base


class Mark(StrEnum):
    present = "present"  # 出席
    absent = "absent"  # 欠席
    on_demand = "on_demand"  # オンデマンド視聴 (counts as attending)


LABELS = {Mark.present: "出席", Mark.absent: "欠席", Mark.on_demand: "オンデマンド視聴"}
ATTENDED = (Mark.present.value, Mark.on_demand.value)

# What people type in a CSV or a form, read as a mark.
ALIASES = {
    "present": Mark.present,
    "出席": Mark.present,
    "○": Mark.present,
    "〇": Mark.present,
    "absent": Mark.absent,
    "欠席": Mark.absent,
    "×": Mark.absent,
    "on_demand": Mark.on_demand,
    "オンデマンド視聴": Mark.on_demand,
    "オンデマンド": Mark.on_demand,
    "視聴": Mark.on_demand,
}


class Attendance(Tracked, Base, table=True):  # type: ignore[call-arg]
    __tablename__ = "attendance"
    __table_args__ = (UniqueConstraint("registration_id", "day_id"),)

    id: int | None = Field(default=None, primary_key=True)
    registration_id: int = Field(foreign_key="registration.id", index=True)
    day_id: int = Field(foreign_key="session_day.id", index=True)
    status: str = Field(max_length=12)


class AttendanceEntry(BaseModel):
    registration_id: int
    day_no: int = pydantic.Field(ge=1)
    status: Mark


class AttendanceBulk(BaseModel):
    entries: list[AttendanceEntry] = pydantic.Field(min_length=1, max_length=5000)

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "entries": [
                        {"registration_id": 1, "day_no": 1, "status": "present"},
                        {"registration_id": 1, "day_no": 2, "status": "on_demand"},
                        {"registration_id": 2, "day_no": 1, "status": "absent"},
                    ]
                }
            ]
        }
    }


class AttendanceRow(BaseModel):
    registration_id: int
    name: str
    municipality_code: str
    role: str
    marks: dict[int, Mark | None]  # day_no → mark
    attended_days: int
    completed: bool


class SessionAttendance(BaseModel):
    session_id: int
    program_id: int
    days: int
    required_days: int
    rows: list[AttendanceRow]
    persons: int  # 実人数: people who attended at least one day
    attendances: int  # 延べ人数: person-days attended (present or on-demand)
    completers: int
