"""Demo data (サンプル): generated scores, allocation inputs, the prefecture's PDCA sheet, some
municipalities' sheets (pdca/demo.py) and the centres with their evaluations (centres/demo.py).

Everything here is made up but deterministic (seeded random): scores for Tokyo's 62
municipalities and the 47 prefectures in the shipped FY2019 frameworks and in FY2020 copies
of them (marked デモ用), first-insured persons and requested amounts, and the prefecture's
取組と目標 sheet with items and figures taken from seed 003.
"""

from __future__ import annotations

import random
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.common.actor import Actor, Role
from services.common.registry import get_registry
from services.indicators.allocation.models import AllocationInput
from services.indicators.allocation.service import upsert_inputs
from services.indicators.centres import demo as centres_demo
from services.indicators.centres.models import Centre
from services.indicators.frameworks.models import Framework, Grant, Level
from services.indicators.frameworks.schemas import FrameworkDoc
from services.indicators.frameworks.service import Tree, create_framework, load_tree
from services.indicators.pdca import demo as pdca_demo
from services.indicators.pdca.models import PdcaSheet
from services.indicators.pdca.schemas import SheetIn
from services.indicators.pdca.service import create_sheet
from services.indicators.regional import demo as regional_demo
from services.indicators.scores.models import Score
from services.indicators.scores.service import Cell, upsert_cells
from services.indicators.shipped import load_shipped, shipped_documents

DEMO = Actor(id="demo", name="デモデータ", role=Role.admin)
# Two small island villages score under 30% in the demo (青ヶ島村, 三宅村).
LOW = {"134023", "133817"}


def _copy_for(doc: FrameworkDoc, grant_fy: int) -> FrameworkDoc:
    d = doc.model_copy(deep=True)
    d.code = doc.code.replace(str(doc.grant_fy), str(grant_fy)) + "-demo"
    d.name = f"{grant_fy}年度 (デモ用: 2019年度の体系を複製) " + doc.name.split(" ", 1)[-1]
    d.grant_fy, d.evaluation_fy = grant_fy, grant_fy - 1
    return d


def _points(rng: random.Random, item: Any, ability: float) -> float:
    if item.max_points <= 0:  # a deduction item: set separately
        return 0.0
    if item.max_points >= 40:  # a remainder standing for many items: partial points
        share = min(max(rng.gauss(ability, 0.08), 0.0), 1.0)
        return float(round(item.max_points * share))
    r = rng.random()
    if r < ability:
        return float(item.max_points)
    if r < ability + (1 - ability) / 2:
        return float(round(item.max_points / 2))
    return 0.0


def _cells(tree: Tree, abilities: dict[str, float], rng: random.Random) -> list[Cell]:
    out = []
    for code, ability in abilities.items():
        for item in tree.items:
            out.append(Cell(code, item.id, _points(rng, item, ability)))  # type: ignore[arg-type]
    return out


def _abilities(codes: list[str], rng: random.Random, low: set[str]) -> dict[str, float]:
    return {c: rng.uniform(0.08, 0.2) if c in low else rng.uniform(0.45, 0.92) for c in codes}


def _drift(prev: dict[str, float], rng: random.Random, low: set[str]) -> dict[str, float]:
    out = {c: min(max(a + rng.gauss(0.03, 0.06), 0.05), 0.98) for c, a in prev.items()}
    for c in low & set(out):
        out[c] = min(out[c], 0.2)
    for c in rng.sample(sorted(set(prev) - low), 2):  # a couple fall sharply (drop flag)
        out[c] = max(prev[c] - 0.3, 0.05)
    return out


def _first_insured(code: str, rng: random.Random) -> int:
    reg = get_registry()
    if code in reg.prefectures:
        return 3_100_000 if code == "130001" else rng.randint(170_000, 2_400_000)
    m = reg.get(code)
    kind = m.kind if m else "市"
    lo, hi = {"特別区": (12_000, 190_000), "市": (15_000, 140_000)}.get(kind, (150, 18_000))
    return rng.randint(lo, hi)


