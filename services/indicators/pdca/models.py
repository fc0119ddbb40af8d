"""PDCA sheets (取組と目標): items, targets and yearly records of one prefecture or municipality."""

from typing import Any

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field

from services.common.models import Tracked
from services.indicators.base import Base


class PdcaSheet(Tracked, Base, table=True):  # type: ignore[call-arg]
    __tablename__ = "pdca_sheet"
    __table_args__ = (UniqueConstraint("entity_code", "start_fy"),)

    id: int | None = Field(default=None, primary_key=True)
    entity_code: str = Field(max_length=6, index=True)
    title: str = Field(max_length=300)
    start_fy: int
    end_fy: int
    # The items (事項) with targets and per-year records, validated by pdca.schemas.
    items: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
