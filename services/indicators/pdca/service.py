"""PDCA sheets: create, read, update with optimistic versions, XLSX in seed 003's layout."""

from __future__ import annotations

import io
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from sqlalchemy import or_
from sqlalchemy import select as sa_select
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.common.access import ensure_municipality_write
from services.common.actor import Actor, Role
from services.common.errors import Conflict, Forbidden, Invalid, NotFound
from services.common.exports import export_row
from services.common.fiscal import format_fy_full
from services.common.models import (
    check_version,
    get_for_update,
    stamp_created,
    stamp_updated,
    utcnow,
)
from services.common.registry import CodeError, get_registry
from services.indicators.pdca.models import PdcaGoodPractice, PdcaSheet
from services.indicators.pdca.schemas import (
    EVALUATION_KEYS,
    SheetIn,
    SheetItem,
    SheetUpdate,
    digest,
    metric_sources,
    progress,
    target_text,
)
from services.indicators.pdca.vocabulary import check_metric_source, check_theme, theme_names
from services.indicators.peers.models import PeerMember, PeerSet
from services.indicators.regional.service import peer_types
from services.indicators.results.computation import entity_name


def ensure_write(actor: Actor, code: str) -> None:
    """Staff write any sheet; municipality staff only their own; others none."""
    if actor.role in (Role.viewer, Role.api_client, Role.advisor):
        raise Forbidden("取組と目標を編集する権限がありません")
    ensure_municipality_write(actor, code)


def can_read(actor: Actor, entity_code: str, published: bool) -> bool:
    """The prefecture (every role but municipality staff) reads every sheet; municipality staff
    read their own sheets and the published sheets of others, never others' drafts."""
    if actor.role != Role.municipality:
        return True
    return entity_code == actor.municipality_code or published


def _check_entity(code: str) -> None:
    try:
        get_registry().require_entity(code)
    except CodeError as exc:
        raise Invalid(str(exc), errors=[{"loc": ["body", "entity_code"], "msg": str(exc)}]) from exc


def check_vocabulary(body: SheetIn) -> None:
    """Every item's theme and metric sources must be in the vocabularies (422 naming each)."""
    errors: list[dict[str, Any]] = []
    for i, it in enumerate(body.items):
        msg = check_theme(it.theme)
        if msg:
            errors.append({"loc": ["body", "items", i, "theme"], "msg": f"{it.code}: {msg}"})
        msg = check_metric_source(it.metric_source)
        if msg:
            errors.append(
                {"loc": ["body", "items", i, "metric_source"], "msg": f"{it.code}: {msg}"}
            )
        for j, y in enumerate(it.years):
            msg = check_metric_source(y.actual_source)
            if msg:
                errors.append(
                    {
                        "loc": ["body", "items", i, "years", j, "actual_source"],
                        "msg": f"{it.code} {y.fiscal_year}年度: {msg}",
                    }
                )
    if errors:
        raise Invalid(
            f"{len(errors)}か所の出典キー・テーマに誤りがあります。何も書き込んでいません",
            errors=errors,
        )


def _digest(sheet: PdcaSheet) -> dict[str, Any]:
    items = [SheetItem.model_validate(i) for i in sheet.items]
    return digest(items, sheet.start_fy, sheet.end_fy)


def sheet_out(
    sheet: PdcaSheet,
    metrics: dict[str, float] | None = None,
    good_practices: list[PdcaGoodPractice] | None = None,
) -> dict[str, Any]:
    items = [SheetItem.model_validate(i) for i in sheet.items]
    names = theme_names()
    return {
        "id": sheet.id,
        "entity_code": sheet.entity_code,
        "name": entity_name(sheet.entity_code),
        "title": sheet.title,
        "start_fy": sheet.start_fy,
        "end_fy": sheet.end_fy,
        "published": sheet.published,
        "published_at": sheet.published_at,
        "published_by": sheet.published_by,
        "items": [{**i.model_dump(), "theme_name": names.get(i.theme or "")} for i in items],
        "progress": progress(items, metrics),
        "metric_sources": metric_sources(items),
        "good_practices": [
            {"id": g.id, "item_code": g.item_code, "reference": gp_reference(g.id)}
            for g in good_practices or []
        ],
        "version": sheet.version,
        "updated_at": sheet.updated_at,
        "updated_by": sheet.updated_by,
    }


