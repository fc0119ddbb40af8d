"""PDCA sheets (取組と目標): items, targets and yearly records of one prefecture or municipality,
whether the sheet is published to the other municipalities, and the items marked as 好事例."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, ForeignKey, Integer, UniqueConstraint, false
from sqlmodel import Field

from services.common.models import Tracked, tz_field
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
    # Published: the other municipalities read it (read-only); a draft only its own staff and
    # the prefecture.
    published: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    published_at: datetime | None = tz_field(default=None, nullable=True)
    published_by: str = Field(default="", max_length=200)
    # Read model: per-item progress on the entered values, self-evaluation counts per year
    # and theme of every item, refreshed on every write (pdca.schemas.digest); the 62 side by
    # side read this instead of every sheet's items.
    digest: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))


class PdcaGoodPractice(Tracked, Base, table=True):  # type: ignore[call-arg]
    """An item a coordinator marked as a 好事例 for 横展開, with a short note. The item's title
    and theme are kept as a snapshot so a citation still reads when the sheet changes."""

    __tablename__ = "pdca_good_practice"
    __table_args__ = (UniqueConstraint("sheet_id", "item_code"),)

    id: int | None = Field(default=None, primary_key=True)
    sheet_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("pdca_sheet.id", ondelete="CASCADE"), index=True, nullable=False
        )
    )
    entity_code: str = Field(max_length=6, index=True)
    item_code: str = Field(max_length=64)
    item_title: str = Field(max_length=500)
    theme: str | None = Field(default=None, max_length=40)
    note: str = Field(max_length=500)
