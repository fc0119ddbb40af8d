"""The prefecture's PDCA sheet (取組と目標) in seed 003's layout: items down, fiscal years
across, actual values filled from the records where linked, each item/year cell editable in
place (the whole sheet is saved with its version; a stale version shows the conflict)."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from gateway.actions import as_app_error, stream
from gateway.clients.base import ServiceError, ServiceRejected
from gateway.templating import fragment, path_for, render, wants_fragment
from gateway.views.context import view_context
from gateway.views.indicators import points
from gateway.views.pdca import prefecture_pdca
from gateway.views.registry import registry_of
from services.common.actor import Role
from services.common.errors import AppError, Forbidden

router = APIRouter(include_in_schema=False)

KINDS = ("actions", "evaluation")
EVALUATIONS = ("達成", "一部達成", "未達成")
SERVICE_LABELS = {"training": "研修", "support_cases": "伴走型支援", "indicators": "評価指標"}
CONFLICT = (
    "このシートは、あなたが編集を始めた後に別の人が更新しました。"
    "あなたの変更は保存していません (上書きしていません)。"
    "最新の内容を読み込んでから、もう一度入力してください。"
)


def _actor(request: Request) -> Any:
    return getattr(request.state, "actor", None)


def _staff_only(request: Request) -> None:
    actor = _actor(request)
    if actor is not None and actor.role == Role.municipality:
        raise Forbidden("都道府県のシートは都道府県の担当者向けです")


async def _load(request: Request) -> dict[str, Any]:
    """The combined API's answer (sheet with progress, metrics with their queries), or a
    notice when the indicators service is down."""
    try:
        return (await prefecture_pdca(view_context(request))).model_dump()
    except ServiceRejected as exc:
        raise as_app_error(exc) from exc
    except ServiceError:
        return {"sheet": None, "metrics": [], "unavailable": ["indicators"], "down": True}


def _metric_label(source: str) -> str:
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


def _view(data: dict[str, Any]) -> dict[str, Any]:
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
                "record_label": _metric_label(src) if src else None,
            }
        m = metrics.get(item.get("metric_source") or "")
        sections[-1]["items"].append(
            {
                **item,
                "slug": f"i{n}",
                "progress": p,
                "cells": cells,
                "metric": m,
                "metric_label": _metric_label(item["metric_source"])
                if item.get("metric_source")
                else None,
            }
        )
    return {"sections": sections, "years": years}


def _context(data: dict[str, Any], **extra: Any) -> dict[str, Any]:
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
        "metric_label": _metric_label,
        **_view(data),
        **extra,
    }


def _find_cell(ctx: dict[str, Any], code: str, fy: int) -> tuple[dict[str, Any], dict[str, Any]]:
    for section in ctx["sections"]:
        for item in section["items"]:
            if item["code"] == code and fy in item["cells"]:
                return item, item["cells"][fy]
    err = AppError("指定した事項・年度がシートにありません", title="見つかりません")
    err.status = 404
    raise err


@router.get("/pdca", name="pdca_sheet", response_class=HTMLResponse)
async def pdca_sheet(
    request: Request,
    edit_item: Annotated[str, Query(max_length=64)] = "",
    edit_fy: Annotated[int | None, Query()] = None,
    edit_kind: Annotated[str, Query()] = "",
    saved: Annotated[str, Query(max_length=80)] = "",
) -> HTMLResponse:
    _staff_only(request)
    data = await _load(request)
    ctx = _context(data, saved=saved or None)
    if edit_item and edit_fy and edit_kind in KINDS and ctx["sheet"]:
        _find_cell(ctx, edit_item, edit_fy)
        ctx["editing"] = (edit_item, edit_fy, edit_kind)
    return render(request, "pdca/sheet.html", ctx)


@router.get("/pdca/cell", name="pdca_cell", response_class=HTMLResponse)
async def pdca_cell(
    request: Request,
    item: Annotated[str, Query(max_length=64)],
    fy: Annotated[int, Query()],
    kind: Annotated[str, Query(pattern="^(actions|evaluation)$")],
    edit: Annotated[bool, Query()] = False,
) -> Response:
    """One cell, to show or (``edit``) as a form with the sheet's current version."""
    _staff_only(request)
    if not wants_fragment(request):
        url = path_for(request, "pdca_sheet")
        q = "?" + urlencode({"edit_item": item, "edit_fy": fy, "edit_kind": kind}) if edit else ""
        return RedirectResponse(f"{url}{q}", status_code=303)
    data = await _load(request)
    ctx = _context(data)
    if not ctx["sheet"]:
        return render(request, "pdca/sheet.html", ctx, block="sheet_notice")
    it, cell = _find_cell(ctx, item, fy)
    ctx.update(it=it, cell=cell, fy=fy, kind=kind, editing=(item, fy, kind) if edit else None)
    return fragment(request, "pdca/sheet.html", "pdca_cell", ctx)