async def good_practices_of(session: AsyncSession, sheet_id: int) -> list[PdcaGoodPractice]:
    q = select(PdcaGoodPractice).where(PdcaGoodPractice.sheet_id == sheet_id)
    return list((await session.exec(q.order_by(PdcaGoodPractice.id))).all())


async def list_sheets(
    session: AsyncSession,
    actor: Actor,
    entity_code: str | None,
    published: bool | None = None,
) -> list[PdcaSheet]:
    q = select(PdcaSheet)
    if actor.role == Role.municipality:
        q = q.where(
            or_(
                col(PdcaSheet.entity_code) == actor.municipality_code,
                col(PdcaSheet.published).is_(True),
            )
        )
    if entity_code:
        q = q.where(PdcaSheet.entity_code == entity_code)
    if published is not None:
        q = q.where(col(PdcaSheet.published).is_(published))
    return list((await session.exec(q.order_by(PdcaSheet.entity_code, PdcaSheet.start_fy))).all())


async def get_sheet(session: AsyncSession, actor: Actor, sheet_id: int) -> PdcaSheet:
    sheet = await session.get(PdcaSheet, sheet_id)
    if sheet is None or not can_read(actor, sheet.entity_code, sheet.published):
        raise NotFound("取組と目標のシートが見つかりません")
    return sheet


def _publish(sheet: PdcaSheet, published: bool, actor: Actor) -> None:
    if published and not sheet.published:
        sheet.published_at, sheet.published_by = utcnow(), actor.label
    elif not published:
        sheet.published_at, sheet.published_by = None, ""
    sheet.published = published


async def create_sheet(session: AsyncSession, body: SheetIn, *, actor: Actor) -> PdcaSheet:
    _check_entity(body.entity_code)
    ensure_write(actor, body.entity_code)
    check_vocabulary(body)
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
    _publish(sheet, bool(body.published), actor)
    sheet.digest = _digest(sheet)
    stamp_created(sheet, actor)
    session.add(sheet)
    await session.flush()
    return sheet


async def _for_write(session: AsyncSession, sheet_id: int, actor: Actor) -> PdcaSheet:
    sheet = await get_for_update(session, PdcaSheet, sheet_id)
    if sheet is None or not can_read(actor, sheet.entity_code, sheet.published):
        raise NotFound("取組と目標のシートが見つかりません")
    ensure_write(actor, sheet.entity_code)
    return sheet


async def update_sheet(
    session: AsyncSession, sheet_id: int, body: SheetUpdate, *, actor: Actor
) -> PdcaSheet:
    sheet = await _for_write(session, sheet_id, actor)
    if body.entity_code != sheet.entity_code:
        raise Invalid("シートの団体コードは変更できません")
    check_vocabulary(body)
    check_version(sheet, body.version, what="取組と目標のシート")
    sheet.title, sheet.start_fy, sheet.end_fy = body.title, body.start_fy, body.end_fy
    sheet.items = [i.model_dump() for i in body.items]
    if body.published is not None:
        _publish(sheet, body.published, actor)
    sheet.digest = _digest(sheet)
    stamp_updated(sheet, actor)
    session.add(sheet)
    # A marked item keeps its latest title and theme as the citation's snapshot.
    by_code = {i.code: i for i in body.items}
    for gp in await good_practices_of(session, sheet_id):
        it = by_code.get(gp.item_code)
        if it is not None and (gp.item_title != it.title or gp.theme != (it.theme or None)):
            gp.item_title, gp.theme = it.title[:500], it.theme or None
            session.add(gp)
    await session.flush()
    return sheet


async def set_published(
    session: AsyncSession, sheet_id: int, *, published: bool, version: int, actor: Actor
) -> PdcaSheet:
    sheet = await _for_write(session, sheet_id, actor)
    check_version(sheet, version, what="取組と目標のシート")
    _publish(sheet, published, actor)
    stamp_updated(sheet, actor)
    session.add(sheet)
    await session.flush()
    return sheet


# --- the 62 side by side ----------------------------------------------------------------------


