"""PDCA sheets: create, read, update with optimistic versions, XLSX in seed 003's layout."""

from __future__ import annotations

import io
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.common.access import can_see_municipality, ensure_municipality_write
from services.common.actor import Actor, Role
from services.common.errors import Conflict, Forbidden, Invalid, NotFound
from services.common.fiscal import format_fy_full
from services.common.models import check_version, get_for_update, stamp_created, stamp_updated
from services.common.registry import CodeError, get_registry
from services.indicators.pdca.models import PdcaSheet
from services.indicators.pdca.schemas import (
    SheetIn,
    SheetItem,
    SheetUpdate,
    metric_sources,
    progress,
)
from services.indicators.results.service import entity_name


def ensure_write(actor: Actor, code: str) -> None:
    """Staff write any sheet; municipality staff only their own; others none."""
    if actor.role in (Role.viewer, Role.api_client, Role.advisor):
        raise Forbidden("取組と目標を編集する権限がありません")
    ensure_municipality_write(actor, code)


def _check_entity(code: str) -> None:
    try:
        get_registry().require_entity(code)
    except CodeError as exc:
        raise Invalid(str(exc), errors=[{"loc": ["body", "entity_code"], "msg": str(exc)}]) from exc


def sheet_out(sheet: PdcaSheet, metrics: dict[str, float] | None = None) -> dict[str, Any]:
    items = [SheetItem.model_validate(i) for i in sheet.items]
    return {
        "id": sheet.id,
        "entity_code": sheet.entity_code,
        "name": entity_name(sheet.entity_code),
        "title": sheet.title,
        "start_fy": sheet.start_fy,
        "end_fy": sheet.end_fy,
        "items": [i.model_dump() for i in items],
        "progress": progress(items, metrics),
        "metric_sources": metric_sources(items),
        "version": sheet.version,
        "updated_at": sheet.updated_at,
        "updated_by": sheet.updated_by,
    }


async def list_sheets(
    session: AsyncSession, actor: Actor, entity_code: str | None
) -> list[PdcaSheet]:
    q = select(PdcaSheet)
    if actor.role == Role.municipality:
        q = q.where(PdcaSheet.entity_code == actor.municipality_code)
        if entity_code and entity_code != actor.municipality_code:
            return []
    elif entity_code:
        q = q.where(PdcaSheet.entity_code == entity_code)
    return list((await session.exec(q.order_by(PdcaSheet.entity_code, PdcaSheet.start_fy))).all())


async def get_sheet(session: AsyncSession, actor: Actor, sheet_id: int) -> PdcaSheet:
    sheet = await session.get(PdcaSheet, sheet_id)
    if sheet is None or not can_see_municipality(actor, sheet.entity_code):
        raise NotFound("取組と目標のシートが見つかりません")
    return sheet


async def create_sheet(session: AsyncSession, body: SheetIn, *, actor: Actor) -> PdcaSheet:
    _check_entity(body.entity_code)
    ensure_write(actor, body.entity_code)
    dup = (
        await session.exec(
            select(PdcaSheet).where(
                PdcaSheet.entity_code == body.entity_code, PdcaSheet.start_fy == body.start_fy
            )
        )
    ).first()
    if dup is not None:
        raise Conflict(f"{body.start_fy}年度からのシートは既にあります (id {dup.id})")
    sheet = PdcaSheet(
        entity_code=body.entity_code,
        title=body.title,
        start_fy=body.start_fy,
        end_fy=body.end_fy,
        items=[i.model_dump() for i in body.items],
    )
    stamp_created(sheet, actor)
    session.add(sheet)
    await session.flush()
    return sheet


async def update_sheet(
    session: AsyncSession, sheet_id: int, body: SheetUpdate, *, actor: Actor
) -> PdcaSheet:
    sheet = await get_for_update(session, PdcaSheet, sheet_id)
    if sheet is None or not can_see_municipality(actor, sheet.entity_code):
        raise NotFound("取組と目標のシートが見つかりません")
    ensure_write(actor, sheet.entity_code)
    if body.entity_code != sheet.entity_code:
        raise Invalid("シートの団体コードは変更できません")
    check_version(sheet, body.version, what="取組と目標のシート")
    sheet.title, sheet.start_fy, sheet.end_fy = body.title, body.start_fy, body.end_fy
    sheet.items = [i.model_dump() for i in body.items]
    stamp_updated(sheet, actor)
    session.add(sheet)
    await session.flush()
    return sheet


def export_xlsx(sheet: PdcaSheet) -> bytes:
    """Seed 003's layout: 事項 | 目標 | 現状と課題 | ビジョン | per year (実施内容・実績 |
    自己評価と今後の課題・対応策) | 参考資料; one row per item, grouped by section."""
    items = [SheetItem.model_validate(i) for i in sheet.items]
    years = list(range(sheet.start_fy, sheet.end_fy + 1))
    wb = Workbook()
    ws = wb.active
    ws.title = "取組と目標"
    ws.append([f"{entity_name(sheet.entity_code)} {sheet.title}"])
    ws["A1"].font = Font(bold=True, size=12)
    fixed = [
        "事項",
        "目標",
        "目標設定するに至った現状と課題",
        f"{format_fy_full(sheet.end_fy)}までに目指すべきビジョン",
    ]
    head1 = fixed + [x for fy in years for x in (format_fy_full(fy), "")] + ["参考資料"]
    head2 = (
        [""] * len(fixed)
        + [x for _ in years for x in ("取組の実施内容・実績", "自己評価と今後の課題・対応策")]
        + [""]
    )
    ws.append(head1)
    ws.append(head2)
    for i in range(len(fixed)):
        ws.merge_cells(start_row=2, end_row=3, start_column=i + 1, end_column=i + 1)
    for k in range(len(years)):
        col = len(fixed) + 1 + 2 * k
        ws.merge_cells(start_row=2, end_row=2, start_column=col, end_column=col + 1)
    last = len(head1)
    ws.merge_cells(start_row=2, end_row=3, start_column=last, end_column=last)
    for row in ws.iter_rows(min_row=2, max_row=3):
        for c in row:
            c.font = Font(bold=True)
            c.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    section = None
    for it in items:
        if it.section and it.section != section:
            section = it.section
            ws.append([section])
            ws.cell(ws.max_row, 1).font = Font(bold=True)
        by_year = {y.fiscal_year: y for y in it.years}
        row = [
            f"{it.code}\n{it.title}",
            it.target.text or _target_text(it),
            it.current_issues,
            it.vision,
        ]
        for fy in years:
            y = by_year.get(fy)
            if y is None:
                row += ["", ""]
                continue
            actual = (
                "" if y.actual_value is None else f"\n実績値: {y.actual_value:g}{it.target.unit}"
            )
            evaluation = f"【{y.self_evaluation}】\n" if y.self_evaluation else ""
            row += [f"{y.actions}{actual}".strip(), f"{evaluation}{y.next_steps}".strip()]
        row.append(it.reference)
        ws.append(row)
        for c in ws[ws.max_row]:
            c.alignment = Alignment(wrap_text=True, vertical="top")
    widths = [28, 14, 30, 30] + [34, 34] * len(years) + [10]
    for i, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = w
    ws.freeze_panes = "E4"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _target_text(it: SheetItem) -> str:
    t = it.target
    if t.value is None:
        return ""
    period = f" ({t.start_fy}〜{t.end_fy}年度)" if t.start_fy and t.end_fy else ""
    return f"{t.value:g}{t.unit}{period}"
