"""Logic tree operations: add, edit, move, reorder, delete nodes; snapshots over time."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

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
from services.support_cases.cases.models import SupportCase
from services.support_cases.roadmaps.models import Initiative
from services.support_cases.trees.models import (
    MAX_DEPTH,
    NodeCreate,
    NodeMove,
    NodePublic,
    NodeUpdate,
    Reorder,
    SnapshotInfo,
    SnapshotPublic,
    TreeNode,
    TreePublic,
    TreeSnapshot,
)
from services.support_cases.visits.models import Visit

NODE_NOT_FOUND = "ロジックツリーのノードが見つかりません"


class Tree:
    """The nodes of one case, indexed for walking."""

    def __init__(self, nodes: list[TreeNode]) -> None:
        self.nodes = {n.id: n for n in nodes}
        self.children: dict[int | None, list[TreeNode]] = defaultdict(list)
        for n in sorted(nodes, key=lambda n: (n.position, n.id or 0)):
            self.children[n.parent_id].append(n)

    @property
    def root(self) -> TreeNode | None:
        roots = self.children.get(None, [])
        return roots[0] if roots else None

    def depth(self, node_id: int) -> int:
        d, node = 0, self.nodes[node_id]
        while node.parent_id is not None:
            d += 1
            node = self.nodes[node.parent_id]
        return d

    def descendants(self, node_id: int) -> set[int]:
        out: set[int] = set()
        stack = [node_id]
        while stack:
            for child in self.children.get(stack.pop(), []):
                out.add(child.id)  # type: ignore[arg-type]
                stack.append(child.id)  # type: ignore[arg-type]
        return out

    def height(self, node_id: int) -> int:
        """Levels below a node (0 for a leaf)."""
        kids = self.children.get(node_id, [])
        return 1 + max(self.height(k.id) for k in kids) if kids else 0  # type: ignore[arg-type]

    def nested(self, node: TreeNode, depth: int = 0) -> dict[str, Any]:
        return {
            **node_public(node, depth).model_dump(mode="json"),
            "children": [self.nested(c, depth + 1) for c in self.children.get(node.id, [])],
        }

    def outline(self) -> list[tuple[int, TreeNode]]:
        """Depth-first (depth, node) pairs, for reports."""
        out: list[tuple[int, TreeNode]] = []

        def walk(node: TreeNode, d: int) -> None:
            out.append((d, node))
            for c in self.children.get(node.id, []):
                walk(c, d + 1)

        for r in self.children.get(None, []):
            walk(r, 0)
        return out


def node_public(node: TreeNode, depth: int) -> NodePublic:
    return NodePublic.model_validate({**node.model_dump(), "depth": depth})


async def load_tree(session: AsyncSession, case_id: int) -> Tree:
    rows = await session.exec(select(TreeNode).where(TreeNode.case_id == case_id))
    return Tree(list(rows.all()))


def tree_public(case_id: int, tree: Tree) -> TreePublic:
    root = tree.root
    return TreePublic(
        case_id=case_id,
        node_count=len(tree.nodes),
        max_depth=max((tree.depth(i) for i in tree.nodes), default=None),  # type: ignore[arg-type]
        root=tree.nested(root) if root else None,
    )


async def get_tree(session: AsyncSession, *, actor: Actor, case_id: int) -> TreePublic:
    await load_case(session, actor, case_id)
    return tree_public(case_id, await load_tree(session, case_id))


def _renumber(siblings: list[TreeNode]) -> None:
    for i, n in enumerate(siblings):
        if n.position != i:
            n.position = i


async def add_node(
    session: AsyncSession, *, actor: Actor, case_id: int, body: NodeCreate
) -> NodePublic:
    """Add the root problem (no parent) or a cause under a node (depth ≤ 6)."""
    # Structural changes lock the case row, so that two of them cannot interleave.
    await load_case(session, actor, case_id, need=Need.work, lock=True)
    tree = await load_tree(session, case_id)
    if body.parent_id is None:
        if tree.root is not None:
            raise Invalid(
                "ロジックツリーの根 (問題) は既にあります。"
                "原因は parent_id を指定して追加してください",
                errors=[{"loc": ["body", "parent_id"], "msg": "根は1つだけです"}],
            )
        depth = 0
    else:
        if body.parent_id not in tree.nodes:
            raise Invalid(
                "親ノードがこの支援事例のロジックツリーにありません",
                errors=[{"loc": ["body", "parent_id"], "msg": "存在しない親です"}],
            )
        depth = tree.depth(body.parent_id) + 1
        if depth > MAX_DEPTH:
            raise Invalid(
                f"ロジックツリーの深さは {MAX_DEPTH} 段までです。上の段にまとめてください",
                errors=[{"loc": ["body", "parent_id"], "msg": f"深さ {depth} は上限を超えます"}],
            )
    siblings = list(tree.children.get(body.parent_id, []))
    pos = len(siblings) if body.position is None else min(body.position, len(siblings))
    node = TreeNode(
        case_id=case_id,
        parent_id=body.parent_id,
        statement=body.statement,
        evidence=body.evidence,
        indicator_item_codes=body.indicator_item_codes,
        data_refs=body.data_refs,
        is_hypothesis=body.is_hypothesis,
        measure_evidence=[c.model_dump() for c in body.measure_evidence],
        position=pos,
    )
    stamp_created(node, actor)
    siblings.insert(pos, node)
    _renumber(siblings)
    session.add(node)
    await session.flush()
    return node_public(node, depth)


async def _node_of_case(session: AsyncSession, case_id: int, node_id: int) -> TreeNode:
    node = await get_for_update(session, TreeNode, node_id)
    if node is None or node.case_id != case_id:
        raise NotFound(NODE_NOT_FOUND)
    return node


async def update_node(
    session: AsyncSession, *, actor: Actor, case_id: int, node_id: int, body: NodeUpdate
) -> NodePublic:
    """Edit a node's statement, evidence, references or hypothesis flag (409 when stale)."""
    await load_case(session, actor, case_id, need=Need.work)
    node = await _node_of_case(session, case_id, node_id)
    check_version(node, body.version, what="このノード")
    changes = body.model_dump(exclude_unset=True, exclude={"version"})
    if "measure_evidence" in changes:
        # null clears the citations; each citation keeps its defaults (exclude_unset drops them)
        changes["measure_evidence"] = [c.model_dump() for c in body.measure_evidence or []]
    node.sqlmodel_update(changes)
    stamp_updated(node, actor)
    await session.flush()
    tree = await load_tree(session, case_id)
    return node_public(node, tree.depth(node_id))


