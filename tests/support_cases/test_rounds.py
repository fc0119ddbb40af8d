"""Rounds, applications and the round summary."""

import asyncio
from datetime import timedelta

from tests.support_cases.factories import (
    CITY,
    FY,
    NEIGHBOUR,
    TODAY,
    TOWN,
    WARD,
    add_visit,
    advance,
    make_advisor,
    make_application,
    make_case,
    make_round,
    ok,
)


class TestRounds:
    async def test_round_defaults_targets_one_per_region_class(self, support_cases):
        async with support_cases.client() as c:
            rnd = await make_round(c)
        assert rnd["targets_by_region_class"] == {"区部": 1, "市部": 1, "町村部": 1}
        assert rnd["theme_policy"] == "open"

    async def test_second_round_for_the_same_year_is_refused(self, support_cases):
        async with support_cases.client() as c:
            await make_round(c)
            r = await c.post(
                "/api/v1/rounds",
                json={
                    "fiscal_year": FY,
                    "application_opens": "2025-04-01",
                    "application_closes": "2025-05-31",
                },
            )
        assert r.status_code == 409
        assert "既に登録" in r.json()["detail"]

    async def test_fixed_theme_policy_needs_themes(self, support_cases):
        async with support_cases.client() as c:
            r = await c.post(
                "/api/v1/rounds",
                json={
                    "fiscal_year": FY,
                    "theme_policy": "fixed",
                    "themes": [],
                    "application_opens": "2025-04-01",
                    "application_closes": "2025-05-31",
                },
            )
        assert r.status_code == 422

    async def test_municipality_cannot_open_a_round(self, support_cases):
        async with support_cases.client("municipality", CITY) as c:
            r = await c.post(
                "/api/v1/rounds",
                json={
                    "fiscal_year": FY,
                    "application_opens": "2025-04-01",
                    "application_closes": "2025-05-31",
                },
            )
        assert r.status_code == 403