async def _group_members(
    session: AsyncSession, peer_set: str, peer_group: str, codes: list[str]
) -> set[str]:
    """Members of a group: the registry's region_class / peer_type, or a user peer set."""
    reg = get_registry()
    if peer_set == "peer_type":  # the prefecture's settings win over the registry's
        types = await peer_types(session, [m for c in codes if (m := reg.get(c)) is not None])
        return {c for c, t in types.items() if t == peer_group}
    if peer_set == "region_class":
        return {
            c for c in codes if (m := reg.get(c)) is not None and getattr(m, peer_set) == peer_group
        }
    ps = (await session.exec(select(PeerSet).where(PeerSet.name == peer_set))).first()
    if ps is None:
        raise Invalid(
            f"比較グループ {peer_set!r} がありません (region_class、peer_type、"
            "または GET /peer-sets の名前)",
            errors=[{"loc": ["query", "peer_set"], "msg": "比較グループがありません"}],
        )
    rows = await session.exec(
        select(PeerMember.entity_code).where(
            PeerMember.peer_set_id == ps.id, PeerMember.group_name == peer_group
        )
    )
    return set(rows.all())


async def side_by_side(
    session: AsyncSession,
    actor: Actor,
    *,
    fiscal_year: int,
    prefecture: str | None = None,
    region_class: str | None = None,
    peer_type: str | None = None,
    peer_set: str | None = None,
    peer_group: str | None = None,
) -> dict[str, Any]:
    """Every municipality of the prefecture with the sheet that covers ``fiscal_year`` (the
    latest-starting one), read from the stored digests: items grouped by theme, the year's
    self-evaluation counts and progress against target. Municipality staff get the others'
    published sheets only; a draft is shown as no sheet (its existence does not leak)."""
    reg = get_registry()
    pref = prefecture or reg.home_prefecture
    municipalities = reg.in_prefecture(pref)
    if not municipalities:
        raise Invalid(f"都道府県 {pref!r} の区市町村がありません")
    codes = sorted(m.code for m in municipalities)
    types = await peer_types(session, municipalities)  # the prefecture's settings, else default
    if region_class:
        codes = [c for c in codes if reg.get(c).region_class == region_class]  # type: ignore[union-attr]
    if peer_type:
        codes = [c for c in codes if types.get(c) == peer_type]
    if peer_set or peer_group:
        if not (peer_set and peer_group):
            raise Invalid(
                "peer_set と peer_group は組で指定してください",
                errors=[{"loc": ["query", "peer_group"], "msg": "組で指定してください"}],
            )
        members = await _group_members(session, peer_set, peer_group, codes)
        codes = [c for c in codes if c in members]
    cols = (
        PdcaSheet.id,
        PdcaSheet.entity_code,
        PdcaSheet.title,
        PdcaSheet.start_fy,
        PdcaSheet.end_fy,
        PdcaSheet.published,
        PdcaSheet.published_at,
        PdcaSheet.updated_at,
        PdcaSheet.version,
        PdcaSheet.digest,
    )
    rows = (
        await (await session.connection()).execute(
            sa_select(*cols).where(
                col(PdcaSheet.entity_code).in_(codes),
                col(PdcaSheet.start_fy) <= fiscal_year,
                col(PdcaSheet.end_fy) >= fiscal_year,
            )
        )
    ).all()
    chosen: dict[str, Any] = {}
    for r in rows:
        if not can_read(actor, r.entity_code, r.published):
            continue
        cur = chosen.get(r.entity_code)
        if cur is None or r.start_fy > cur.start_fy:
            chosen[r.entity_code] = r
    sheet_ids = [r.id for r in chosen.values()]
    marks: dict[tuple[int, str], int] = {}
    if sheet_ids:
        gps = await session.exec(
            select(
                PdcaGoodPractice.id, PdcaGoodPractice.sheet_id, PdcaGoodPractice.item_code
            ).where(col(PdcaGoodPractice.sheet_id).in_(sheet_ids))
        )
        marks = {(sid, code): gid for gid, sid, code in gps.all()}
    names = theme_names()
    order = {code: n for n, code in enumerate(names)}
    out = []
    counts = {"municipalities": len(codes), "with_sheet": 0, "published": 0, "drafts": 0}
    for code in codes:
        m = reg.get(code)
        r = chosen.get(code)
        entry: dict[str, Any] = {
            "code": code,
            "name": m.name if m else code,
            "region_class": m.region_class if m else None,
            "peer_type": types.get(code),
            "status": "なし",
            "sheet": None,
        }
        if r is not None:
            counts["with_sheet"] += 1
            counts["published" if r.published else "drafts"] += 1
            d = r.digest
            if d is None:  # a sheet stored before digests existed
                full = await session.get(PdcaSheet, r.id)
                d = _digest(full)  # type: ignore[arg-type]
            groups: dict[str | None, list[dict[str, Any]]] = {}
            for it in d["items"]:
                groups.setdefault(it["theme"], []).append(
                    {
                        "code": it["code"],
                        "title": it["title"],
                        "target_text": it["target_text"],
                        "kind": it["kind"],
                        "actual": it["actual"],
                        "unit": it["unit"],
                        "progress": it["progress"],
                        "achieved": it["achieved"],
                        "self_evaluation": it["evaluations"].get(str(fiscal_year)),
                        "good_practice_id": marks.get((r.id, it["code"])),
                    }
                )
            entry["status"] = "公開" if r.published else "下書き"
            entry["sheet"] = {
                "id": r.id,
                "title": r.title,
                "start_fy": r.start_fy,
                "end_fy": r.end_fy,
                "published": r.published,
                "published_at": r.published_at,
                "updated_at": r.updated_at,
                "version": r.version,
                "self_evaluation": d["years"].get(
                    str(fiscal_year), dict.fromkeys(EVALUATION_KEYS, 0)
                ),
                "progress": d["progress"],
                "themes": [
                    {"code": t, "name": names.get(t) if t else "未分類", "items": items}
                    for t, items in sorted(
                        groups.items(), key=lambda kv: order.get(kv[0] or "", len(order))
                    )
                ],
            }
        out.append(entry)
    return {
        "fiscal_year": fiscal_year,
        "prefecture": pref,
        "filters": {
            "region_class": region_class,
            "peer_type": peer_type,
            "peer_set": peer_set,
            "peer_group": peer_group,
        },
        "progress_basis": "入力された実績値 (記録からの値はシートの progress で求めます)",
        "themes": [{"code": c, "name": n} for c, n in names.items()],
        "counts": counts,
        "municipalities": out,
    }