def _apply(sheet: dict[str, Any], code: str, fy: int, kind: str, form: dict[str, str]) -> None:
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


def _check(kind: str, form: dict[str, str]) -> list[str]:
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


@router.post("/pdca/cell", name="pdca_cell_save", response_class=HTMLResponse)
async def pdca_cell_save(request: Request) -> Response:
    _staff_only(request)
    raw = await request.form()
    form = {k: str(v) for k, v in raw.items() if isinstance(v, str)}
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
    services = request.app.state.services
    actor = _actor(request)
    registry = registry_of(request)
    errors = _check(kind, form)
    conflict, status = False, 422
    if not errors:
        try:
            pref = registry.prefecture(registry.home_prefecture).code
            sheets = await services.indicators.pdca_sheets(entity_code=pref, actor=actor)
            if not sheets:
                raise AppError("取組と目標のシートがありません")
            sheet = await services.indicators.pdca_sheet(
                max(sheets, key=lambda s: s["id"])["id"], actor=actor
            )
            if not any(i["code"] == code for i in sheet["items"]):
                err = AppError("指定した事項がシートにありません", title="見つかりません")
                err.status = 404
                raise err
            _apply(sheet, code, fy, kind, form)
            body = {k: sheet[k] for k in ("entity_code", "title", "start_fy", "end_fy", "items")}
            await services.indicators.update_pdca_sheet(
                sheet["id"], {**body, "version": version}, actor=actor
            )
        except ServiceRejected as exc:
            if exc.status == 409:
                conflict, status = True, 409
            else:
                status = exc.status or 422
                errors = [str(e.get("msg")) for e in exc.problem.get("errors") or []]
                errors = [e for e in errors if e] or [exc.detail]
        except ServiceError as exc:
            status = 503
            errors = [f"評価指標のサービスが応答しないため、保存できませんでした ({exc.detail})。"]
        else:
            label = f"{code} の{fy}年度"
            if not wants_fragment(request):
                url = path_for(request, "pdca_sheet")
                return RedirectResponse(f"{url}?{urlencode({'saved': label})}", status_code=303)
            data = await _load(request)
            ctx = _context(data, saved=label)
            it, cell = _find_cell(ctx, code, fy)
            ctx.update(it=it, cell=cell, fy=fy, kind=kind, cell_saved=True)
            return fragment(request, "pdca/sheet.html", "pdca_cell", ctx)
    data = await _load(request)
    ctx = _context(
        data,
        editing=(code, fy, kind),
        cell_form=form,
        cell_errors=errors,
        cell_conflict=conflict,
    )
    if wants_fragment(request):
        if not ctx["sheet"]:
            return render(request, "pdca/sheet.html", ctx, block="sheet_notice")
        it, cell = _find_cell(ctx, code, fy)
        ctx.update(it=it, cell=cell, fy=fy, kind=kind)
        return fragment(request, "pdca/sheet.html", "pdca_cell", ctx)
    return render(request, "pdca/sheet.html", ctx, status_code=status)


@router.get("/pdca/export.xlsx", name="pdca_export")
async def pdca_export(request: Request) -> Response:
    _staff_only(request)
    data = await _load(request)
    sheet = data.get("sheet")
    if not sheet:
        return render(
            request,
            "error.html",
            {
                "title": "ファイルを取得できません",
                "detail": "取組と目標のシートがないか、評価指標のサービスが応答しません。",
            },
            status_code=503 if data.get("down") else 404,
        )
    opened = request.app.state.services.indicators.pdca_export(sheet["id"], actor=_actor(request))
    return await stream(request, opened, what="ファイル")
