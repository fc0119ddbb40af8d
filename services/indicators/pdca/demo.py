"""Demo data (サンプル): several Tokyo municipalities' own 取組と目標 sheets for the 第9期 plan
(FY2024–2026), some published and some drafts, and a few items marked as 好事例. Every title
says サンプル; the figures are made up."""

from __future__ import annotations

from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from services.common.actor import Actor
from services.indicators.pdca.schemas import SheetIn
from services.indicators.pdca.service import create_sheet, mark_good_practice

START, END = 2024, 2026


def _item(
    code: str,
    theme: str,
    title: str,
    target: dict[str, Any],
    years: list[tuple[int, str, float | None, str | None, str]],
) -> dict[str, Any]:
    return {
        "code": code,
        "theme": theme,
        "title": title,
        "target": target,
        "current_issues": "サンプル: 現状と課題",
        "vision": "サンプル: 計画最終年度までに目指す姿",
        "years": [
            {
                "fiscal_year": fy,
                "actions": actions,
                "actual_value": value,
                "self_evaluation": evaluation,
                "next_steps": next_steps,
            }
            for fy, actions, value, evaluation, next_steps in years
        ],
    }


def _level(value: float, unit: str, text: str) -> dict[str, Any]:
    return {
        "kind": "level",
        "value": value,
        "unit": unit,
        "start_fy": START,
        "end_fy": END,
        "text": text,
    }


def _cumulative(value: float, unit: str, text: str) -> dict[str, Any]:
    return {
        "kind": "cumulative",
        "value": value,
        "unit": unit,
        "start_fy": START,
        "end_fy": END,
        "text": text,
    }


QUALITATIVE = {"kind": "qualitative", "text": "年1回以上"}

