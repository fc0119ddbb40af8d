"""One call per gateway view: each answers what the separate calls answered, in one request."""

from __future__ import annotations

from datetime import UTC, date, datetime

from services.common import clock
from tests.training.factories import CHIYODA, CHUO, program, register, session

DAYS = [date(2025, 6, 10), date(2025, 6, 17)]


async def _year(c) -> dict:
    p = await program(c)
    s = await session(c, p["id"], days=DAYS, capacity=2)
    regs = [
        (await register(c, s["id"], i, code=code)).json()
        for i, code in enumerate([CHIYODA, CHUO, CHUO])
    ]
    await c.put(
        f"/api/v1/sessions/{s['id']}/attendance",
        json={
            "entries": [
                {"registration_id": regs[0]["id"], "day_no": d, "status": "present"} for d in (1, 2)
            ]
        },
    )
    await c.post(
        "/api/v1/targets",
        json={"name": "全62", "metric": "municipalities_reached", "fy_from": 2025, "fy_to": 2025},
    )
    return {"program": p, "session": s}


class TestViews:
    async def test_dashboard_holds_the_stats_and_the_sessions_of_this_month(self, training):
        async with training.client() as c:
            await _year(c)
            # 15 June 2025 in Tokyo: the session of 10 and 17 June is this month's
            with clock.frozen_at(datetime(2025, 6, 15, 9, 0)):
                view = (await c.get("/api/v1/views/dashboard", params={"fiscal_year": 2025})).json()
                stats = (await c.get("/api/v1/stats", params={"fiscal_year": 2025})).json()
            # 1 July 00:30 in Tokyo is still 30 June in UTC: the month is Tokyo's
            with clock.frozen_at(datetime(2025, 6, 30, 15, 30, tzinfo=UTC)):
                july = (await c.get("/api/v1/views/dashboard", params={"fiscal_year": 2025})).json()
            sessions = (await c.get("/api/v1/sessions", params={"fiscal_year": 2025})).json()
        assert view["stats"] == stats
        assert (view["month"], view["sessions_this_month"]) == ("2025-06", 1)
        assert (july["month"], july["sessions_this_month"]) == ("2025-07", 0)
        assert (sessions[0]["confirmed"], sessions[0]["waitlisted"]) == (2, 1)
        assert stats["municipalities_reached"] == [CHIYODA]

    async def test_municipality_view_for_the_profile(self, training):
        async with training.client() as c:
            await _year(c)
            view = await c.get("/api/v1/views/municipalities/131016", params={"fiscal_year": 2025})
            part = (
                await c.get(
                    "/api/v1/participation",
                    params={"fiscal_year": 2025, "municipality_code": CHIYODA},
                )
            ).json()
            bad = await c.get("/api/v1/views/municipalities/131017", params={"fiscal_year": 2025})
        assert view.status_code == 200
        body = view.json()
        assert body["participation"] == part["municipalities"][0]
        assert (body["participation"]["completers"], body["participation"]["attendances"]) == (1, 2)
        assert body["kotei_hyo"] == []
        assert bad.status_code == 422 and "131016" in bad.json()["detail"]

    async def test_a_municipality_sees_only_its_own(self, training):
        async with training.client() as c:
            await _year(c)
        async with training.client("municipality", CHUO) as m:
            own = await m.get("/api/v1/views/municipalities/131024", params={"fiscal_year": 2025})
            other = await m.get("/api/v1/views/municipalities/131016", params={"fiscal_year": 2025})
        assert own.status_code == 200 and own.json()["participation"]["registrations"] == 1
        assert other.status_code == 404

    async def test_years_in_one_call(self, training):
        async with training.client() as c:
            await _year(c)
            view = (
                await c.get("/api/v1/views/years", params={"fy_from": 2024, "fy_to": 2026})
            ).json()
            one = (await c.get("/api/v1/stats", params={"fiscal_year": 2025})).json()
            too_long = await c.get("/api/v1/views/years", params={"fy_from": 2018, "fy_to": 2030})
        assert [y["fiscal_year"] for y in view["years"]] == [2024, 2025, 2026]
        assert view["years"][1] == one
        assert too_long.status_code == 422

    async def test_programs_view_holds_the_page(self, training):
        async with training.client() as c:
            await _year(c)
            view = (await c.get("/api/v1/views/programs", params={"fiscal_year": 2025})).json()
            demand = (await c.get("/api/v1/demand", params={"fiscal_year": 2025})).json()
            targets = (await c.get("/api/v1/targets", params={"fiscal_year": 2025})).json()
        assert view["demand"] == demand and view["targets"] == targets
        assert demand["sessions"][0]["applicants"] == 3
        assert [p["name"] for p in view["programs"]] == ["全体研修"]
        assert len(view["sessions"]) == 1
