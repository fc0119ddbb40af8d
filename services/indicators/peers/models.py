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


class PeerTypeOverride(Tracked, Base, table=True):  # type: ignore[call-arg]
    """A municipality's peer type (類型: 大都市型・都市型・離島・中山間型) as the prefecture set
    it, in place of the registry's default (``peer_type`` null: back to the default; the row
    stays so that its ``version`` keeps counting)."""

    __tablename__ = "peer_type_override"

    entity_code: str = Field(primary_key=True, max_length=6)
    peer_type: str | None = Field(default=None, max_length=40)
