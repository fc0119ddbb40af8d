"""The dashboard of the home prefecture's municipalities: scores and flags per grant, the
year's support case, training reach; filtered and sorted (``sort_rows`` is the rule)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple
from urllib.parse import urlencode

from gateway.clients.support_cases import CASE_STATUSES
from gateway.views.context import ViewContext
from gateway.views.parts import gather
from gateway.views.registry import with_peer_types
from gateway.views.vocabulary import FLAG_LABELS, GRANT_NAMES, GRANT_SHORT, grant_order
from services.common import clock
from services.common.actor import Role
from services.common.fiscal import fiscal_year_of
from services.common.registry import PEER_TYPES, REGION_CLASSES, Municipality

SORT_LABELS = {
    "code": "コード",
    "name": "名称",
    "region_class": "区分",
    "medical_area": "圏域",
    "peer_type": "類型",
    "flags": "フラグ",
    "case": "伴走型支援",
    "training": "研修",
}


class Flag(NamedTuple):
    code: str
    label: str
    message: str


class Cell(NamedTuple):
    """A grant's two cells of a row, computed once (the template prints them as they are)."""

    grant: str
    label: str  # the grant's short name, for the score bar's title
    scored: bool  # the municipality has a result in this grant
    rate: float | None
    pct: str  # "62.3" (score rate in percent, one decimal)
    low: bool  # rate <= 0.3: the score bar in the warning colour
    rank: int | None
    rank_of: int | None


@dataclass
class Row:
    """One municipality's line on the dashboard; None = that service did not answer.
    Read by the template as attributes (tuples and dataclasses, not dicts: a dict's keys are
    found by Jinja only after a failed attribute lookup)."""

    m: Municipality
    grants: dict[str, dict[str, Any]] = field(default_factory=dict)
    flags: list[Flag] = field(default_factory=list)
    case: dict[str, Any] | None = None
    reached: bool | None = None
    low: bool = False  # a low_score_rate flag in any grant (set once while rows are built)
    cells: list[Cell] = field(default_factory=list)
    case_status: str | None = None
    case_class: str = ""  # the status badge's CSS class (the status without "・")


def _sort_value(row: Row, key: str) -> Any:
    if key.startswith("score:"):
        e = row.grants.get(key[6:])
        return e["score_rate"] if e else None
    if key.startswith("rank:"):
        e = row.grants.get(key[5:])
        return e.get("peer_rank") if e else None
    match key:
        case "name":
            return row.m.kana or row.m.name
        case "region_class":
            rc = row.m.region_class
            return REGION_CLASSES.index(rc) if rc in REGION_CLASSES else None
        case "medical_area":
            return row.m.medical_area
        case "peer_type":
            pt = row.m.peer_type
            return PEER_TYPES.index(pt) if pt in PEER_TYPES else None
        case "flags":
            return len(row.flags)
        case "case":
            status = row.case.get("status") if row.case else None
            return CASE_STATUSES.index(status) if status in CASE_STATUSES else None
        case "training":
            return None if row.reached is None else int(row.reached)
    return row.m.code


def sort_rows(rows: list[Row], key: str, descending: bool) -> list[Row]:
    """Sorted by ``key`` (ties by code); rows without a value go last either way."""
    valued = [(_sort_value(r, key), r) for r in sorted(rows, key=lambda r: r.m.code)]
    known = [(v, r) for v, r in valued if v is not None]
    known.sort(key=lambda vr: vr[0], reverse=descending)  # stable: ties stay by code
    return [r for _, r in known] + [r for v, r in valued if v is None]


class Header(NamedTuple):
    key: str
    label: str
    cls: str
    url: str
    aria_sort: str
    arrow: str  # " ▲" / " ▼" on the sorted column, else ""


@dataclass
class Dashboard:
    prefecture: Any
    fiscal_year: int
    month: int
    rows: list[Row]
    total: int
    grants: list[dict[str, Any]] | None
    counts: dict[str, Any]
    own_only: bool
    own_code: str | None
    areas: tuple[str, ...]
    filters: dict[str, str]
    sort: str
    descending: bool
    base: str
    unavailable: list[str]

    def sort_url(self, key: str) -> str:
        flip = "desc" if key == self.sort and not self.descending else "asc"
        q = {k: v for k, v in self.filters.items() if v} | {"sort": key, "dir": flip}
        return f"{self.base}?{urlencode(q)}"

    def aria_sort(self, key: str) -> str:
        if key != self.sort:
            return "none"
        return "descending" if self.descending else "ascending"

    def headers(self) -> list[Header]:
        """The table's column headings, each with its sort link (made once per page)."""
        keys: list[tuple[str, str, str]] = [
            (k, SORT_LABELS[k], "")
            for k in ("code", "name", "region_class", "medical_area", "peer_type")
        ]
        for g in self.grants or []:
            keys.append((f"score:{g['grant']}", f"{g['label']} 得点率", ""))
            keys.append((f"rank:{g['grant']}", f"{g['label']} 区分内順位", "num"))
        keys += [(k, SORT_LABELS[k], "") for k in ("flags", "case", "training")]
        arrow = " ▼" if self.descending else " ▲"
        return [
            Header(
                k, label, cls, self.sort_url(k), self.aria_sort(k), arrow if k == self.sort else ""
            )
            for k, label, cls in keys
        ]

    def context(self) -> dict[str, Any]:
        """The template's names (one level deep: rows stay objects)."""
        ctx = {f: getattr(self, f) for f in self.__dataclass_fields__ if f != "descending"}
        return ctx | {
            "headers": self.headers(),
            "dir": "desc" if self.descending else "asc",
            "sort_url": self.sort_url,
            "aria_sort": self.aria_sort,
            "labels": SORT_LABELS,
            "region_classes": REGION_CLASSES,
            "peer_types": PEER_TYPES,
        }


