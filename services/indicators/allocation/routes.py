"""Allocation simulator endpoints: inputs per grant and year, and the simulation."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, UploadFile
from pydantic import BaseModel, Field
from sqlmodel.ext.asyncio.session import AsyncSession

from services.common.access import staff_only
from services.common.actor import Actor
from services.common.db import get_session
from services.indicators.allocation import service
from services.indicators.frameworks.models import Grant

router = APIRouter(tags=["配分シミュレーション"])
Session = Annotated[AsyncSession, Depends(get_session, scope="function")]
Staff = Annotated[Actor, Depends(staff_only)]


class InputsIn(BaseModel):
    rows: list[Any]

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
    budget: int = Field(ge=0, description="交付額の総額 (円)")
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


@router.put(
    "/allocation/{grant}/{grant_fy}/inputs", summary="第1号被保険者数・所要見込額を書き込む"
)
async def put_inputs(
    grant: Grant, grant_fy: int, body: InputsIn, session: Session, actor: Staff
) -> dict[str, int]:
    return {"written": await service.write_inputs(session, grant, grant_fy, body.rows, actor=actor)}


@router.post(
    "/allocation/{grant}/{grant_fy}/inputs/import", summary="配分の入力をCSV・XLSXから取り込む"
)
async def import_inputs(
    grant: Grant,
    grant_fy: int,
    session: Session,
    actor: Staff,
    file: Annotated[UploadFile, File()],
) -> dict[str, int]:
    n = await service.import_inputs(
        session, grant, grant_fy, file.filename or "", await file.read(), actor=actor
    )
    return {"written": n}


@router.get("/allocation/{grant}/{grant_fy}/inputs", summary="配分の入力")
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
    "/frameworks/{framework_id}/allocation", summary="配分額の試算 (what-if つき、書き込みなし)"
)
async def simulate(framework_id: int, body: SimulateIn, session: Session) -> dict[str, Any]:
    return await service.simulate(
        session,
        framework_id,
        budget=body.budget,
        what_if=body.what_if.model_dump() if body.what_if else None,
    )
