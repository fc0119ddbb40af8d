"""Demo data (サンプル) for the training service, loaded once into an empty database.

The current fiscal year's programs of every kind with sessions spread over the year (some
full with a waitlist), attendance and survey answers for the sessions already held, a
three-year completer target part-way, coverage and 年1回以上 targets, and two
パワーアップセミナー municipalities with their 工程表 (one with an overdue step). Beside the
samples, the real figures of seed 003 as history from before the product: 地域ケア会議
司会者・助言者 completers 352, 428 and 419 in FY2018–2020 against the three-year target of 1,350,
with their source."""

from __future__ import annotations

import random
from datetime import date, time, timedelta

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.common.actor import Actor, Role
from services.common.fiscal import fiscal_year_of, fiscal_year_start
from services.common.registry import get_registry
from services.training.attendance.models import AttendanceEntry, Mark
from services.training.attendance.service import record
from services.training.history.models import HistoryRowIn
from services.training.history.service import write as write_history
from services.training.kotei_hyo.models import CheckInCreate, KoteiHyoCreate, StepIn
from services.training.kotei_hyo.service import add_check_in
from services.training.kotei_hyo.service import create as create_kotei_hyo
from services.training.programs.models import DayIn, Program, ProgramCreate, SessionCreate
from services.training.programs.service import create_program, create_session
from services.training.registrations.models import RegistrationCreate
from services.training.registrations.service import register
from services.training.reporting.models import SurveyCreate, TargetCreate
from services.training.reporting.service import add_survey, create_target
from services.training.timeutil import today

DEMO = Actor(id="demo", name="サンプル", role=Role.coordinator)

# (name, kind, region, audience, theme, rule, min days, [(month offset, days, capacity, format)])
PROGRAMS = [
    (
        "全体研修・情報交換会",
        "全体研修・情報交換会",
        "全域",
        ["リーダー層", "実務担当者"],
        "インセンティブ交付金の指標から見る地域包括ケアの点検",
        "all_days",
        None,
        [(1, 1, 120, "ハイブリッド"), (8, 1, 120, "ハイブリッド")],
    ),
    (
        "地域包括ケア「見える化」システム活用研修",
        "見える化システム活用研修",
        "全域",
        ["計画担当"],
        "見える化システムで地域課題を読み解く",
        "all_days",
        None,
        [(3, 1, 40, "会場")],
    ),
    (
        "パワーアップセミナー",
        "パワーアップセミナー",
        "町村部",
        ["リーダー層", "計画担当"],
        "PDCAサイクルに沿った工程表の策定",
        "n_of_m",
        2,
        [(2, 3, 20, "会場")],
    ),
    (
        "地域ケア会議 司会者・助言者養成研修",
        "地域ケア会議 司会者・助言者養成",
        "全域",
        ["地域包括支援センター職員", "リハビリ専門職"],
        "自立支援に資する個別事例の検討",
        "n_of_m",
        2,
        [(4, 2, 30, "会場"), (9, 2, 30, "オンライン")],
    ),
    (
        "生活支援コーディネーター 初任者研修",
        "生活支援コーディネーター 初任者",
        "全域",
        ["地域支援事業担当"],
        "資源開発と協議体の運営",
        "all_days",
        None,
        [(5, 2, 25, "会場")],
    ),
    (
        "生活支援コーディネーター 現任者研修",
        "生活支援コーディネーター 現任者",
        "全域",
        ["地域支援事業担当"],
        "地域づくりの実践と振り返り",
        "all_days",
        None,
        [(6, 1, 20, "オンライン")],
    ),
    (
        "介護予防 総論",
        "介護予防 総論",
        "全域",
        ["実務担当者"],
        "介護予防・日常生活支援総合事業",
        "all_days",
        None,
        [(2, 1, 60, "オンライン")],
    ),
    (
        "介護予防 実践",
        "介護予防 実践",
        "市部",
        ["実務担当者", "リハビリ専門職"],
        "通いの場とリハビリ専門職の関与",
        "all_days",
        None,
        [(7, 1, 30, "会場")],
    ),
]


def _weekday(d: date) -> date:
    while d.weekday() >= 5:
        d += timedelta(days=1)
    return d


def _people(rng: random.Random, n: int, codes: list[str], tag: str) -> list[RegistrationCreate]:
    family = ["佐藤", "鈴木", "高橋", "田中", "伊藤", "渡辺", "山本", "中村", "小林", "加藤"]
    given = ["花子", "太郎", "美咲", "健一", "陽子", "大輔", "由美", "翔", "恵", "誠"]
    roles = ["実務担当者", "地域包括支援センター職員", "計画担当", "リーダー層", "リハビリ専門職"]
    out = []
    for i in range(n):
        code = rng.choice(codes)
        out.append(
            RegistrationCreate(
                name=f"{rng.choice(family)} {rng.choice(given)}",
                municipality_code=code,
                role=rng.choice(roles),
                email=f"{tag}-{i}@{code}.example.lg.jp",
            )
        )
    return out