async def _pdca(session: AsyncSession) -> None:
    def years(*rows: tuple) -> list[dict[str, Any]]:
        keys = ("fiscal_year", "actions", "actual_value", "self_evaluation", "next_steps")
        return [dict(zip(keys, r, strict=True)) for r in rows]

    items = [
        {
            "code": "1-事項1",
            "section": "1 保険者による地域分析及び事業計画の策定等への支援",
            "title": "地域包括ケア「見える化」システムの活用方法について区市町村職員向け研修を実施",
            "target": {"kind": "qualitative", "text": "年1回以上"},
            "current_issues": "区市町村ではデータ分析・計画策定のノウハウがなく、"
            "研修等の支援のニーズが高い",
            "vision": "多くの区市町村が「見える化」システムを活用して地域分析を実施し、"
            "第8期計画策定や自立支援等の目標指標を定めることができる",
            "reference": "別紙1",
            "years": years(
                (
                    2018,
                    "「保険者機能強化のための区市町村職員研修」実施 (H31.1.31)",
                    None,
                    "達成",
                    "新任の計画担当向けに「見える化」システムの操作研修を実施する必要がある",
                ),
                (
                    2019,
                    "「見える化」システム操作講習会 (R1.7.23〜7.26 4日間)、"
                    "区市町村職員研修 (R2.1.20)",
                    None,
                    "達成",
                    "多様な保険者との情報共有が行える場の提供が必要",
                ),
                (
                    2020,
                    "操作講習会 (R2.9.1〜9.8 6日間)、区市町村職員研修 (R2.11.14、Zoom同時配信)",
                    None,
                    "達成",
                    "オンライン等による情報交換の場の実施を検討する",
                ),
            ),
        },
        {
            "code": "1-事項2",
            "section": "1 保険者による地域分析及び事業計画の策定等への支援",
            "title": "区市町村における事業計画の策定を支援 "
            "(区市町村ヒアリング、計画担当者意見交換会)",
            "target": {"kind": "qualitative", "text": "全区市町村・全老人福祉圏域 (R2)"},
            "years": years(
                (
                    2020,
                    "区市町村ヒアリング 26区市町村参加 (R2.8.3〜8.31)、圏域別意見交換会 12回",
                    26,
                    "達成",
                    "適切な支援を引き続き実施する",
                ),
            ),
        },
        {
            "code": "2(1)-事項1",
            "section": "2 地域ケア会議及び介護予防の効果的な実施に向けた支援",
            "title": "地域ケア会議において自立支援・介護予防に向けた"
            "支援方法を提案・提言できる人材の養成",
            "target": {
                "kind": "cumulative",
                "value": 1350,
                "unit": "人",
                "start_fy": 2018,
                "end_fy": 2020,
                "text": "1,350人",
            },
            "metric_source": "training.completers:地域ケア会議 司会者・助言者養成:2018-2020",
            "current_issues": "区市町村は地域ケア会議の個別事例の検討を通じて"
            "高齢者の課題解決を支援する"
            "ことが求められている",
            "vision": "各区市町村で地域ケア会議の司会者・助言者が確保されている",
            "reference": "別紙2",
            "years": years(
                (
                    2018,
                    "研修カリキュラムを作成し実施。修了者352人 (募集規模360人)",
                    352,
                    "達成",
                    "応募が募集人数を超えたため規模を拡大する (平成31年度 450人)",
                ),
                (2019, "修了者428人 (募集規模450人)", 428, "達成", "カリキュラムを改善した"),
                (
                    2020,
                    "修了者419人 (募集規模540人)",
                    419,
                    "一部達成",
                    "令和3年度以降は講師養成研修を実施する",
                ),
            ),
        },
        {
            "code": "2(1)-事項2",
            "section": "2 地域ケア会議及び介護予防の効果的な実施に向けた支援",
            "title": "モデル事業を通じ、個別事例の検討結果を"
            "地域づくりに反映する区市町村の取組を支援",
            "target": {
                "kind": "cumulative",
                "value": 9,
                "unit": "区市町村",
                "start_fy": 2018,
                "end_fy": 2020,
                "text": "9区市町村",
            },
            "years": years(
                (
                    2018,
                    "有識者等による会議体を組織し、2市を支援",
                    2,
                    "一部達成",
                    "報告書をとりまとめる",
                ),
                (2019, "2市支援、報告書を作成", 2, "一部達成", "報告書を配布し成果を波及させる"),
                (2020, "1市支援、報告書を印刷・配布", 1, "未達成", "成果を区市町村へ波及させる"),
            ),
        },
        {
            "code": "2(2)-事項2",
            "section": "2 地域ケア会議及び介護予防の効果的な実施に向けた支援",
            "title": "通いの場の立ち上げ等を支援する専門職「介護予防による地域づくり推進員」の配置",
            "target": {
                "kind": "level",
                "value": 62,
                "unit": "区市町村",
                "start_fy": 2018,
                "end_fy": 2020,
                "text": "62区市町村で各1人以上",
            },
            "years": years(
                (2018, "24区市 38人配置", 24, "一部達成", "活用促進を図る"),
                (2019, "28区市町 44人配置", 28, "一部達成", "フレイル予防の観点を踏まえる"),
                (2020, "26区市町 41人配置", 26, "一部達成", "専門職に研修の受講を促す"),
            ),
        },
        {
            "code": "3-事項1",
            "section": "3 生活支援体制整備に向けた支援",
            "title": "生活支援コーディネーター養成研修 (初任者研修)",
            "target": {
                "kind": "cumulative",
                "value": 540,
                "unit": "人",
                "start_fy": 2018,
                "end_fy": 2020,
                "text": "540人",
            },
            "metric_source": "training.completers:生活支援コーディネーター 初任者:2018-2020",
            "years": years(
                (2018, "初任者研修 172名、現任者研修 60名", 172, "達成", "研修内容を充実する"),
                (
                    2019,
                    "初任者研修 171名、現任者研修 60名",
                    171,
                    "達成",
                    "引き続き養成研修で支援する",
                ),
                (
                    2020,
                    "初任者研修 155名、現任者研修 60名",
                    155,
                    "一部達成",
                    "コーディネーターの入れ替わりに対応し養成を続ける",
                ),
            ),
        },
        {
            "code": "3-事項2",
            "section": "3 生活支援体制整備に向けた支援",
            "title": "生活支援体制整備に関する情報交換会の開催",
            "target": {"kind": "qualitative", "text": "年1回以上"},
            "years": years(
                (
                    2019,
                    "情報交換会を開催 (7月)。学識経験者による講演、事例発表、情報交換",
                    None,
                    "達成",
                    "テーマ設定に留意しながら取り組む",
                ),
                (2020, "情報交換会を開催 (9月)", None, "達成", "テーマ設定に留意しながら取り組む"),
            ),
        },
    ]
    body = SheetIn.model_validate(
        {
            "entity_code": "130001",
            "title": "自立支援・介護予防・重度化防止等に取り組む区市町村への支援の取組と目標",
            "start_fy": 2018,
            "end_fy": 2020,
            "items": items,
        }
    )
    await create_sheet(session, body, actor=DEMO)


