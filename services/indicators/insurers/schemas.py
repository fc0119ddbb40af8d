"""What the insurer endpoints answer."""

from typing import Any

from pydantic import BaseModel, Field


class Member(BaseModel):
    code: str = Field(description="地方公共団体コード")
    name: str


class InsurerRow(BaseModel):
    insurer_number: str = Field(description="介護保険の保険者番号")
    entity_code: str = Field(description="得点などを記録する団体コード")
    name: str
    kind: str = Field(description="municipality | union")
    members: list[Member]
    source: str


class InsurerSummary(BaseModel):
    insurers: int
    unions: int
    municipalities_in_unions: int
    listed: int
    derived: int
    note: str


class InsurerList(BaseModel):
    summary: InsurerSummary
    insurers: list[InsurerRow]


class InsurerFound(InsurerRow):
    given: str = Field(description="問い合わせたコード")
    given_form: str = Field(
        description="そのコードの形 (municipality_code, insurer_number, member …)"
    )


class InsurerImport(InsurerSummary):
    dry_run: bool
    written: int
    problems: list[dict[str, Any]] = Field(description="行ごとの誤り {loc, msg}")
