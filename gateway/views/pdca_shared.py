"""取組と目標 shared across the prefecture: the 62 sheets side by side for a year, one
municipality's sheet (read-only for the others, editable by its own staff and the prefecture),
and the 好事例 marked for 横展開. The indicators service decides who sees which sheet (a
municipality never sees another's draft); these views only shape its answers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from gateway.actions import Outcome as Done
from gateway.actions import attempt
from gateway.clients.pool import Services
from gateway.templating import path_for, render
from gateway.views.parts import gather
from services.common.access import ensure_municipality_write, is_staff
from services.common.actor import Actor, Role
from services.common.errors import NotFound
from services.common.registry import PEER_TYPES, REGION_CLASSES

EVALUATIONS = ("達成", "一部達成", "未達成", "未評価")


@dataclass
class SideBySide:
    fiscal_year: int
    region_class: str
    peer_type: str
    counts: dict[str, int]
    themes: list[dict[str, str]]
    rows: list[dict[str, Any]]
    own_code: str | None
    unavailable: list[str]
    may_write_any: bool = False  # staff: every municipality's page offers its sheet's writing


def used_themes(
    rows: list[dict[str, Any]], vocabulary: list[dict[str, str]]
) -> list[dict[str, str]]:
    """The vocabulary's themes that some shown sheet uses, in vocabulary order (then 未分類)."""
    used = {t["code"] for r in rows if r.get("sheet") for t in r["sheet"].get("themes", [])}
    out = [t for t in vocabulary if t["code"] in used]
    known = {t["code"] for t in vocabulary}
    out += [{"code": c, "name": c or "未分類"} for c in sorted(used - known)]
    return out


def theme_cells(row: dict[str, Any], themes: list[dict[str, str]]) -> list[list[dict[str, Any]]]:
    """The row's items per theme column (empty list: the sheet has no item of that theme)."""
    by_code = {t["code"]: t.get("items", []) for t in (row.get("sheet") or {}).get("themes", [])}
    return [by_code.get(t["code"], []) for t in themes]


async def side_by_side(
    services: Services, actor: Actor, fiscal_year: int, region_class: str, peer_type: str
) -> SideBySide:
    region_class = region_class if region_class in REGION_CLASSES else ""
    peer_type = peer_type if peer_type in PEER_TYPES else ""
    parts = await gather(
        {
            "digest": (
                "indicators",
                services.indicators.pdca_municipalities(
                    fiscal_year, region_class=region_class, peer_type=peer_type, actor=actor
                ),
            )
        }
    )
    data = parts.get("digest") or {}
    rows = data.get("municipalities", [])
    themes = used_themes(rows, data.get("themes", []))
    for r in rows:
        r["cells"] = theme_cells(r, themes)
    return SideBySide(
        fiscal_year=fiscal_year,
        region_class=region_class,
        peer_type=peer_type,
        counts=data.get("counts", {}),
        themes=themes,
        rows=rows,
        own_code=actor.municipality_code if actor.role == Role.municipality else None,
        unavailable=parts.unavailable,
        may_write_any=is_staff(actor),
    )


# ---------------------------------------------------------------- one municipality's sheet


def may_edit(actor: Actor, entity_code: str) -> bool:
    return is_staff(actor) or (
        actor.role == Role.municipality and actor.municipality_code == entity_code
    )


def covering(sheets: list[dict[str, Any]], fiscal_year: int) -> dict[str, Any] | None:
    """The sheet covering the year (the latest-starting if several), as the digest picks it."""
    cover = [s for s in sheets if s["start_fy"] <= fiscal_year <= s["end_fy"]]
    return max(cover, key=lambda s: (s["start_fy"], s["id"])) if cover else None


@dataclass
class SheetView:
    code: str
    fiscal_year: int
    sheet: dict[str, Any] | None
    items: list[dict[str, Any]]
    marks: dict[str, int]
    may_edit: bool
    may_mark: bool
    unavailable: list[str]
    may_create: bool = False  # no sheet covers the year and the actor may write one
    themes: list[dict[str, str]] = field(default_factory=list)  # the theme vocabulary


