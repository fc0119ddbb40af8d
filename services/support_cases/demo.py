"""Demo data (サンプル) for the support_cases service, loaded once into an empty database.

One round for the current fiscal year with six applications, three advisors and three cases
(a ward, a city, a village) at different stages; the city's case carries two hearings, a
logic tree of three levels, initiatives and a roadmap. Everything goes through the service
functions, so the demo obeys the same rules as the API.
"""

from __future__ import annotations

from datetime import date

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.common import clock
from services.common.actor import Actor, Role
from services.common.models import stamp_created
from services.support_cases.advisors.models import Advisor
from services.support_cases.cases import service as cases
from services.support_cases.cases.models import CaseCreate, CaseStatus, TransitionRequest
from services.support_cases.reports import service as reports
from services.support_cases.reports.models import LessonsUpdate
from services.support_cases.roadmaps import service as roadmaps
from services.support_cases.roadmaps.models import (
    InitiativeCreate,
    RoadmapItemCreate,
    RoadmapItemUpdate,
)
from services.support_cases.rounds import service as rounds
from services.support_cases.rounds.models import (
    ApplicationCreate,
    ApplicationDecision,
    ApplicationStatus,
    RoundCreate,
    SupportRound,
)
from services.support_cases.trees import service as trees
from services.support_cases.trees.models import NodeCreate
from services.support_cases.visits import service as visits
from services.support_cases.visits.models import VisitCreate

DEMO = Actor(id="demo", name="サンプル", role=Role.coordinator)

APPLICATIONS = [
    ("131121", ["認知症"], "認知症の人の早期発見・早期対応の流れが地域で途切れている"),
    ("131032", ["計画の進捗管理"], "計画の目標と事業の実績がつながっていない"),
    ("132012", ["介護予防"], "通いの場の参加率が伸び悩み、参加者が固定化している"),
    ("132098", ["在宅医療・介護連携"], "入退院時の情報共有を改善したい"),
    ("133078", ["計画の進捗管理"], "少人数の体制で計画の進捗管理を続ける方法を知りたい"),
    ("133086", ["介護予防"], "集落ごとの通いの場を維持したい"),
]


async def _advance(session: AsyncSession, case_id: int, *steps: CaseStatus) -> None:
    for to in steps:
        current = await cases.get_case(session, actor=DEMO, case_id=case_id)
        await cases.transition(
            session,
            actor=DEMO,
            case_id=case_id,
            body=TransitionRequest(to_status=to, version=current.version),
        )


