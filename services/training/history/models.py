"""History from before the product (過去の実績): aggregate actuals per kind × fiscal year, for the
whole prefecture or per municipality where known, imported from the Excel sheets a prefecture
kept before (participants, completers, sessions), each with its source."""

from __future__ import annotations

import pydantic
from pydantic import BaseModel, model_validator
from sqlalchemy import UniqueConstraint
from sqlmodel import Field

from services.common.models import Tracked
from services.common.registry import MunicipalityCode
from services.training.base import Base
from services.training.programs.models import Kind

# The stored municipality code of a row for the whole prefecture (municipality not known).
WHOLE = ""


class HistoryActual(Tracked, Base, table=True):  # type: ignore[call-arg]
    __tablename__ = "history_actual"
    __table_args__ = (UniqueConstraint("fiscal_year", "kind", "municipality_code"),)

    id: int | None = Field(default=None, primary_key=True)
    fiscal_year: int = Field(index=True)
    kind: str = Field(max_length=60)
    # "" for the whole prefecture; otherwise the municipality the figures are of.
    municipality_code: str = Field(default=WHOLE, max_length=6)
    participants: int | None = Field(default=None, description="受講者数")
    completers: int | None = Field(default=None, description="修了者数")
    sessions: int | None = Field(default=None, description="開催回数 (区市町村の行は受講した回数)")
    source: str = Field(max_length=500, description="出典 (資料名・日付・ページ)")
    note: str = Field(default="", max_length=1000)


class HistoryRowIn(BaseModel):
    kind: Kind
    fiscal_year: int = pydantic.Field(ge=2000, le=2100)
    municipality_code: MunicipalityCode | None = pydantic.Field(
        default=None, description="区市町村コード (分からないとき・都全体の数は省略)"
    )
    participants: int | None = pydantic.Field(default=None, ge=0, le=10_000_000)
    completers: int | None = pydantic.Field(default=None, ge=0, le=10_000_000)
    sessions: int | None = pydantic.Field(default=None, ge=0, le=10_000_000)
    source: str = pydantic.Field(min_length=1, max_length=500)
    note: str = pydantic.Field(default="", max_length=1000)

    @model_validator(mode="after")
    def _check(self) -> HistoryRowIn:
        if self.participants is None and self.completers is None and self.sessions is None:
            raise ValueError("受講者数・修了者数・開催回数のどれかを入れてください")
        if (
            self.participants is not None
            and self.completers is not None
            and self.completers > self.participants
        ):
            raise ValueError(
                f"修了者数 ({self.completers}) が受講者数 ({self.participants}) を超えています"
            )
        return self


class HistoryImport(BaseModel):
    rows: list[HistoryRowIn] = pydantic.Field(min_length=1, max_length=5000)

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "rows": [
                        {
                            "kind": "地域ケア会議 司会者・助言者養成",
                            "fiscal_year": 2018,
                            "completers": 352,
                            "source": "東京都 取組と目標 自己評価シート 別紙2 事項1 (平成30〜令和2年度)",
                            "note": "募集規模360人",
                        }
                    ]
                }
            ]
        }
    }


class HistoryPublic(BaseModel):
    id: int
    fiscal_year: int
    kind: str
    municipality_code: str | None
    participants: int | None
    completers: int | None
    sessions: int | None
    source: str
    note: str
    version: int
    updated_by: str


class HistoryWritten(BaseModel):
    created: int
    replaced: int
    rows: list[HistoryPublic]
    warnings: list[str]
