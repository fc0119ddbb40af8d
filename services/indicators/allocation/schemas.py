"""Answer models of the allocation endpoints: budgets, rules, national basis, first-insured
persons, inputs and the simulation (見込み). The dicts the service builds are validated against
these, so the OpenAPI document says what each answer holds."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field


class SourceOut(BaseModel):
    document: str = Field(description="資料名")
    date: str | None = Field(description="資料の日付 (YYYY-MM-DD)")
    page: str = Field(description="頁")


class BudgetOut(BaseModel):
    grant: str
    level: str = Field(description="municipality / prefecture / all (両区分の合計)")
    level_label: str
    grant_fy: int
    amount: int | None = Field(description="使う額 (上書きがあれば上書き額、なければ公表額)")
    basis: Literal["published", "override"]
    published_amount: int | None
    state: str
    state_label: str = Field(description="暫定 / 確定")
    source: SourceOut
    wording: str
    note: str
    override_amount: int | None
    override_reason: str | None
    updated_by: str | None
    updated_at: datetime | None
    version: int


class SimulationBudget(BaseModel):
    """The budget a simulation used: the year's (a budget row) or an explicit what-if amount."""

    amount: int
    basis: Literal["published", "override", "what_if"]
    label: str | None = None
    grant: str | None = None
    level: str | None = None
    level_label: str | None = None
    grant_fy: int | None = None
    published_amount: int | None = None
    state: str | None = None
    state_label: str | None = None
    source: SourceOut | None = None
    wording: str | None = None
    note: str | None = None
    override_amount: int | None = None
    override_reason: str | None = None
    updated_by: str | None = None
    updated_at: datetime | None = None
    version: int | None = None


class RuleOut(BaseModel):
    grant: str
    level: str
    from_fy: int = Field(description="この年度から適用")
    weight: Literal["score", "score_x_first_insured"]
    weight_label: str
    wording: str
    state: str
    state_label: str
    source: SourceOut


class NationalBasisOut(BaseModel):
    grant: str
    level: str
    grant_fy: int
    denominator: float = Field(description="全国の Σ(総合得点 × 重み)")
    state: str
    state_label: str
    source: SourceOut
    note: str
    version: int
    updated_by: str | None


class InputRowOut(BaseModel):
    entity_code: str
    first_insured: int
    requested: int
    version: int
    updated_at: datetime | None
    updated_by: str | None


class WrittenOut(BaseModel):
    written: int


class ImportProblem(BaseModel):
    loc: list[str | int]
    msg: str


class FirstInsuredImportOut(BaseModel):
    dry_run: bool
    written: int
    rows: int = Field(description="読めた行 (保険者)")
    persons: int | None = Field(None, description="第1号被保険者数の合計")
    problems: list[ImportProblem] = Field(description="dry_run=true のときの誤り (行・列つき)")


class FirstInsuredRowOut(BaseModel):
    entity_code: str
    insurer_number: str | None
    name: str
    persons: int
    as_of: str
    source: str


class FirstInsuredOut(BaseModel):
    fiscal_year: int
    count: int
    persons: int
    data: list[FirstInsuredRowOut]


class BasisOut(BaseModel):
    """What the denominator rests on: computed from every insurer, or the published figure."""

    kind: Literal["computed", "published"]
    text: str
    denominator: float
    insurers: int | None = None
    grant: str | None = None
    level: str | None = None
    grant_fy: int | None = None
    state: str | None = None
    state_label: str | None = None
    source: SourceOut | None = None
    note: str | None = None
    version: int | None = None
    updated_by: str | None = None


class AllocationRow(BaseModel):
    entity_code: str
    insurer_number: str | None
    name: str
    total: float = Field(description="総合得点")
    first_insured: int | None
    first_insured_source: str | None
    requested: int | None = Field(description="所要見込額 (円)")
    weight: float
    share: int = Field(description="配分額 見込み (円、1円未満切り捨て)")
    paid: int | None = Field(description="交付額 見込み = min(配分額, 所要見込額)")
    shortfall: int | None
    surplus: int | None
    label: str


class AllocationTotals(BaseModel):
    budget: int
    share: int
    paid: int
    requested: int
    not_paid_out: int | None
    surplus: int
    rounding_remainder: int | None = Field(description="切り捨てで残った額 (一覧が全国のときだけ)")
    outside_listed: int | None = Field(description="一覧にない保険者の分 (一覧が全国でないとき)")


class WhatIfItem(BaseModel):
    item_code: str
    points: float
    provisional: bool


class WhatIfOut(BaseModel):
    entity_code: str
    name: str
    changed_items: list[str]
    total_before: float
    total_after: float
    share_before: int
    share_after: int
    paid_before: int | None
    paid_after: int | None
    difference: int
    items: list[WhatIfItem]
    label: str
    rests_on_provisional: bool


class SimulationOut(BaseModel):
    framework_id: int
    grant: str
    level: str
    grant_fy: int
    label: str = Field(description="見込み")
    rounding: str
    budget: SimulationBudget
    rule: RuleOut
    basis: BasisOut
    basis_text: str
    rests_on_provisional: bool
    provisional_reasons: list[str]
    entities: list[AllocationRow]
    totals: AllocationTotals
    without_inputs: list[str]
    without_first_insured: list[str]
    what_if: WhatIfOut | None
