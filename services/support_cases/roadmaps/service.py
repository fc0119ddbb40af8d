"""Initiatives on the tree and the roadmap items that carry the chosen ones."""

from __future__ import annotations

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.common.actor import Actor
from services.common.errors import Conflict, Invalid, NotFound
from services.common.models import (
    check_version,
    get_for_update,
    stamp_created,
    stamp_updated,
    utcnow,
)
from services.support_cases.access import Need, load_case
from services.support_cases.figures.service import keep
from services.support_cases.roadmaps.models import (
    Initiative,
    InitiativeCreate,
    InitiativePublic,
    InitiativeUpdate,
    RoadmapItem,
    RoadmapItemCreate,
    RoadmapItemPublic,
    RoadmapItemUpdate,
    fiscal_year_of_month,
)
from services.support_cases.trees.models import TreeNode


async def _node_statement(session: AsyncSession, case_id: int, node_id: int, loc: str) -> str:
    node = await session.get(TreeNode, node_id)
    if node is None or node.case_id != case_id:
        raise Invalid(
            "取組を結びつけるノードがこの支援事例のロジックツリーにありません",
            errors=[{"loc": ["body", loc], "msg": "存在しないノードです"}],
        )
    return node.statement


def initiative_public(i: Initiative, statement: str) -> InitiativePublic:
    return InitiativePublic.model_validate({**i.model_dump(), "node_statement": statement})


async def list_initiatives(
    session: AsyncSession, *, actor: Actor, case_id: int, chosen: bool | None = None
) -> list[InitiativePublic]:
    await load_case(session, actor, case_id)
    stmt = (
        select(Initiative, TreeNode.statement)
        .join(TreeNode, col(TreeNode.id) == Initiative.node_id)
        .where(Initiative.case_id == case_id)
        .order_by(Initiative.id)
    )
    if chosen is not None:
        stmt = stmt.where(Initiative.chosen == chosen)
    return [initiative_public(i, s) for i, s in (await session.exec(stmt)).all()]


async def create_initiative(
    session: AsyncSession, *, actor: Actor, case_id: int, body: InitiativeCreate
) -> InitiativePublic:
    """Attach a candidate initiative to a node of the tree."""
    await load_case(session, actor, case_id, need=Need.work)
    statement = await _node_statement(session, case_id, body.node_id, "node_id")
    if body.chosen and not body.reason.strip():
        raise Invalid(
            "選定した取組には選定理由を入力してください",
            errors=[{"loc": ["body", "reason"], "msg": "必須です"}],
        )
    ini = Initiative(case_id=case_id, **body.model_dump())
    stamp_created(ini, actor)
    session.add(ini)
    await session.flush()
    return initiative_public(ini, statement)


async def update_initiative(
    session: AsyncSession, *, actor: Actor, case_id: int, initiative_id: int, body: InitiativeUpdate
) -> InitiativePublic:
    await load_case(session, actor, case_id, need=Need.work)
    ini = await get_for_update(session, Initiative, initiative_id)
    if ini is None or ini.case_id != case_id:
        raise NotFound("取組が見つかりません")
    check_version(ini, body.version, what="取組")
    data = body.model_dump(exclude_unset=True, exclude={"version"})
    ini.sqlmodel_update(data)
    statement = await _node_statement(session, case_id, ini.node_id, "node_id")
    if ini.chosen and not ini.reason.strip():
        raise Invalid(
            "選定した取組には選定理由を入力してください",
            errors=[{"loc": ["body", "reason"], "msg": "必須です"}],
        )
    if not ini.chosen:
        used = (
            await session.exec(select(RoadmapItem.id).where(RoadmapItem.initiative_id == ini.id))
        ).first()
        if used is not None:
            raise Conflict(
                "この取組はロードマップに載っています。先にロードマップの項目を削除してください"
            )
    stamp_updated(ini, actor)
    await session.flush()
    return initiative_public(ini, statement)


def item_public(item: RoadmapItem, title: str) -> RoadmapItemPublic:
    fy = fiscal_year_of_month(item.start_month)
    return RoadmapItemPublic.model_validate(
        {
            **item.model_dump(warnings=False),
            "initiative_title": title,
            "action_fiscal_year": fy,
            "first_grant_year": fy + 1,
        }
    )


