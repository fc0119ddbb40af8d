"""Inputs of the allocation simulator: first-insured persons and requested amounts per insurer."""

from sqlalchemy import BigInteger, Column, UniqueConstraint
from sqlmodel import Field

from services.common.models import Tracked
from services.indicators.base import Base


class AllocationInput(Tracked, Base, table=True):  # type: ignore[call-arg]
    __tablename__ = "allocation_input"
    __table_args__ = (UniqueConstraint("grant", "grant_fy", "entity_code"),)

    id: int | None = Field(default=None, primary_key=True)
    grant: str = Field(max_length=16, description="suishin | doryoku")
    grant_fy: int
    entity_code: str = Field(max_length=6, index=True)
    first_insured: int = Field(ge=0, description="第1号被保険者数")
    requested: int = Field(
        sa_column=Column(BigInteger, nullable=False), description="所要見込額 (円)"
    )
