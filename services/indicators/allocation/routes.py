"""Allocation simulator endpoints: inputs per grant and year, and the simulation."""

import hashlib
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, Path, Query, UploadFile
from pydantic import BaseModel, Field
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.common.access import staff_only
from services.common.actor import Actor
from services.common.audit import record_event
from services.common.db import get_session
from services.indicators.allocation import reference as ref
from services.indicators.allocation import service
from services.indicators.allocation.models import AllocationRule
from services.indicators.allocation.schemas import (
    BudgetOut,
    FirstInsuredImportOut,
    FirstInsuredOut,
    InputRowOut,
    NationalBasisOut,
    RuleOut,
    SimulationOut,
)
from services.indicators.frameworks.models import Grant
from services.indicators.insurers.service import load_directory
from services.indicators.rows import INPUT_ROWS
from services.indicators.tables import audit

router = APIRouter(tags=["配分シミュレーション"])
Session = Annotated[AsyncSession, Depends(get_session, scope="function")]
Staff = Annotated[Actor, Depends(staff_only)]


class InputsIn(BaseModel):
    rows: list[Any] = Field(**INPUT_ROWS)

    model_config = {
        "json_schema_extra": {
            "examples": [
                {"rows": [{"entity_code": "131016", "first_insured": 13000, "requested": 12000000}]}
            ]
        }
    }


class WhatIf(BaseModel):
    entity_code: str = Field(pattern=r"^\d{5,6}$")
    points: dict[str, Any] = Field(description="指標コード → 仮定の得点")


class SimulateIn(BaseModel):
    budget: int | None = Field(
        None,
        ge=0,
        description="試算に使う予算 (円)。省略時はその年度・区分の予算 (公表額または上書き)",
    )
    what_if: WhatIf | None = None

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "budget": 19_000_000_000,
                    "what_if": {"entity_code": "131016", "points": {"Ⅰ-見える化": 10}},
                }
            ]
        }
    }


class Written(BaseModel):
    written: int


class InputsImported(Written):
    rows: int = Field(description="ファイルの保険者の行 (dry_run=true: 書き込むはずの行)")


@router.put(
    "/allocation/{grant}/{grant_fy}/inputs",
    response_model=Written,
    summary="第1号被保険者数・所要見込額を書き込む",
)
async def put_inputs(
    grant: Grant, grant_fy: int, body: InputsIn, session: Session, actor: Staff
) -> Written:
    return Written(
        written=await service.write_inputs(session, grant, grant_fy, body.rows, actor=actor)
    )


@router.post(
    "/allocation/{grant}/{grant_fy}/inputs/import",
    response_model=InputsImported,
    summary="配分の入力をCSV・XLSXから取り込む",
)
async def import_inputs(
    grant: Grant,
    grant_fy: int,
    session: Session,
    actor: Staff,
    file: Annotated[UploadFile, File()],
    dry_run: Annotated[
        bool, Query(description="true: 確かめて数えるだけ (何も書き込まない; 誤りは 422 で全件)")
    ] = False,
) -> InputsImported:
    n = await service.import_inputs(
        session, grant, grant_fy, file.filename or "", await file.read(), actor=actor
    )
    if dry_run:
        await session.rollback()  # checked and counted, nothing kept
        return InputsImported(written=0, rows=n)
    return InputsImported(written=n, rows=n)


@router.get(
    "/allocation/{grant}/{grant_fy}/inputs",
    response_model=list[InputRowOut],
    summary="配分の入力",
)
async def get_inputs(
    grant: Grant, grant_fy: int, session: Session, entity_code: str | None = None
) -> list[dict[str, Any]]:
    rows = await service.list_inputs(session, grant, grant_fy, entity_code)
    return [
        {
            "entity_code": r.entity_code,
            "first_insured": r.first_insured,
            "requested": r.requested,
            "version": r.version,
            "updated_at": r.updated_at,
            "updated_by": r.updated_by,
        }
        for r in rows
    ]


@router.post(
    "/frameworks/{framework_id}/allocation",
    response_model=SimulationOut,
    summary="配分額の試算 (what-if つき、書き込みなし)",
)
async def simulate(
    framework_id: int, session: Session, body: SimulateIn | None = None
) -> dict[str, Any]:
    body = body or SimulateIn()
    return await service.simulate(
        session,
        framework_id,
        budget=body.budget,
        what_if=body.what_if.model_dump() if body.what_if else None,
    )


# --- budgets, rules, national basis, first-insured persons -----------------------------------

