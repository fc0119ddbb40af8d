"""Demo data (サンプル) for the centres: Tokyo's 457 centres with seed 001's split per area and
form of operation (April 2020: 区部 288 = 直営 4 + 委託 284; 市町村部 169 = 直営 13 + 委託 156)
and 8.4 staff per centre on average, the sample evaluation catalogue for FY2020, and answers
for every centre and municipality. How the centres are spread over the municipalities, their
names, operators and staff are made up (seeded, deterministic); only the totals are the seed's."""

from __future__ import annotations

import random
from typing import Any

from sqlalchemy import insert, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.common.actor import Actor
from services.common.models import utcnow
from services.common.registry import get_registry
from services.indicators.centres.catalogue import put_catalogue
from services.indicators.centres.evaluations import SheetWrite, write_sheets
from services.indicators.centres.models import Centre, CentreYear
from services.indicators.centres.schemas import CatalogueIn, sample_catalogue, structure

DEMO_FY = 2020
# Areas where the sample answers are weaker, so the prefecture's view has something to show.
MET_PROBABILITY = {
    "1": 0.86,
    "2-1": 0.82,
    "2-2": 0.76,
    "2-3": 0.7,
    "2-4": 0.52,
    "2-5": 0.66,
    "3": 0.48,
}


def _spread(total: int, codes: list[str], rng: random.Random, minimum: int) -> dict[str, int]:
    """``total`` split over ``codes`` by random weights, each at least ``minimum`` (largest
    remainder, so the sum is exact)."""
    weights = {c: rng.uniform(0.35, 1.65) for c in codes}
    free = total - minimum * len(codes)
    s = sum(weights.values())
    raw = {c: free * w / s for c, w in weights.items()}
    out = {c: minimum + int(v) for c, v in raw.items()}
    left = total - sum(out.values())
    for c in sorted(codes, key=lambda c: raw[c] - int(raw[c]), reverse=True)[:left]:
        out[c] += 1
    return out


def _staff(rng: random.Random, total: int) -> dict[str, float]:
    """A centre's staff by profession adding up to ``total``: the three required professions
    first, then others."""
    staff = {
        "保健師等": 1,
        "社会福祉士等": 1,
        "主任介護支援専門員等": 1,
        "その他の専門職": 0,
        "事務職": 0,
    }
    for _ in range(max(total - 3, 0)):
        staff[rng.choices(list(staff), weights=(3, 3, 2, 2, 1))[0]] += 1
    return {k: float(v) for k, v in staff.items() if v}


def plan(rng: random.Random) -> list[dict[str, Any]]:
    """Every demo centre: municipality, name, operation, operator, area and staff."""
    reg = get_registry()
    fig = structure()["published_figures"]["centres"]
    home = sorted(reg.home(), key=lambda m: m.code)
    wards = [m.code for m in home if m.region_class == "区部"]
    cities = [m.code for m in home if m.region_class == "市部"]
    towns = [m.code for m in home if m.region_class == "町村部"]
    counts = _spread(fig["区部"]["total"], wards, rng, 3)
    # 市町村部: each town and village runs its one centre itself (13 直営, as the seed's
    # 市町村部 count); the cities' centres are all consigned (156 委託).
    counts |= _spread(fig["市町村部"]["total"] - len(towns), cities, rng, 2)
    counts |= dict.fromkeys(towns, 1)
    direct = set(rng.sample(wards, fig["区部"]["直営"])) | set(towns)
    centres = []
    for code in wards + cities + towns:
        m = reg.get(code)
        for n in range(1, counts[code] + 1):
            own = code in direct and n == 1
            centres.append(
                {
                    "municipality_code": code,
                    "name": f"{m.name} 地域包括支援センター 第{n} (サンプル)",  # type: ignore[union-attr]
                    "operation": "直営" if own else "委託",
                    "operator": m.name
                    if own
                    else f"社会福祉法人 サンプル福祉会 {rng.randint(1, 40)}",  # type: ignore[union-attr]
                    "area_served": f"{m.name} 第{n}圏域 (サンプル)",  # type: ignore[union-attr]
                }
            )
    # Staff: 8.4 per centre on average over the 457 (seed 001), spread 5–13 per centre.
    target = round(len(centres) * structure()["published_figures"]["staff_mean"]["東京都"])
    totals = [rng.randint(5, 12) for _ in centres]
    while sum(totals) != target:
        i = rng.randrange(len(totals))
        if sum(totals) < target and totals[i] < 13:
            totals[i] += 1
        elif sum(totals) > target and totals[i] > 5:
            totals[i] -= 1
    for c, t in zip(centres, totals, strict=True):
        c["staff"] = _staff(rng, t)
    return centres


async def load(session: AsyncSession, actor: Actor) -> str:
    rng = random.Random(20200401)
    now, who = utcnow(), actor.label
    centres = plan(rng)
    conn = await session.connection()
    # Set-based: 457 centres through the ORM would each be audited row by row.
    await conn.execute(
        insert(Centre),
        [
            {
                "municipality_code": c["municipality_code"],
                "name": c["name"],
                "sample": True,
                "created_at": now,
                "updated_at": now,
                "created_by": who,
                "updated_by": who,
                "version": 1,
            }
            for c in centres
        ],
    )
    ids = {
        (code, name): cid
        for cid, code, name in (
            await conn.execute(select(Centre.id, Centre.municipality_code, Centre.name))
        ).all()
    }
    rows = [(ids[(c["municipality_code"], c["name"])], c) for c in centres]
    years = []
    for centre_id, c in rows:
        base = {
            "centre_id": centre_id,
            "operation": c["operation"],
            "operator": c["operator"],
            "area_served": c["area_served"],
            "note": "サンプル",
            "created_at": now,
            "updated_at": now,
            "created_by": who,
            "updated_by": who,
            "version": 1,
        }
        years.append(
            {
                **base,
                "fiscal_year": DEMO_FY,
                "staff": c["staff"],
                "staff_total": sum(c["staff"].values()),
            }
        )
        if c["municipality_code"] == "132012":  # 八王子市: a second year shows the history
            staff = dict(c["staff"])
            staff["社会福祉士等"] = staff.get("社会福祉士等", 0) + 1
            years.append(
                {
                    **base,
                    "fiscal_year": DEMO_FY + 1,
                    "staff": staff,
                    "staff_total": sum(staff.values()),
                }
            )
    await conn.execute(insert(CentreYear), years)
    doc = sample_catalogue()
    cat = await put_catalogue(session, DEMO_FY, CatalogueIn(**doc), actor=actor)
    writes = []
    for centre_id, c in rows:
        ability = rng.gauss(0, 0.1)
        writes.append(
            SheetWrite(
                "centre",
                c["municipality_code"],
                centre_id,
                _answers(cat.of("centre"), ability, rng),
                sample=True,
            )
        )
    for m in sorted(get_registry().home(), key=lambda m: m.code):
        writes.append(
            SheetWrite(
                "municipality",
                m.code,
                None,
                _answers(cat.of("municipality"), rng.gauss(0.05, 0.1), rng),
                sample=True,
            )
        )
    await write_sheets(session, cat, writes, actor=actor)
    return f"地域包括支援センター {len(rows)}か所と{DEMO_FY}年度の評価 (サンプル)"


def _answers(items: list[Any], ability: float, rng: random.Random) -> dict[str, tuple[bool, str]]:
    out = {}
    for it in items:
        met = rng.random() < MET_PROBABILITY[it.area_code] + ability
        out[it.code] = (met, "" if met else "サンプル: 次年度に取り組む予定")
    return out
