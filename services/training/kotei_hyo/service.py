"""工程表: create, edit (version + 409), check-ins, overdue steps, status per municipality."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.common.access import ensure_municipality_write, ensure_visible, municipality_filter
from services.common.actor import Actor
from services.common.errors import Conflict, Invalid, NotFound
from services.common.models import check_version, get_for_update, stamp_created, stamp_updated
from services.training.kotei_hyo.models import (
    CheckIn,
    CheckInCreate,
    CheckInPublic,
    CheckStatus,
    KoteiHyo,
    KoteiHyoCreate,
    KoteiHyoPublic,
    KoteiHyoUpdate,
    KoteiStatus,
    KoteiStep,
    OverdueStep,
    StepIn,
    StepPublic,
)
from services.training.programs.models import Kind, Program
from services.training.programs.service import get_program
from services.training.timeutil import today


async def create(session: AsyncSession, *, data: KoteiHyoCreate, actor: Actor) -> KoteiHyo:
    """A municipality's 工程表 for a パワーアップセミナー program (one per program)."""
    ensure_municipality_write(actor, data.municipality_code)
    program = await get_program(session, data.program_id)
    if program.kind != Kind.power_up:
        msg = "工程表はパワーアップセミナーの研修にだけ作成できます"
        raise Invalid(msg, errors=[{"loc": ["body", "program_id"], "msg": msg}])
    exists = (
        await session.exec(
            select(KoteiHyo.id).where(
                KoteiHyo.program_id == data.program_id,
                KoteiHyo.municipality_code == data.municipality_code,
            )
        )
    ).first()
    if exists is not None:
        raise Conflict(
            f"この区市町村の工程表は既にあります (id={exists})。変更は PUT で行ってください",
            kotei_hyo_id=exists,
        )
    kh = KoteiHyo(
        program_id=data.program_id, municipality_code=data.municipality_code, title=data.title
    )
    stamp_created(kh, actor)
    session.add(kh)
    await session.flush()
    await _set_steps(session, kh, data.steps, actor)
    return kh


async def _set_steps(
    session: AsyncSession, kh: KoteiHyo, steps: Sequence[StepIn], actor: Actor
) -> None:
    old = {
        s.id: s
        for s in (
            await session.exec(select(KoteiStep).where(KoteiStep.kotei_hyo_id == kh.id))
        ).all()
    }
    unknown = [
        {"loc": ["body", "steps", i, "id"], "msg": f"手順 id={s.id} はこの工程表にありません"}
        for i, s in enumerate(steps)
        if s.id is not None and s.id not in old
    ]
    if unknown:
        raise Invalid("工程表にない手順が指定されています", errors=unknown)
    kept = {s.id for s in steps if s.id is not None}
    for sid, row in old.items():
        if sid not in kept:
            for ci in (await session.exec(select(CheckIn).where(CheckIn.step_id == sid))).all():
                ci.step_id = None  # the follow-up notes stay with the 工程表
                session.add(ci)
            await session.flush()
            await session.delete(row)
    for no, s in enumerate(steps, start=1):
        row = old.get(s.id) if s.id is not None else None  # type: ignore[arg-type]
        if row is None:
            row = KoteiStep(
                kotei_hyo_id=kh.id,
                step_no=no,
                title=s.title,
                due_date=s.due_date,
                owner=s.owner,  # type: ignore[arg-type]
            )
            stamp_created(row, actor)
        else:
            row.step_no, row.title, row.due_date, row.owner = no, s.title, s.due_date, s.owner
            stamp_updated(row, actor)
        session.add(row)
    await session.flush()


async def _get_visible(session: AsyncSession, kotei_hyo_id: int, actor: Actor) -> KoteiHyo:
    kh = await session.get(KoteiHyo, kotei_hyo_id)
    if kh is None:
        raise NotFound(f"工程表 (id={kotei_hyo_id}) が見つかりません")
    ensure_visible(actor, kh.municipality_code, what="工程表")
    return kh


async def update(
    session: AsyncSession, *, kotei_hyo_id: int, data: KoteiHyoUpdate, actor: Actor
) -> KoteiHyo:
    """Change the title and steps; a stale version is refused (409)."""
    await _get_visible(session, kotei_hyo_id, actor)
    kh = await get_for_update(session, KoteiHyo, kotei_hyo_id)
    ensure_municipality_write(actor, kh.municipality_code)
    check_version(kh, data.version, what="この工程表")
    if data.title is not None:
        kh.title = data.title
    if data.steps is not None:
        await _set_steps(session, kh, data.steps, actor)
    stamp_updated(kh, actor)
    await session.flush()
    return kh


async def add_check_in(
    session: AsyncSession, *, kotei_hyo_id: int, data: CheckInCreate, actor: Actor
) -> CheckIn:
    """A follow-up note (予定通り / 遅れ / 完了), for a step or for the whole 工程表."""
    kh = await _get_visible(session, kotei_hyo_id, actor)
    ensure_municipality_write(actor, kh.municipality_code)
    if data.step_id is not None:
        step = await session.get(KoteiStep, data.step_id)
        if step is None or step.kotei_hyo_id != kh.id:
            msg = f"手順 id={data.step_id} はこの工程表にありません"
            raise Invalid(msg, errors=[{"loc": ["body", "step_id"], "msg": msg}])
    ci = CheckIn(kotei_hyo_id=kh.id, **data.model_dump())  # type: ignore[arg-type]
    stamp_created(ci, actor)
    session.add(ci)
    await session.flush()
    return ci