async def move_node(
    session: AsyncSession, *, actor: Actor, case_id: int, node_id: int, body: NodeMove
) -> NodePublic:
    """Re-parent a node with its subtree (422 under its own descendant or beyond depth 6)."""
    await load_case(session, actor, case_id, need=Need.work, lock=True)
    node = await _node_of_case(session, case_id, node_id)
    check_version(node, body.version, what="このノード")
    tree = await load_tree(session, case_id)
    node = tree.nodes[node_id]
    if node.parent_id is None:
        raise Invalid(
            "根 (問題) は移動できません",
            errors=[{"loc": ["path", "node_id"], "msg": "根です"}],
        )
    if body.parent_id not in tree.nodes:
        raise Invalid(
            "移動先の親ノードがこの支援事例のロジックツリーにありません",
            errors=[{"loc": ["body", "parent_id"], "msg": "存在しない親です"}],
        )
    if body.parent_id == node_id or body.parent_id in tree.descendants(node_id):
        raise Invalid(
            "ノードを自分自身やその下位のノードの下には移動できません (循環になります)",
            errors=[{"loc": ["body", "parent_id"], "msg": "自分の子孫です"}],
        )
    new_depth = tree.depth(body.parent_id) + 1
    deepest = new_depth + tree.height(node_id)
    if deepest > MAX_DEPTH:
        raise Invalid(
            f"移動すると深さが {deepest} 段になり、上限の {MAX_DEPTH} 段を超えます",
            errors=[{"loc": ["body", "parent_id"], "msg": "深さの上限を超えます"}],
        )
    old_siblings = [n for n in tree.children.get(node.parent_id, []) if n.id != node_id]
    _renumber(old_siblings)
    new_siblings = [n for n in tree.children.get(body.parent_id, []) if n.id != node_id]
    pos = len(new_siblings) if body.position is None else min(body.position, len(new_siblings))
    new_siblings.insert(pos, node)
    node.parent_id = body.parent_id
    _renumber(new_siblings)
    stamp_updated(node, actor)
    await session.flush()
    return node_public(node, new_depth)


