"""User-defined peer group sets (each entity in exactly one group of a set)."""

from sqlalchemy import Column, ForeignKey, Integer, UniqueConstraint
from sqlmodel import Field

from services.common.models import Tracked
from services.indicators.base import Base


class PeerSet(Tracked, Base, table=True):  # type: ignore[call-arg]
    __tablename__ = "peer_set"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100, unique=True)
    description: str = Field(default="", max_length=500)


class PeerMember(Base, table=True):  # type: ignore[call-arg]
    __tablename__ = "peer_member"
    __table_args__ = (UniqueConstraint("peer_set_id", "entity_code"),)

    id: int | None = Field(default=None, primary_key=True)
    peer_set_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("peer_set.id", ondelete="CASCADE"), index=True, nullable=False
        )
    )
    entity_code: str = Field(max_length=6)
    group_name: str = Field(max_length=100)
