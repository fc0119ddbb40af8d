"""Score endpoints: replace cells (JSON), import a file, read cells with their years."""

import hashlib
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, Form, Path, Query, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel, Field
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.common.access import staff_only
from services.common.actor import Actor
from services.common.audit import record_event
from services.common.db import get_session
from services.common.errors import Conflict, Invalid
from services.common.inputs import NULL_CLEARS
from services.common.models import check_version
from services.common.openapi import file_answer
from services.indicators.downloads import MEDIA
from services.indicators.frameworks.models import Framework, Grant, State
from services.indicators.frameworks.schemas import Source
from services.indicators.frameworks.service import load_tree
from services.indicators.results.exports import spreadsheet
from services.indicators.rows import CELL, rows, text
from services.indicators.scores import deduction, published, service
from services.indicators.scores.models import DeductionRule
from services.indicators.scores.schemas import (
    DeductionRuleOut,
    DeductionView,
    PublishedImport,
    SavedMapping,
)
from services.indicators.tables import audit

router = APIRouter(tags=["得点"])
Session = Annotated[AsyncSession, Depends(get_session, scope="function")]
Staff = Annotated[Actor, Depends(staff_only)]


MAX_SCORE_ROWS = 20_000


class ScoresIn(BaseModel):
    # Rows stay loose here so that every bad row is reported by index (not only the first).
    scores: list[Any] = Field(
        **rows(
            "[{entity_code, item_code, points}]: 1 行 = 1 団体 × 1 指標。最大 20,000 行"
            " (都道府県ひとつ分の表。全国の表はファイルの取込で)",
            {
                "entity_code": CELL,
                "item_code": text(64),
                "points": CELL,
            },
            ["entity_code", "item_code", "points"],
            MAX_SCORE_ROWS,
        )
    )

    model_config = {
        "json_schema_extra": {
            "examples": [
                {"scores": [{"entity_code": "131016", "item_code": "Ⅰ-見える化", "points": 10}]}
            ]
        }
    }


class Written(BaseModel):
    written: int


class ScoreCell(BaseModel):
    entity_code: str
    item_code: str
    points: float
    evaluation_fy: int = Field(description="評価年度 (取組の年度)")
    grant_fy: int = Field(description="交付年度")
    updated_at: datetime
    updated_by: str


@router.put("/frameworks/{framework_id}/scores", response_model=Written, summary="得点を書き込む")
async def put_scores(framework_id: int, body: ScoresIn, session: Session, actor: Staff) -> Written:
    tree = await load_tree(session, framework_id)
    n = await service.write_scores(session, tree, body.scores, actor=actor)
    # Bulk writes bypass the ORM: one audit row says what was written.
    await record_event(
        session, audit, entity_type="Scores", entity_id=str(framework_id), action="write", rows=n
    )
    return Written(written=n)


@router.post(
    "/frameworks/{framework_id}/scores/import",
    response_model=Written,
    summary="得点をCSV・XLSXから取り込む (縦持ち・横持ち)",
)
async def import_scores(
    framework_id: int, session: Session, actor: Staff, file: Annotated[UploadFile, File()]
) -> Written:
    tree = await load_tree(session, framework_id)
    content = await file.read()
    n = await service.import_scores(session, tree, file.filename or "", content, actor=actor)
    await record_event(
        session,
        audit,
        entity_type="Scores",
        entity_id=str(framework_id),
        action="import",
        file_name=file.filename or "",
        sha256=hashlib.sha256(content).hexdigest(),
        rows=n,
    )
    return Written(written=n)


@router.get(
    "/frameworks/{framework_id}/scores",
    response_model=list[ScoreCell],
    summary="得点 (セル単位、評価年度・交付年度つき)",
)
async def get_scores(framework_id: int, session: Session, entity_code: str | None = None) -> object:
    tree = await load_tree(session, framework_id)
    return await service.read_scores(session, tree, entity_code=entity_code)


@router.get(
    "/frameworks/{framework_id}/scores/export",
    summary="得点を書き出す (横持ち: 団体ごとに1行、指標コードの列。CSVはBOM付きUTF-8)",
    **file_answer(MEDIA["csv"], MEDIA["xlsx"]),
)
async def export_scores(
    framework_id: int,
    session: Session,
    format: Annotated[Literal["csv", "xlsx"], Query()] = "csv",
    prefecture: Annotated[str | None, Query(pattern=r"^\d{2}$")] = None,
) -> Response:
    tree = await load_tree(session, framework_id)
    rows = await service.scores_table(session, tree, prefecture=prefecture)
    return spreadsheet(rows, format=format, filename=f"scores-{tree.framework.code}", sheet="得点")


# --- the prefecture's deduction derived from the municipal results ---------------------------


class DeductionRuleIn(BaseModel):
    item_code: str = Field(min_length=1, max_length=64)
    threshold: float = Field(gt=0, lt=1, description="市町村の得点率がこれ以下なら減点")
    points: float = Field(lt=0)
    wording: str = Field(min_length=1, max_length=1000, description="資料の記載 (原文)")
    state: State = State.provisional
    source: Source
    version: int | None = Field(
        None,
        ge=1,
        description="読んだ規則の版 (GET /deduction-rules の version)。その年度の規則が既に"
        "あるときは必須 (古い版・版なしは 409、何も変わりません)。新しく登録するときは省略"
        "するか null",
        json_schema_extra=NULL_CLEARS,  # null here means "a new rule", not an empty version
    )