async def list_roadmap(
    session: AsyncSession, *, actor: Actor, case_id: int
) -> list[RoadmapItemPublic]:
    await load_case(session, actor, case_id)
    rows = await session.exec(
        select(RoadmapItem, Initiative.title)
        .join(Initiative, col(Initiative.id) == RoadmapItem.initiative_id)
        .where(RoadmapItem.case_id == case_id)
        .order_by(RoadmapItem.start_month, RoadmapItem.id)
    )
    return [item_public(i, t) for i, t in rows.all()]


async def _chosen_initiative(session: AsyncSession, case_id: int, initiative_id: int) -> Initiative:
    ini = await session.get(Initiative, initiative_id)
    if ini is None or ini.case_id != case_id:
        raise Invalid(
            "取組がこの支援事例にありません",
            errors=[{"loc": ["body", "initiative_id"], "msg": "存在しない取組です"}],
        )
    if not ini.chosen:
        raise Invalid(
            f"取組「{ini.title}」はまだ選定されていません。ロードマップには選定した取組だけを載せられます",
            errors=[{"loc": ["body", "initiative_id"], "msg": "未選定の取組です"}],
        )
    return ini


async def create_item(
    session: AsyncSession, *, actor: Actor, case_id: int, body: RoadmapItemCreate
) -> RoadmapItemPublic:
    """Put a chosen initiative on the roadmap with owner, months, KPI and verification."""
    await load_case(session, actor, case_id, need=Need.work)
    ini = await _chosen_initiative(session, case_id, body.initiative_id)
    item = RoadmapItem(
        case_id=case_id,
        **body.model_dump(exclude={"milestones"}),
        milestones=[m.model_dump() for m in body.milestones],
    )
    stamp_created(item, actor)
    session.add(item)
    await session.flush()
    await keep(session, cases=[case_id])
    return item_public(item, ini.title)


async def update_item(
    session: AsyncSession, *, actor: Actor, case_id: int, item_id: int, body: RoadmapItemUpdate
) -> RoadmapItemPublic:
    """Edit a roadmap row, change its status, add a progress note (409 when stale)."""
    await load_case(session, actor, case_id, need=Need.work)
    item = await get_for_update(session, RoadmapItem, item_id)
    if item is None or item.case_id != case_id:
        raise NotFound("ロードマップの項目が見つかりません")
    check_version(item, body.version, what="ロードマップの項目")
    data = body.model_dump(exclude_unset=True, exclude={"version", "progress_note", "milestones"})
    item.sqlmodel_update(data)
    if body.milestones is not None:
        item.milestones = [m.model_dump() for m in body.milestones]
    if item.end_month < item.start_month:
        raise Invalid(
            "終了月は開始月以降にしてください",
            errors=[{"loc": ["body", "end_month"], "msg": "開始月より前です"}],
        )
    if not item.kpi_item_code and not item.kpi_custom:
        raise Invalid(
            "KPI は評価指標の項目コードか独自の指標のどちらかを指定してください",
            errors=[{"loc": ["body", "kpi_custom"], "msg": "KPI がありません"}],
        )
    if body.progress_note and body.progress_note.strip():
        item.progress_notes = [
            *item.progress_notes,
            {"at": utcnow().isoformat(), "by": actor.label, "text": body.progress_note.strip()},
        ]
    stamp_updated(item, actor)
    await session.flush()
    await keep(session, cases=[case_id])
    ini = await session.get(Initiative, item.initiative_id)
    return item_public(item, ini.title if ini else "")


async def delete_item(
    session: AsyncSession, *, actor: Actor, case_id: int, item_id: int, version: int
) -> None:
    await load_case(session, actor, case_id, need=Need.work)
    item = await get_for_update(session, RoadmapItem, item_id)
    if item is None or item.case_id != case_id:
        raise NotFound("ロードマップの項目が見つかりません")
    check_version(item, version, what="ロードマップの項目")
    await session.delete(item)
    await session.flush()
    await keep(session, cases=[case_id])


async def delete_initiative(
    session: AsyncSession, *, actor: Actor, case_id: int, initiative_id: int, version: int
) -> None:
    """Delete a candidate initiative (409 while it is on the roadmap)."""
    await load_case(session, actor, case_id, need=Need.work)
    ini = await get_for_update(session, Initiative, initiative_id)
    if ini is None or ini.case_id != case_id:
        raise NotFound("取組が見つかりません")
    check_version(ini, version, what="取組")
    used = (
        await session.exec(select(RoadmapItem.id).where(RoadmapItem.initiative_id == ini.id))
    ).first()
    if used is not None:
        raise Conflict(
            "この取組はロードマップに載っています。先にロードマップの項目を削除してください"
        )
    await session.delete(ini)
    await session.flush()
