"""The municipality registry as the views and the JSON show it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace

from fastapi import Request
from pydantic import BaseModel

from services.common.errors import Invalid
from services.common.registry import CodeError, Municipality, Registry, get_registry


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


def with_peer_type(m: Municipality, peer_type: str | None) -> Municipality:
    """The municipality with the peer type the indicators service uses now (the prefecture's
    setting, else the registry's default): the one source of every view that shows or groups
    by peer type, in place of the registry's default."""
    return m if m.peer_type == peer_type else replace(m, peer_type=peer_type)


def with_peer_types(
    ms: Iterable[Municipality], types: Mapping[str, str | None] | None
) -> list[Municipality]:
    """Each municipality with its peer type from the service's answer (``types``: code →
    type); None where the service did not answer (unknown, not the registry's default)."""
    return [with_peer_type(m, (types or {}).get(m.code)) for m in ms]


def lookup(registry: Registry, code: str) -> Municipality:
    try:
        return registry.require(code)
    except CodeError as exc:
        raise Invalid(str(exc), errors=[{"loc": ["path", "code"], "msg": str(exc)}]) from exc