def _grants_and_flags(view: Any, rows: dict[str, Row]) -> list[dict[str, Any]]:
    """The grant columns, and each row's figures and flags, from the one indicators answer
    (labels looked up once per grant, not per row)."""
    grants = []
    for block in sorted(view.grants, key=lambda b: grant_order(b.grant)):
        grant, fw = block.grant, block.framework
        short = GRANT_SHORT.get(grant, grant)
        grants.append(
            {
                "grant": grant,
                "label": short,
                "name": GRANT_NAMES.get(grant, grant),
                "grant_fy": fw.get("grant_fy"),
                "provisional": fw.get("state", "provisional") != "confirmed",
            }
        )
        for e in block.rows:
            row = rows.get(e["entity_code"])
            if row is None:
                continue
            row.grants[grant] = e
            for f in e.get("flags", []):
                code = f.get("code", "")
                row.flags.append(
                    Flag(code, FLAG_LABELS.get(code, code), f"{short}: {f.get('message', '')}")
                )
                if code == "low_score_rate":
                    row.low = True
    for row in rows.values():
        row.cells = [_cell(g, row.grants.get(g["grant"])) for g in grants]
    return grants


def _cell(g: dict[str, Any], e: dict[str, Any] | None) -> Cell:
    rate = e.get("score_rate") if e else None
    return Cell(
        grant=g["grant"],
        label=g["label"],
        scored=e is not None,
        rate=rate,
        pct="" if rate is None else f"{rate * 100:.1f}",
        low=rate is not None and rate <= 0.3,
        rank=e.get("peer_rank") if e else None,
        rank_of=e.get("peer_rank_of") if e else None,
    )


def count_rows(rows: list[Row], parts: Any) -> dict[str, Any]:
    """The counters above the table; None where the service behind them did not answer."""
    latest, cases, training = (parts.get(n) is not None for n in ("latest", "cases", "training"))
    by_status = [
        (s, n)
        for s in CASE_STATUSES
        if (n := sum(1 for r in rows if r.case and r.case.get("status") == s))
    ]
    return {
        "flagged": sum(1 for r in rows if r.flags) if latest else None,
        "low": sum(1 for r in rows if r.low) if latest else None,
        "cases_by_status": by_status if cases else None,
        "cases": sum(1 for r in rows if r.case) if cases else None,
        "reached": sum(1 for r in rows if r.reached) if training else None,
        "sessions_this_month": (parts.get("training").sessions_this_month if training else None),
    }


async def dashboard(
    ctx: ViewContext, *, filters: dict[str, str], sort: str, descending: bool, base: str
) -> Dashboard:
    registry, actor, c = ctx.registry, ctx.actor, ctx.clients
    today = clock.today()
    fy = fiscal_year_of(today)
    # Unknown filter values are dropped rather than refused: the page still answers.
    allowed = {
        "region_class": REGION_CLASSES,
        "medical_area": registry.areas,
        "peer_type": PEER_TYPES,
    }
    filters = {k: (v if v in allowed[k] else "") for k, v in filters.items()}
    parts = await gather(
        {
            "latest": (
                "indicators",
                c.indicators.dashboard_view(prefecture=registry.home_prefecture, actor=actor),
            ),
            "cases": ("support_cases", c.support_cases.cases(fiscal_year=fy, actor=actor)),
            "training": ("training", c.training.dashboard_view(fiscal_year=fy, actor=actor)),
        }
    )
    home = sorted(registry.home(), key=lambda m: m.code)
    # the peer type the service uses now (the prefecture's setting), not the registry's default
    latest_view = parts.get("latest")
    home = with_peer_types(home, latest_view.peer_types if latest_view is not None else None)
    own_only = actor.role == Role.municipality
    if own_only:
        home = [m for m in home if m.code == actor.municipality_code]
    rows = {m.code: Row(m=m) for m in home}
    latest = parts.get("latest")
    grants = _grants_and_flags(latest, rows) if latest is not None else None
    for case in sorted(parts.get("cases") or [], key=lambda c: c["id"]):  # newest case wins
        if (row := rows.get(case.get("municipality_code"))) is not None:
            row.case = case
            row.case_status = case.get("status")
            row.case_class = (row.case_status or "").replace("・", "")
    if (training := parts.get("training")) is not None:
        reached = set(training.stats.municipalities_reached)
        for code, row in rows.items():
            row.reached = code in reached
    shown = [
        r for r in rows.values() if all(not v or getattr(r.m, k) == v for k, v in filters.items())
    ]
    sort_keys = set(SORT_LABELS) | {
        f"{p}:{g['grant']}" for g in grants or [] for p in ("score", "rank")
    }
    sort = sort if sort in sort_keys else "code"
    return Dashboard(
        prefecture=registry.prefecture(registry.home_prefecture),
        fiscal_year=fy,
        month=today.month,
        rows=sort_rows(shown, sort, descending),
        total=len(rows),
        grants=grants,
        counts=count_rows(list(rows.values()), parts),
        own_only=own_only,
        own_code=actor.municipality_code if own_only else None,
        areas=registry.areas,
        filters=filters,
        sort=sort,
        descending=descending,
        base=base,
        unavailable=parts.unavailable,
    )