async def _demo_bases(session: AsyncSession) -> None:
    """Made-up national denominators (サンプル) so that the demo's allocation has a national
    basis although only Tokyo's 62 are scored, and the FY2019 deduction rule copied to the
    FY2020 demo frameworks; then the deduction is derived for both years."""
    from services.indicators.allocation.reference import NationalBasisIn, put_basis
    from services.indicators.allocation.service import _weight
    from services.indicators.frameworks.schemas import Source
    from services.indicators.results.computation import compute
    from services.indicators.scores import deduction
    from services.indicators.scores.models import DeductionRule

    rule19 = await deduction.rule_for(session, "suishin", 2019)
    if rule19 is not None and await deduction.rule_for(session, "suishin", 2020) is None:
        session.add(
            DeductionRule(
                grant="suishin",
                grant_fy=2020,
                item_code=rule19.item_code,
                threshold=rule19.threshold,
                points=rule19.points,
                wording=rule19.wording,
                state="provisional",
                source_document="サンプル: 2019年度の規則をデモ用の2020年度の体系に複製",
            )
        )
        await session.flush()
    fws = (
        await session.exec(
            select(Framework).where(
                Framework.level == Level.municipality,
                Framework.grant_fy.in_((2019, 2020)),  # type: ignore[attr-defined]
            )
        )
    ).all()
    for fw in fws:
        tree = await load_tree(session, fw.id)  # type: ignore[arg-type]
        comp = await compute(session, tree)
        inputs = {
            r.entity_code: r.first_insured
            for r in (
                await session.exec(
                    select(AllocationInput).where(
                        AllocationInput.grant == fw.grant, AllocationInput.grant_fy == fw.grant_fy
                    )
                )
            ).all()
        }
        tokyo = sum(
            (_weight("score_x_first_insured", t, inputs.get(c)) or 0)
            for c, t in comp.totals.items()
        )
        # Tokyo holds about a twelfth of the country's first-insured persons.
        await put_basis(
            session,
            fw.grant,
            "municipality",
            fw.grant_fy,
            NationalBasisIn(
                denominator=float(round(tokyo * 12)),
                source=Source(document="サンプル (デモ用の架空の値: 東京都62区市町村の12倍)"),
                note="デモ用。実際の全国の値ではありません",
            ),
            actor=DEMO,
        )
        await deduction.refresh(session, fw)
    # The FY2020 copies have no published budget: a sample one (the FY2019 figure, labelled as
    # such) so that the demo's grant report shows an estimate; FY2019 keeps the shipped one.
    from services.indicators.allocation.reference import BudgetIn, get_budget, put_budget

    b19 = await get_budget(session, "suishin", "municipality", 2019)
    if b19 is not None and await get_budget(session, "suishin", "municipality", 2020) is None:
        await put_budget(
            session,
            "suishin",
            "municipality",
            2020,
            BudgetIn(
                published_amount=b19.published_amount,
                source=Source(document="サンプル (デモ用: 2019年度の予算額をそのまま使用)"),
                note="デモ用。2020年度の実際の予算額ではありません",
            ),
            actor=DEMO,
        )


