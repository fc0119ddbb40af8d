"""Stats, participation, targets and coverage, demand signal, surveys."""

from __future__ import annotations

from datetime import date

from tests.training.factories import CHIYODA, CHUO, MINATO, program, register, session

DAYS = [date(2025, 6, 10), date(2025, 6, 17)]


async def _year_2025(c):
    """Two kinds in FY2025: 全体研修 (2 completers from 千代田, 1 attendee from 中央) and
    見える化 (1 completer from 港), plus a future session not yet held."""
    p1 = await program(c)
    s1 = await session(c, p1["id"], days=DAYS, capacity=5)
    regs = [
        (await register(c, s1["id"], i, code=code)).json()
        for i, code in enumerate([CHIYODA, CHIYODA, CHUO])
    ]
    marks = [(0, 1), (0, 2), (1, 1), (1, 2), (2, 1)]
    await c.put(
        f"/api/v1/sessions/{s1['id']}/attendance",
        json={
            "entries": [
                {"registration_id": regs[i]["id"], "day_no": d, "status": "present"}
                for i, d in marks
            ]
        },
    )
    p2 = await program(c, name="見える化", kind="見える化システム活用研修")
    s2 = await session(c, p2["id"], days=[date(2025, 9, 9)], capacity=1)
    m = (await register(c, s2["id"], 9, code=MINATO)).json()
    await register(c, s2["id"], 10, code=CHUO)  # waitlisted: over-subscribed
    await c.put(
        f"/api/v1/sessions/{s2['id']}/attendance",
        json={"entries": [{"registration_id": m["id"], "day_no": 1, "status": "on_demand"}]},
    )
    await session(c, p2["id"], days=[date(2099, 9, 8)], capacity=1)
    return p1, p2


class TestStats:
    async def test_stats_for_a_fiscal_year(self, training):
        async with training.client() as c:
            await _year_2025(c)
            body = (await c.get("/api/v1/stats", params={"fiscal_year": 2025})).json()
        assert body["sessions_held_by_kind"]["全体研修・情報交換会"] == 1
        assert body["sessions_held_by_kind"]["見える化システム活用研修"] == 1
        assert body["completers_by_kind"]["全体研修・情報交換会"] == 2
        assert body["completers_by_kind"]["見える化システム活用研修"] == 1
        assert body["persons_by_kind"]["全体研修・情報交換会"] == 3
        assert body["attendances_by_kind"]["全体研修・情報交換会"] == 5
        assert body["municipalities_reached"] == [CHIYODA, CHUO, MINATO]
        assert len(body["municipalities_not_reached"]) == 59
        assert CHIYODA not in body["municipalities_not_reached"]

    async def test_participation_per_municipality_in_one_call(self, training):
        async with training.client() as c:
            await _year_2025(c)
            body = (await c.get("/api/v1/participation", params={"fiscal_year": 2025})).json()
            rows = {r["municipality_code"]: r for r in body["municipalities"]}
            assert len(rows) == 62
            assert rows[CHIYODA]["completers"] == 2 and rows[CHIYODA]["persons"] == 2
            assert rows[CHIYODA]["attendances"] == 4
            assert rows[CHIYODA]["sessions_attended_by_kind"] == {"全体研修・情報交換会": 1}
            assert rows[CHUO]["completers"] == 0 and rows[CHUO]["registrations"] == 1
            assert rows["132012"]["reached"] is False
        async with training.client("municipality", CHUO) as m:
            body = (await m.get("/api/v1/participation", params={"fiscal_year": 2025})).json()
            assert [r["municipality_code"] for r in body["municipalities"]] == [CHUO]
            other = await m.get(
                "/api/v1/participation", params={"fiscal_year": 2025, "municipality_code": CHIYODA}
            )
            assert other.json()["municipalities"] == []


