"""Cases: creation from a selected application, edits, the status machine, list read models."""

from __future__ import annotations

from typing import Any

from pydantic import TypeAdapter
from pydantic_core import from_json, to_json
from sqlalchemy import Text, cast, func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.common.actor import Actor
from services.common.errors import Conflict, Invalid
from services.common.models import check_version, stamp_created, stamp_updated, utcnow
from services.common.registry import CodeError, get_registry
from services.support_cases.access import Need, load_case, visible_case_ids
from services.support_cases.advisors.models import Advisor
from services.support_cases.cases.models import (
    STATUS_ORDER,
    CaseAdvisor,
    CaseCreate,
    CaseListItem,
    CaseObserver,
    CasePublic,
    CaseStatus,
    CaseTransition,
    CaseUpdate,
    SupportCase,
    TransitionPublic,
    TransitionRequest,
)
from services.support_cases.deps import today_jst
from services.support_cases.figures.items import case_json, list_item
from services.support_cases.figures.models import CaseItem, CaseSummary
from services.support_cases.figures.service import keep
from services.support_cases.reports.models import ReportLessons
from services.support_cases.roadmaps.models import Initiative, ItemStatus, RoadmapItem
from services.support_cases.rounds.models import (
    Application,
    ApplicationStatus,
    SupportRound,
    ThemePolicy,
)
from services.support_cases.rounds.service import get_round
from services.support_cases.trees.models import TreeNode
from services.support_cases.visits.models import Visit


def _check_codes(codes: list[str], *, field: str, own: str | None = None) -> list[str]:
    reg = get_registry()
    out: list[str] = []
    for i, code in enumerate(codes):
        try:
            reg.require(code)
        except CodeError as exc:
            raise Invalid(str(exc), errors=[{"loc": ["body", field, i], "msg": str(exc)}]) from exc
        if code == own:
            raise Invalid(
                "支援先の区市町村自身は同席者 (observers) に入れられません",
                errors=[{"loc": ["body", field, i], "msg": "支援先と同じです"}],
            )
        if code not in out:
            out.append(code)
    return out


async def _check_advisors(session: AsyncSession, ids: list[int]) -> list[int]:
    unique = list(dict.fromkeys(ids))
    rows = (await session.exec(select(Advisor).where(col(Advisor.id).in_(unique)))).all()
    found = {a.id: a for a in rows}
    missing = [i for i in unique if i not in found]
    if missing:
        raise Invalid(
            f"専門家が登録されていません: {missing}",
            errors=[{"loc": ["body", "advisor_ids"], "msg": f"未登録の専門家 {missing}"}],
        )
    inactive = [found[i].name for i in unique if not found[i].active]
    if inactive:
        raise Invalid(
            f"活動を休止している専門家は割り当てられません: {'、'.join(inactive)}",
            errors=[{"loc": ["body", "advisor_ids"], "msg": "休止中の専門家です"}],
        )
    return unique


def _check_theme(rnd: SupportRound, theme: str) -> None:
    if rnd.theme_policy == ThemePolicy.fixed and theme not in rnd.themes:
        raise Invalid(
            f"{rnd.fiscal_year}年度のテーマは {'・'.join(rnd.themes)} のいずれかです",
            errors=[{"loc": ["body", "theme"], "msg": "この年度のテーマではありません"}],
        )