# --- good practice (好事例) ---------------------------------------------------------------------


def gp_reference(gp_id: int | None) -> str:
    """What a support-case report stores to cite a good practice."""
    return f"pdca-good-practice:{gp_id}"


def gp_href(gp_id: int | None) -> str:
    return f"/api/v1/pdca/good-practices/{gp_id}"


def good_practice_out(gp: PdcaGoodPractice, sheet: PdcaSheet) -> dict[str, Any]:
    d = sheet.digest or _digest(sheet)
    item = next((i for i in d["items"] if i["code"] == gp.item_code), None)
    names = theme_names()
    return {
        "id": gp.id,
        "reference": gp_reference(gp.id),
        "href": gp_href(gp.id),
        "sheet_id": gp.sheet_id,
        "sheet_title": sheet.title,
        "sheet_published": sheet.published,
        "start_fy": sheet.start_fy,
        "end_fy": sheet.end_fy,
        "entity_code": gp.entity_code,
        "entity_name": entity_name(gp.entity_code),
        "item_code": gp.item_code,
        "item_title": gp.item_title,
        "item_present": item is not None,
        "theme": gp.theme,
        "theme_name": names.get(gp.theme or "") if gp.theme else "未分類",
        "target_text": item["target_text"] if item else None,
        "progress": item["progress"] if item else None,
        "latest_self_evaluation": item["latest_self_evaluation"] if item else None,
        "note": gp.note,
        "version": gp.version,
        "created_at": gp.created_at,
        "created_by": gp.created_by,
        "updated_at": gp.updated_at,
        "updated_by": gp.updated_by,
    }