class TestTargets:
    async def test_completer_target_shows_remaining_gap(self, training):
        async with training.client() as c:
            await _year_2025(c)
            r = await c.post(
                "/api/v1/targets",
                json={
                    "name": "修了者 3か年で10人",
                    "metric": "completers",
                    "fy_from": 2024,
                    "fy_to": 2026,
                    "value": 10,
                },
            )
            assert r.status_code == 201, r.text
            t = r.json()
            assert (t["actual"], t["remaining"], t["progress"], t["achieved"]) == (3, 7, 0.3, False)
            assert [y["actual"] for y in t["by_year"]] == [0, 3, 0]

    async def test_sessions_per_year_and_coverage_of_all_62(self, training):
        async with training.client() as c:
            _p1, p2 = await _year_2025(c)
            yearly = (
                await c.post(
                    "/api/v1/targets",
                    json={
                        "name": "見える化 年1回以上",
                        "kind": "見える化システム活用研修",
                        "metric": "sessions_per_year",
                        "fy_from": 2025,
                        "fy_to": 2025,
                        "value": 1,
                    },
                )
            ).json()
            assert (
                yearly["by_year"][0]["actual"],
                yearly["by_year"][0]["met"],
                yearly["achieved"],
            ) == (1, True, True)
            coverage = (
                await c.post(
                    "/api/v1/targets",
                    json={
                        "name": "全62区市町村",
                        "metric": "municipalities_reached",
                        "fy_from": 2025,
                        "fy_to": 2025,
                    },
                )
            ).json()
            assert (coverage["value"], coverage["actual"], coverage["remaining"]) == (62, 3, 59)
            assert coverage["by_year"][0]["met"] is False
            assert len(coverage["municipalities_not_reached"]) == 59
            assert MINATO not in coverage["municipalities_not_reached"]
            listed = (await c.get("/api/v1/targets", params={"fiscal_year": 2025})).json()
            assert [t["id"] for t in listed] == [yearly["id"], coverage["id"]]
            stale = await c.patch(
                f"/api/v1/targets/{yearly['id']}", json={"version": 2, "value": 2}
            )
            assert stale.status_code == 409


class TestDemand:
    async def test_over_subscribed_program_gets_a_suggested_capacity(self, training):
        async with training.client() as c:
            _p1, p2 = await _year_2025(c)
            await register(c, 2, 11, code=CHIYODA)
            body = (await c.get("/api/v1/demand", params={"fiscal_year": 2025})).json()
        over = body["over_subscribed"]
        # 見える化: two sessions of 1 seat (2 seats), 3 applicants (1 confirmed, 2 waiting).
        assert [(p["program_id"], p["capacity"], p["applicants"]) for p in over] == [
            (p2["id"], 2, 3)
        ]
        assert over[0]["suggested_capacity"] == 10
        s = [row for row in body["sessions"] if row["program_id"] == p2["id"]][0]
        assert (s["capacity"], s["applicants"], s["over_subscribed"]) == (1, 3, True)
        assert "10人単位で切り上げ" in body["rule"]


class TestSurveys:
    async def test_summary_per_session_and_program(self, training):
        async with training.client() as c:
            p = await program(c)
            s1 = await session(c, p["id"])
            s2 = await session(c, p["id"], days=[date(2025, 7, 8)])
            for sid, sat, text in [
                (s1["id"], 5, "参考になった"),
                (s1["id"], 3, ""),
                (s2["id"], 4, "事例が良い"),
            ]:
                r = await c.post(
                    f"/api/v1/sessions/{sid}/surveys", json={"satisfaction": sat, "comment": text}
                )
                assert r.status_code == 201
            bad = await c.post(f"/api/v1/sessions/{s1['id']}/surveys", json={"satisfaction": 6})
            assert bad.status_code == 422
            reg = (await register(c, s2["id"], 1)).json()
            body = {"satisfaction": 2, "registration_id": reg["id"]}
            assert (
                await c.post(f"/api/v1/sessions/{s2['id']}/surveys", json=body)
            ).status_code == 201
            assert (
                await c.post(f"/api/v1/sessions/{s2['id']}/surveys", json=body)
            ).status_code == 409
            one = (await c.get(f"/api/v1/sessions/{s1['id']}/surveys/summary")).json()
            assert (one["responses"], one["average"], one["comments"]) == (2, 4.0, ["参考になった"])
            assert one["distribution"] == {"1": 0, "2": 0, "3": 1, "4": 0, "5": 1}
            allp = (await c.get(f"/api/v1/programs/{p['id']}/surveys/summary")).json()
            assert (allp["responses"], allp["average"], len(allp["sessions"])) == (4, 3.5, 2)
