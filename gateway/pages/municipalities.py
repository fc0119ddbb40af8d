"""Home (the home prefecture's municipalities by region class) and the municipality page."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from gateway.api.registry import list_municipalities, lookup, registry_of
from gateway.templating import render
from services.common.registry import REGION_CLASSES

router = APIRouter(include_in_schema=False)


@router.get("/", name="home", response_class=HTMLResponse)
async def home(
    request: Request,
    region_class: Annotated[str, Query()] = "",
    medical_area: Annotated[str, Query()] = "",
) -> HTMLResponse:
    registry = registry_of(request)
    pref = registry.home_prefecture
    rows = list_municipalities(
        registry, pref, region_class=region_class or None, medical_area=medical_area or None
    )
    order = {rc: i for i, rc in enumerate(REGION_CLASSES)}
    groups: dict[str, list] = {}
    for m in sorted(rows, key=lambda m: (order.get(m.region_class or "", 9), m.code)):
        groups.setdefault(m.region_class or "その他", []).append(m)
    return render(
        request,
        "municipalities/index.html",
        {
            "prefecture": registry.prefecture(pref),
            "total": len(rows),
            "groups": list(groups.items()),
            "region_classes": REGION_CLASSES,
            "areas": registry.areas,
            "region_class": region_class,
            "medical_area": medical_area,
        },
        block="municipality_groups",
    )


@router.get("/municipalities/{code}", name="municipality_page", response_class=HTMLResponse)
async def municipality_page(request: Request, code: str) -> HTMLResponse:
    registry = registry_of(request)
    m = lookup(registry, code)
    peers = [
        p
        for p in list_municipalities(registry, m.prefecture, medical_area=m.medical_area)
        if p.code != m.code and m.medical_area
    ]
    return render(request, "municipalities/show.html", {"m": m, "peers": peers})
