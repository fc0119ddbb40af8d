"""One call per gateway view: the round view answers what the separate calls answered."""

from __future__ import annotations

from tests.support_cases.factories import (
    CITY,
    FY,
    WARD,
    add_visit,
    make_advisor,
    make_application,
    make_case,
    make_round,
)


class TestRoundView:
    async def test_round_view_equals_the_separate_calls(self, support_cases):
        async with support_cases.client() as c:
            await make_round(c)
            adv = await make_advisor(c)
            case = await make_case(c, CITY, advisor_ids=[adv["id"]])
            await add_visit(c, case["id"], adv["id"], hours=2.5)
            await make_application(c, WARD)
            view = (await c.get(f"/api/v1/views/rounds/{FY}")).json()
            assert view["round"] == (await c.get(f"/api/v1/rounds/{FY}")).json()
            assert view["summary"] == (await c.get(f"/api/v1/rounds/{FY}/summary")).json()
            assert (
                view["applications"]
                == (await c.get("/api/v1/applications", params={"fiscal_year": FY})).json()
            )
            assert (
                view["cases"] == (await c.get("/api/v1/cases", params={"fiscal_year": FY})).json()
            )
        assert (view["summary"]["applications"], view["summary"]["advisor_hours"]) == (2, 2.5)
        assert [c["visits_count"] for c in view["cases"]] == [1]

    async def test_a_year_without_a_round_and_scoping_by_role(self, support_cases):
        async with support_cases.client() as c:
            empty = (await c.get("/api/v1/views/rounds/2030")).json()
            await make_round(c)
            await make_application(c, CITY)
            await make_application(c, WARD)
        assert empty == {
            "fiscal_year": 2030,
            "round": None,
            "summary": None,
            "applications": [],
            "cases": [],
        }
        async with support_cases.client("municipality", CITY) as m:
            own = (await m.get(f"/api/v1/views/rounds/{FY}")).json()
        async with support_cases.client("advisor") as a:
            adv = (await a.get(f"/api/v1/views/rounds/{FY}")).json()
        assert [x["municipality_code"] for x in own["applications"]] == [CITY]
        assert adv["applications"] is None and adv["cases"] == []

    async def test_round_summaries_of_several_years(self, support_cases):
        async with support_cases.client() as c:
            await make_round(c)
            await make_application(c, CITY)
            body = (
                await c.get(
                    "/api/v1/views/round-summaries", params={"fy_from": 2024, "fy_to": 2026}
                )
            ).json()
            bad = await c.get(
                "/api/v1/views/round-summaries", params={"fy_from": 2026, "fy_to": 2024}
            )
        assert [
            (y["fiscal_year"], (y["summary"] or {}).get("applications")) for y in body["years"]
        ] == [
            (2024, None),
            (2025, 1),
            (2026, None),
        ]
        assert bad.status_code == 422


class TestHandSerialisedAnswersKeepTheirContract:
    """/cases and /views/rounds/{fy} are serialised by hand (FastAPI's validation of every
    SQLModel cost more than the request): their answers must still be what the OpenAPI
    document says (the declared response models), for every role that reads them."""

    async def test_answers_validate_against_the_declared_models(self, support_cases):
        from pydantic import TypeAdapter

        from services.support_cases.cases.models import CaseListItem
        from services.support_cases.views.routes import RoundView

        async with support_cases.client() as c:
            await make_round(c)
            adv = await make_advisor(c)
            case = await make_case(c, CITY, advisor_ids=[adv["id"]])
            await add_visit(c, case["id"], adv["id"], hours=1.0)
            await make_application(c, WARD)
        cases = TypeAdapter(list[CaseListItem])
        for role, municipality in (("coordinator", None), ("viewer", None), ("municipality", WARD)):
            async with support_cases.client(role, municipality) as c:
                listed = await c.get("/api/v1/cases", params={"fiscal_year": FY})
                view = await c.get(f"/api/v1/views/rounds/{FY}")
            assert listed.status_code == 200 and view.status_code == 200, role
            cases.validate_python(listed.json())
            RoundView.model_validate(view.json())
        assert view.json()["applications"] and all(
            a["municipality_code"] == WARD for a in view.json()["applications"]
        )