async def load(session: AsyncSession) -> str | None:
    """Load the demo once (skipped when any score or PDCA sheet exists). The regional sample
    values, the municipalities' PDCA sheets and the centres load on their own, once each, so
    that a database holding an older demo gets them too."""
    loaded = [await regional_demo.load(session)]
    loaded.append(await _scores_and_prefecture_sheet(session))
    municipal = select(PdcaSheet.id).where(
        col(PdcaSheet.entity_code).in_([m.code for m in get_registry().home()])
    )
    if (await session.exec(municipal.limit(1))).first() is None:
        loaded.append(await pdca_demo.load(session, DEMO))
    if (await session.exec(select(Centre.id).limit(1))).first() is None:
        loaded.append(await centres_demo.load(session, DEMO))
    await session.flush()
    return "、".join(x for x in loaded if x) or None


async def _scores_and_prefecture_sheet(session: AsyncSession) -> str | None:
    if (await session.exec(select(Score.entity_code).limit(1))).first() is not None:
        return None
    if (await session.exec(select(PdcaSheet.id).limit(1))).first() is not None:
        return None
    # The demo's frameworks are FY2019 and its FY2020 copies; the FY2023 skeletons come with
    # every start (shipped.on_startup), not with the demo's snapshot.
    await load_shipped(session, actor=DEMO, only=lambda d: d.grant_fy == 2019)
    reg = get_registry()
    rng = random.Random(20190927)
    tokyo = sorted(m.code for m in reg.home())
    prefectures = sorted(reg.prefectures)
    counts = []
    # Only the FY2019 frameworks get demo scores; the FY2023 skeletons stay empty (they take
    # an import of the real item tables and results).
    for doc in (d for d in shipped_documents() if d.grant_fy == 2019):
        fw19 = (
            await session.exec(
                select(Framework).where(
                    Framework.grant == doc.grant,
                    Framework.level == doc.level,
                    Framework.grant_fy == doc.grant_fy,
                )
            )
        ).one()
        fw20 = (
            await session.exec(
                select(Framework).where(
                    Framework.grant == doc.grant,
                    Framework.level == doc.level,
                    Framework.grant_fy == doc.grant_fy + 1,
                )
            )
        ).first() or await create_framework(session, _copy_for(doc, doc.grant_fy + 1), actor=DEMO)
        codes = tokyo if doc.level == Level.municipality else prefectures
        low = LOW if doc.level == Level.municipality else set()
        a19 = _abilities(codes, rng, low)
        a20 = _drift(a19, rng, low)
        for fw, ab in ((fw19, a19), (fw20, a20)):
            tree = await load_tree(session, fw.id)  # type: ignore[arg-type]
            cells = _cells(tree, ab, rng)
            if doc.level == Level.prefecture:
                deduction = tree.by_code.get("Ⅲ-②")
                if deduction is not None:
                    # Tokyo's deduction is derived from its municipalities' results (two
                    # villages under 30%); other prefectures get a made-up value.
                    cells = [
                        Cell(c.entity_code, c.item_id, -10.0 if rng.random() < 0.08 else 0.0)
                        if c.item_id == deduction.id
                        else c
                        for c in cells
                        if not (c.item_id == deduction.id and c.entity_code == "130001")
                    ]
            counts.append(await upsert_cells(session, tree, cells, actor=DEMO))
            rows = []
            for code in codes:
                # the same insurer keeps its size across years (seeded by its code)
                fi = round(
                    _first_insured(code, random.Random(int(code)))
                    * (1 + 0.01 * (fw.grant_fy - 2019))
                )
                rows.append(
                    {
                        "entity_code": code,
                        "first_insured": fi,
                        "requested": fi * rng.randint(700, 1300),
                    }
                )
            await upsert_inputs(session, Grant(fw.grant), fw.grant_fy, rows, actor=DEMO)
    await _demo_bases(session)
    await _pdca(session)
    await session.flush()
    return (
        f"評価指標の得点 {sum(counts):,}件 (東京都62区市町村・47都道府県 × 2019・2020年度)、"
        "配分の入力、東京都の取組と目標シート"
    )
