"""The logic tree (ロジックツリー) of a case: a root problem and its causes, and snapshots."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import pydantic
from pydantic import AfterValidator
from sqlalchemy import JSON, Column, Text
from sqlmodel import Field, SQLModel

from services.common.inputs import NULL_CLEARS
from services.common.models import Tracked, tz_field, utcnow
from services.support_cases.base import Base

# The root problem is at depth 0; causes may go down to depth 6 ("why?" six times).
MAX_DEPTH = 6
# A node cites at most this many regional measures as evidence.
MAX_MEASURE_EVIDENCE = 20


class MeasureCitation(pydantic.BaseModel):
    """A regional-analysis measure and year cited as evidence (地域分析の指標を根拠に引用).
    The shape only is checked here: this service never calls the indicators service; the
    gateway fetches the value (GET /api/v1/regional/evidence) to show beside the node."""

    measure_code: str = pydantic.Field(
        pattern=r"^[a-z][a-z0-9_]{1,63}$",
        description="地域分析の指標コード (例: certification_rate)",
    )
    fiscal_year: int = pydantic.Field(ge=2000, le=2100, description="年度")
    note: str = pydantic.Field(default="", max_length=500, description="読み取ったこと")

    model_config = {"extra": "forbid"}


def _unique_citations(items: list[MeasureCitation] | None) -> list[MeasureCitation] | None:
    if items is None:
        return None
    seen: set[tuple[str, int]] = set()
    for c in items:
        key = (c.measure_code, c.fiscal_year)
        if key in seen:
            raise ValueError(f"{c.measure_code} の {c.fiscal_year}年度 が重複しています")
        seen.add(key)
    return items


MeasureEvidence = Annotated[
    list[MeasureCitation],
    pydantic.Field(
        max_length=MAX_MEASURE_EVIDENCE, description="根拠として引用する地域分析の指標・年度"
    ),
    AfterValidator(_unique_citations),
]


class NodeBase(SQLModel):
    statement: str = Field(min_length=1, sa_column=Column(Text, nullable=False))
    evidence: str = Field(default="", sa_column=Column(Text, nullable=False), description="根拠")
    indicator_item_codes: list[str] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False), description="関連する指標"
    )
    data_refs: list[str] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False), description="データの出典"
    )
    is_hypothesis: bool = Field(default=False, description="データで裏付けられていない仮説")
    measure_evidence: list[dict[str, Any]] = Field(
        default_factory=list,
        sa_column=Column(JSON, nullable=False, server_default="[]"),
        description="根拠として引用する地域分析の指標・年度 [{measure_code, fiscal_year, note}]",
    )


class TreeNode(Tracked, NodeBase, Base, table=True):  # type: ignore[call-arg]
    __tablename__ = "tree_node"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="support_case.id", index=True)
    parent_id: int | None = Field(default=None, foreign_key="tree_node.id", index=True)
    position: int = Field(default=0)


class TreeSnapshot(Base, table=True):  # type: ignore[call-arg]
    __tablename__ = "tree_snapshot"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="support_case.id", index=True)
    visit_id: int | None = Field(default=None, foreign_key="visit.id")
    label: str = Field(default="", max_length=200)
    node_count: int = 0
    tree: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    taken_at: datetime = tz_field(default_factory=utcnow)
    taken_by: str = Field(default="", max_length=200)


class NodeCreate(SQLModel):
    parent_id: int | None = Field(default=None, description="なし = 根 (問題)")
    position: int | None = Field(default=None, ge=0, description="兄弟の中の位置 (省略で末尾)")
    statement: str = Field(min_length=1)
    evidence: str = ""
    indicator_item_codes: list[str] = Field(default_factory=list)
    data_refs: list[str] = Field(default_factory=list)
    is_hypothesis: bool = False
    measure_evidence: MeasureEvidence = Field(default_factory=list)

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "parent_id": 1,
                    "statement": "男性高齢者の参加が少ない",
                    "evidence": "参加者の85%が女性 (2024年度名簿)",
                    "indicator_item_codes": ["Ⅱ(3)①"],
                    "data_refs": ["通いの場参加者名簿 2024"],
                    "is_hypothesis": False,
                    "measure_evidence": [
                        {
                            "measure_code": "kayoinoba_rate",
                            "fiscal_year": 2023,
                            "note": "都平均より低い",
                        }
                    ],
                }
            ]
        }
    }


class NodeUpdate(SQLModel):
    version: int
    statement: str | None = Field(default=None, min_length=1)
    evidence: str | None = None
    indicator_item_codes: list[str] | None = None
    data_refs: list[str] | None = None
    is_hypothesis: bool | None = None
    # null clears the list (as []): the input policy lets this null through
    measure_evidence: MeasureEvidence | None = pydantic.Field(
        default=None, json_schema_extra=NULL_CLEARS
    )

    model_config = {
        "json_schema_extra": {
            "examples": [{"version": 1, "evidence": "参加者名簿で確認済み", "is_hypothesis": False}]
        }
    }


class NodeMove(SQLModel):
    version: int
    parent_id: int = Field(description="新しい親")
    position: int | None = Field(default=None, ge=0, description="新しい親の下での位置")


class Reorder(SQLModel):
    parent_id: int = Field(description="並べ替える子をもつ親")
    node_ids: list[int] = Field(description="子の新しい順序 (全員を1回ずつ)")


class NodePublic(NodeBase):
    id: int
    case_id: int
    parent_id: int | None
    position: int
    depth: int
    version: int
    updated_at: datetime
    updated_by: str


class TreePublic(SQLModel):
    case_id: int
    node_count: int
    max_depth: int | None
    root: dict[str, Any] | None = Field(description="入れ子: ノードに children を付けたもの")


class SnapshotCreate(SQLModel):
    label: str = Field(default="", max_length=200)
    visit_id: int | None = None


class SnapshotInfo(SQLModel):
    id: int
    case_id: int
    visit_id: int | None
    label: str
    node_count: int
    taken_at: datetime
    taken_by: str


class SnapshotPublic(SnapshotInfo):
    tree: dict[str, Any] | None
