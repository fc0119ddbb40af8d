"""Who sees and changes what: advisors, municipalities, observers, viewers."""

import pytest

from tests.support_cases.factories import (
    CITY,
    FY,
    NEIGHBOUR,
    TODAY,
    TOWN,
    WARD,
    add_node,
    add_visit,
    advance,
    make_advisor,
    make_case,
    make_round,
    ok,
)


@pytest.fixture
async def cases(support_cases):
    async with support_cases.client() as c:
        await make_round(c)
        mine = await make_advisor(c, "山田 花子", actor_id="u-advisor")
        other = await make_advisor(c, "佐藤 一郎", actor_id="u-other")
        city = await make_case(c, CITY, advisor_ids=[mine["id"]], observers=[NEIGHBOUR])
        ward = await make_case(c, WARD, advisor_ids=[other["id"]])
        root = await add_node(c, city["id"], "問題")
        ward_root = await add_node(c, ward["id"], "区の問題")
    return {
        "city": city,
        "ward": ward,
        "mine": mine,
        "other": other,
        "root": root,
        "ward_root": ward_root,
    }


class TestAdvisor:
    async def test_sees_only_assigned_cases(self, support_cases, cases):
        async with support_cases.client("advisor") as a:
            listed = await ok(await a.get("/api/v1/cases", params={"fiscal_year": FY}))
            own = await a.get(f"/api/v1/cases/{cases['city']['id']}")
            foreign = await a.get(f"/api/v1/cases/{cases['ward']['id']}")
            foreign_tree = await a.get(f"/api/v1/cases/{cases['ward']['id']}/tree")
            foreign_report = await a.get(f"/api/v1/cases/{cases['ward']['id']}/report.docx")
            apps = await a.get("/api/v1/applications")
        assert [r["municipality_code"] for r in listed] == [CITY]
        assert own.status_code == 200
        assert (foreign.status_code, foreign_tree.status_code, foreign_report.status_code) == (
            404,
            404,
            404,
        )
        assert apps.status_code == 403

    async def test_works_on_own_case_only(self, support_cases, cases):
        cid, wid = cases["city"]["id"], cases["ward"]["id"]
        async with support_cases.client("advisor") as a:
            visit = await add_visit(a, cid, cases["mine"]["id"])
            node = await add_node(a, cid, "原因", cases["root"]["id"])
            edited = await a.patch(
                f"/api/v1/cases/{cid}/tree/nodes/{node['id']}",
                json={"evidence": "名簿", "version": 1},
            )
            foreign_node = await a.post(
                f"/api/v1/cases/{wid}/tree/nodes",
                json={"statement": "x", "parent_id": cases["ward_root"]["id"]},
            )
            transition = await advance(a, cid, "ヒアリング")
            case_edit = await a.patch(f"/api/v1/cases/{cid}", json={"theme": "x", "version": 1})
        assert visit["created_by"] == "u-advisor:テスト advisor"
        assert edited.status_code == 200
        assert foreign_node.status_code == 404
        assert transition.status_code == 403
        assert case_edit.status_code == 403


class TestMunicipality:
    async def test_sees_own_case_and_not_others(self, support_cases, cases):
        async with support_cases.client("municipality", CITY) as m:
            listed = await ok(await m.get("/api/v1/cases"))
            other = await m.get(f"/api/v1/cases/{cases['ward']['id']}")
            other_visits = await m.get(f"/api/v1/cases/{cases['ward']['id']}/visits")
            write = await m.post(
                f"/api/v1/cases/{cases['city']['id']}/tree/nodes",
                json={"statement": "x", "parent_id": cases["root"]["id"]},
            )
        assert [r["municipality_code"] for r in listed] == [CITY]
        assert other.status_code == 404
        assert other_visits.status_code == 404
        assert write.status_code == 403

    async def test_observer_reads_the_case_it_observes(self, support_cases, cases):
        cid = cases["city"]["id"]
        async with support_cases.client("municipality", NEIGHBOUR) as m:
            listed = await ok(await m.get("/api/v1/cases"))
            tree = await m.get(f"/api/v1/cases/{cid}/tree")
            report = await m.get(f"/api/v1/cases/{cid}/report.html")
            write = await m.post(
                f"/api/v1/cases/{cid}/visits",
                json={
                    "visit_date": TODAY.isoformat(),
                    "advisors": [{"advisor_id": cases["mine"]["id"], "hours": 1}],
                },
            )
            apps = await ok(await m.get("/api/v1/applications"))
        assert [r["id"] for r in listed] == [cid]
        assert tree.status_code == 200 and report.status_code == 200
        assert write.status_code == 403
        assert apps == []  # observing a case does not open its application


class TestReadOnlyRoles:
    @pytest.mark.parametrize("role", ["viewer", "api_client"])
    async def test_reads_everything_writes_nothing(self, support_cases, cases, role):
        cid = cases["city"]["id"]
        async with support_cases.client(role) as v:
            listed = await ok(await v.get("/api/v1/cases"))
            summary = await v.get(f"/api/v1/rounds/{FY}/summary")
            writes = [
                await v.post(
                    f"/api/v1/cases/{cid}/tree/nodes",
                    json={"statement": "x", "parent_id": cases["root"]["id"]},
                ),
                await v.patch(f"/api/v1/cases/{cid}", json={"theme": "x", "version": 1}),
                await v.post("/api/v1/advisors", json={"name": "x"}),
                await v.post(f"/api/v1/rounds/{FY}/applications", json={"municipality_code": CITY}),
            ]
        assert len(listed) == 2 and summary.status_code == 200
        assert [w.status_code for w in writes] == [403, 403, 403, 403]

    async def test_no_token_gets_401(self, support_cases, cases):
        async with support_cases.client(role="") as anon:
            r = await anon.get("/api/v1/cases")
        assert r.status_code == 401


class TestAdvisedMunicipalities:
    """GET /api/v1/advised-municipalities: what the gateway signs into an advisor's token."""

    async def test_an_advisor_gets_the_municipalities_of_their_cases(
        self, support_cases, cases
    ) -> None:
        async with support_cases.client("advisor") as c:
            body = await ok(await c.get("/api/v1/advised-municipalities"))
        assert body == {
            "advisor_id": cases["mine"]["id"],
            "case_ids": [cases["city"]["id"]],
            "municipality_codes": [CITY],  # not the observer's, not the other advisor's case
        }

    async def test_a_second_case_adds_its_municipality_and_a_cancelled_one_drops_it(
        self, support_cases, cases
    ) -> None:
        async with support_cases.client() as c:
            town = await make_case(c, TOWN, advisor_ids=[cases["mine"]["id"]])
        async with support_cases.client("advisor") as c:
            body = await ok(await c.get("/api/v1/advised-municipalities"))
        assert body["municipality_codes"] == sorted([CITY, TOWN])
        assert body["case_ids"] == sorted([cases["city"]["id"], town["id"]])
        async with support_cases.client() as c:
            await ok(await advance(c, town["id"], "中止", "担当者の異動で継続が困難"))
        async with support_cases.client("advisor") as c:
            body = await ok(await c.get("/api/v1/advised-municipalities"))
        assert body["municipality_codes"] == [CITY]

    @pytest.mark.parametrize(
        "role, municipality",
        [("coordinator", None), ("admin", None), ("municipality", CITY), ("viewer", None)],
    )
    async def test_other_roles_get_nothing(self, support_cases, cases, role, municipality) -> None:
        async with support_cases.client(role, municipality) as c:
            body = await ok(await c.get("/api/v1/advised-municipalities"))
        assert body == {"advisor_id": None, "case_ids": [], "municipality_codes": []}
