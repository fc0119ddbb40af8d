"""Training programs (研修): kind, audience, region and fiscal year."""

from sqlmodel import Field, SQLModel

from services.common.models import Tracked
from services.training.base import Base


class ProgramBase(SQLModel):
    name: str = Field(max_length=200)
    kind: str = Field(
        max_length=60, description="全体研修・情報交換会、見える化システム活用研修 など"
    )
    fiscal_year: int = Field(ge=2018, le=2100, index=True)
    region: str = Field(default="全域", max_length=10, description="全域 / 区部 / 市部 / 町村部")


class Program(Tracked, ProgramBase, Base, table=True):  # type: ignore[call-arg]
    __tablename__ = "program"

    id: int | None = Field(default=None, primary_key=True)


class ProgramPublic(ProgramBase):
    id: int
    version: int
