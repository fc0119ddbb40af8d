"""Rounds, applications and the round summary."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic_core import to_json
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.common.access import is_staff, municipality_filter, sees_contact_details
from services.common.actor import Actor, Role
from services.common.errors import Conflict, Forbidden, Invalid, NotFound
from services.common.models import (
    check_version,
    get_for_update,
    stamp_created,
    stamp_updated,
    utcnow,
)
from services.common.registry import get_registry
from services.support_cases.cases.models import SupportCase
from services.support_cases.figures.items import PUBLIC_FIELDS, application_fields
from services.support_cases.figures.models import ApplicationItem, RoundFigures
from services.support_cases.figures.service import keep
from services.support_cases.rounds.models import (
    Application,
    ApplicationCreate,
    ApplicationDecision,
    ApplicationPublic,
    ApplicationStatus,
    ApplicationUpdate,
    RoundCreate,
    RoundSummary,
    RoundUpdate,
    SupportRound,
    ThemePolicy,
)


async def get_round(session: AsyncSession, fiscal_year: int, *, lock: bool = False) -> SupportRound:
    """The round of a fiscal year (404 when none)."""
    stmt = select(SupportRound).where(SupportRound.fiscal_year == fiscal_year)
    if lock:
        stmt = stmt.with_for_update()
    rnd = (await session.exec(stmt)).first()
    if rnd is None:
        raise NotFound(f"{fiscal_year}年度の支援年度は登録されていません")
    return rnd


async def create_round(session: AsyncSession, *, actor: Actor, body: RoundCreate) -> SupportRound:
    """Open a round for a fiscal year (one per year)."""
    exists = await session.exec(
        select(SupportRound.id).where(SupportRound.fiscal_year == body.fiscal_year)
    )
    if exists.first() is not None:
        raise Conflict(f"{body.fiscal_year}年度の支援年度は既に登録されています")
    rnd = SupportRound.model_validate(body)
    stamp_created(rnd, actor)
    session.add(rnd)
    await session.flush()
    await keep(session, rounds=[rnd.id])  # type: ignore[list-item]
    return rnd


async def update_round(
    session: AsyncSession, *, actor: Actor, fiscal_year: int, body: RoundUpdate
) -> SupportRound:
    """Change a round's policy, window, targets or budget."""
    rnd = await get_round(session, fiscal_year, lock=True)
    check_version(rnd, body.version, what="支援年度")
    data = body.model_dump(exclude_unset=True, exclude={"version"})
    rnd.sqlmodel_update(data)
    if rnd.application_closes < rnd.application_opens:
        raise Invalid("希望受付の締切日は開始日以降にしてください")
    if rnd.theme_policy == ThemePolicy.fixed and not rnd.themes:
        raise Invalid("テーマを都が定める場合 (fixed) は themes を1つ以上指定してください")
    stamp_updated(rnd, actor)
    await session.flush()
    await keep(session, rounds=[rnd.id])  # type: ignore[list-item]
    return rnd


def application_public(app: Application, fiscal_year: int, actor: Actor) -> ApplicationPublic:
    """The application as ``actor`` may read it: without the contact person's name, e-mail and
    phone unless ``sees_contact_details`` (advisors never read applications here)."""
    return _public(app.model_dump(warnings=False), fiscal_year, actor)


def _public(data: dict[str, Any], fiscal_year: int, actor: Actor) -> ApplicationPublic:
    """``application_public`` from the application's columns."""
    return ApplicationPublic.model_validate(public_fields(data, fiscal_year, actor))


def public_fields(data: dict[str, Any], fiscal_year: int, actor: Actor) -> dict[str, Any]:
    """ApplicationPublic's fields from the application's columns, as plain values."""
    contact = sees_contact_details(actor, data["municipality_code"])
    return application_fields(data, fiscal_year, contact=contact)


def _check_window(rnd: SupportRound, today: date) -> None:
    if not (rnd.application_opens <= today <= rnd.application_closes):
        raise Invalid(
            f"{rnd.fiscal_year}年度の希望受付期間 ({rnd.application_opens}〜"
            f"{rnd.application_closes}) の外です",
            errors=[{"loc": ["body"], "msg": "受付期間外です"}],
        )


def _check_themes(rnd: SupportRound, themes: list[str]) -> None:
    if rnd.theme_policy == ThemePolicy.fixed:
        bad = [t for t in themes if t not in rnd.themes]
        if bad:
            raise Invalid(
                f"この年度のテーマは {'・'.join(rnd.themes)} から選んでください: {'・'.join(bad)}",
                errors=[{"loc": ["body", "wished_themes"], "msg": "指定テーマ以外です"}],
            )


