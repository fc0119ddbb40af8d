"""Insurers (保険者) loaded from a list: 広域連合 / 一部事務組合 with their member municipalities,
and municipalities whose insurer number the list states (where it differs from the derived one).

A municipality that no loaded row names is its own insurer under its derived number
(services/common/registry.py); nothing is stored for it.
"""

from sqlalchemy import CheckConstraint, Column, ForeignKey, String
from sqlmodel import Field

from services.common.models import Tracked
from services.indicators.base import Base


class Insurer(Tracked, Base, table=True):  # type: ignore[call-arg]
    __tablename__ = "insurer"
    __table_args__ = (
        CheckConstraint("length(number) = 6", name="insurer_number_length"),
        CheckConstraint("kind IN ('municipality', 'union')", name="insurer_kind"),
        CheckConstraint("length(name) > 0", name="insurer_name"),
    )

    number: str = Field(primary_key=True, max_length=6, description="介護保険 保険者番号")
    name: str = Field(max_length=200)
    # municipality: one member, its own insurer; union: 広域連合 / 一部事務組合
    kind: str = Field(max_length=16)
    source: str = Field(default="", max_length=300, description="読み込んだファイル")


class InsurerMember(Base, table=True):  # type: ignore[call-arg]
    __tablename__ = "insurer_member"
    __table_args__ = (
        CheckConstraint("length(municipality_code) = 6", name="insurer_member_code_length"),
    )

    municipality_code: str = Field(primary_key=True, max_length=6)  # in at most one insurer
    insurer_number: str = Field(
        sa_column=Column(
            String(6),
            ForeignKey("insurer.number", ondelete="CASCADE"),
            index=True,
            nullable=False,
        )
    )