def sheet_items(sheet: dict[str, Any], fiscal_year: int) -> list[dict[str, Any]]:
    """Each item with its progress and the year's record (empty when none yet)."""
    progress = {p["code"]: p for p in sheet.get("progress", [])}
    out = []
    for it in sheet.get("items", []):
        year = next((y for y in it.get("years", []) if y["fiscal_year"] == fiscal_year), {})
        out.append({**it, "progress": progress.get(it["code"], {}), "year": year})
    return out


async def municipality_sheet(
    services: Services, actor: Actor, code: str, fiscal_year: int
) -> SheetView:
    ind = services.indicators
    parts = await gather(
        {
            "sheets": ("indicators", ind.pdca_sheets(entity_code=code, actor=actor)),
            "themes": ("indicators", ind.pdca_themes(actor=actor)),
        }
    )
    chosen = covering(parts.get("sheets") or [], fiscal_year)
    sheet = None
    if chosen:
        later = await gather({"sheet": ("indicators", ind.pdca_sheet(chosen["id"], actor=actor))})
        sheet = later.get("sheet")
        parts.unavailable += later.unavailable
    return SheetView(
        code=code,
        fiscal_year=fiscal_year,
        sheet=sheet,
        items=sheet_items(sheet, fiscal_year) if sheet else [],
        marks={g["item_code"]: g["id"] for g in (sheet or {}).get("good_practices", [])},
        may_edit=bool(sheet) and may_edit(actor, code),
        may_mark=bool(sheet and sheet.get("published")) and is_staff(actor),
        unavailable=parts.unavailable,
        may_create=not sheet and "indicators" not in parts.unavailable and may_edit(actor, code),
        themes=parts.get("themes") or [],
    )


@dataclass
class Outcome:
    saved: bool
    status: int = 303
    message: str = ""
    errors: list[str] = field(default_factory=list)
    fiscal_year: int | None = None  # the year to show after the save, when not the page's


def apply_year(
    sheet: dict[str, Any], code: str, fiscal_year: int, form: dict[str, str]
) -> list[str]:
    """Write the form's record of one item and year into the sheet; the problems, if any."""
    item = next((i for i in sheet.get("items", []) if i["code"] == code), None)
    if item is None:
        raise NotFound(f"事項「{code}」はこのシートにありません")
    if not sheet["start_fy"] <= fiscal_year <= sheet["end_fy"]:
        return [f"{fiscal_year}年度はこのシートの期間外です。"]
    value = form.get("actual_value", "").replace(",", "").strip()
    evaluation = form.get("self_evaluation", "")
    errors = []
    try:
        actual = float(value) if value else None
    except ValueError:
        errors.append(f"実績値は数値で入力してください ({value})。空欄なら実績値なしです。")
        actual = None
    if evaluation and evaluation not in EVALUATIONS[:3]:
        errors.append("自己評価は 達成・一部達成・未達成 から選んでください。")
    if errors:
        return errors
    years = item.setdefault("years", [])
    rec = next((y for y in years if y["fiscal_year"] == fiscal_year), None)
    if rec is None:
        rec = {"fiscal_year": fiscal_year}
        years.append(rec)
        years.sort(key=lambda y: y["fiscal_year"])
    rec.update(
        actions=form.get("actions", "")[:4000],
        actual_value=actual,
        self_evaluation=evaluation or None,
        next_steps=form.get("next_steps", "")[:4000],
    )
    return []


async def save_year(
    services: Services, actor: Actor, code: str, fiscal_year: int, form: dict[str, str]
) -> Outcome:
    """Save one item's record of the year on the municipality's sheet (whole sheet PUT with
    the form's version: a stale version is a 409 shown on the page, nothing written)."""
    return await edit_sheet(
        services,
        actor,
        code,
        form,
        lambda sheet: apply_year(sheet, form.get("item", ""), fiscal_year, form),
    )


