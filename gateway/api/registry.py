"""The municipality registry as JSON: the home prefecture's municipalities and any by code."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel

from services.common.errors import Invalid, NotFound
from services.common.registry import (
    REGION_CLASSES,
    CodeError,
    Municipality,
    Registry,
    get_registry,
)

router = APIRouter(tags=["区市町村"])


class MunicipalityOut(BaseModel):
    code: str
    name: str
    kana: str
    kind: str
    prefecture: str
    prefecture_name: str
    region_class: str | None = None
    island: bool = False
    medical_area: str | None = None
    peer_type: str | None = None


class PrefectureOut(BaseModel):
    code: str
    number: str
    name: str
    kana: str


class MunicipalityList(BaseModel):
    prefecture: str
    count: int
    data: list[MunicipalityOut]


def registry_of(request: Request) -> Registry:
    return get_registry(request.app.state.settings.common.home_prefecture)


def to_out(m: Municipality) -> MunicipalityOut:
    return MunicipalityOut(
        code=m.code,
        name=m.name,
        kana=m.kana,
        kind=m.kind,
        prefecture=m.prefecture,
        prefecture_name=m.prefecture_name,
        region_class=m.region_class,
        island=m.island,
        medical_area=m.medical_area,
        peer_type=m.peer_type,
    )


def list_municipalities(
    registry: Registry,
    prefecture: str,
    *,
    region_class: str | None = None,
    medical_area: str | None = None,
    peer_type: str | None = None,
) -> list[Municipality]:
    rows = registry.in_prefecture(prefecture)
    if region_class:
        rows = [m for m in rows if m.region_class == region_class]
    if medical_area:
        rows = [m for m in rows if m.medical_area == medical_area]
    if peer_type:
        rows = [m for m in rows if m.peer_type == peer_type]
    return rows


def lookup(registry: Registry, code: str) -> Municipality:
    try:
        return registry.require(code)
    except CodeError as exc:
        raise Invalid(str(exc), errors=[{"loc": ["path", "code"], "msg": str(exc)}]) from exc


@router.get("/municipalities", response_model=MunicipalityList, summary="区市町村の一覧")
async def municipalities(
    request: Request,
    prefecture: Annotated[str | None, Query(pattern=r"^\d{2}$", description="都道府県番号")] = None,
    region_class: Annotated[str | None, Query(description="区部 / 市部 / 町村部")] = None,
    medical_area: Annotated[str | None, Query(description="二次保健医療圏")] = None,
    peer_type: Annotated[
        str | None, Query(description="大都市型 / 都市型 / 離島・中山間型")
    ] = None,
) -> MunicipalityList:
    registry = registry_of(request)
    pref = prefecture or registry.home_prefecture
    if registry.prefecture(pref) is None:
        raise NotFound(f"都道府県番号 {pref} はありません")
    if region_class and region_class not in REGION_CLASSES:
        raise Invalid(
            f"region_class は {' / '.join(REGION_CLASSES)} のいずれかです",
            errors=[{"loc": ["query", "region_class"], "msg": "不明な区分です"}],
        )
    rows = list_municipalities(
        registry, pref, region_class=region_class, medical_area=medical_area, peer_type=peer_type
    )
    return MunicipalityList(prefecture=pref, count=len(rows), data=[to_out(m) for m in rows])


@router.get("/municipalities/{code}", response_model=MunicipalityOut, summary="区市町村")
async def municipality(
    request: Request, code: Annotated[str, Path(description="6桁の地方公共団体コード")]
) -> MunicipalityOut:
    return to_out(lookup(registry_of(request), code))


@router.get("/prefectures", response_model=list[PrefectureOut], summary="都道府県の一覧")
async def prefectures(request: Request) -> list[PrefectureOut]:
    registry = registry_of(request)
    return [
        PrefectureOut(code=p.code, number=p.number, name=p.name, kana=p.kana)
        for p in sorted(registry.prefectures.values(), key=lambda p: p.code)
    ]
