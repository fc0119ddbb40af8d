"""地域包括支援センター views: the prefecture's weakest work areas (with the training aimed at
them), a municipality's centres and own items, one centre's radar by work area."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request
from markupsafe import Markup

from gateway.actions import attempt
from gateway.charts import Series, radar
from gateway.clients.pool import Services
from gateway.views.parts import gather
from gateway.views.registry import registry_of
from services.common import clock
from services.common.access import is_staff
from services.common.actor import Actor, Role


def page_context(request: Request, **kw: Any) -> dict[str, Any]:
    """What every centres page shows besides its view: the registry and the saved notice."""
    return {"registry": registry_of(request), "saved": request.query_params.get("saved"), **kw}


def may_answer(actor: Actor, municipality_code: str) -> bool:
    """Staff answer for any centre; a municipality for its own centres and own items."""
    return is_staff(actor) or (
        actor.role == Role.municipality and actor.municipality_code == municipality_code
    )


async def _evaluation_year(services: Services, actor: Actor, fiscal_year: int | None) -> Any:
    """The year asked for, else the newest year with a catalogue (None: no catalogue)."""
    if fiscal_year:
        return fiscal_year, []
    parts = await gather(
        {"catalogues": ("indicators", services.indicators.centre_catalogues(actor=actor))}
    )
    cats = parts.get("catalogues") or []
    years = sorted((c["fiscal_year"] for c in cats), reverse=True)
    return (years[0] if years else None), parts.unavailable


@dataclass
class WeakArea:
    area: dict[str, Any]
    targets: list[Any] = field(default_factory=list)
    programs: list[Any] = field(default_factory=list)


@dataclass
class CentresOverview:
    fiscal_year: int | None
    training_fy: int
    stats: dict[str, Any] | None
    centre_areas: list[WeakArea]
    municipality_areas: list[dict[str, Any]]
    prefecture_rate: float | None
    sheets: int
    unavailable: list[str]


def link_training(
    areas: list[dict[str, Any]], targets: list[Any], programs: list[Any]
) -> list[WeakArea]:
    """Each work area with the training targets and programs of the kinds that serve it."""
    kind_of_program = {p.id: p.kind for p in programs}
    out = []
    for a in areas:
        kinds = set(a.get("training_kinds") or [])
        out.append(
            WeakArea(
                area=a,
                targets=[
                    t
                    for t in targets
                    if (t.kind or kind_of_program.get(t.program_id or 0)) in kinds
                ],
                programs=[p for p in programs if p.kind in kinds],
            )
        )
    return out


async def centres_overview(
    services: Services, actor: Actor, prefecture: str, fiscal_year: int | None
) -> CentresOverview:
    fy, unavailable = await _evaluation_year(services, actor, fiscal_year)
    training_fy = clock.current_fiscal_year()
    ind, trn = services.indicators, services.training
    calls: dict[str, Any] = {
        "targets": ("training", trn.targets(actor=actor)),
        "programs": ("training", trn.programs(fiscal_year=training_fy, actor=actor)),
    }
    if fy:
        calls |= {
            "stats": ("indicators", ind.centre_stats(fy, actor=actor)),
            "centre": ("indicators", ind.centre_areas(fy, prefecture=prefecture, actor=actor)),
            "own": (
                "indicators",
                ind.centre_areas(fy, subject="municipality", prefecture=prefecture, actor=actor),
            ),
        }
    parts = await gather(calls)
    centre = parts.get("centre") or {}
    return CentresOverview(
        fiscal_year=fy,
        training_fy=training_fy,
        stats=parts.get("stats"),
        centre_areas=link_training(
            centre.get("areas", []), parts.get("targets") or [], parts.get("programs") or []
        ),
        municipality_areas=(parts.get("own") or {}).get("areas", []),
        prefecture_rate=centre.get("prefecture_rate"),
        sheets=centre.get("sheets", 0),
        unavailable=sorted(set(unavailable) | set(parts.unavailable)),
    )


@dataclass
class MunicipalityCentres:
    code: str
    fiscal_year: int | None
    years: list[int]
    summary: dict[str, Any] | None
    register: dict[int, dict[str, Any]]
    own: dict[str, Any] | None
    may_answer: bool
    unavailable: list[str]


async def municipality_centres(
    services: Services, actor: Actor, code: str, fiscal_year: int | None
) -> MunicipalityCentres:
    ind = services.indicators
    parts = await gather(
        {"catalogues": ("indicators", ind.centre_catalogues(actor=actor))}
        | (
            {
                "summary": ("indicators", ind.centre_summary(fiscal_year, code, actor=actor)),
                "own": ("indicators", ind.municipality_evaluation(fiscal_year, code, actor=actor)),
                "register": (
                    "indicators",
                    ind.centres(municipality_code=code, fiscal_year=fiscal_year, actor=actor),
                ),
            }
            if fiscal_year
            else {}
        )
    )
    years = sorted((c["fiscal_year"] for c in parts.get("catalogues") or []), reverse=True)
    if not fiscal_year and years:
        return await municipality_centres(services, actor, code, years[0])
    return MunicipalityCentres(
        code=code,
        fiscal_year=fiscal_year,
        years=years,
        summary=parts.get("summary"),
        register={c["id"]: c for c in parts.get("register") or []},
        own=parts.get("own"),
        may_answer=may_answer(actor, code),
        unavailable=parts.unavailable,
    )


@dataclass
class CentreView:
    fiscal_year: int | None
    radar: dict[str, Any] | None
    evaluation: dict[str, Any] | None
    chart: Markup
    series: list[Series]
    may_answer: bool
    unavailable: list[str]


def radar_chart(data: dict[str, Any]) -> tuple[Markup, list[Series]]:
    """The national scheme's chart: the centre's rate per work area against the mean of its
    municipality's centres and of Tokyo's."""
    areas = data.get("areas") or []
    axes = [a["code"] for a in areas]
    series = [
        Series("このセンター", [a.get("rate") for a in areas], "s1"),
        Series(
            f"{data['centre']['municipality_name']}のセンター平均",
            [a.get("municipality_mean") for a in areas],
            "s2",
        ),
        Series("東京都のセンター平均", [a.get("prefecture_mean") for a in areas], "s3"),
    ]
    title = f"{data['centre']['name']} 業務分野別の達成率"
    return radar(axes, series, size=380, title=title), series


async def centre_view(
    services: Services, actor: Actor, centre_id: int, fiscal_year: int | None
) -> CentreView:
    fy, unavailable = await _evaluation_year(services, actor, fiscal_year)
    ind = services.indicators
    parts = await gather(
        {
            "radar": ("indicators", ind.centre_radar(centre_id, fy, actor=actor)),
            "evaluation": ("indicators", ind.centre_evaluation(centre_id, fy, actor=actor)),
        }
        if fy
        else {}
    )
    data = parts.get("radar")
    chart, series = radar_chart(data) if data and data.get("areas") else (Markup(""), [])
    code = (data or {}).get("centre", {}).get("municipality_code", "")
    return CentreView(
        fiscal_year=fy,
        radar=data,
        evaluation=parts.get("evaluation"),
        chart=chart,
        series=series,
        may_answer=bool(code) and may_answer(actor, code),
        unavailable=sorted(set(unavailable) | set(parts.unavailable)),
    )


def answers_from_form(form: dict[str, str], item_codes: list[str]) -> list[dict[str, Any]]:
    """The form's checkboxes (``met:<code>``) and notes (``note:<code>``): every item answered,
    an unticked box is "not met"."""
    return [
        {
            "item_code": code,
            "met": form.get(f"met:{code}") in ("on", "true", "1"),
            "note": form.get(f"note:{code}", "")[:500],
        }
        for code in item_codes
    ]


CONFLICT = (
    "この回答は、あなたが編集を始めた後に別の人が更新しました。あなたの変更は保存していません。"
    "最新の内容を読み込んでから、もう一度入力してください。"
)


@dataclass
class SaveOutcome:
    saved: bool
    status: int = 303
    message: str = ""
    errors: list[str] = field(default_factory=list)


async def save_answers(save: Callable[[dict[str, Any]], Awaitable[Any]], form: Any) -> SaveOutcome:
    """PUT every listed item's answer with the form's version. A stale version (409) and the
    service's 422 are shown on the page; a refusal (403/404) is raised as it is."""
    codes = [str(c) for c in form.getlist("item")]
    version = str(form.get("version") or "")
    if not codes:
        return SaveOutcome(False, 422, "評価項目がありません。ページを読み込み直してください。")
    values = {k: str(v) for k, v in form.items()}
    body: dict[str, Any] = {"answers": answers_from_form(values, codes)}
    if version.isdigit():
        body["version"] = int(version)
    done = await attempt(save(body), refusals=(400, 409, 422))
    if done.status == 409:
        return SaveOutcome(False, 409, CONFLICT)
    if done.refusal is not None:
        exc = done.refusal
        errors = [str(e.get("msg")) for e in exc.problem.get("errors") or [] if e.get("msg")]
        return SaveOutcome(False, done.status, exc.detail, errors)
    if done.down is not None:
        text = f"評価指標のサービスが応答しないため保存できませんでした ({done.down.detail})。"
        return SaveOutcome(False, 503, text)
    return SaveOutcome(True)
