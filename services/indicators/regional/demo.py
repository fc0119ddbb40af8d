"""Demo regional figures (サンプル): made-up but plausible values for Tokyo's 62 municipalities in
FY2021–2023, every one stored with ``sample=True`` and a source that says it is not an official
figure. No national figure is invented: the demo's ``national_mean`` stays null."""

from __future__ import annotations

import random

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.common.actor import Actor, Role
from services.common.registry import Municipality, get_registry
from services.indicators.regional.catalogue import load_catalogue, load_shipped_catalogue
from services.indicators.regional.models import RegionalValue
from services.indicators.regional.service import Cell, region_class_of, write_cells

DEMO = Actor(id="demo", name="デモデータ", role=Role.admin)
SAMPLE_SOURCE = "サンプル (デモ用の架空の値。公表値ではありません)"
YEARS = (2021, 2022, 2023)  # 第8期 (2021–2023): one premium for the three years


def _level(m: Municipality, rng: random.Random) -> dict[str, float]:
    """A municipality's base figures, drawn by area class (wards, cities, towns/villages)."""
    rc = region_class_of(m)
    aging = {"区部": (17, 26), "市部": (22, 32), "町村部": (29, 50)}[rc]
    cert = {"区部": (18, 23), "市部": (16, 21), "町村部": (13, 22)}[rc]
    people = {"区部": (12_000, 190_000), "市部": (15_000, 140_000), "町村部": (150, 18_000)}[rc]
    return {
        "first_insured": rng.randint(*people),
        "aging_rate": rng.uniform(*aging),
        "late_elderly_share": rng.uniform(50, 62),
        "certification_rate": rng.uniform(*cert),
        "adjust": rng.uniform(-1.5, 1.5),
        "severe_share": rng.uniform(0.30, 0.40),
        "benefit": rng.uniform(20_000, 30_000),
        "facility_share": rng.uniform(0.30, 0.42),
        "receipt_rate_facility": rng.uniform(2.0, 3.5),
        "receipt_rate_residential": rng.uniform(1.0, 2.2),
        "receipt_rate_home": rng.uniform(9.0, 12.5),
        "premium_base": round(rng.uniform(5_500, 7_200), -1),
        "kayoinoba_rate": rng.uniform(2.0, 9.0),
    }


def _values(base: dict[str, float], step: int, rng: random.Random) -> dict[str, float]:
    """The figures of the ``step``-th year: slow drifts, a little noise."""
    cert = base["certification_rate"] + 0.2 * step + rng.gauss(0, 0.2)
    adjusted = cert + base["adjust"]
    benefit = base["benefit"] * (1 + 0.02 * step) + rng.gauss(0, 150)
    return {
        "first_insured": round(base["first_insured"] * (1 + 0.008 * step)),
        "aging_rate": round(base["aging_rate"] + 0.2 * step, 1),
        "late_elderly_share": round(base["late_elderly_share"] + 0.6 * step, 1),
        "certification_rate": round(cert, 1),
        "adjusted_certification_rate": round(adjusted, 1),
        "adjusted_mild_certification_rate": round(adjusted * (1 - base["severe_share"]), 1),
        "adjusted_severe_certification_rate": round(adjusted * base["severe_share"], 1),
        "benefit_per_first_insured": round(benefit),
        "benefit_per_first_insured_facility": round(benefit * base["facility_share"]),
        "benefit_per_first_insured_home_residential": round(benefit * (1 - base["facility_share"])),
        "receipt_rate_facility": round(base["receipt_rate_facility"] + rng.gauss(0, 0.03), 2),
        "receipt_rate_residential": round(
            base["receipt_rate_residential"] + 0.05 * step + rng.gauss(0, 0.03), 2
        ),
        "receipt_rate_home": round(base["receipt_rate_home"] + 0.1 * step + rng.gauss(0, 0.1), 2),
        "premium_base": base["premium_base"],
        "kayoinoba_rate": round(max(base["kayoinoba_rate"] + 0.4 * step + rng.gauss(0, 0.2), 0), 1),
    }


async def load(session: AsyncSession) -> str | None:
    """Load the sample values once (skipped when any regional value exists)."""
    await load_shipped_catalogue(session, actor=DEMO)
    if (await session.exec(select(RegionalValue.entity_code).limit(1))).first() is not None:
        return None
    catalogue = await load_catalogue(session)
    cells: list[Cell] = []
    for m in sorted(get_registry().home(), key=lambda m: m.code):
        rng = random.Random(f"regional-{m.code}")
        base = _level(m, rng)
        for step, fy in enumerate(YEARS):
            for code, value in _values(base, step, rng).items():
                if code in catalogue and catalogue[code].in_force(fy):
                    cells.append(Cell(fy, m, code, float(value)))
    written, _ = await write_cells(session, cells, actor=DEMO, source=SAMPLE_SOURCE, sample=True)
    return f"地域分析のサンプル値 {written:,}件 (東京都62区市町村 × {YEARS[0]}〜{YEARS[-1]}年度)"