async def _load(
    session: AsyncSession, rows: Sequence[KoteiHyo]
) -> tuple[dict[int, list[KoteiStep]], dict[int, list[CheckIn]], dict[int, int]]:
    ids = [k.id for k in rows]
    steps: dict[int, list[KoteiStep]] = defaultdict(list)
    checks: dict[int, list[CheckIn]] = defaultdict(list)
    if ids:
        for s in (
            await session.exec(
                select(KoteiStep)
                .where(col(KoteiStep.kotei_hyo_id).in_(ids))
                .order_by(KoteiStep.step_no)
            )
        ).all():
            steps[s.kotei_hyo_id].append(s)
        for c in (
            await session.exec(
                select(CheckIn)
                .where(col(CheckIn.kotei_hyo_id).in_(ids))
                .order_by(CheckIn.checked_on, CheckIn.id)
            )
        ).all():
            checks[c.kotei_hyo_id].append(c)
    pids = list({k.program_id for k in rows})
    fys = {
        p.id: p.fiscal_year
        for p in (await session.exec(select(Program).where(col(Program.id).in_(pids)))).all()
    }
    return steps, checks, fys  # type: ignore[return-value]


def _step_views(steps: Sequence[KoteiStep], checks: Sequence[CheckIn]) -> list[StepPublic]:
    latest: dict[int, str] = {}
    for c in checks:  # in date order: the last one wins
        if c.step_id is not None:
            latest[c.step_id] = c.status
    t = today()
    return [
        StepPublic(
            id=s.id,  # type: ignore[arg-type]
            step_no=s.step_no,
            title=s.title,
            due_date=s.due_date,
            owner=s.owner,
            status=latest.get(s.id),  # type: ignore[arg-type]
            overdue=s.due_date < t and latest.get(s.id) != CheckStatus.done,  # type: ignore[arg-type]
        )
        for s in steps
    ]


async def to_public(session: AsyncSession, rows: Sequence[KoteiHyo]) -> list[KoteiHyoPublic]:
    steps, checks, fys = await _load(session, rows)
    return [
        KoteiHyoPublic(
            id=k.id,  # type: ignore[arg-type]
            program_id=k.program_id,
            fiscal_year=fys[k.program_id],
            municipality_code=k.municipality_code,
            title=k.title,
            version=k.version,
            steps=_step_views(steps[k.id], checks[k.id]),  # type: ignore[index]
            check_ins=[
                CheckInPublic(
                    id=c.id,  # type: ignore[arg-type]
                    step_id=c.step_id,
                    checked_on=c.checked_on,
                    status=c.status,  # type: ignore[arg-type]
                    note=c.note,
                    created_by=c.created_by,
                )
                for c in checks[k.id]  # type: ignore[index]
            ],
            updated_by=k.updated_by,
        )
        for k in rows
    ]


async def list_kotei_hyo(
    session: AsyncSession,
    *,
    actor: Actor,
    program_id: int | None = None,
    fiscal_year: int | None = None,
    municipality_code: str | None = None,
) -> list[KoteiHyo]:
    code = municipality_filter(actor, municipality_code)
    query = select(KoteiHyo).join(Program, Program.id == KoteiHyo.program_id)
    if program_id is not None:
        query = query.where(KoteiHyo.program_id == program_id)
    if fiscal_year is not None:
        query = query.where(Program.fiscal_year == fiscal_year)
    if code is not None:
        query = query.where(KoteiHyo.municipality_code == code)
    return list((await session.exec(query.order_by(KoteiHyo.municipality_code))).all())


async def overdue(
    session: AsyncSession, *, actor: Actor, fiscal_year: int | None, municipality_code: str | None
) -> list[OverdueStep]:
    rows = await list_kotei_hyo(
        session, actor=actor, fiscal_year=fiscal_year, municipality_code=municipality_code
    )
    t = today()
    out: list[OverdueStep] = []
    for k in await to_public(session, rows):
        for s in k.steps:
            if s.overdue:
                out.append(
                    OverdueStep(
                        kotei_hyo_id=k.id,
                        municipality_code=k.municipality_code,
                        step_id=s.id,
                        title=s.title,
                        due_date=s.due_date,
                        owner=s.owner,
                        status=s.status,
                        days_overdue=(t - s.due_date).days,
                    )
                )
    return sorted(out, key=lambda o: (o.due_date, o.municipality_code))


async def status(
    session: AsyncSession, *, actor: Actor, fiscal_year: int | None, municipality_code: str | None
) -> list[KoteiStatus]:
    """Each municipality's 工程表 summarised in one call (for the gateway)."""
    rows = await list_kotei_hyo(
        session, actor=actor, fiscal_year=fiscal_year, municipality_code=municipality_code
    )
    out = []
    for k in await to_public(session, rows):
        done = sum(1 for s in k.steps if s.status == CheckStatus.done)
        delayed = sum(1 for s in k.steps if s.status == CheckStatus.delayed)
        late = sum(1 for s in k.steps if s.overdue)
        if k.steps and done == len(k.steps):
            overall = "完了"
        elif delayed or late:
            overall = "遅れ"
        elif any(s.status for s in k.steps):
            overall = "予定通り"
        else:
            overall = "未確認"
        out.append(
            KoteiStatus(
                municipality_code=k.municipality_code,
                kotei_hyo_id=k.id,
                program_id=k.program_id,
                steps=len(k.steps),
                done=done,
                delayed=delayed,
                overdue=late,
                last_check_in=k.check_ins[-1].checked_on if k.check_ins else None,
                status=overall,
            )
        )
    return out


async def get_one(session: AsyncSession, *, kotei_hyo_id: int, actor: Actor) -> KoteiHyo:
    return await _get_visible(session, kotei_hyo_id, actor)
