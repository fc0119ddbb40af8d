"""地域分析 (regional analysis) views: a municipality's measures against its peers, Tokyo and the
nation with their trend (profile section and the printable sheet), and one measure across the
prefecture's municipalities. Service calls in parallel; pure shaping functions, tested alone."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup

from gateway.clients.indicators import (
    RegionalAcross,
    RegionalCompare,
    RegionalMeasure,
    RegionalTrend,
    RegionalYear,
)
from gateway.clients.pool import Services
from gateway.regional_charts import Bar, hbars, sparkline
from gateway.views.parts import gather
from services.common.actor import Actor
from services.common.errors import NotFound
from services.common.registry import REGION_CLASSES, Municipality

DIRECTION_LABELS = {"higher": "高いほど良い", "lower": "低いほど良い"}


@dataclass
class MeasureLine:
    """One measure of one municipality in one year, with where it stands and its trend."""

    code: str
    name: str
    unit: str
    decimals: int
    direction: str | None
    value: float | None
    peer_mean: float | None
    prefecture_mean: float | None
    national_mean: float | None
    rank: int | None
    rank_of: int | None
    years: list[tuple[int, float | None, float | None]] = field(default_factory=list)
    spark: Markup = Markup("")

    @property
    def versus_prefecture(self) -> str:
        """ "高い" / "低い" / "同じ" against Tokyo's mean ("" when either is missing)."""
        if self.value is None or self.prefecture_mean is None:
            return ""
        step = 10 ** -max(self.decimals, 0)
        diff = self.value - self.prefecture_mean
        if abs(diff) < step / 2:
            return "同じ"
        return "高い" if diff > 0 else "低い"

    @property
    def favourable(self) -> bool | None:
        """Whether the difference from Tokyo's mean goes the favourable way (None: no
        direction is good, or nothing to compare)."""
        if self.direction not in DIRECTION_LABELS or self.versus_prefecture in ("", "同じ"):
            return None
        return (self.versus_prefecture == "高い") == (self.direction == "higher")


@dataclass
class RegionalProfile:
    municipality: Municipality
    fiscal_year: int | None
    years: list[int]
    sample: bool
    peer_group: str | None
    lines: list[MeasureLine]
    unavailable: list[str]


def profile_lines(
    compare: RegionalCompare | None, trend: RegionalTrend | None
) -> list[MeasureLine]:
    """The compare rows in catalogue order, each with its trend points (value and Tokyo's mean
    per year) and a sparkline."""
    if compare is None:
        return []
    by_code = {t.code: t for t in (trend.measures if trend else [])}
    lines = []
    for m in compare.measures:
        t = by_code.get(m.code)
        point = next(
            (p for p in (t.points if t else []) if p.fiscal_year == compare.fiscal_year), None
        )
        years = [(p.fiscal_year, p.value, p.prefecture_mean) for p in (t.points if t else [])]
        years = [y for y in years if y[1] is not None or y[2] is not None]
        lines.append(
            MeasureLine(
                code=m.code,
                name=m.name,
                unit=m.unit,
                decimals=t.decimals if t else 1,
                direction=t.favourable_direction if t else None,
                value=m.value,
                peer_mean=m.peer_mean,
                prefecture_mean=m.prefecture_mean,
                national_mean=m.national_mean,
                rank=m.rank_in_prefecture,
                rank_of=point.rank_of if point else None,
                years=years,
                spark=sparkline(
                    [y[1] for y in years],
                    reference=[y[2] for y in years],
                    title=f"{m.name}の推移 (実線: 本団体、点線: 東京都平均)",
                ),
            )
        )
    return lines


async def regional_profile(
    services: Services, actor: Actor, m: Municipality, fiscal_year: int | None
) -> RegionalProfile:
    """Years, trend and compare: three calls in parallel when the year is given; without it
    the newest year with values is taken first."""
    ind = services.indicators
    calls: dict[str, Any] = {
        "years": ("indicators", ind.regional_years(actor=actor)),
        "trend": ("indicators", ind.regional_trend(m.code, actor=actor)),
    }
    if fiscal_year:
        calls["compare"] = ("indicators", ind.regional_compare(fiscal_year, m.code, actor=actor))
    parts = await gather(calls)
    years: list[RegionalYear] = parts.get("years") or []
    fy = fiscal_year or (years[0].fiscal_year if years else None)
    compare = parts.get("compare")
    if compare is None and fy and not parts.unavailable:
        later = await gather(
            {"compare": ("indicators", ind.regional_compare(fy, m.code, actor=actor))}
        )
        compare = later.get("compare")
    trend: RegionalTrend | None = parts.get("trend")
    return RegionalProfile(
        municipality=m,
        fiscal_year=fy,
        years=[y.fiscal_year for y in years],
        sample=any(y.sample for y in years if y.fiscal_year == fy),
        peer_group=compare.peer_group if compare else None,
        lines=profile_lines(compare, trend),
        unavailable=parts.unavailable,
    )


# ---------------------------------------------------------------- one measure across the 62

SORTS = {"code": "コード", "name": "名称", "value": "値", "rank": "順位"}


@dataclass
class AcrossGroup:
    region_class: str
    mean: float | None
    count: int
    rows: list[dict[str, Any]]