async def create_application(
    session: AsyncSession, *, actor: Actor, fiscal_year: int, body: ApplicationCreate, today: date
) -> ApplicationPublic:
    """A municipality applies for support in a round (once, within the window)."""
    if actor.role == Role.municipality:
        if actor.municipality_code != body.municipality_code:
            raise Forbidden("自分の区市町村の希望だけを提出できます")
    elif not is_staff(actor):
        raise Forbidden("希望を提出する権限がありません")
    rnd = await get_round(session, fiscal_year, lock=True)
    m = get_registry().require(body.municipality_code)
    if m.region_class is None:
        raise Invalid(
            f"{m.full_name} は支援の対象 (都内の区市町村) ではありません",
            errors=[{"loc": ["body", "municipality_code"], "msg": "都内の区市町村ではありません"}],
        )
    dup = await session.exec(
        select(Application.id).where(
            Application.round_id == rnd.id, Application.municipality_code == body.municipality_code
        )
    )
    if dup.first() is not None:  # a valid request that conflicts with what is stored: 409
        raise Conflict(
            f"{m.name} の{fiscal_year}年度の希望は既に提出されています。"
            "提出済みの希望を修正してください"
        )
    _check_window(rnd, today)
    _check_themes(rnd, body.wished_themes)
    app = Application.model_validate({**body.model_dump(), "round_id": rnd.id})
    stamp_created(app, actor)
    session.add(app)
    await session.flush()
    await keep(session, rounds=[rnd.id], applications=[app.id])  # type: ignore[list-item]
    return application_public(app, rnd.fiscal_year, actor)


async def _load_application(
    session: AsyncSession, actor: Actor, application_id: int, *, lock: bool = False
) -> tuple[Application, SupportRound]:
    if actor.role == Role.advisor:
        raise NotFound("希望が見つかりません")
    app = (
        await get_for_update(session, Application, application_id)
        if lock
        else await session.get(Application, application_id)
    )
    if app is None or (
        actor.role == Role.municipality and app.municipality_code != actor.municipality_code
    ):
        raise NotFound("希望が見つかりません")
    rnd = await session.get(SupportRound, app.round_id)
    assert rnd is not None
    return app, rnd


async def get_application(
    session: AsyncSession, *, actor: Actor, application_id: int
) -> ApplicationPublic:
    app, rnd = await _load_application(session, actor, application_id)
    return application_public(app, rnd.fiscal_year, actor)


async def update_application(
    session: AsyncSession,
    *,
    actor: Actor,
    application_id: int,
    body: ApplicationUpdate,
    today: date,
) -> ApplicationPublic:
    """Edit an application: its municipality while 提出 and the window is open; staff always."""
    app, rnd = await _load_application(session, actor, application_id, lock=True)
    if not is_staff(actor):
        if actor.role != Role.municipality:
            raise Forbidden("希望を変更する権限がありません")
        if app.status != ApplicationStatus.submitted:
            raise Conflict(f"この希望は既に「{app.status}」と判断されたため変更できません")
        _check_window(rnd, today)
    check_version(app, body.version, what="希望")
    data = body.model_dump(exclude_unset=True, exclude={"version"})
    if "wished_themes" in data:
        _check_themes(rnd, data["wished_themes"])
    app.sqlmodel_update(data)
    stamp_updated(app, actor)
    await session.flush()
    await keep(session, applications=[app.id])  # type: ignore[list-item]
    return application_public(app, rnd.fiscal_year, actor)


async def decide_application(
    session: AsyncSession, *, actor: Actor, application_id: int, body: ApplicationDecision
) -> ApplicationPublic:
    """The coordinator selects (選定) or declines (見送り) an application, with a reason."""
    app, rnd = await _load_application(session, actor, application_id, lock=True)
    check_version(app, body.version, what="希望")
    if body.status == ApplicationStatus.submitted:
        raise Invalid(
            "判断は「選定」か「見送り」のどちらかです",
            errors=[{"loc": ["body", "status"], "msg": "選定 または 見送り"}],
        )
    if body.status == ApplicationStatus.declined and not body.reason.strip():
        raise Invalid(
            "見送りの理由を入力してください",
            errors=[{"loc": ["body", "reason"], "msg": "必須です"}],
        )
    if app.status == ApplicationStatus.selected and body.status == ApplicationStatus.declined:
        has_case = await session.exec(
            select(SupportCase.id).where(SupportCase.application_id == app.id)
        )
        if has_case.first() is not None:
            raise Conflict(
                "この希望には既に支援事例があります。見送りにするには事例を中止してください"
            )
    app.status = body.status
    app.decision_reason = body.reason.strip()
    app.decided_at = utcnow()
    app.decided_by = actor.label
    stamp_updated(app, actor)
    await session.flush()
    await keep(session, rounds=[rnd.id], applications=[app.id])  # type: ignore[list-item]
    return application_public(app, rnd.fiscal_year, actor)