async def mark_good_practice(
    session: AsyncSession, *, sheet_id: int, item_code: str, note: str, actor: Actor
) -> tuple[PdcaGoodPractice, PdcaSheet]:
    sheet = await get_for_update(session, PdcaSheet, sheet_id)
    if sheet is None:
        raise Invalid(
            f"取組と目標のシート (id {sheet_id}) がありません",
            errors=[{"loc": ["body", "sheet_id"], "msg": "シートがありません"}],
        )
    if not sheet.published:
        raise Invalid(
            "公開されていないシートの事項は好事例にできません (横展開するにはシートの公開が必要です)",
            errors=[{"loc": ["body", "sheet_id"], "msg": "シートが公開されていません"}],
        )
    item = next((i for i in sheet.items if i.get("code") == item_code), None)
    if item is None:
        raise Invalid(
            f"事項 {item_code!r} はこのシートにありません",
            errors=[{"loc": ["body", "item_code"], "msg": "事項がありません"}],
        )
    dup = (
        await session.exec(
            select(PdcaGoodPractice).where(
                PdcaGoodPractice.sheet_id == sheet_id, PdcaGoodPractice.item_code == item_code
            )
        )
    ).first()
    if dup is not None:
        raise Conflict(
            f"この事項は既に好事例です (id {dup.id})。メモの変更は PATCH で行ってください",
            good_practice_id=dup.id,
        )
    gp = PdcaGoodPractice(
        sheet_id=sheet_id,
        entity_code=sheet.entity_code,
        item_code=item_code,
        item_title=str(item.get("title", ""))[:500],
        theme=item.get("theme") or None,
        note=note,
    )
    stamp_created(gp, actor)
    session.add(gp)
    await session.flush()
    return gp, sheet


async def list_good_practices(
    session: AsyncSession,
    actor: Actor,
    *,
    theme: str | None = None,
    entity_code: str | None = None,
    fiscal_year: int | None = None,
) -> list[tuple[PdcaGoodPractice, PdcaSheet]]:
    q = select(PdcaGoodPractice, PdcaSheet).join(
        PdcaSheet, col(PdcaSheet.id) == PdcaGoodPractice.sheet_id
    )
    if theme:
        q = q.where(PdcaGoodPractice.theme == theme)
    if entity_code:
        q = q.where(PdcaGoodPractice.entity_code == entity_code)
    if fiscal_year is not None:
        q = q.where(col(PdcaSheet.start_fy) <= fiscal_year, col(PdcaSheet.end_fy) >= fiscal_year)
    rows = (await session.exec(q.order_by(col(PdcaGoodPractice.id).desc()))).all()
    return [(g, s) for g, s in rows if can_read(actor, s.entity_code, s.published)]


async def get_good_practice(
    session: AsyncSession, actor: Actor, gp_id: int, *, for_update: bool = False
) -> tuple[PdcaGoodPractice, PdcaSheet]:
    gp = (
        await get_for_update(session, PdcaGoodPractice, gp_id)
        if for_update
        else await session.get(PdcaGoodPractice, gp_id)
    )
    sheet = await session.get(PdcaSheet, gp.sheet_id) if gp is not None else None
    if gp is None or sheet is None or not can_read(actor, sheet.entity_code, sheet.published):
        raise NotFound("好事例が見つかりません")
    return gp, sheet


async def update_good_practice(
    session: AsyncSession, gp_id: int, *, note: str, version: int, actor: Actor
) -> tuple[PdcaGoodPractice, PdcaSheet]:
    gp, sheet = await get_good_practice(session, actor, gp_id, for_update=True)
    check_version(gp, version, what="好事例")
    gp.note = note
    stamp_updated(gp, actor)
    session.add(gp)
    await session.flush()
    return gp, sheet


async def delete_good_practice(
    session: AsyncSession, gp_id: int, *, version: int, actor: Actor
) -> None:
    gp, _ = await get_good_practice(session, actor, gp_id, for_update=True)
    check_version(gp, version, what="好事例")
    await session.delete(gp)
    await session.flush()


def export_xlsx(sheet: PdcaSheet) -> bytes:
    """Seed 003's layout: 事項 | 目標 | 現状と課題 | ビジョン | per year (実施内容・実績 |
    自己評価と今後の課題・対応策) | 参考資料; one row per item, grouped by section."""
    items = [SheetItem.model_validate(i) for i in sheet.items]
    years = list(range(sheet.start_fy, sheet.end_fy + 1))
    wb = Workbook()
    ws = wb.active
    ws.title = "取組と目標"
    ws.append(export_row([f"{entity_name(sheet.entity_code)} {sheet.title}"]))
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
            ws.append(export_row([section]))
            ws.cell(ws.max_row, 1).font = Font(bold=True)
        by_year = {y.fiscal_year: y for y in it.years}
        row = [
            f"{it.code}\n{it.title}",
            target_text(it),
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
        ws.append(export_row(row))
        for c in ws[ws.max_row]:
            c.alignment = Alignment(wrap_text=True, vertical="top")
    widths = [28, 14, 30, 30] + [34, 34] * len(years) + [10]
    for i, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = w
    ws.freeze_panes = "E4"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