async def _held_session(
    session: AsyncSession,
    rng: random.Random,
    program: Program,
    first: date,
    n_days: int,
    capacity: int,
    fmt: str,
    applicants: int,
    codes: list[str],
    tag: str,
) -> None:
    days = [
        DayIn(date=_weekday(first + timedelta(days=7 * k)), start=time(13, 30), end=time(16, 30))
        for k in range(n_days)
    ]
    ts, _ = await create_session(
        session,
        data=SessionCreate(
            program_id=program.id,  # type: ignore[arg-type]
            days=days,
            format=fmt,  # type: ignore[arg-type]
            capacity=capacity,
            venue="都庁第一本庁舎 5階大会議場" if fmt != "オンライン" else "",
            meeting_url="https://meet.example.jp/banso" if fmt != "会場" else "",
            recording_url="https://video.example.jp/banso/rec" if fmt != "会場" else "",
        ),
        actor=DEMO,
    )
    regs = [
        await register(session, session_id=ts.id, data=p, actor=DEMO)  # type: ignore[arg-type]
        for p in _people(rng, applicants, codes, tag)
    ]
    if days[-1].date >= today():
        return
    entries = []
    for reg in regs:
        if reg.status != "confirmed":
            continue
        for d in range(1, n_days + 1):
            mark = rng.choices([Mark.present, Mark.on_demand, Mark.absent], [80, 10, 10])[0]
            entries.append(AttendanceEntry(registration_id=reg.id, day_no=d, status=mark))  # type: ignore[arg-type]
    if entries:
        await record(session, session_id=ts.id, entries=entries, actor=DEMO)  # type: ignore[arg-type]
    comments = [
        "他自治体の事例が参考になった",
        "グループワークの時間をもっと長く",
        "",
        "資料を事前に配布してほしい",
        "",
    ]
    for _ in range(max(3, len(regs) // 4)):
        await add_survey(
            session,
            session_id=ts.id,  # type: ignore[arg-type]
            data=SurveyCreate(
                satisfaction=rng.choice([3, 4, 4, 5, 5]), comment=rng.choice(comments)
            ),
            actor=DEMO,
        )


# Seed 003 (東京都の取組と目標 自己評価シート, 別紙2 事項1): the real completers of the
# 地域ケア会議 司会者・助言者 training before the product, against 1,350 over FY2018–2020.
SEED_003_SOURCE = (
    "東京都「自立支援・介護予防・重度化防止等に取り組む区市町村への支援の取組と目標設定」"
    "自己評価シート 別紙2 事項1 (第7期東京都高齢者保健福祉計画 p378〜380 参考; seed 003)"
)
SEED_003_HISTORY = (
    (2018, 352, "募集規模360人"),
    (2019, 428, "募集規模450人"),
    (2020, 419, "募集規模540人"),
)


async def load_seed_history(session: AsyncSession) -> None:
    """The seed's figures as history (過去の実績) with their source: not sample data."""
    rows = [
        HistoryRowIn(
            kind="地域ケア会議 司会者・助言者養成",  # type: ignore[arg-type]
            fiscal_year=fy,
            completers=completers,
            source=SEED_003_SOURCE,
            note=note,
        )
        for fy, completers, note in SEED_003_HISTORY
    ]
    await write_history(
        session, rows=rows, actor=DEMO, locs=[["seed", i] for i in range(len(rows))]
    )


async def load(session: AsyncSession) -> str | None:
    if (await session.exec(select(Program).limit(1))).first() is not None:
        return None
    rng = random.Random(20250401)
    fy = fiscal_year_of(today())
    home = get_registry().home()
    codes = [m.code for m in home if not m.island] + ["133612", "134015"]
    start = fiscal_year_start(fy)
    n_sessions = 0
    by_kind: dict[str, Program] = {}
    for name, kind, region, audience, theme, rule, min_days, plan in PROGRAMS:
        program = await create_program(
            session,
            data=ProgramCreate(
                name=name,
                kind=kind,  # type: ignore[arg-type]
                fiscal_year=fy,
                region=region,  # type: ignore[arg-type]
                audience_roles=audience,
                theme=theme,
                completion_rule=rule,  # type: ignore[arg-type]
                completion_min_days=min_days,
            ),
            actor=DEMO,
        )
        by_kind[kind] = program
        for k, (month, n_days, capacity, fmt) in enumerate(plan):
            first = start + timedelta(days=30 * month + 10)
            # Every other session is over-subscribed, so that it shows a waitlist.
            applicants = capacity + 6 if n_sessions % 2 == 0 else int(capacity * 0.8)
            await _held_session(
                session,
                rng,
                program,
                first,
                n_days,
                capacity,
                fmt,
                applicants,
                codes,
                f"p{len(by_kind)}s{k}",
            )
            n_sessions += 1
    # Last year's 地域ケア会議 training, so that the three-year target is part-way.
    last_year = await create_program(
        session,
        data=ProgramCreate(
            name="地域ケア会議 司会者・助言者養成研修",
            kind="地域ケア会議 司会者・助言者養成",  # type: ignore[arg-type]
            fiscal_year=fy - 1,
            completion_rule="n_of_m",  # type: ignore[arg-type]
            completion_min_days=2,
        ),
        actor=DEMO,
    )
    await _held_session(
        session,
        rng,
        last_year,
        fiscal_year_start(fy - 1) + timedelta(days=200),
        2,
        60,
        "会場",
        58,
        codes,
        "ly",
    )
    for target in (
        TargetCreate(
            name="地域ケア会議 司会者・助言者 修了者 3か年で150人",
            kind="地域ケア会議 司会者・助言者養成",
            metric="completers",
            fy_from=fy - 1,
            fy_to=fy + 1,
            value=150,
        ),  # type: ignore[arg-type]
        TargetCreate(
            name="見える化システム活用研修 年1回以上",
            kind="見える化システム活用研修",
            metric="sessions_per_year",
            fy_from=fy,
            fy_to=fy + 2,
            value=1,
        ),  # type: ignore[arg-type]
        TargetCreate(
            name="全62区市町村が研修を受講",
            metric="municipalities_reached",
            fy_from=fy,
            fy_to=fy + 2,
        ),  # type: ignore[arg-type]
        # The prefecture's real target of seed 003 and its history, below.
        TargetCreate(
            name="地域ケア会議 司会者・助言者 修了者 3か年で1,350人 (第7期)",
            kind="地域ケア会議 司会者・助言者養成",
            metric="completers",
            fy_from=2018,
            fy_to=2020,
            value=1350,
        ),  # type: ignore[arg-type]
    ):
        await create_target(session, data=target, actor=DEMO)
    await load_seed_history(session)
    power_up = by_kind["パワーアップセミナー"]
    t = today()
    for code, title, late in (
        ("133078", "介護予防・日常生活支援の推進", True),
        ("133086", "地域ケア会議の機能強化", False),
    ):
        kh = await create_kotei_hyo(
            session,
            data=KoteiHyoCreate(
                program_id=power_up.id,  # type: ignore[arg-type]
                municipality_code=code,
                title=title,
                steps=[
                    StepIn(
                        title="見える化システムで現状を分析",
                        due_date=t - timedelta(days=40),
                        owner="高齢福祉係",
                    ),
                    StepIn(
                        title="地域ケア会議で課題を共有",
                        due_date=t - timedelta(days=10),
                        owner="地域包括支援センター",
                    ),
                    StepIn(
                        title="次期計画への反映案を作成",
                        due_date=t + timedelta(days=90),
                        owner="計画担当",
                    ),
                ],
            ),
            actor=DEMO,
        )
        from services.training.kotei_hyo.models import KoteiStep

        steps = (
            await session.exec(
                select(KoteiStep).where(KoteiStep.kotei_hyo_id == kh.id).order_by(KoteiStep.step_no)
            )
        ).all()
        await add_check_in(
            session,
            kotei_hyo_id=kh.id,
            data=CheckInCreate(
                step_id=steps[0].id,
                checked_on=t - timedelta(days=35),
                status="完了",
                note="分析結果を課内で共有",
            ),
            actor=DEMO,
        )  # type: ignore[arg-type]
        second = (
            ("遅れ", "会議日程の調整がつかず延期") if late else ("完了", "12月の会議で共有済み")
        )
        await add_check_in(
            session,
            kotei_hyo_id=kh.id,
            data=CheckInCreate(
                step_id=steps[1].id,
                checked_on=t - timedelta(days=5),
                status=second[0],
                note=second[1],
            ),
            actor=DEMO,
        )  # type: ignore[arg-type]
    await session.flush()
    return f"研修 {len(PROGRAMS) + 1}件、開催回 {n_sessions + 1}件、工程表 2件、目標 4件、過去の実績 3件"