async def load(session: AsyncSession) -> str | None:
    if (await session.exec(select(SupportRound).limit(1))).first() is not None:
        return None
    fy = clock.current_fiscal_year()
    await rounds.create_round(
        session,
        actor=DEMO,
        body=RoundCreate(
            fiscal_year=fy,
            application_opens=date(fy, 4, 1),
            application_closes=date(fy, 5, 31),
            advisor_days_budget=36,
        ),
    )
    apps = {}
    for code, themes, motivation in APPLICATIONS:
        apps[code] = await rounds.create_application(
            session,
            actor=DEMO,
            fiscal_year=fy,
            body=ApplicationCreate(
                municipality_code=code,
                wished_themes=themes,
                motivation=motivation,
                current_efforts="関係課で検討を始めたが、原因の整理に手が回っていない",
                contact_name="介護保険担当",
            ),
            today=date(fy, 5, 1),
        )
    await rounds.decide_application(
        session,
        actor=DEMO,
        application_id=apps["132098"].id,
        body=ApplicationDecision(
            status=ApplicationStatus.declined,
            reason="市部は八王子市を選定。次年度の応募を案内",
            version=apps["132098"].version,
        ),
    )

    advisors = []
    for name, affiliation, specialties, actor_id in (
        # 山田 花子 is the demo advisor login's person (scripts/demo_users.py: demo-advisor).
        ("山田 花子", "都内大学 公衆衛生学", ["介護予防", "データ分析"], "demo-advisor"),
        ("佐藤 一郎", "地域包括ケア研究所", ["認知症", "在宅医療・介護連携"], "advisor-sato"),
        ("鈴木 美穂", "元 市介護保険課長", ["計画の進捗管理"], "advisor-suzuki"),
    ):
        adv = Advisor(
            name=name,
            affiliation=affiliation,
            specialties=specialties,
            availability="平日 (月2回まで)",
            actor_id=actor_id,
        )
        stamp_created(adv, DEMO)
        session.add(adv)
        advisors.append(adv)
    await session.flush()
    yamada, sato, suzuki = (a.id for a in advisors)

    # 八王子市 (市部): far along, with two hearings, a tree, initiatives and a roadmap.
    city = await cases.create_case(
        session,
        actor=DEMO,
        body=CaseCreate(
            fiscal_year=fy,
            municipality_code="132012",
            theme="介護予防",
            indicator_item_codes=["Ⅱ(3)①", "Ⅱ(3)②"],
            observers=["132128"],
            advisor_ids=[yamada, suzuki],  # type: ignore[list-item]
            background="通いの場の参加率は3年間横ばいで、参加者の多くが後期高齢の女性である。",
        ),
    )
    await _advance(session, city.id, CaseStatus.hearing)
    await visits.create_visit(
        session,
        actor=DEMO,
        case_id=city.id,
        body=VisitCreate(
            visit_date=date(fy, 7, 10),
            place="八王子市役所 会議室",
            advisors=[{"advisor_id": yamada, "hours": 3}, {"advisor_id": suzuki, "hours": 3}],
            attendees=[
                {"name": "高齢者いきいき課 担当", "organization": "八王子市"},
                {"name": "介護予防担当", "organization": "日野市", "municipality_code": "132128"},
            ],
            observer_codes=["132128"],
            agenda="現状の共有、手元のデータの確認",
            notes="参加者名簿を持参いただき、その場で年齢・性別を集計。男性は15%に留まる。",
            issues_found=["男性の参加が少ない", "会場が市の東部に偏っている"],
            data_requests=[
                {"description": "通いの場 会場一覧と開催頻度", "due_date": date(fy, 7, 31)},
                {"description": "地区別の高齢者人口", "due_date": date(fy, 7, 31)},
            ],
            follow_ups=["次回までに会場別の参加者数を整理する"],
        ),
    )
    root = await trees.add_node(
        session,
        actor=DEMO,
        case_id=city.id,
        body=NodeCreate(
            statement="通いの場の参加率が伸びない",
            evidence="参加率 4.1% (3年横ばい)",
            indicator_item_codes=["Ⅱ(3)①"],
            # cites the regional analysis (地域分析): the case workspace shows the value
            measure_evidence=[
                {"measure_code": "kayoinoba_rate", "fiscal_year": 2023, "note": "都平均と比べる"}
            ],
        ),
    )
    men = await trees.add_node(
        session,
        actor=DEMO,
        case_id=city.id,
        body=NodeCreate(
            parent_id=root.id, statement="男性の参加が少ない", evidence="参加者の85%が女性"
        ),
    )
    venue = await trees.add_node(
        session,
        actor=DEMO,
        case_id=city.id,
        body=NodeCreate(
            parent_id=root.id,
            statement="会場が市東部に偏っている",
            evidence="会場12か所のうち9か所が東部",
            data_refs=["通いの場 会場一覧"],
        ),
    )
    invite = await trees.add_node(
        session,
        actor=DEMO,
        case_id=city.id,
        body=NodeCreate(
            parent_id=men.id,
            statement="体操中心の内容が男性の関心に合わない",
            is_hypothesis=True,
        ),
    )
    await trees.add_node(
        session,
        actor=DEMO,
        case_id=city.id,
        body=NodeCreate(
            parent_id=venue.id,
            statement="西部には会場に使える集会所が少ない",
            is_hypothesis=True,
        ),
    )
    await visits.create_visit(
        session,
        actor=DEMO,
        case_id=city.id,
        body=VisitCreate(
            visit_date=date(fy, 8, 28),
            online=True,
            advisors=[{"advisor_id": yamada, "hours": 2}],
            attendees=[{"name": "高齢者いきいき課 担当", "organization": "八王子市"}],
            agenda="ロジックツリーの確認、取組の候補",
            notes="男性の関心に合う内容の仮説を確認するため、男性参加者3名に聞き取りを行うことにした。",
            issues_found=["男性向けの内容がない"],
            follow_ups=["取組の候補を3つに絞る"],
        ),
    )
    await _advance(session, city.id, CaseStatus.analysis, CaseStatus.initiative_selection)
    chosen = await roadmaps.create_initiative(
        session,
        actor=DEMO,
        case_id=city.id,
        body=InitiativeCreate(
            node_id=invite.id,
            title="男性向け「将棋×筋トレ」教室の試行",
            chosen=True,
            reason="男性の関心に直接働きかけ、既存の会場で始められる",
        ),
    )
    await roadmaps.create_initiative(
        session,
        actor=DEMO,
        case_id=city.id,
        body=InitiativeCreate(
            node_id=venue.id,
            title="西部に新たな会場を開設",
            chosen=False,
            reason="",
        ),
    )
    await _advance(session, city.id, CaseStatus.roadmap)
    item = await roadmaps.create_item(
        session,
        actor=DEMO,
        case_id=city.id,
        body=RoadmapItemCreate(
            initiative_id=chosen.id,
            owner="高齢者いきいき課 介護予防担当",
            start_month=f"{fy}-10",
            end_month=f"{fy + 1}-03",
            milestones=[
                {"month": f"{fy}-10", "description": "試行教室 開始"},
                {"month": f"{fy + 1}-02", "description": "参加者アンケート"},
            ],
            kpi_custom="通いの場の男性参加者数",
            kpi_unit="人",
            baseline=120,
            target=180,
            verification_method="参加者名簿を四半期ごとに集計し、前年同期と比較する",
        ),
    )
    await _advance(session, city.id, CaseStatus.implementation)
    await roadmaps.update_item(
        session,
        actor=DEMO,
        case_id=city.id,
        item_id=item.id,
        body=RoadmapItemUpdate(
            version=item.version, status="実施中", progress_note="2地区で試行を開始 (初回14人)"
        ),
    )
    await reports.save_lessons(
        session,
        actor=DEMO,
        case_id=city.id,
        body=LessonsUpdate(
            lessons="データ分析は打合せの場で担当者に名簿を持ってきてもらうと早い。", version=0
        ),
    )

    # 世田谷区 (区部): hearings under way.
    ward = await cases.create_case(
        session,
        actor=DEMO,
        body=CaseCreate(
            fiscal_year=fy,
            municipality_code="131121",
            theme="認知症",
            advisor_ids=[sato],  # type: ignore[list-item]
            background="認知症初期集中支援チームへのつなぎが少ない。",
        ),
    )
    await _advance(session, ward.id, CaseStatus.hearing)

    # 檜原村 (町村部): just selected.
    await cases.create_case(
        session,
        actor=DEMO,
        body=CaseCreate(
            fiscal_year=fy,
            municipality_code="133078",
            theme="計画の進捗管理",
            advisor_ids=[suzuki],  # type: ignore[list-item]
            observers=["133086"],
        ),
    )
    return f"支援年度 {fy}: 希望 {len(APPLICATIONS)} 件、専門家 3 人、支援事例 3 件"
