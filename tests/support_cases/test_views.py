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