class TestApplications:
    async def test_municipality_applies_for_itself_within_the_window(self, support_cases):
        async with support_cases.client() as c:
            await make_round(c)
        async with support_cases.client("municipality", CITY) as m:
            app = await make_application(m, CITY)
        assert app["status"] == "提出"
        assert app["municipality_name"] == "八王子市"
        assert app["region_class"] == "市部"
        assert app["created_by"] == "u-municipality:テスト municipality"

    async def test_application_outside_the_window_gets_422(self, support_cases):
        async with support_cases.client() as c:
            await make_round(
                c,
                application_opens=(TODAY - timedelta(days=30)).isoformat(),
                application_closes=(TODAY - timedelta(days=1)).isoformat(),
            )
            r = await c.post(f"/api/v1/rounds/{FY}/applications", json={"municipality_code": CITY})
        assert r.status_code == 422
        assert "受付期間" in r.json()["detail"]

    async def test_second_application_from_the_same_municipality_gets_409(self, support_cases):
        async with support_cases.client() as c:
            await make_round(c)
            await make_application(c, CITY)
            r = await c.post(f"/api/v1/rounds/{FY}/applications", json={"municipality_code": CITY})
            listed = await ok(await c.get("/api/v1/applications"))
        assert r.status_code == 409
        assert len(listed) == 1
        assert "既に提出" in r.json()["detail"]

    async def test_concurrent_duplicates_leave_exactly_one_application(self, support_cases):
        """Every answer asserted (one 201, nine 409) and the stored count. On SQLite writers are
        serialised by the file lock; the PostgreSQL pass (DATABASE_URL, run by .ci/run) is where
        the unique constraint and the round's row lock are proven under real concurrency."""
        async with support_cases.client() as c:
            await make_round(c)

        async def apply() -> int:
            async with support_cases.client("municipality", CITY) as m:
                r = await m.post(
                    f"/api/v1/rounds/{FY}/applications", json={"municipality_code": CITY}
                )
                return r.status_code

        codes = await asyncio.gather(*(apply() for _ in range(10)))
        async with support_cases.client() as c:
            listed = await ok(await c.get("/api/v1/applications"))
        assert sorted(codes) == [201] + [409] * 9
        assert len(listed) == 1

    async def test_municipality_cannot_apply_for_another(self, support_cases):
        async with support_cases.client() as c:
            await make_round(c)
        async with support_cases.client("municipality", WARD) as m:
            r = await m.post(f"/api/v1/rounds/{FY}/applications", json={"municipality_code": CITY})
        assert r.status_code == 403

    async def test_municipality_outside_tokyo_gets_422(self, support_cases):
        async with support_cases.client() as c:
            await make_round(c)
            r = await c.post(
                f"/api/v1/rounds/{FY}/applications", json={"municipality_code": "011002"}
            )
        assert r.status_code == 422

    async def test_municipality_edits_its_own_and_sees_only_its_own(self, support_cases):
        async with support_cases.client() as c:
            await make_round(c)
            mine = await make_application(c, CITY)
            other = await make_application(c, WARD)
        async with support_cases.client("municipality", CITY) as m:
            edited = await ok(
                await m.patch(
                    f"/api/v1/applications/{mine['id']}",
                    json={"motivation": "男性の参加を増やしたい", "version": mine["version"]},
                )
            )
            assert edited["motivation"] == "男性の参加を増やしたい"
            assert edited["version"] == mine["version"] + 1
            assert (await m.get(f"/api/v1/applications/{other['id']}")).status_code == 404
            r = await m.patch(
                f"/api/v1/applications/{other['id']}", json={"motivation": "x", "version": 1}
            )
            assert r.status_code == 404
            listed = await ok(await m.get(f"/api/v1/rounds/{FY}/applications"))
        assert [a["municipality_code"] for a in listed] == [CITY]

    async def test_municipality_cannot_edit_after_the_decision(self, support_cases):
        async with support_cases.client() as c:
            await make_round(c)
            app = await make_application(c, CITY)
            decided = await ok(
                await c.post(
                    f"/api/v1/applications/{app['id']}/decision",
                    json={"status": "選定", "reason": "", "version": app["version"]},
                )
            )
        async with support_cases.client("municipality", CITY) as m:
            r = await m.patch(
                f"/api/v1/applications/{app['id']}",
                json={"motivation": "変更", "version": decided["version"]},
            )
        assert r.status_code == 409
        assert "選定" in r.json()["detail"]

    async def test_decline_needs_a_reason_and_records_it(self, support_cases):
        async with support_cases.client() as c:
            await make_round(c)
            app = await make_application(c, CITY)
            r = await c.post(
                f"/api/v1/applications/{app['id']}/decision",
                json={"status": "見送り", "reason": "", "version": app["version"]},
            )
            assert r.status_code == 422
            decided = await ok(
                await c.post(
                    f"/api/v1/applications/{app['id']}/decision",
                    json={
                        "status": "見送り",
                        "reason": "同じ市部から動機の明確な希望があった",
                        "version": app["version"],
                    },
                )
            )
        assert decided["status"] == "見送り"
        assert decided["decision_reason"] == "同じ市部から動機の明確な希望があった"
        assert decided["decided_by"] == "u-coordinator:テスト coordinator"

    async def test_round_application_list_carries_motivation(self, support_cases):
        async with support_cases.client() as c:
            await make_round(c)
            await make_application(c, CITY, motivation="認知症の早期発見を進めたい")
            listed = await ok(await c.get(f"/api/v1/rounds/{FY}/applications"))
        assert listed[0]["motivation"] == "認知症の早期発見を進めたい"


