"""Logic tree endpoints: the tree, its nodes, reordering and snapshots."""

from fastapi import APIRouter, Query, Response

from services.support_cases.deps import CurrentActor, Session
from services.support_cases.trees import service
from services.support_cases.trees.models import (
    NodeCreate,
    NodeMove,
    NodePublic,
    NodeUpdate,
    Reorder,
    SnapshotCreate,
    SnapshotInfo,
    SnapshotPublic,
    TreePublic,
)

router = APIRouter(tags=["ロジックツリー"])
STALE = {409: {"description": "他の人が先に更新した (version が古い)"}}


@router.get("/cases/{case_id}/tree", response_model=TreePublic, summary="ロジックツリー (入れ子)")
async def get_tree(session: Session, actor: CurrentActor, case_id: int) -> TreePublic:
    return await service.get_tree(session, actor=actor, case_id=case_id)


@router.post(
    "/cases/{case_id}/tree/nodes",
    response_model=NodePublic,
    status_code=201,
    summary="ノードを追加 (parent_id なしで根、深さは6段まで)",
)
async def add_node(
    session: Session, actor: CurrentActor, case_id: int, body: NodeCreate
) -> NodePublic:
    return await service.add_node(session, actor=actor, case_id=case_id, body=body)


@router.patch(
    "/cases/{case_id}/tree/nodes/{node_id}",
    response_model=NodePublic,
    summary="ノードを編集",
    responses=STALE,
)
async def update_node(
    session: Session, actor: CurrentActor, case_id: int, node_id: int, body: NodeUpdate
) -> NodePublic:
    return await service.update_node(
        session, actor=actor, case_id=case_id, node_id=node_id, body=body
    )


@router.post(
    "/cases/{case_id}/tree/nodes/{node_id}/move",
    response_model=NodePublic,
    summary="ノードを別の親の下へ移動 (下位ノードごと)",
    responses={**STALE, 422: {"description": "自分の子孫の下、または深さ6段を超える移動"}},
)
async def move_node(
    session: Session, actor: CurrentActor, case_id: int, node_id: int, body: NodeMove
) -> NodePublic:
    return await service.move_node(
        session, actor=actor, case_id=case_id, node_id=node_id, body=body
    )


@router.delete(
    "/cases/{case_id}/tree/nodes/{node_id}",
    status_code=204,
    summary="ノードを下位ごと削除",
    responses=STALE,
)
async def delete_node(
    session: Session,
    actor: CurrentActor,
    case_id: int,
    node_id: int,
    version: int = Query(description="読み込んだときの版"),
) -> Response:
    await service.delete_node(
        session, actor=actor, case_id=case_id, node_id=node_id, version=version
    )
    return Response(status_code=204)


@router.post(
    "/cases/{case_id}/tree/reorder", response_model=TreePublic, summary="兄弟ノードの並べ替え"
)
async def reorder(session: Session, actor: CurrentActor, case_id: int, body: Reorder) -> TreePublic:
    return await service.reorder(session, actor=actor, case_id=case_id, body=body)


@router.get(
    "/cases/{case_id}/tree/snapshots",
    response_model=list[SnapshotInfo],
    summary="ロジックツリーの記録の一覧 (古い順)",
)
async def list_snapshots(session: Session, actor: CurrentActor, case_id: int) -> list[SnapshotInfo]:
    return await service.list_snapshots(session, actor=actor, case_id=case_id)


@router.post(
    "/cases/{case_id}/tree/snapshots",
    response_model=SnapshotPublic,
    status_code=201,
    summary="いまのロジックツリーを記録する",
)
async def create_snapshot(
    session: Session, actor: CurrentActor, case_id: int, body: SnapshotCreate
) -> SnapshotPublic:
    return await service.create_snapshot(
        session, actor=actor, case_id=case_id, label=body.label, visit_id=body.visit_id
    )


@router.get(
    "/cases/{case_id}/tree/snapshots/{snapshot_id}",
    response_model=SnapshotPublic,
    summary="ロジックツリーの記録",
)
async def get_snapshot(
    session: Session, actor: CurrentActor, case_id: int, snapshot_id: int
) -> SnapshotPublic:
    return await service.get_snapshot(
        session, actor=actor, case_id=case_id, snapshot_id=snapshot_id
    )
