"""The measure catalogue (指標カタログ): shipped as data (data/measures.json), extended by staff."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.common.actor import Actor
from services.common.errors import Conflict, Invalid, NotFound
from services.common.models import stamp_created, stamp_updated
from services.indicators.regional.models import RegionalMeasure, RegionalMeasureDefinition
from services.indicators.regional.schemas import CatalogueDoc, MeasureDoc, MeasurePublic

log = logging.getLogger("banso.indicators")
SHIPPED_FILE = Path(__file__).parent / "data" / "measures.json"


def shipped_catalogue() -> CatalogueDoc:
    return CatalogueDoc.model_validate(json.loads(SHIPPED_FILE.read_text(encoding="utf-8")))


@dataclass
class MeasureInfo:
    """A measure with its definitions, sorted by year (plain data: cheap to pass around)."""

    code: str
    name: str
    unit: str
    category: str
    favourable_direction: str | None
    decimals: int
    integer: bool
    min_value: float | None
    max_value: float | None
    until_fy: int | None
    aliases: list[str]
    origin: str
    sort_order: int
    definitions: list[RegionalMeasureDefinition] = field(default_factory=list)

    @property
    def from_fy(self) -> int:
        return self.definitions[0].from_fy if self.definitions else 0

    def in_force(self, fy: int) -> bool:
        return (
            bool(self.definitions)
            and self.from_fy <= fy
            and (self.until_fy is None or fy <= self.until_fy)
        )

    def definition_for(self, fy: int | None) -> RegionalMeasureDefinition | None:
        if not self.definitions:
            return None
        if fy is None:
            return self.definitions[-1]
        found = None
        for d in self.definitions:
            if d.from_fy <= fy:
                found = d
        return found

    def public(self, fy: int | None = None) -> MeasurePublic:
        d = self.definition_for(fy)
        return MeasurePublic(
            code=self.code,
            name=self.name,
            unit=self.unit,
            category=self.category,
            favourable_direction=self.favourable_direction,
            decimals=self.decimals,
            integer=self.integer,
            min_value=self.min_value,
            max_value=self.max_value,
            from_fy=self.from_fy,
            until_fy=self.until_fy,
            origin=self.origin,
            aliases=list(self.aliases),
            definition=d.definition if d else None,
            sources=list(d.sources) if d else [],
            definitions=[
                {
                    "from_fy": x.from_fy,
                    "definition": x.definition,
                    "sources": x.sources,
                    "note": x.note,
                }
                for x in self.definitions
            ],
        )


async def load_catalogue(session: AsyncSession) -> dict[str, MeasureInfo]:
    """Every measure with its definitions, in catalogue order."""
    measures = (
        await session.exec(
            select(RegionalMeasure).order_by(RegionalMeasure.sort_order, RegionalMeasure.code)
        )
    ).all()
    defs = (
        await session.exec(
            select(RegionalMeasureDefinition).order_by(
                RegionalMeasureDefinition.measure_code, RegionalMeasureDefinition.from_fy
            )
        )
    ).all()
    out = {
        m.code: MeasureInfo(
            code=m.code,
            name=m.name,
            unit=m.unit,
            category=m.category,
            favourable_direction=m.favourable_direction,
            decimals=m.decimals,
            integer=m.integer,
            min_value=m.min_value,
            max_value=m.max_value,
            until_fy=m.until_fy,
            aliases=list(m.aliases or []),
            origin=m.origin,
            sort_order=m.sort_order,
        )
        for m in measures
    }
    for d in defs:
        if d.measure_code in out:
            out[d.measure_code].definitions.append(d)
    return out


async def in_force(session: AsyncSession, fy: int) -> dict[str, MeasureInfo]:
    """The measures defined for a fiscal year, in catalogue order."""
    return {c: m for c, m in (await load_catalogue(session)).items() if m.in_force(fy)}


async def require_measure(session: AsyncSession, code: str) -> MeasureInfo:
    m = (await load_catalogue(session)).get(code)
    if m is None:
        raise NotFound(f"指標 {code!r} はカタログにありません (GET /api/v1/regional/measures)")
    return m


async def _put_measure(
    session: AsyncSession,
    doc: MeasureDoc,
    *,
    origin: str,
    sort_order: int,
    actor: Actor,
) -> None:
    row = await session.get(RegionalMeasure, doc.code)
    fields: dict[str, Any] = doc.model_dump(exclude={"definitions"})
    fields.update(origin=origin, sort_order=sort_order)
    if row is None:
        row = RegionalMeasure(**fields)
        stamp_created(row, actor)
        session.add(row)
    else:
        changed = {k: v for k, v in fields.items() if getattr(row, k) != v}
        if changed:
            row.sqlmodel_update(changed)
            stamp_updated(row, actor)
    existing = {
        d.from_fy: d
        for d in (
            await session.exec(
                select(RegionalMeasureDefinition).where(
                    RegionalMeasureDefinition.measure_code == doc.code
                )
            )
        ).all()
    }
    wanted = {d.from_fy: d for d in doc.definitions}
    for fy, d in existing.items():
        if fy not in wanted:
            await session.delete(d)
    for fy, w in wanted.items():
        data = {
            "definition": w.definition,
            "sources": [s.model_dump(mode="json", exclude_defaults=True) for s in w.sources],
            "note": w.note,
        }
        d = existing.get(fy)
        if d is None:
            session.add(RegionalMeasureDefinition(measure_code=doc.code, from_fy=fy, **data))
        elif any(getattr(d, k) != v for k, v in data.items()):
            d.sqlmodel_update(data)
    await session.flush()


async def load_shipped_catalogue(session: AsyncSession, *, actor: Actor) -> list[str]:
    """Bring the shipped measures to the shipped file's content (the file is the authority for
    shipped codes; measures staff added are left alone). Returns the codes written."""
    doc = shipped_catalogue()
    for i, m in enumerate(doc.measures):
        await _put_measure(session, m, origin="shipped", sort_order=i, actor=actor)
    return [m.code for m in doc.measures]


async def put_catalogue(session: AsyncSession, doc: CatalogueDoc, *, actor: Actor) -> list[str]:
    """Add or replace staff-defined measures (all or nothing; shipped codes are refused)."""
    codes = [m.code for m in doc.measures]
    dups = [
        {"loc": ["body", "measures", i, "code"], "msg": f"{code} が重複しています"}
        for i, code in enumerate(codes)
        if code in codes[:i]
    ]
    if dups:
        raise Invalid(
            f"{len(dups)}件の指標コードが重複しています。何も書き込んでいません", errors=dups
        )
    current = await load_catalogue(session)
    shipped = [
        {
            "loc": ["body", "measures", i, "code"],
            "msg": f"{code} は同梱の指標です。同梱の定義はデータファイルで変更します",
        }
        for i, code in enumerate(codes)
        if code in current and current[code].origin == "shipped"
    ]
    if shipped:
        raise Conflict(
            f"{len(shipped)}件は同梱の指標のため書き込めません。何も書き込んでいません",
            errors=shipped,
        )
    base = max((m.sort_order for m in current.values()), default=-1) + 1
    for i, m in enumerate(doc.measures):
        order = current[m.code].sort_order if m.code in current else base + i
        await _put_measure(session, m, origin="user", sort_order=order, actor=actor)
    return codes


async def on_startup(app: Any) -> None:
    """Lifespan hook: bring the shipped measures up to the data file; never stop the app from
    starting (an unmigrated database is reported by /readyz, not here)."""
    from services.common.actor import Role

    system = Actor(id="system", name="初期データ", role=Role.admin)
    try:
        async with app.state.db.session(write=True) as session:
            try:
                async with session.begin_nested():
                    await load_shipped_catalogue(session, actor=system)
            except IntegrityError:  # another replica loaded it meanwhile
                pass
            await session.commit()
    except Exception as exc:
        log.warning("regional measure catalogue not loaded: %s", exc)