async def reorder(
    session: AsyncSession, *, actor: Actor, case_id: int, body: Reorder
) -> TreePublic:
    """Set the order of a node's children (every child exactly once)."""
    await load_case(session, actor, case_id, need=Need.work, lock=True)
    tree = await load_tree(session, case_id)
    if body.parent_id not in tree.nodes:
        raise NotFound(NODE_NOT_FOUND)
    current = {n.id for n in tree.children.get(body.parent_id, [])}
    if set(body.node_ids) != current or len(body.node_ids) != len(current):
        raise Invalid(
            "並べ替えには、その親の子ノードをすべて1回ずつ指定してください",
            errors=[{"loc": ["body", "node_ids"], "msg": f"子ノードは {sorted(current)} です"}],
        )
    for i, nid in enumerate(body.node_ids):
        tree.nodes[nid].position = i
    await session.flush()
    return tree_public(case_id, Tree(list(tree.nodes.values())))


async def delete_node(
    session: AsyncSession, *, actor: Actor, case_id: int, node_id: int, version: int
) -> None:
    """Delete a node and its subtree (409 if initiatives hang on it)."""
    await load_case(session, actor, case_id, need=Need.work, lock=True)
    node = await _node_of_case(session, case_id, node_id)
    check_version(node, version, what="このノード")
    tree = await load_tree(session, case_id)
    doomed = {node_id} | tree.descendants(node_id)
    attached = (
        await session.exec(select(Initiative.id).where(col(Initiative.node_id).in_(doomed)))
    ).all()
    if attached:
        raise Conflict(
            f"このノード (またはその下位) には取組 {list(attached)} が結びついています。"
            "先に取組を別のノードへ移すか削除してください"
        )
    # Children before parents (self-referencing foreign key).
    for nid in sorted(doomed, key=lambda i: -tree.depth(i)):
        await session.delete(tree.nodes[nid])
        await session.flush()
    parent = tree.nodes[node_id].parent_id
    _renumber([n for n in tree.children.get(parent, []) if n.id != node_id])
    await session.flush()


async def take_snapshot(
    session: AsyncSession,
    *,
    actor: Actor,
    case: SupportCase,
    label: str = "",
    visit_id: int | None = None,
) -> TreeSnapshot:
    """Freeze the current tree as JSON (at a hearing or on demand)."""
    tree = await load_tree(session, case.id)  # type: ignore[arg-type]
    root = tree.root
    snap = TreeSnapshot(
        case_id=case.id,  # type: ignore[arg-type]
        visit_id=visit_id,
        label=label,
        node_count=len(tree.nodes),
        tree=tree.nested(root) if root else None,
        taken_at=utcnow(),
        taken_by=actor.label,
    )
    session.add(snap)
    await session.flush()
    return snap


async def create_snapshot(
    session: AsyncSession, *, actor: Actor, case_id: int, label: str, visit_id: int | None
) -> SnapshotPublic:
    case = await load_case(session, actor, case_id, need=Need.work, lock=True)
    if visit_id is not None:
        visit = await session.get(Visit, visit_id)
        if visit is None or visit.case_id != case_id:
            raise Invalid(
                "指定したヒアリング・訪問はこの支援事例のものではありません",
                errors=[{"loc": ["body", "visit_id"], "msg": "存在しません"}],
            )
    snap = await take_snapshot(session, actor=actor, case=case, label=label, visit_id=visit_id)
    return SnapshotPublic.model_validate(snap, from_attributes=True)


async def list_snapshots(
    session: AsyncSession, *, actor: Actor, case_id: int
) -> list[SnapshotInfo]:
    await load_case(session, actor, case_id)
    rows = await session.exec(
        select(TreeSnapshot)
        .where(TreeSnapshot.case_id == case_id)
        .order_by(TreeSnapshot.taken_at, TreeSnapshot.id)
    )
    return [SnapshotInfo.model_validate(s, from_attributes=True) for s in rows.all()]


async def get_snapshot(
    session: AsyncSession, *, actor: Actor, case_id: int, snapshot_id: int
) -> SnapshotPublic:
    await load_case(session, actor, case_id)
    snap = await session.get(TreeSnapshot, snapshot_id)
    if snap is None or snap.case_id != case_id:
        raise NotFound("ロジックツリーの記録が見つかりません")
    return SnapshotPublic.model_validate(snap, from_attributes=True)