class TestStoredItems:
    """/cases and /views/rounds/{fy} join the JSON the writes store (round_item, case_item,
    application_item): every write shows in them, and a missing or older stored item is built
    from the records, to the same bytes."""

    ROLES = (("coordinator", None), ("viewer", None), ("municipality", WARD), ("advisor", None))

    async def _answers(self, support_cases) -> dict[str, bytes]:
        out = {}
        for role, municipality in self.ROLES:
            async with support_cases.client(role, municipality) as c:
                for url in (
                    f"/api/v1/views/rounds/{FY}",
                    "/api/v1/cases",
                    "/api/v1/views/rounds/2030",
                ):
                    r = await c.get(url)
                    assert r.status_code == 200, (role, url, r.text)
                    out[f"{role} {url}"] = r.content
        return out

    async def test_missing_or_older_items_answer_the_same_bytes(self, support_cases):
        import json
        from datetime import timedelta

        from sqlalchemy import delete, update

        from services.support_cases.figures.models import ApplicationItem, CaseItem, RoundItem
        from tests.support_cases.factories import TODAY

        async with support_cases.client() as c:
            await make_round(c)
            adv = await make_advisor(c)
            case = await make_case(c, CITY, advisor_ids=[adv["id"]], observers=[WARD])
            await add_visit(c, case["id"], adv["id"], hours=1.5)
            await add_visit(
                c, case["id"], adv["id"], visit_date=(TODAY + timedelta(days=20)).isoformat()
            )
            await make_application(c, WARD)
        stored = await self._answers(support_cases)
        async with support_cases.db.session(write=True) as s:
            conn = await s.connection()
            await conn.execute(update(ApplicationItem).values(version=0, full="x", redacted="x"))
            await conn.execute(update(RoundItem).values(version=0, round="x", summary="x"))
            await s.commit()
        assert await self._answers(support_cases) == stored
        async with support_cases.db.session(write=True) as s:
            conn = await s.connection()
            for table in (CaseItem, ApplicationItem, RoundItem):
                await conn.execute(delete(table))
            await s.commit()
        assert await self._answers(support_cases) == stored
        body = json.loads(stored[f"coordinator /api/v1/views/rounds/{FY}"])
        [item] = body["cases"]
        assert (item["last_visit_date"], item["next_visit_date"]) == (
            TODAY.isoformat(),
            (TODAY + timedelta(days=20)).isoformat(),
        )
        assert item["observers"] == [WARD] and item["visits_count"] == 2
        viewer = json.loads(stored[f"viewer /api/v1/views/rounds/{FY}"])
        assert all(a["contact_name"] is None for a in viewer["applications"])
        assert body["applications"] and all(a["contact_name"] for a in body["applications"])

    async def test_every_write_shows_in_the_stored_items(self, support_cases):
        async with support_cases.client() as c:
            rnd = await make_round(c)
            adv = await make_advisor(c)
            case = await make_case(c, CITY, advisor_ids=[adv["id"]])
            app = await make_application(c, WARD)
            r = await c.patch(
                f"/api/v1/applications/{app['id']}",
                json={"motivation": "見直した動機", "version": app["version"]},
            )
            assert r.status_code == 200, r.text
            r = await c.patch(
                f"/api/v1/rounds/{FY}",
                json={"advisor_days_budget": 77, "version": rnd["version"]},
            )
            assert r.status_code == 200, r.text
            r = await c.patch(
                f"/api/v1/cases/{case['id']}",
                json={"theme": "認知症", "version": case["version"]},
            )
            assert r.status_code == 200, r.text
            view = (await c.get(f"/api/v1/views/rounds/{FY}")).json()
            listed = (await c.get("/api/v1/cases", params={"fiscal_year": FY})).json()
            one = (await c.get(f"/api/v1/cases/{case['id']}")).json()
            apps = (await c.get("/api/v1/applications", params={"fiscal_year": FY})).json()
            rnd_now = (await c.get(f"/api/v1/rounds/{FY}")).json()
            summary = (await c.get(f"/api/v1/rounds/{FY}/summary")).json()
        assert view["round"] == rnd_now and view["round"]["advisor_days_budget"] == 77
        assert view["summary"] == summary and summary["advisor_days_budget"] == 77
        assert view["applications"] == apps
        assert [a["motivation"] for a in apps if a["municipality_code"] == WARD] == ["見直した動機"]
        assert view["cases"] == listed
        assert [(x["theme"], x["version"]) for x in listed] == [("認知症", one["version"])]