async def create_case(session: AsyncSession, *, actor: Actor, body: CaseCreate) -> CasePublic:
    """Start a case for a municipality whose application was selected (提出 → 選定 on the way)."""
    rnd = await get_round(session, body.fiscal_year)
    reg = get_registry()
    try:
        reg.require(body.municipality_code)
    except CodeError as exc:
        raise Invalid(
            str(exc), errors=[{"loc": ["body", "municipality_code"], "msg": str(exc)}]
        ) from exc
    app = (
        await session.exec(
            select(Application)
            .where(
                Application.round_id == rnd.id,
                Application.municipality_code == body.municipality_code,
            )
            .with_for_update()
        )
    ).first()
    if app is None:
        raise Invalid(
            f"{body.fiscal_year}年度に {body.municipality_code} の希望がありません。"
            "先に希望を登録してください",
            errors=[{"loc": ["body", "municipality_code"], "msg": "希望がありません"}],
        )
    if app.status == ApplicationStatus.declined:
        raise Conflict("この希望は見送りと判断されています。先に選定に変更してください")
    dup = await session.exec(
        select(SupportCase.id).where(
            SupportCase.round_id == rnd.id,
            SupportCase.municipality_code == body.municipality_code,
        )
    )
    if dup.first() is not None:
        raise Conflict(
            f"{body.fiscal_year}年度の {body.municipality_code} の支援事例は既にあります"
        )
    _check_theme(rnd, body.theme)
    observers = _check_codes(body.observers, field="observers", own=body.municipality_code)
    advisor_ids = await _check_advisors(session, body.advisor_ids)
    if app.status == ApplicationStatus.submitted:
        app.status = ApplicationStatus.selected
        app.decided_at = utcnow()
        app.decided_by = actor.label
        stamp_updated(app, actor)
    case = SupportCase(
        round_id=rnd.id,  # type: ignore[arg-type]
        fiscal_year=rnd.fiscal_year,
        municipality_code=body.municipality_code,
        application_id=app.id,
        theme=body.theme,
        indicator_item_codes=body.indicator_item_codes,
        coordinator=body.coordinator or actor.name,
        background=body.background,
    )
    stamp_created(case, actor)
    session.add(case)
    await session.flush()
    for a in advisor_ids:
        session.add(CaseAdvisor(case_id=case.id, advisor_id=a))  # type: ignore[arg-type]
    for code in observers:
        session.add(CaseObserver(case_id=case.id, municipality_code=code))  # type: ignore[arg-type]
    session.add(
        CaseTransition(
            case_id=case.id,  # type: ignore[arg-type]
            from_status=None,
            to_status=CaseStatus.selected.value,
            reason="事例を作成",
            at=utcnow(),
            by=actor.label,
        )
    )
    await session.flush()
    await keep(session, cases=[case.id], applications=[app.id])  # type: ignore[list-item]
    return await case_public(session, case)


async def update_case(
    session: AsyncSession, *, actor: Actor, case_id: int, body: CaseUpdate
) -> CasePublic:
    """Edit a case's theme, indicators, observers, advisors, coordinator, background, results."""
    case = await load_case(session, actor, case_id, need=Need.manage, lock=True)
    check_version(case, body.version, what="支援事例")
    data = body.model_dump(exclude_unset=True, exclude={"version", "observers", "advisor_ids"})
    if "theme" in data:
        rnd = await session.get(SupportRound, case.round_id)
        assert rnd is not None
        _check_theme(rnd, data["theme"])
    case.sqlmodel_update(data)
    if body.observers is not None:
        observers = _check_codes(body.observers, field="observers", own=case.municipality_code)
        for row in (
            await session.exec(select(CaseObserver).where(CaseObserver.case_id == case.id))
        ).all():
            await session.delete(row)
        await session.flush()
        for code in observers:
            session.add(CaseObserver(case_id=case.id, municipality_code=code))  # type: ignore[arg-type]
    if body.advisor_ids is not None:
        ids = await _check_advisors(session, body.advisor_ids)
        for row in (
            await session.exec(select(CaseAdvisor).where(CaseAdvisor.case_id == case.id))
        ).all():
            await session.delete(row)
        await session.flush()
        for a in ids:
            session.add(CaseAdvisor(case_id=case.id, advisor_id=a))  # type: ignore[arg-type]
    stamp_updated(case, actor)
    await session.flush()
    await keep(session, cases=[case.id])  # type: ignore[list-item]
    return await case_public(session, case)


def next_status(status: CaseStatus) -> CaseStatus | None:
    if status in (CaseStatus.completed, CaseStatus.cancelled):
        return None
    return STATUS_ORDER[STATUS_ORDER.index(status) + 1]


async def _prerequisite_failure(
    session: AsyncSession, case: SupportCase, to: CaseStatus
) -> str | None:
    """Why the case cannot enter ``to`` yet (None when it can)."""

    async def count(stmt) -> int:  # type: ignore[no-untyped-def]
        return int((await session.exec(stmt)).one())

    if to == CaseStatus.hearing:
        n = await count(
            select(func.count()).select_from(CaseAdvisor).where(CaseAdvisor.case_id == case.id)
        )
        return None if n else "ヒアリングに進むには担当専門家を1人以上割り当ててください"
    if to == CaseStatus.analysis:
        n = await count(select(func.count()).select_from(Visit).where(Visit.case_id == case.id))
        return None if n else "課題分析に進むにはヒアリング・訪問を1回以上記録してください"
    if to == CaseStatus.initiative_selection:
        nodes = (
            await session.exec(select(TreeNode.parent_id).where(TreeNode.case_id == case.id))
        ).all()
        if not any(p is None for p in nodes):
            return "取組選定に進むにはロジックツリーの根 (問題) を作成してください"
        if not any(p is not None for p in nodes):
            return "取組選定に進むにはロジックツリーに原因を1つ以上追加してください"
        return None
    if to == CaseStatus.roadmap:
        n = await count(
            select(func.count())
            .select_from(Initiative)
            .where(Initiative.case_id == case.id, Initiative.chosen == True)  # noqa: E712
        )
        return None if n else "ロードマップ作成に進むには取組を1つ以上選定してください"
    if to == CaseStatus.implementation:
        items = (
            await session.exec(select(RoadmapItem).where(RoadmapItem.case_id == case.id))
        ).all()
        if not items:
            return "実施・検証に進むにはロードマップの項目を1つ以上作成してください"
        missing = [i.id for i in items if not i.verification_method.strip()]
        if missing:
            return f"実施・検証に進むには全項目に検証方法を記入してください (項目 {missing})"
        return None
    if to == CaseStatus.reporting:
        items = (
            await session.exec(select(RoadmapItem.status).where(RoadmapItem.case_id == case.id))
        ).all()
        started = [s for s in items if s in (ItemStatus.in_progress, ItemStatus.done)]
        return (
            None
            if started
            else "報告に進むにはロードマップの項目が1つ以上「実施中」か「完了」である必要があります"
        )
    if to == CaseStatus.completed:
        lessons = (
            await session.exec(
                select(ReportLessons.lessons).where(ReportLessons.case_id == case.id)
            )
        ).first()
        return (
            None
            if lessons and lessons.strip()
            else "完了にするには報告書の「他の区市町村への示唆」を記入してください"
        )
    return None