async def list_applications(
    session: AsyncSession,
    *,
    actor: Actor,
    fiscal_year: int | None = None,
    municipality_code: str | None = None,
    status: ApplicationStatus | None = None,
) -> list[ApplicationPublic]:
    """Applications, filtered; a municipality sees only its own, an advisor none."""
    if actor.role == Role.advisor:
        raise Forbidden("専門家は希望の一覧を閲覧できません")
    code = municipality_filter(actor, municipality_code)
    # The table's columns, not ORM entities (a round's list is a few hundred rows).
    table = Application.__table__  # type: ignore[attr-defined]
    stmt = select(table, col(SupportRound.fiscal_year).label("_fiscal_year")).join(
        SupportRound, col(SupportRound.id) == Application.round_id
    )
    if fiscal_year is not None:
        stmt = stmt.where(SupportRound.fiscal_year == fiscal_year)
    if code is not None:
        stmt = stmt.where(Application.municipality_code == code)
    if status is not None:
        stmt = stmt.where(Application.status == status)
    stmt = stmt.order_by(SupportRound.fiscal_year, Application.municipality_code)
    rows = (await session.exec(stmt)).mappings().all()
    return [_public(dict(r), r["_fiscal_year"], actor) for r in rows]


_APP = Application.__table__  # type: ignore[attr-defined]
_AI = ApplicationItem.__table__  # type: ignore[attr-defined]
_APP_COLUMNS = tuple(_APP.c[k] for k in PUBLIC_FIELDS if k in _APP.c)


# An application with its stored JSON: id, municipality, version, the version the JSON was
# made from, the JSON with and without the contact person's data.
APPLICATION_ITEM_COLUMNS = (
    _APP.c.id,
    _APP.c.municipality_code,
    _APP.c.version,
    _AI.c.version,
    _AI.c.full,
    _AI.c.redacted,
)
APPLICATIONS_WITH_ITEMS = _APP.outerjoin(_AI, _AI.c.application_id == _APP.c.id)


def application_filter(actor: Actor) -> list[Any]:
    """The conditions on application of those the actor may read (advisors: 403)."""
    if actor.role == Role.advisor:
        raise Forbidden("専門家は希望の一覧を閲覧できません")
    code = municipality_filter(actor, None)
    return [] if code is None else [_APP.c.municipality_code == code]


async def applications_json(
    session: AsyncSession, rows: list[Any], *, actor: Actor, fiscal_year: int
) -> str:
    """The JSON array of the applications of ``rows`` of ``APPLICATION_ITEM_COLUMNS``, as
    ``list_applications`` answers them: the stored JSON (figures.items; with or without the
    contact person's data, as the actor may see it) joined as it is. An application without
    its stored JSON, or with one of an older version, is built from its columns."""
    stale = [r[0] for r in rows if r[3] != r[2]]
    built: dict[int, str] = {}
    if stale:
        conn = await session.connection()
        for r in (await conn.execute(select(*_APP_COLUMNS).where(_APP.c.id.in_(stale)))).mappings():
            built[r["id"]] = to_json(public_fields(dict(r), fiscal_year, actor)).decode()
    parts = [
        built[aid] if aid in built else full if sees_contact_details(actor, mcode) else redacted
        for aid, mcode, _v, _iv, full, redacted in rows
    ]
    return "[" + ",".join(parts) + "]"


async def round_summary(session: AsyncSession, *, fiscal_year: int) -> RoundSummary:
    """Figures of a round (applications, selections by region class, cases, dispatches), from
    the stored round figures the writes keep."""
    rnd = await get_round(session, fiscal_year)
    return await summary_of(session, rnd)


async def summary_of(session: AsyncSession, rnd: SupportRound) -> RoundSummary:
    row = (
        await session.exec(
            select(
                RoundFigures.applications,
                RoundFigures.applications_by_status,
                RoundFigures.selected_by_region_class,
                RoundFigures.cases_by_status,
                RoundFigures.advisor_dispatches,
                RoundFigures.advisor_hours,
            ).where(RoundFigures.round_id == rnd.id)
        )
    ).first()
    apps, by_status, selected, cases, dispatches, hours = row or (0, {}, {}, {}, 0, 0.0)
    return RoundSummary(
        fiscal_year=rnd.fiscal_year,
        applications=apps,
        selected_by_region_class=selected,
        cases_by_status=cases,
        advisor_dispatches=dispatches,
        advisor_hours=round(float(hours), 2),
        applications_by_status=by_status,
        targets_by_region_class=rnd.targets_by_region_class,
        advisor_days_budget=rnd.advisor_days_budget,
        cases=sum(cases.values()),
    )
