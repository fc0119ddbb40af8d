"""The prefecture's PDCA sheet (取組と目標) with its actuals filled from the records: each
item's ``metric_source`` names a figure of the training or support-cases service."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from gateway.clients.support_cases import round_summary_query
from gateway.clients.training import Stats, stats_query
from gateway.views.context import ViewContext
from gateway.views.parts import Parts, gather, require_complete
from services.common.actor import Role
from services.common.errors import Forbidden

TRAINING_FIELDS = {
    "training.completers": "completers_by_kind",
    "training.sessions": "sessions_held_by_kind",
    "training.persons": "persons_by_kind",
}


class PrefecturePdca(BaseModel):
    sheet: dict[str, Any] | None
    metrics: list[dict[str, Any]]
    unavailable: list[str]


def parse_metric(source: str) -> tuple[str, str, list[int]] | None:
    """'training.completers:<kind>:2018-2020' → ('training.completers', kind, [2018, 2019, 2020])."""
    try:
        head, rest = source.split(":", 1)
        arg, _, years = rest.rpartition(":")
        if "-" in years:
            a, b = (int(x) for x in years.split("-", 1))
        else:
            a = b = int(years)
    except ValueError:
        return None
    if b < a or b - a > 10:
        return None
    return head, arg, list(range(a, b + 1))


def metric_sources(sheet: dict[str, Any]) -> list[str]:
    items = sheet.get("items", [])
    return sorted(
        {i.get("metric_source") for i in items if i.get("metric_source")}
        | {
            y.get("actual_source")
            for i in items
            for y in i.get("years", [])
            if y.get("actual_source")
        }
    )


def _training_value(st: Stats, head: str, arg: str) -> int | None:
    if head == "training.municipalities_reached":
        return len(st.municipalities_reached)
    field = TRAINING_FIELDS.get(head)
    return getattr(st, field).get(arg, 0) if field else None


def metric_value(source: str, parts: Parts) -> dict[str, Any]:
    """One metric's value from the gathered stats and round summaries, with the queries it
    read, or a note saying why the typed-in actual stays (a pure function)."""
    entry: dict[str, Any] = {"metric_source": source, "value": None}
    parsed = parse_metric(source)
    if parsed is None:
        return entry | {"note": "実績の出どころを読み取れません"}
    head, arg, fys = parsed
    values, queries, recorded = [], [], False
    for y in fys:
        if head.startswith("training."):
            st = parts.get(f"stats:{y}")
            if st is None:
                break
            queries.append(f"training: {stats_query(y)}")
            recorded = recorded or sum(st.sessions_held_by_kind.values()) > 0
            value = _training_value(st, head, arg)
            if value is not None:
                values.append(value)
        elif head.startswith("support."):
            sm = parts.get(f"round:{y}")
            queries.append(f"support_cases: {round_summary_query(y)}")
            if sm is None:
                continue
            recorded = True
            values.append(sm.get(head.split(".", 1)[1], 0))
    entry["queries"] = queries
    if len(values) == len(fys) and recorded:
        entry["value"] = sum(values) if head != "training.municipalities_reached" else values[-1]
    else:
        entry["note"] = "この期間の記録がないため、入力された実績を使います"
    return entry


YEARS_PER_CALL = 11  # the services' /views/years and /views/round-summaries take ≤ 11 years


def year_windows(years: list[int]) -> list[tuple[int, int]]:
    """The sorted years as (first, last) windows of at most YEARS_PER_CALL years."""
    windows: list[tuple[int, int]] = []
    for y in sorted(years):
        if windows and y - windows[-1][0] < YEARS_PER_CALL:
            windows[-1] = (windows[-1][0], y)
        else:
            windows.append((y, y))
    return windows


def by_year(parts: Parts) -> Parts:
    """The windows' answers spread into ``stats:<fy>`` and ``round:<fy>`` parts (what
    ``metric_value`` reads); the unavailable services stay named."""
    out = Parts()
    out.unavailable, out.errors = parts.unavailable, parts.errors
    for name, value in parts.values.items():
        if name.startswith("stats:"):
            out.values |= {f"stats:{st.fiscal_year}": st for st in value}
        elif name.startswith("round:"):
            out.values |= {f"round:{fy}": sm for fy, sm in value.items()}
    return out


async def prefecture_pdca(ctx: ViewContext, *, complete: bool = False) -> PrefecturePdca:
    if ctx.actor.role == Role.municipality:
        raise Forbidden("都道府県のシートは都道府県の担当者向けです")
    c, actor = ctx.clients, ctx.actor
    pref_code = ctx.registry.prefecture(ctx.home_prefecture).code
    sheets = await c.indicators.pdca_sheets(entity_code=pref_code, actor=actor)
    if not sheets:
        return PrefecturePdca(sheet=None, metrics=[], unavailable=[])
    sheet = await c.indicators.pdca_sheet(max(sheets, key=lambda s: s["id"])["id"], actor=actor)
    sources = metric_sources(sheet)
    years = sorted({y for s in sources if (p := parse_metric(s)) for y in p[2]})
    # One read per service for the whole span of years (a window of at most 11 years each).
    calls: dict[str, tuple[str, Any]] = {}
    for lo, hi in year_windows(years):
        if any(s.startswith("training.") for s in sources):
            calls[f"stats:{lo}-{hi}"] = (
                "training",
                c.training.years_view(fy_from=lo, fy_to=hi, actor=actor),
            )
        if any(s.startswith("support.") for s in sources):
            calls[f"round:{lo}-{hi}"] = (
                "support_cases",
                c.support_cases.round_summaries(fy_from=lo, fy_to=hi, actor=actor),
            )
    parts = by_year(await gather(calls))
    require_complete(parts, complete)
    explained = [metric_value(s, parts) for s in sources]
    metrics = {e["metric_source"]: e["value"] for e in explained if e["value"] is not None}
    filled = (
        await c.indicators.pdca_progress(sheet["id"], metrics, actor=actor) if metrics else sheet
    )
    return PrefecturePdca(sheet=filled, metrics=explained, unavailable=parts.unavailable)
