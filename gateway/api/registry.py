"""The municipality registry as JSON: the home prefecture's municipalities and any by code."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request

from gateway.views.registry import (
    MunicipalityList,
    MunicipalityOut,
    PrefectureOut,
    list_municipalities,
    lookup,
    registry_of,
    to_out,
)
from services.common.errors import Invalid, NotFound
from services.common.registry import REGION_CLASSES

router = APIRouter(tags=["区市町村"])


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