# code → (published, items); good practices: (code, item code, note).
SHEETS: dict[str, tuple[bool, list[dict[str, Any]]]] = {
    "131016": (  # 千代田区
        True,
        [
            _item(
                "1",
                "kayoinoba",
                "通いの場への参加率の向上 (サンプル)",
                _level(8, "%", "参加率8%"),
                [
                    (2024, "新規の通いの場 4か所を立ち上げ", 6.5, "一部達成", "男性の参加を促す"),
                    (2025, "体操教室を通いの場に移行", 7.4, "一部達成", "担い手の養成を続ける"),
                ],
            ),
            _item(
                "2",
                "ninchisho",
                "認知症サポーターの養成 (サンプル)",
                _cumulative(1500, "人", "3年間で1,500人"),
                [
                    (2024, "養成講座 18回", 520, "達成", "企業向け講座を増やす"),
                    (2025, "養成講座 20回", 540, "達成", "サポーターの活動の場を作る"),
                ],
            ),
            _item(
                "3",
                "zaitaku_iryo_kaigo",
                "多職種連携研修の開催 (サンプル)",
                QUALITATIVE,
                [(2024, "多職種連携研修 2回", None, "達成", "事例検討の形式にする")],
            ),
            _item(
                "4",
                "kyufu_tekiseika",
                "ケアプラン点検 (サンプル)",
                _level(120, "件", "年120件"),
                [
                    (2024, "ケアプラン点検 96件", 96, "未達成", "点検の手順を見直す"),
                    (2025, "ケアプラン点検 118件", 118, "一部達成", "事業所への助言を増やす"),
                ],
            ),
        ],
    ),
    "131041": (  # 新宿区
        True,
        [
            _item(
                "1",
                "kaigo_yobo",
                "短期集中予防サービスの利用者の増加 (サンプル)",
                _level(150, "人", "年150人"),
                [
                    (2024, "利用者 110人", 110, "一部達成", "ケアマネジャーへの周知"),
                    (2025, "利用者 152人", 152, "達成", "終了後の通いの場につなぐ"),
                ],
            ),
            _item(
                "2",
                "chiiki_care_kaigi",
                "自立支援型地域ケア会議の開催 (サンプル)",
                _level(24, "回", "年24回"),
                [
                    (2024, "自立支援型地域ケア会議 20回", 20, "一部達成", "助言者を確保する"),
                    (2025, "同 24回", 24, "達成", "地域課題を施策に反映する"),
                ],
            ),
            _item(
                "3",
                "seikatsu_shien",
                "生活支援の担い手の養成 (サンプル)",
                _cumulative(300, "人", "3年間で300人"),
                [(2024, "担い手養成講座 修了 95人", 95, "一部達成", "講座の回数を増やす")],
            ),
        ],
    ),
    "131121": (  # 世田谷区
        True,
        [
            _item(
                "1",
                "ninchisho",
                "認知症初期集中支援チームの支援件数 (サンプル)",
                _level(200, "件", "年200件"),
                [
                    (2024, "支援 188件", 188, "一部達成", "早期の相談につなげる"),
                    (2025, "支援 205件", 205, "達成", "地域包括支援センターとの連携を強める"),
                ],
            ),
            _item(
                "2",
                "hokatsu_center",
                "地域包括支援センターの事業評価の結果を運営に反映 (サンプル)",
                QUALITATIVE,
                [(2024, "評価結果を運営協議会に報告", None, "達成", "弱い業務分野の研修を行う")],
            ),
        ],
    ),
    "132047": (  # 三鷹市: a draft, hidden from the other municipalities
        False,
        [
            _item(
                "1",
                "kaigo_yobo",
                "フレイル予防の講座の開催 (サンプル・作成中)",
                _level(60, "回", "年60回"),
                [(2024, "講座 48回", 48, "一部達成", "会場を増やす")],
            ),
            _item(
                "2",
                "kyufu_tekiseika",
                "住宅改修の点検 (サンプル・作成中)",
                _level(100, "%", "全件"),
                [(2024, "点検 85%", 85, "一部達成", "訪問調査を増やす")],
            ),
        ],
    ),
    "132021": (  # 立川市
        True,
        [
            _item(
                "1",
                "chiiki_care_kaigi",
                "地域ケア会議で出た地域課題の政策形成への反映 (サンプル)",
                _cumulative(6, "件", "3年間で6件"),
                [
                    (2024, "買い物支援の課題を庁内会議に提起 (2件)", 2, "達成", "移動支援を検討"),
                    (2025, "移動支援のモデル事業を開始 (2件)", 2, "達成", "効果を検証する"),
                ],
            ),
            _item(
                "2",
                "zaitaku_iryo_kaigo",
                "入退院支援ルールの運用 (サンプル)",
                _level(90, "%", "運用率90%"),
                [(2024, "運用率 78%", 78, "一部達成", "病院との意見交換を続ける")],
            ),
        ],
    ),
    "132098": (  # 町田市: a draft
        False,
        [
            _item(
                "1",
                "kayoinoba",
                "通いの場の数 (サンプル・作成中)",
                _level(300, "か所", "300か所"),
                [(2024, "通いの場 262か所", 262, "一部達成", "立ち上げ支援を続ける")],
            ),
        ],
    ),
    "133078": (  # 檜原村
        True,
        [
            _item(
                "1",
                "seikatsu_shien",
                "住民主体の見守り・移動支援 (サンプル)",
                _level(5, "地区", "全5地区"),
                [
                    (2024, "3地区で住民の移動支援を開始", 3, "一部達成", "残る地区の担い手を探す"),
                    (2025, "4地区に拡大", 4, "一部達成", "社会福祉協議会と連携する"),
                ],
            ),
            _item(
                "2",
                "kaigo_yobo",
                "介護予防体操の普及 (サンプル)",
                QUALITATIVE,
                [(2024, "全地区で月1回の体操会", None, "達成", "オンライン参加を試す")],
            ),
        ],
    ),
}

GOOD_PRACTICES = [
    ("131016", "1", "サンプル: 体操教室を通いの場に移す段取りが他の区でも使える"),
    ("132021", "1", "サンプル: 地域ケア会議の課題を政策に上げる流れが明確"),
    ("133078", "1", "サンプル: 小規模な村で住民主体の移動支援を地区ごとに広げた"),
]


async def load(session: AsyncSession, actor: Actor) -> str:
    ids: dict[str, int] = {}
    for code, (published, items) in SHEETS.items():
        body = SheetIn.model_validate(
            {
                "entity_code": code,
                "title": "取組と目標 第9期 (サンプル)",
                "start_fy": START,
                "end_fy": END,
                "items": items,
                "published": published,
            }
        )
        sheet = await create_sheet(session, body, actor=actor)
        ids[code] = sheet.id  # type: ignore[assignment]
    for code, item_code, note in GOOD_PRACTICES:
        await mark_good_practice(
            session, sheet_id=ids[code], item_code=item_code, note=note, actor=actor
        )
    published = sum(1 for p, _ in SHEETS.values() if p)
    return (
        f"区市町村の取組と目標 {len(SHEETS)}件 (公開 {published}件・下書き "
        f"{len(SHEETS) - published}件、好事例 {len(GOOD_PRACTICES)}件、サンプル)"
    )