async def edit_sheet(
    services: Services,
    actor: Actor,
    code: str,
    form: dict[str, str],
    change: Callable[[dict[str, Any]], list[str]],
) -> Outcome:
    """Read the sheet the form names, apply ``change`` to it and PUT it whole with the form's
    version (stale: 409 shown on the page, nothing written; ``change``'s problems: 422)."""
    ensure_municipality_write(actor, code)  # before the form's checks (the service decides too)
    ind = services.indicators
    try:
        sheet_id, version = int(form.get("sheet_id", "")), int(form.get("version", ""))
    except ValueError:
        return Outcome(
            False, 422, "シートと版が指定されていません。ページを読み込み直してください。"
        )

    async def put() -> list[str]:
        sheet = await ind.pdca_sheet(sheet_id, actor=actor)
        if sheet["entity_code"] != code:
            raise NotFound("このシートは指定した区市町村のものではありません")
        errors = change(sheet)
        if not errors:
            body = {k: sheet[k] for k in ("entity_code", "title", "start_fy", "end_fy", "items")}
            await ind.update_pdca_sheet(sheet_id, {**body, "version": version}, actor=actor)
        return errors

    done = await attempt(put(), refusals=SAVE_REFUSALS)
    if done.ok and done.value:
        return Outcome(False, 422, "入力内容を確認してください。", done.value)
    return refused(
        done, conflict=CONFLICT, down="評価指標のサービスが応答しないため保存できませんでした"
    )


def refused(done: Done[Any], *, conflict: str, down: str) -> Outcome:
    """What a save got from ``attempt()``: saved, the conflict, the service's refusal with its
    field messages, or the notice that the service is down."""
    if done.ok:
        return Outcome(True)
    if done.status == 409:
        return Outcome(False, 409, conflict)
    if done.refusal is not None:
        exc = done.refusal
        errors = [str(e.get("msg")) for e in exc.problem.get("errors") or [] if e.get("msg")]
        return Outcome(False, done.status, exc.detail, errors)
    return Outcome(False, 503, f"{down} ({done.down.detail if done.down else ''})。")


# A save's refusals shown on the page (a 401/403/404 is the page's error).
SAVE_REFUSALS = (400, 409, 422)
CONFLICT = (
    "このシートは、あなたが編集を始めた後に別の人が更新しました。あなたの変更は保存していません"
    " (上書きしていません)。最新の内容を読み込んでから、もう一度入力してください。"
)


async def mark_good_practice(services: Services, actor: Actor, form: dict[str, str]) -> Outcome:
    """A coordinator marks an item of a published sheet as 好事例 with a short note."""
    note = form.get("note", "").strip()
    if not note:
        return Outcome(False, 422, "好事例のメモを入力してください (500字まで)。")
    try:
        sheet_id = int(form.get("sheet_id", ""))
    except ValueError:
        return Outcome(False, 422, "シートが指定されていません。ページを読み込み直してください。")
    call = services.indicators.mark_good_practice(
        sheet_id, form.get("item_code", ""), note[:500], actor=actor
    )
    done = await attempt(call, refusals=SAVE_REFUSALS)
    return refused(
        done,
        conflict="この事項はすでに好事例です。",
        down="評価指標のサービスが応答しないため保存できませんでした",
    )


async def good_practices(
    services: Services, actor: Actor, theme: str
) -> tuple[list[Any], list[Any], list[str]]:
    parts = await gather(
        {
            "marks": ("indicators", services.indicators.good_practices(theme=theme, actor=actor)),
            "themes": ("indicators", services.indicators.pdca_themes(actor=actor)),
        }
    )
    return parts.get("marks") or [], parts.get("themes") or [], parts.unavailable


async def cite_in_report(
    services: Services, actor: Actor, good_practice_id: int, case_id: int
) -> Outcome:
    """Add a 好事例 to a case report's citations, with its title and municipality as they are
    now (the report keeps that snapshot and the reference ``pdca-good-practice:{id}``)."""

    async def cite() -> Outcome | None:
        parts = await gather(
            {
                "gp": (
                    "indicators",
                    services.indicators.good_practice(good_practice_id, actor=actor),
                ),
                "lessons": ("support_cases", services.support_cases.lessons(case_id, actor=actor)),
            }
        )
        if parts.unavailable:
            return Outcome(False, 503, "サービスが応答しないため引用できませんでした。")
        gp, lessons = parts.get("gp"), parts.get("lessons")
        cite = {
            "reference": gp["reference"],
            "title": gp["item_title"][:300],
            "entity_name": gp.get("entity_name", "")[:100],
            "note": (gp.get("note") or "")[:500],
        }
        current = [c for c in lessons.get("citations", []) if c["reference"] != cite["reference"]]
        await services.support_cases.save_citations(
            case_id, lessons["lessons"], lessons["version"], [*current, cite], actor=actor
        )
        return None

    done = await attempt(cite(), refusals=(409,))
    if done.ok and done.value is not None:
        return done.value
    return refused(
        done,
        conflict="報告書が同時に更新されました。もう一度引用してください。",
        down="サービスが応答しないため引用できませんでした",
    )