class TestRoundSummary:
    async def test_summary_counts_applications_selections_cases_and_dispatches(self, support_cases):
        async with support_cases.client() as c:
            await make_round(c)
            a1 = await make_advisor(c, "山田 花子")
            a2 = await make_advisor(c, "佐藤 一郎")
            # six applications; three become cases, one is declined
            ward = await make_case(c, WARD, advisor_ids=[a1["id"]])
            city = await make_case(c, CITY, advisor_ids=[a1["id"], a2["id"]], observers=[NEIGHBOUR])
            await make_case(c, TOWN, advisor_ids=[a2["id"]])
            await make_application(c, "131032")
            declined = await make_application(c, "132098")
            await make_application(c, "133078")
            await ok(
                await c.post(
                    f"/api/v1/applications/{declined['id']}/decision",
                    json={"status": "見送り", "reason": "次年度に再検討", "version": 1},
                )
            )
            await add_visit(c, city["id"], a1["id"], hours=3.0)
            await ok(
                await c.post(
                    f"/api/v1/cases/{city['id']}/visits",
                    json={
                        "visit_date": TODAY.isoformat(),
                        "online": True,
                        "advisors": [
                            {"advisor_id": a1["id"], "hours": 2.0},
                            {"advisor_id": a2["id"], "hours": 1.5},
                        ],
                    },
                ),
                201,
            )
            await add_visit(c, ward["id"], a1["id"], hours=4.0)
            await ok(await advance(c, ward["id"], "ヒアリング"))
            summary = await ok(await c.get(f"/api/v1/rounds/{FY}/summary"))
        assert summary["fiscal_year"] == FY
        assert summary["applications"] == 6
        assert summary["selected_by_region_class"] == {"区部": 1, "市部": 1, "町村部": 1}
        assert summary["cases_by_status"]["選定"] == 2
        assert summary["cases_by_status"]["ヒアリング"] == 1
        assert summary["cases_by_status"]["完了"] == 0
        assert summary["advisor_dispatches"] == 4
        assert summary["advisor_hours"] == 10.5
        assert summary["applications_by_status"] == {"提出": 2, "選定": 3, "見送り": 1}

    async def test_summary_of_unknown_year_is_404(self, support_cases):
        async with support_cases.client("viewer") as c:
            r = await c.get("/api/v1/rounds/2031/summary")
        assert r.status_code == 404


class TestFixedThemes:
    async def test_fixed_policy_limits_wished_themes_and_case_themes(self, support_cases):
        async with support_cases.client() as c:
            await make_round(c, theme_policy="fixed", themes=["認知症"])
            wrong = await c.post(
                f"/api/v1/rounds/{FY}/applications",
                json={"municipality_code": CITY, "wished_themes": ["介護予防"]},
            )
            await make_application(c, CITY, wished_themes=["認知症"])
            adv = await make_advisor(c)
            case = await c.post(
                "/api/v1/cases",
                json={
                    "fiscal_year": FY,
                    "municipality_code": CITY,
                    "theme": "介護予防",
                    "advisor_ids": [adv["id"]],
                },
            )
        assert wrong.status_code == 422
        assert "認知症" in wrong.json()["detail"]
        assert case.status_code == 422


class TestAdvisors:
    async def test_inactive_advisor_cannot_be_assigned(self, support_cases):
        async with support_cases.client() as c:
            await make_round(c)
            adv = await make_advisor(c, active=False)
            await make_application(c, CITY)
            r = await c.post(
                "/api/v1/cases",
                json={
                    "fiscal_year": FY,
                    "municipality_code": CITY,
                    "theme": "介護予防",
                    "advisor_ids": [adv["id"]],
                },
            )
            listed = await ok(await c.get("/api/v1/advisors", params={"active": True}))
        assert r.status_code == 422
        assert "休止" in r.json()["detail"]
        assert listed == []

    async def test_one_login_belongs_to_one_advisor(self, support_cases):
        async with support_cases.client() as c:
            await make_advisor(c, "一人目", actor_id="adv-1")
            r = await c.post("/api/v1/advisors", json={"name": "二人目", "actor_id": "adv-1"})
        assert r.status_code == 409