@dataclass
class MeasureAcross:
    fiscal_year: int | None
    years: list[int]
    measures: list[RegionalMeasure]
    measure: RegionalMeasure | None
    across: RegionalAcross | None
    groups: list[AcrossGroup]
    chart: Markup
    sort: str
    descending: bool
    unavailable: list[str]


def sort_rows(rows: list[Any], key: str, descending: bool) -> list[Any]:
    """Rows sorted by ``key`` (code, name, value or rank); rows without a value go last."""

    def value(r: Any) -> Any:
        return {
            "name": r.name,
            "value": r.value,
            "rank": r.rank_in_prefecture,
        }.get(key, r.entity_code)

    by_code = sorted(rows, key=lambda r: r.entity_code)
    known = [r for r in by_code if value(r) is not None]
    unknown = [r for r in by_code if value(r) is None]
    known.sort(key=value, reverse=descending)
    return known + unknown


def across_groups(
    across: RegionalAcross | None, sort: str, descending: bool, highlight: str | None = None
) -> list[AcrossGroup]:
    """The groups 区部・市部・町村部 in that order, each sorted."""
    if across is None:
        return []
    order = {g: i for i, g in enumerate(REGION_CLASSES)}
    out = []
    for g in sorted(across.groups, key=lambda g: order.get(g.region_class, 99)):
        rows = [
            {"row": r, "highlight": r.entity_code == highlight}
            for r in sort_rows(g.municipalities, sort, descending)
        ]
        out.append(AcrossGroup(g.region_class, g.mean, g.count, rows))
    return out


async def measure_across(
    services: Services,
    actor: Actor,
    *,
    prefecture: str,
    measure_code: str,
    fiscal_year: int | None,
    sort: str = "value",
    descending: bool = True,
    highlight: str | None = None,
) -> MeasureAcross:
    ind = services.indicators
    calls: dict[str, Any] = {
        "years": ("indicators", ind.regional_years(actor=actor)),
        "measures": ("indicators", ind.regional_measures(fiscal_year=fiscal_year, actor=actor)),
    }
    if fiscal_year:
        calls["across"] = (
            "indicators",
            ind.regional_across(fiscal_year, measure_code, prefecture=prefecture, actor=actor),
        )
    parts = await gather(calls)
    years = [y.fiscal_year for y in parts.get("years") or []]
    fy = fiscal_year or (years[0] if years else None)
    measures: list[RegionalMeasure] = parts.get("measures") or []
    measure = next((x for x in measures if x.code == measure_code), None)
    if measure is None and "measures" in parts:
        raise NotFound(f"指標「{measure_code}」はカタログにありません。一覧から選んでください。")
    across = parts.get("across")
    if across is None and fy and measure and not parts.unavailable:
        later = await gather(
            {
                "across": (
                    "indicators",
                    ind.regional_across(fy, measure_code, prefecture=prefecture, actor=actor),
                )
            }
        )
        across = later.get("across")
    sort = sort if sort in SORTS else "value"
    groups = across_groups(across, sort, descending, highlight)
    chart = Markup("")
    if across is not None:
        bars = [
            Bar(x["row"].name, x["row"].value, g.region_class, x["highlight"])
            for g in groups
            for x in g.rows
        ]
        chart = hbars(
            bars,
            mean=across.prefecture_mean,
            decimals=across.measure.decimals,
            unit=across.measure.unit,
            title=f"{across.measure.name} ({across.prefecture_name}の区市町村)",
        )
    return MeasureAcross(
        fiscal_year=fy,
        years=years,
        measures=measures,
        measure=measure,
        across=across,
        groups=groups,
        chart=chart,
        sort=sort,
        descending=descending,
        unavailable=parts.unavailable,
    )


# ---------------------------------------------------------------- values a logic tree cites


@dataclass
class Cited:
    code: str
    fiscal_year: int
    note: str
    item: Any  # RegionalEvidence, or None when the service could not answer


def parse_cites(cites: list[str], notes: list[str]) -> list[tuple[str, int, str]]:
    """``code:fy`` strings (with their notes, by position); malformed ones are left out."""
    out = []
    for i, c in enumerate(cites[:20]):
        code, _, fy = c.partition(":")
        if code and fy.isdigit():
            out.append((code[:64], int(fy), notes[i][:200] if i < len(notes) else ""))
    return out


async def cited_values(
    services: Services, actor: Actor, case_id: int, cites: list[tuple[str, int, str]]
) -> tuple[list[Cited], list[str]]:
    """The values a node of a case's logic tree cites, for the case's municipality: the case
    first (the support_cases service decides whether the actor may see it), then one evidence
    call for every cite."""
    parts = await gather(
        {"case": ("support_cases", services.support_cases.case(case_id, actor=actor))}
    )
    case = parts.get("case")
    items: dict[str, Any] = {}
    if case is not None and cites:
        later = await gather(
            {
                "evidence": (
                    "indicators",
                    services.indicators.regional_evidence(
                        case["municipality_code"], [f"{c}:{fy}" for c, fy, _ in cites], actor=actor
                    ),
                )
            }
        )
        items = {f"{e.measure_code}:{e.fiscal_year}": e for e in later.get("evidence") or []}
        parts.unavailable += later.unavailable
    out = [Cited(c, fy, note, items.get(f"{c}:{fy}")) for c, fy, note in cites]
    return out, parts.unavailable