async def citable_cases(services: Services, actor: Actor, fiscal_year: int) -> list[dict[str, Any]]:
    """The year's cases a coordinator may cite a 好事例 in (none for other roles)."""
    if not is_staff(actor):
        return []
    parts = await gather(
        {
            "cases": (
                "support_cases",
                services.support_cases.cases(fiscal_year=fiscal_year, actor=actor),
            )
        }
    )
    return sorted(parts.get("cases") or [], key=lambda c: c["municipality_code"])


def form_values(raw: Any) -> dict[str, str]:
    return {k: str(v) for k, v in raw.items() if isinstance(v, str)}


async def sheet_page(
    request: Request, m: Any, fy: int, status: int = 200, **extra: Any
) -> Response:
    """The municipality's sheet page (after a refused or failed write: with its message)."""
    services, actor = request.app.state.services, request.state.actor
    v = await municipality_sheet(services, actor, m.code, fy)
    ctx = {"v": v, "m": m, "evaluations": EVALUATIONS[:3], "target_kinds": TARGET_KINDS, **extra}
    return render(request, "pdca_shared/sheet.html", ctx, status_code=status)


# ---------------------------------------------------------------- writing the sheet (sheets16)
# A municipality's staff (or the prefecture) create the sheet of a plan period, add and edit
# its items (theme, 取組, 目標) and publish it; the year's 実績 and 自己評価 are the records
# above. The service decides who may (another municipality: 404, read-only roles: 403).

TARGET_KINDS = {
    "qualitative": "定性目標 (年1回以上・増加 など)",
    "cumulative": "数値目標 (期間の合計)",
    "level": "数値目標 (最新年度の値)",
}
DOWN = "評価指標のサービスが応答しないため保存できませんでした"


def _year(raw: str | None) -> int | None:
    text = (raw or "").strip()
    return int(text) if text.isdigit() and 2000 <= int(text) <= 2100 else None


def new_sheet_body(code: str, form: dict[str, str]) -> tuple[dict[str, Any], list[str]]:
    """The create form as the service's sheet (no items yet, a draft); its problems."""
    title = form.get("title", "").strip()
    start, end = _year(form.get("start_fy")), _year(form.get("end_fy"))
    errors = []
    if not title:
        errors.append("シートの名前を入力してください。")
    elif len(title) > 300:
        errors.append("シートの名前は300字までです。")
    if start is None:
        errors.append("計画の開始年度を西暦で入力してください (例: 2024)。")
    if end is None:
        errors.append("計画の終了年度を西暦で入力してください (例: 2026)。")
    elif start is not None and end < start:
        errors.append("計画の終了年度は開始年度と同じか、それより後にしてください。")
    body = {"entity_code": code, "title": title, "start_fy": start, "end_fy": end, "items": []}
    return body, errors


async def create_sheet(
    services: Services, actor: Actor, code: str, fiscal_year: int, form: dict[str, str]
) -> Outcome:
    """Create the municipality's sheet for a plan period (a draft until published)."""
    ensure_municipality_write(actor, code)
    body, errors = new_sheet_body(code, form)
    if errors:
        return Outcome(False, 422, "入力内容を確認してください。", errors)
    call = services.indicators.create_pdca_sheet(body, actor=actor)
    out = refused(
        await attempt(call, refusals=SAVE_REFUSALS),
        conflict=f"{body['start_fy']}年度から始まるシートはすでにあります。作成していません。",
        down=DOWN,
    )
    if out.saved and not body["start_fy"] <= fiscal_year <= body["end_fy"]:
        out.fiscal_year = body["start_fy"]
    return out