@router.get(
    "/frameworks/{framework_id}/deduction",
    summary="都道府県の減点 (市町村の結果から導出) と、減点の原因の市町村",
    response_model=DeductionView,
    response_model_exclude_unset=True,
)
async def get_deduction(framework_id: int, session: Session) -> object:
    return await deduction.deduction_view(session, framework_id)


@router.get(
    "/deduction-rules",
    response_model=list[DeductionRuleOut],
    summary="都道府県の減点の規則 (年度ごと、資料の記載と出典)",
)
async def list_deduction_rules(session: Session) -> object:
    rows = (await session.exec(select(DeductionRule).order_by(DeductionRule.grant_fy))).all()
    return [deduction.rule_out(r) for r in rows]


@router.put(
    "/deduction-rules/{grant}/{grant_fy}",
    summary="都道府県の減点の規則を登録・更新 (その年度の結果に反映)",
    response_model=DeductionRuleOut,
    responses={
        409: {
            "description": "その年度の規則は他の人が更新したか (古い version)、既にあるのに"
            " version がありません: 読み込み直してから変更してください (problem+json)"
        }
    },
)
async def put_deduction_rule(
    grant: Grant,
    grant_fy: Annotated[int, Path(ge=2018, le=2100)],
    body: DeductionRuleIn,
    session: Session,
    actor: Staff,
) -> object:
    if not body.source.document.strip():
        raise Invalid(
            "減点の規則には出典 (資料名) が必要です",
            errors=[{"loc": ["source", "document"], "msg": "資料名を入力してください"}],
        )
    rule = await deduction.rule_for(session, grant.value, grant_fy, for_update=True)
    if rule is None:
        rule = DeductionRule(grant=grant.value, grant_fy=grant_fy, item_code="", threshold=0.3,
                             points=-1, wording="")  # fmt: skip
        session.add(rule)
    else:
        what = f"{grant_fy}年度の減点の規則"
        if body.version is None:
            raise Conflict(
                f"{what}は既にあります (現在の版 {rule.version})。最新の内容を読み込み直し、"
                "その版 (version) を添えて更新してください",
                current_version=rule.version,
            )
        check_version(rule, body.version, what=what)  # type: ignore[arg-type]
        rule.version += 1
    rule.item_code, rule.threshold, rule.points = body.item_code, body.threshold, body.points
    rule.wording, rule.state = body.wording, State(body.state).value
    rule.source_document, rule.source_date, rule.source_page = (
        body.source.document,
        body.source.date,
        body.source.page,
    )
    await session.flush()
    fw = (
        await session.exec(
            select(Framework).where(Framework.grant == grant.value, Framework.grant_fy == grant_fy)
        )
    ).first()
    if fw is not None:
        await deduction.refresh(session, fw)
    return deduction.rule_out(rule)


# --- the ministry's published results (one row per insurer) ----------------------------------


@router.post(
    "/frameworks/{framework_id}/published-results/import",
    response_model=PublishedImport,
    summary="公表された結果を取り込む (保険者ごとに1行、指標または区分ごとの列; "
    "dry_run=true で確認のみ)",
)
async def import_published(
    framework_id: int,
    session: Session,
    actor: Staff,
    file: Annotated[UploadFile, File()],
    mapping: Annotated[
        str | None,
        Form(description='列の対応 (JSON): {"entity_column": 列名, "columns": {列名: 指標コード}}'),
    ] = None,
    dry_run: bool = False,
    save_mapping: Annotated[bool, Query(description="取り込めたら列の対応を保存する")] = True,
) -> object:
    tree = await load_tree(session, framework_id)
    content = await file.read()
    out = await published.run(
        session, tree, file.filename or "", content, mapping_raw=mapping, actor=actor,
        dry_run=dry_run, save=save_mapping,
    )  # fmt: skip
    if not dry_run:
        await record_event(
            session,
            audit,
            entity_type="Scores",
            entity_id=str(framework_id),
            action="import_published",
            file_name=file.filename or "",
            sha256=hashlib.sha256(content).hexdigest(),
            rows=out["written"],
        )
    return out


class MappingIn(BaseModel):
    entity_column: str = Field(min_length=1, max_length=200)
    columns: dict[str, str | None] = Field(
        description="列名 → 指標コード | category:区分コード | total | null (無視)"
    )


@router.get(
    "/frameworks/{framework_id}/published-results/mapping",
    summary="保存された列の対応 (交付金 × 区分 × 交付年度ごと)",
    response_model=SavedMapping | None,
)
async def get_mapping(framework_id: int, session: Session) -> object:
    tree = await load_tree(session, framework_id)
    row = await published.saved_mapping(session, tree)
    if row is None:
        return None
    return {"mapping": row.mapping, "updated_by": row.updated_by, "updated_at": row.updated_at}


@router.put(
    "/frameworks/{framework_id}/published-results/mapping",
    summary="列の対応を保存 (同じ交付金・区分・交付年度の取り込みで使う)",
    response_model=SavedMapping,
)
async def put_mapping(framework_id: int, body: MappingIn, session: Session, actor: Staff) -> object:
    tree = await load_tree(session, framework_id)
    row = await published.save_mapping(session, tree, body.model_dump(), actor=actor)
    return {"mapping": row.mapping, "updated_by": row.updated_by, "updated_at": row.updated_at}