LevelAll = Literal["municipality", "prefecture", "all"]
LevelOne = Literal["municipality", "prefecture"]


@router.get(
    "/budgets",
    response_model=list[BudgetOut],
    summary="予算 (交付金 × 区分 × 交付年度、出典と上書き)",
)
async def list_budgets(session: Session, grant: Grant | None = None) -> list[dict[str, Any]]:
    return [ref.budget_out(b) for b in await ref.list_budgets(session, grant=grant)]


@router.put(
    "/budgets/{grant}/{level}/{grant_fy}",
    response_model=BudgetOut,
    summary="予算を登録・上書き (公表額は出典つき、上書きは理由つき)",
)
async def put_budget(
    grant: Grant,
    level: LevelAll,
    grant_fy: Annotated[int, Path(ge=2018, le=2100)],
    body: ref.BudgetIn,
    session: Session,
    actor: Staff,
) -> dict[str, Any]:
    b = await ref.put_budget(session, grant.value, level, grant_fy, body, actor=actor)
    return ref.budget_out(b)


@router.get(
    "/allocation/rules",
    response_model=list[RuleOut],
    summary="配分の規則 (年度ごと: 得点 / 得点 × 第1号被保険者数)",
)
async def list_rules(session: Session) -> list[dict[str, Any]]:
    rows = (
        await session.exec(
            select(AllocationRule).order_by(
                AllocationRule.grant, AllocationRule.level, AllocationRule.from_fy
            )
        )
    ).all()
    return [ref.rule_out(r) for r in rows]


@router.get(
    "/allocation/{grant}/{level}/{grant_fy}/national",
    response_model=NationalBasisOut | None,
    summary="公表された全国の分母 (Σ 総合得点 × 重み)",
)
async def get_national(
    grant: Grant, level: LevelOne, grant_fy: int, session: Session
) -> dict[str, Any] | None:
    b = await ref.get_basis(session, grant.value, level, grant_fy)
    return ref.basis_out(b) if b else None


@router.put(
    "/allocation/{grant}/{level}/{grant_fy}/national",
    response_model=NationalBasisOut,
    summary="公表された全国の分母を入力 (出典つき)",
)
async def put_national(
    grant: Grant,
    level: LevelOne,
    grant_fy: Annotated[int, Path(ge=2018, le=2100)],
    body: ref.NationalBasisIn,
    session: Session,
    actor: Staff,
) -> dict[str, Any]:
    b = await ref.put_basis(session, grant.value, level, grant_fy, body, actor=actor)
    return ref.basis_out(b)


@router.post(
    "/first-insured/{fiscal_year}/import",
    response_model=FirstInsuredImportOut,
    summary="第1号被保険者数を取り込む (保険者番号または団体コード; 全件チェック後に書き込み)",
)
async def import_first_insured(
    fiscal_year: Annotated[int, Path(ge=2018, le=2100)],
    session: Session,
    actor: Staff,
    file: Annotated[UploadFile, File()],
    as_of: Annotated[str, Query(max_length=60, description="基準日 (例: 令和5年9月末)")] = "",
    dry_run: bool = False,
) -> dict[str, Any]:
    content = await file.read()
    out = await ref.import_first_insured(
        session, fiscal_year, file.filename or "", content, as_of=as_of, actor=actor,
        dry_run=dry_run,
    )  # fmt: skip
    if not dry_run:
        await record_event(
            session,
            audit,
            entity_type="FirstInsured",
            entity_id=str(fiscal_year),
            action="import",
            file_name=file.filename or "",
            sha256=hashlib.sha256(content).hexdigest(),
            rows=out["written"],
        )
    return out


@router.get(
    "/first-insured/{fiscal_year}",
    response_model=FirstInsuredOut,
    summary="第1号被保険者数 (年度・保険者ごと)",
)
async def get_first_insured(
    fiscal_year: int,
    session: Session,
    prefecture: Annotated[str | None, Query(pattern=r"^\d{2}$")] = None,
) -> dict[str, Any]:
    rows = await ref.first_insured_of(session, fiscal_year)
    d = await load_directory(session)
    data = [
        {
            "entity_code": c,
            "insurer_number": d.insurer_number_of_entity(c),
            "name": d.name_of(c),
            "persons": r.persons,
            "as_of": r.as_of,
            "source": r.source,
        }
        for c, r in sorted(rows.items())
        if not prefecture or c[:2] == prefecture
    ]
    return {
        "fiscal_year": fiscal_year,
        "count": len(data),
        "persons": sum(x["persons"] for x in data),
        "data": data,
    }