def apply_item(sheet: dict[str, Any], form: dict[str, str]) -> list[str]:
    """Add, edit (``original`` names it) or remove (``remove``) one item of the sheet from the
    form: its number, 取組, theme and 目標; the years' records stay with the item."""
    items: list[dict[str, Any]] = sheet.setdefault("items", [])
    original = form.get("original", "").strip()
    existing = next((i for i in items if i["code"] == original), None) if original else None
    if original and existing is None:
        raise NotFound(f"事項「{original}」はこのシートにありません")
    marked = {g["item_code"] for g in sheet.get("good_practices", [])}
    if form.get("remove"):
        if existing is None:
            return ["削除する事項が指定されていません。"]
        if original in marked:
            return [f"事項「{original}」は好事例に指定されているため削除できません。"]
        items.remove(existing)
        return []
    code, title = form.get("code", "").strip(), form.get("title", "").strip()
    kind = form.get("target_kind", "qualitative")
    raw = form.get("target_value", "").replace(",", "").strip()
    errors = []
    if not code or len(code) > 64:
        errors.append("事項の番号を64字までで入力してください (例: 1、2-(1))。")
    elif code != original and any(i["code"] == code for i in items):
        errors.append(f"事項の番号「{code}」はすでにあります。別の番号にしてください。")
    elif original in marked and code != original:
        errors.append(f"事項「{original}」は好事例に指定されているため番号を変えられません。")
    if not title:
        errors.append("取組 (事項の内容) を入力してください。")
    if kind not in TARGET_KINDS:
        errors.append("目標の種類を選んでください。")
    value = None
    try:
        value = float(raw) if raw else None
    except ValueError:
        errors.append(f"目標値は数値で入力してください ({raw})。")
    else:
        if kind in ("cumulative", "level") and value is None:
            errors.append(
                "数値目標には目標値を入力してください (定性目標なら種類を変えてください)。"
            )
    if errors:
        return errors
    target = dict((existing or {}).get("target") or {})
    target |= {
        "kind": kind,
        "value": value,
        "unit": form.get("target_unit", "").strip()[:40],
        "text": form.get("target_text", "").strip()[:300],
    }
    item = {k: v for k, v in (existing or {}).items() if k != "theme_name"}
    item |= {"code": code, "title": title, "theme": form.get("theme") or None, "target": target}
    if existing is None:
        items.append(item)
    else:
        items[items.index(existing)] = item
    return []


async def save_item(services: Services, actor: Actor, code: str, form: dict[str, str]) -> Outcome:
    """Add, edit or remove one item of the municipality's sheet (whole sheet PUT)."""
    return await edit_sheet(services, actor, code, form, lambda sheet: apply_item(sheet, form))


async def publish_sheet(
    services: Services, actor: Actor, code: str, form: dict[str, str]
) -> Outcome:
    """Publish the sheet to the other municipalities, or make it a draft again."""
    ensure_municipality_write(actor, code)
    ind = services.indicators
    try:
        sheet_id, version = int(form.get("sheet_id", "")), int(form.get("version", ""))
    except ValueError:
        return Outcome(
            False, 422, "シートと版が指定されていません。ページを読み込み直してください。"
        )

    async def put() -> None:
        sheet = await ind.pdca_sheet(sheet_id, actor=actor)
        if sheet["entity_code"] != code:
            raise NotFound("このシートは指定した区市町村のものではありません")
        await ind.publish_pdca_sheet(sheet_id, form.get("published") == "1", version, actor=actor)

    return refused(await attempt(put(), refusals=SAVE_REFUSALS), conflict=CONFLICT, down=DOWN)


async def after_write(
    request: Request, m: Any, fy: int, out: Outcome, *, saved: str, form: dict[str, str]
) -> Response:
    """A saved write: back to the sheet (303) with its notice; a refused one: the sheet page
    with the message and the form as it was typed."""
    if out.saved:
        url = path_for(request, "pdca_municipality", code=m.code)
        year = out.fiscal_year or fy
        return RedirectResponse(f"{url}?fiscal_year={year}&saved={saved}", status_code=303)
    return await sheet_page(request, m, fy, out.status, outcome=out, form=form)
