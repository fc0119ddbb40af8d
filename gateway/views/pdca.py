"""The prefecture's PDCA sheet (取組と目標) with its actuals filled from the records: each
item's ``metric_source`` names a figure of the training or support-cases service."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import Response
from pydantic import BaseModel

from gateway.actions import WRITE_REFUSALS, Outcome, attempt
from gateway.clients.support_cases import round_summary_query
from gateway.clients.training import Stats, stats_query
from gateway.templating import fragment, render
from gateway.views.context import ViewContext
from gateway.views.indicators import points
from gateway.views.parts import Parts, gather, require_complete
from services.common.actor import Actor, Role
from services.common.errors import AppError, Forbidden

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


# ---------------------------------------------------------------- the sheet page and its cells

KINDS = ("actions", "evaluation")
EVALUATIONS = ("達成", "一部達成", "未達成")
SERVICE_LABELS = {"training": "研修", "support_cases": "伴走型支援", "indicators": "評価指標"}
CONFLICT = (
    "このシートは、あなたが編集を始めた後に別の人が更新しました。"
    "あなたの変更は保存していません (上書きしていません)。"
    "最新の内容を読み込んでから、もう一度入力してください。"
)


def staff_only(actor: Actor | None) -> None:
    if actor is not None and actor.role == Role.municipality:
        raise Forbidden("都道府県のシートは都道府県の担当者向けです")


async def load(ctx: ViewContext) -> dict[str, Any]:
    """The combined answer (sheet with progress, metrics with their queries), or a notice
    when the indicators service is down (a refusal is the page's error)."""
    done = await attempt(prefecture_pdca(ctx), refusals=())
    if done.ok and done.value is not None:
        return done.value.model_dump()
    return {"sheet": None, "metrics": [], "unavailable": ["indicators"], "down": True}


def metric_label(source: str) -> str:
    """'training.completers:地域ケア会議推進事業:2018-2020' → a Japanese description."""
    head, _, rest = source.partition(":")
    arg, _, years = rest.rpartition(":")
    what = {
        "training.completers": "研修の修了者数",
        "training.sessions": "研修の開催回数",
        "training.persons": "研修の受講者数",
        "training.municipalities_reached": "研修を受講した区市町村数",
    }.get(head, head)
    return f"{what} ({arg}・{years.replace('-', '〜')}年度)" if arg else f"{what} ({years}年度)"


def sheet_rows(data: dict[str, Any]) -> dict[str, Any]:
    """Rows for the template: items grouped by section with each year's record and source."""
    sheet = data.get("sheet")
    if not sheet:
        return {"sections": [], "years": []}
    metrics = {m["metric_source"]: m for m in data.get("metrics", [])}
    progress = {p["code"]: p for p in sheet.get("progress", [])}
    years = list(range(sheet["start_fy"], sheet["end_fy"] + 1))
    sections: list[dict[str, Any]] = []
    for n, item in enumerate(sheet.get("items", [])):
        if not sections or sections[-1]["name"] != item.get("section", ""):
            sections.append({"name": item.get("section", ""), "items": []})
        p = progress.get(item["code"], {})
        by_year = {y["fiscal_year"]: y for y in item.get("years", [])}
        cells = {}
        for fy in years:
            rec = {
                "actions": "",
                "actual_value": None,
                "self_evaluation": None,
                "next_steps": "",
                "actual_source": None,
                **(by_year.get(fy) or {}),
                "fiscal_year": fy,
            }
            src = rec.get("actual_source")
            m = metrics.get(src) if src else None
            cells[fy] = {
                **rec,
                "record_value": m.get("value") if m else None,
                "record_queries": m.get("queries", []) if m else [],
                "record_label": metric_label(src) if src else None,
            }
        m = metrics.get(item.get("metric_source") or "")
        sections[-1]["items"].append(
            {
                **item,
                "slug": f"i{n}",
                "progress": p,
                "cells": cells,
                "metric": m,
                "metric_label": metric_label(item["metric_source"])
                if item.get("metric_source")
                else None,
            }
        )
    return {"sections": sections, "years": years}


def page_context(data: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "data": data,
        "sheet": data.get("sheet"),
        "unavailable": data.get("unavailable", []),
        "evaluations": EVALUATIONS,
        "service_labels": SERVICE_LABELS,
        "editing": None,
        "cell_form": {},
        "cell_errors": [],
        "cell_conflict": False,
        "saved": None,
        "cell_saved": False,
        "conflict_message": CONFLICT,
        "pts": points,
        "metric_label": metric_label,
        **sheet_rows(data),
        **extra,
    }


def find_cell(ctx: dict[str, Any], code: str, fy: int) -> tuple[dict[str, Any], dict[str, Any]]:
    for section in ctx["sections"]:
        for item in section["items"]:
            if item["code"] == code and fy in item["cells"]:
                return item, item["cells"][fy]
    err = AppError("指定した事項・年度がシートにありません", title="見つかりません")
    err.status = 404
    raise err


def apply_cell(sheet: dict[str, Any], code: str, fy: int, kind: str, form: dict[str, str]) -> None:
    item = next(i for i in sheet["items"] if i["code"] == code)
    rec = next((y for y in item["years"] if y["fiscal_year"] == fy), None)
    if rec is None:
        rec = {"fiscal_year": fy}
        item["years"].append(rec)
        item["years"].sort(key=lambda y: y["fiscal_year"])
    if kind == "actions":
        rec["actions"] = form.get("actions", "")
        value = form.get("actual_value", "").replace(",", "").strip()
        rec["actual_value"] = float(value) if value else None
    else:
        rec["self_evaluation"] = form.get("self_evaluation") or None
        rec["next_steps"] = form.get("next_steps", "")


def check_cell(kind: str, form: dict[str, str]) -> list[str]:
    errors = []
    if kind == "actions":
        value = form.get("actual_value", "").replace(",", "").strip()
        if value:
            try:
                float(value)
            except ValueError:
                errors.append(f"実績値は数値で入力してください ({value})。空欄なら実績値なしです。")
    elif form.get("self_evaluation") and form["self_evaluation"] not in EVALUATIONS:
        errors.append("自己評価は 達成・一部達成・未達成 から選んでください。")
    return errors


def cell_request(form: dict[str, str]) -> tuple[str, int, str, int]:
    """The edited cell (item, year, kind) and the sheet's version, or the page's 422."""
    code, kind = form.get("item", ""), form.get("kind", "")
    try:
        fy, version = int(form.get("fy", "")), int(form.get("version", ""))
    except ValueError:
        fy = version = 0
    if kind not in KINDS or not code or not fy or not version:
        err = AppError(
            "編集する事項・年度・版が指定されていません", title="入力内容に誤りがあります"
        )
        err.status = 422
        raise err
    return code, fy, kind, version


async def _save_cell(
    ctx: ViewContext, code: str, fy: int, kind: str, version: int, form: dict[str, str]
) -> None:
    """The whole sheet saved with the cell changed, against the version the form was read at."""
    indicators, actor = ctx.clients.indicators, ctx.actor
    pref = ctx.registry.prefecture(ctx.home_prefecture).code
    sheets = await indicators.pdca_sheets(entity_code=pref, actor=actor)
    if not sheets:
        raise AppError("取組と目標のシートがありません")
    sheet = await indicators.pdca_sheet(max(sheets, key=lambda s: s["id"])["id"], actor=actor)
    if not any(i["code"] == code for i in sheet["items"]):
        err = AppError("指定した事項がシートにありません", title="見つかりません")
        err.status = 404
        raise err
    apply_cell(sheet, code, fy, kind, form)
    body = {k: sheet[k] for k in ("entity_code", "title", "start_fy", "end_fy", "items")}
    await indicators.update_pdca_sheet(sheet["id"], {**body, "version": version}, actor=actor)


async def save_cell(
    ctx: ViewContext, form: dict[str, str]
) -> tuple[dict[str, Any], tuple[str, int, str], int]:
    """Save one cell: the sheet's context (the cell saved, or the form again with what to
    fix or the conflict), the cell (item, year, kind) and the status."""
    code, fy, kind, version = cell_request(form)
    errors, conflict = check_cell(kind, form), False
    done: Outcome[Any] = Outcome.refused("".join(errors))
    if not errors:
        done = await attempt(
            _save_cell(ctx, code, fy, kind, version, form), refusals=WRITE_REFUSALS
        )
    if done.ok:
        context = page_context(await load(ctx), saved=f"{code} の{fy}年度", cell_saved=True)
    else:
        if done.status == 409:
            conflict = True
        elif done.refusal is not None:
            exc = done.refusal
            errors = [m for e in exc.problem.get("errors") or [] if (m := str(e.get("msg")))]
            errors = errors or [exc.detail]
        elif done.down is not None:
            errors = [
                f"評価指標のサービスが応答しないため、保存できませんでした ({done.down.detail})。"
            ]
        context = page_context(
            await load(ctx),
            editing=(code, fy, kind),
            cell_form=form,
            cell_errors=errors,
            cell_conflict=conflict,
        )
    return context, (code, fy, kind), done.status


def cell_fragment(
    request: Request, context: dict[str, Any], code: str, fy: int, kind: str
) -> Response:
    """One cell of the sheet for htmx (or the sheet's notice when there is no sheet)."""
    if not context["sheet"]:
        return render(request, "pdca/sheet.html", context, block="sheet_notice")
    it, cell = find_cell(context, code, fy)
    context.update(it=it, cell=cell, fy=fy, kind=kind)
    return fragment(request, "pdca/sheet.html", "pdca_cell", context)
