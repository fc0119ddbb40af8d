"""Programs and sessions: contracts, versions, holiday and weekend warnings."""

from __future__ import annotations

from tests.training.factories import program, session


class TestPrograms:
    async def test_create_returns_201_with_id_and_defaults(self, training):
        async with training.client() as c:
            r = await c.post(
                "/api/v1/programs",
                json={
                    "name": "見える化研修",
                    "kind": "見える化システム活用研修",
                    "fiscal_year": 2025,
                    "region": "区部",
                },
            )
            assert r.status_code == 201
            body = r.json()
            assert body["id"] > 0 and body["completion_rule"] == "all_days" and body["version"] == 1

    async def test_unknown_kind_and_n_of_m_without_n_are_422(self, training):
        async with training.client() as c:
            bad = await c.post(
                "/api/v1/programs",
                json={"name": "x", "kind": "謎", "fiscal_year": 2025, "region": "全域"},
            )
            no_n = await c.post(
                "/api/v1/programs",
                json={
                    "name": "x",
                    "kind": "その他",
                    "fiscal_year": 2025,
                    "region": "全域",
                    "completion_rule": "n_of_m",
                },
            )
            assert (bad.status_code, no_n.status_code) == (422, 422)

    async def test_stale_version_is_409(self, training):
        async with training.client() as c:
            p = await program(c)
            ok = await c.patch(f"/api/v1/programs/{p['id']}", json={"version": 1, "theme": "PDCA"})
            stale = await c.patch(f"/api/v1/programs/{p['id']}", json={"version": 1, "theme": "別"})
            assert (ok.status_code, ok.json()["version"], stale.status_code) == (200, 2, 409)

    async def test_only_staff_create_programs(self, training):
        async with training.client("municipality", "131016") as m:
            r = await m.post(
                "/api/v1/programs",
                json={"name": "x", "kind": "その他", "fiscal_year": 2025, "region": "全域"},
            )
            assert r.status_code == 403


class TestSessionWarnings:
    async def test_holiday_and_weekend_days_are_allowed_with_warnings(self, training):
        from datetime import date

        async with training.client() as c:
            p = await program(c)
            s = await session(
                c, p["id"], days=[date(2025, 11, 3), date(2025, 11, 8), date(2025, 11, 11)]
            )
            assert s["warnings"] == [
                "2025年11月3日(月)は祝日(文化の日)です。開催日を確認してください",
                "2025年11月8日(土)は土曜日です。開催日を確認してください",
            ]
            assert [d["day_no"] for d in s["days"]] == [1, 2, 3]

    async def test_moving_a_session_onto_a_sunday_warns_and_bumps_version(self, training):
        async with training.client() as c:
            p = await program(c)
            s = await session(c, p["id"])
            assert s["warnings"] == []
            r = await c.patch(
                f"/api/v1/sessions/{s['id']}",
                json={
                    "version": 1,
                    "days": [{"date": "2025-06-15", "start": "10:00", "end": "12:00"}],
                },
            )
            assert r.status_code == 200
            assert r.json()["warnings"] == [
                "2025年6月15日(日)は日曜日です。開催日を確認してください"
            ]
            assert r.json()["version"] == 2
            stale = await c.patch(f"/api/v1/sessions/{s['id']}", json={"version": 1, "capacity": 3})
            assert stale.status_code == 409

    async def test_day_outside_the_program_fiscal_year_is_warned(self, training):
        from datetime import date

        async with training.client() as c:
            p = await program(c, fiscal_year=2025)
            s = await session(c, p["id"], days=[date(2026, 4, 7)])
            assert s["warnings"] == ["2026年4月7日(火)は研修の年度 (令和7年度 (2025年度)) の外です"]

    async def test_days_with_attendance_cannot_be_dropped(self, training):
        from datetime import date

        from tests.training.factories import register

        async with training.client() as c:
            p = await program(c)
            s = await session(c, p["id"], days=[date(2025, 6, 10), date(2025, 6, 17)])
            reg = (await register(c, s["id"], 1)).json()
            await c.put(
                f"/api/v1/sessions/{s['id']}/attendance",
                json={
                    "entries": [{"registration_id": reg["id"], "day_no": 2, "status": "present"}]
                },
            )
            one_day = [{"date": "2025-06-10", "start": "13:30", "end": "16:30"}]
            r = await c.patch(f"/api/v1/sessions/{s['id']}", json={"version": 1, "days": one_day})
            assert r.status_code == 422
            assert "日数を減らせません" in r.json()["detail"]

    async def test_end_before_start_is_422(self, training):
        async with training.client() as c:
            p = await program(c)
            r = await c.post(
                "/api/v1/sessions",
                json={
                    "program_id": p["id"],
                    "days": [{"date": "2025-06-10", "start": "16:00", "end": "13:00"}],
                    "format": "オンライン",
                    "capacity": 5,
                },
            )
            assert r.status_code == 422


class TestOpenApi:
    async def test_schema_lists_the_fixed_endpoints_with_examples(self, training):
        async with training.client() as c:
            spec = (await c.get("/openapi.json")).json()
        paths = spec["paths"]
        for path in (
            "/api/v1/programs",
            "/api/v1/sessions",
            "/api/v1/sessions/{session_id}/registrations",
            "/api/v1/registrations/{registration_id}",
            "/api/v1/stats",
            "/api/v1/participation",
            "/api/v1/kotei-hyo/status",
        ):
            assert path in paths, path
        assert spec["components"]["schemas"]["SessionCreate"]["examples"][0]["format"] == (
            "ハイブリッド"
        )