async def transition(
    session: AsyncSession, *, actor: Actor, case_id: int, body: TransitionRequest
) -> CasePublic:
    """Move a case one step forward, or to 中止 with a reason (409 saying why not)."""
    case = await load_case(session, actor, case_id, need=Need.manage, lock=True)
    check_version(case, body.version, what="支援事例")
    to = body.to_status
    current = CaseStatus(case.status)
    if current in (CaseStatus.completed, CaseStatus.cancelled):
        raise Conflict(f"この支援事例は「{current}」のため状態を変更できません")
    if to == CaseStatus.cancelled:
        if not body.reason.strip():
            raise Invalid(
                "中止の理由を入力してください",
                errors=[{"loc": ["body", "reason"], "msg": "必須です"}],
            )
    else:
        expected = next_status(current)
        if to != expected:
            raise Conflict(
                f"「{current}」から「{to}」には進めません。次の段階は「{expected}」です",
                current_status=str(current),
                next_status=str(expected) if expected else None,
            )
        why = await _prerequisite_failure(session, case, to)
        if why:
            raise Conflict(why, current_status=str(current), next_status=str(to))
    session.add(
        CaseTransition(
            case_id=case.id,  # type: ignore[arg-type]
            from_status=str(current),
            to_status=str(to),
            reason=body.reason.strip(),
            at=utcnow(),
            by=actor.label,
        )
    )
    case.status = to
    if to == CaseStatus.cancelled:
        case.cancel_reason = body.reason.strip()
    stamp_updated(case, actor)
    await session.flush()
    await keep(session, cases=[case.id])  # type: ignore[list-item]
    return await case_public(session, case)


# The columns a list item reads: the case's own and its stored summary (one row each), as
# table columns: a statement of plain columns runs as Core, without the ORM's result layer.
_SC = SupportCase.__table__  # type: ignore[attr-defined]
_CSUM = CaseSummary.__table__  # type: ignore[attr-defined]
_CASE_COLUMNS = (
    _SC.c.id,
    _SC.c.municipality_code,
    _SC.c.theme,
    _SC.c.status,
    _SC.c.version,
    _SC.c.fiscal_year,
    _SC.c.round_id,
    _SC.c.coordinator,
    _SC.c.indicator_item_codes,
)
_SUMMARY_COLUMNS = (
    _CSUM.c.advisors,
    _CSUM.c.observers,
    _CSUM.c.visit_dates,
    _CSUM.c.advisor_hours,
    _CSUM.c.roadmap_items,
    _CSUM.c.roadmap_items_done,
    _CSUM.c.status_changed_at,
)


_ITEMS: TypeAdapter[list[CaseListItem]] = TypeAdapter(list[CaseListItem])


def _items_query(*where: Any) -> Any:
    """Cases with their stored summaries, columns only (no ORM objects: a list of 200 cases
    read as entities cost more than everything else of the request)."""
    return (
        select(*_CASE_COLUMNS, *_SUMMARY_COLUMNS)
        .select_from(_SC.outerjoin(_CSUM, _CSUM.c.case_id == _SC.c.id))
        .where(*where)
        .order_by(_SC.c.fiscal_year, _SC.c.municipality_code)
    )


async def _rows(session: AsyncSession, stmt: Any) -> list[Any]:
    """The rows of a Core statement, on the session's connection (and transaction)."""
    conn = await session.connection()
    return list((await conn.execute(stmt)).all())


async def _list_items(session: AsyncSession, cases: list[SupportCase]) -> list[CaseListItem]:
    """List read models for cases already loaded (the case's summary stored by
    services/support_cases/figures on every write)."""
    ids = [c.id for c in cases]
    if not ids:
        return []
    rows = await _rows(session, _items_query(_SC.c.id.in_(ids)))
    by_id = {row[0]: row for row in rows}
    today, reg = today_jst().isoformat(), get_registry()
    return _ITEMS.validate_python(
        [list_item(by_id[c.id], today, reg) for c in cases if c.id in by_id]
    )


_CI = CaseItem.__table__  # type: ignore[attr-defined]
# A case's stored item: id, the JSON before and after its day fields, its visit dates (as
# JSON text, so that the columns can join other text in a UNION).
CASE_ITEM_COLUMNS = (_SC.c.id, _CI.c.head, _CI.c.tail, cast(_CI.c.visit_dates, Text))
CASES_WITH_ITEMS = _SC.outerjoin(_CI, _CI.c.case_id == _SC.c.id)


async def case_filter(
    session: AsyncSession,
    *,
    actor: Actor,
    fiscal_year: int | None = None,
    municipality_code: str | None = None,
    status: CaseStatus | None = None,
    advisor: int | None = None,
) -> list[Any] | None:
    """The conditions on support_case of the cases the actor may see, filtered by year,
    municipality, status and advisor (None: the actor may see none)."""
    where: list[Any] = []
    visible = await visible_case_ids(session, actor)
    if visible is not None:
        if not visible:
            return None
        where.append(_SC.c.id.in_(sorted(visible)))
    if fiscal_year is not None:
        where.append(_SC.c.fiscal_year == fiscal_year)
    if municipality_code is not None:
        where.append(_SC.c.municipality_code == municipality_code)
    if status is not None:
        where.append(_SC.c.status == status.value)
    if advisor is not None:
        ca = CaseAdvisor.__table__  # type: ignore[attr-defined]
        where.append(_SC.c.id.in_(select(ca.c.case_id).where(ca.c.advisor_id == advisor)))
    return where


async def cases_json(session: AsyncSession, rows: list[Any]) -> str:
    """The JSON array of the list items of ``rows`` of ``CASE_ITEM_COLUMNS``: the stored
    items joined as they are, with their day-dependent fields put in; a case without a stored
    item is built from its columns and summary."""
    today = today_jst().isoformat()
    missing = [r[0] for r in rows if r[1] is None]
    built: dict[int, str] = {}
    if missing:
        reg = get_registry()
        for row in await _rows(session, _items_query(_SC.c.id.in_(missing))):
            built[row[0]] = to_json(list_item(row, today, reg)).decode()
    return (
        "["
        + ",".join(
            built[cid] if head is None else case_json(head, tail, from_json(dates), today)
            for cid, head, tail, dates in rows
        )
        + "]"
    )


async def list_cases(
    session: AsyncSession,
    *,
    actor: Actor,
    fiscal_year: int | None = None,
    municipality_code: str | None = None,
    status: CaseStatus | None = None,
    advisor: int | None = None,
) -> str:
    """Cases the actor may see, filtered by year, municipality, status and advisor, as the
    JSON array of their list items (CaseListItem): one query over the cases and their stored
    items (figures.items)."""
    where = await case_filter(
        session,
        actor=actor,
        fiscal_year=fiscal_year,
        municipality_code=municipality_code,
        status=status,
        advisor=advisor,
    )
    if where is None:
        return "[]"
    rows = await _rows(
        session,
        select(*CASE_ITEM_COLUMNS)
        .select_from(CASES_WITH_ITEMS)
        .where(*where)
        .order_by(_SC.c.fiscal_year, _SC.c.municipality_code),
    )
    return await cases_json(session, rows)


async def case_public(session: AsyncSession, case: SupportCase) -> CasePublic:
    [item] = await _list_items(session, [case])
    transitions = (
        await session.exec(
            select(CaseTransition)
            .where(CaseTransition.case_id == case.id)
            .order_by(CaseTransition.at, CaseTransition.id)
        )
    ).all()
    return CasePublic(
        **item.model_dump(),
        background=case.background,
        results=case.results,
        cancel_reason=case.cancel_reason,
        application_id=case.application_id,
        next_status=next_status(case.status),
        transitions=[TransitionPublic.model_validate(t, from_attributes=True) for t in transitions],
        created_at=case.created_at,
        created_by=case.created_by,
        updated_at=case.updated_at,
        updated_by=case.updated_by,
    )


async def get_case(session: AsyncSession, *, actor: Actor, case_id: int) -> CasePublic:
    case = await load_case(session, actor, case_id)
    return await case_public(session, case)
