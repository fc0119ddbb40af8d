"""Defence in depth: a municipality actor talking to a service directly (no gateway in between)
with another municipality forged in the path or the body is refused, and nothing changes.

Actors: 千代田区 (131016) staff attack 八王子市 (132012) records from the demo data."""

from __future__ import annotations

import httpx

from services.common.actor import mint_token
from tests.conftest import ServiceHarness
from tests.helpers import TEST_SECRET, actor

OWN = "131016"  # 千代田区: the attacker's municipality
OTHER = "132012"  # 八王子市: the demo's case, application and registrations
REFUSED = (403, 404)


def client_as(h: ServiceHarness, role: str, municipality: str | None = None, *, id: str = ""):  # type: ignore[no-untyped-def]
    token = mint_token(TEST_SECRET, actor(role, municipality, id=id or None), ttl_seconds=600)
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=h.app, raise_app_exceptions=False),
        base_url=f"http://{h.service}",
        headers={"Authorization": f"Bearer {token}"},
    )


async def json_of(c: httpx.AsyncClient, path: str, **params: object) -> object:
    r = await c.get(path, params=params)
    assert r.status_code == 200, r.text
    return r.json()


class TestTraining:
    async def _other_registration(self, training: ServiceHarness) -> dict:
        async with training.client() as staff:
            regs = await json_of(staff, "/api/v1/registrations", municipality_code=OTHER)
        assert regs, "the demo registers 八王子市 staff"
        return regs[0]  # type: ignore[index]

    async def test_registering_another_municipalitys_staff_is_refused(
        self, training: ServiceHarness
    ) -> None:
        await training.with_demo()
        reg = await self._other_registration(training)
        async with training.client() as staff:
            before = len(await json_of(staff, "/api/v1/registrations", municipality_code=OTHER))  # type: ignore[arg-type]
        async with client_as(training, "municipality", OWN) as c:
            r = await c.post(
                f"/api/v1/sessions/{reg['session_id']}/registrations",
                json={"name": "偽装 太郎", "municipality_code": OTHER, "email": "x@example.lg.jp"},
            )
        assert r.status_code in REFUSED, r.text
        async with training.client() as staff:
            after = await json_of(staff, "/api/v1/registrations", municipality_code=OTHER)
        assert len(after) == before  # type: ignore[arg-type]

    async def test_another_municipalitys_registration_is_hidden_and_not_cancelled(
        self, training: ServiceHarness
    ) -> None:
        await training.with_demo()
        reg = await self._other_registration(training)
        async with client_as(training, "municipality", OWN) as c:
            assert (await c.get(f"/api/v1/registrations/{reg['id']}")).status_code == 404
            assert (await c.delete(f"/api/v1/registrations/{reg['id']}")).status_code in REFUSED
            listed = await json_of(c, "/api/v1/registrations", municipality_code=OTHER)
            assert all(x["municipality_code"] == OWN for x in listed)  # type: ignore[union-attr,index]
            roster = await json_of(c, f"/api/v1/sessions/{reg['session_id']}/registrations")
            assert all(x["municipality_code"] == OWN for x in roster)  # type: ignore[union-attr,index]
        async with training.client() as staff:
            again = await json_of(staff, f"/api/v1/registrations/{reg['id']}")
        assert again["status"] == reg["status"]  # type: ignore[index]

    async def test_another_municipalitys_kotei_hyo_cannot_be_made_read_or_edited(
        self, training: ServiceHarness
    ) -> None:
        await training.with_demo()
        async with training.client() as staff:
            k = (await json_of(staff, "/api/v1/kotei-hyo"))[0]  # type: ignore[index]
        assert k["municipality_code"] != OWN
        async with client_as(training, "municipality", OWN) as c:
            assert (await c.get(f"/api/v1/kotei-hyo/{k['id']}")).status_code == 404
            r = await c.put(
                f"/api/v1/kotei-hyo/{k['id']}", json={"version": k["version"], "title": "改ざん"}
            )
            assert r.status_code in REFUSED, r.text
            r = await c.post(
                f"/api/v1/kotei-hyo/{k['id']}/check-ins",
                json={"checked_on": "2026-10-05", "status": "完了"},
            )
            assert r.status_code in REFUSED, r.text
            r = await c.post(
                "/api/v1/kotei-hyo",
                json={"program_id": k["program_id"], "municipality_code": k["municipality_code"]},
            )
            assert r.status_code in REFUSED, r.text
        async with training.client() as staff:
            same = await json_of(staff, f"/api/v1/kotei-hyo/{k['id']}")
        assert same["title"] == k["title"] and same["version"] == k["version"]  # type: ignore[index]
        assert len(same["check_ins"]) == len(k["check_ins"])  # type: ignore[index]


SHEET = {"title": "取組と目標", "start_fy": 2024, "end_fy": 2026}


class TestIndicatorsPdca:
    async def _sheet_of_other(self, indicators: ServiceHarness) -> dict:
        async with indicators.client() as staff:
            r = await staff.post("/api/v1/pdca/sheets", json={"entity_code": OTHER, **SHEET})
            assert r.status_code == 201, r.text
            return r.json()

    async def test_editing_another_municipalitys_sheet_is_refused(
        self, indicators: ServiceHarness
    ) -> None:
        sheet = await self._sheet_of_other(indicators)
        async with client_as(indicators, "municipality", OWN) as c:
            assert (await c.get(f"/api/v1/pdca/sheets/{sheet['id']}")).status_code == 404
            for entity in (OTHER, OWN):  # as it is, or claiming it is ours
                r = await c.put(
                    f"/api/v1/pdca/sheets/{sheet['id']}",
                    json={
                        **SHEET,
                        "entity_code": entity,
                        "title": "改ざん",
                        "version": sheet["version"],
                    },
                )
                assert r.status_code in REFUSED, r.text
            listed = await json_of(c, "/api/v1/pdca/sheets")
            assert all(s["entity_code"] == OWN for s in listed)  # type: ignore[union-attr,index]
        async with indicators.client() as staff:
            same = await json_of(staff, f"/api/v1/pdca/sheets/{sheet['id']}")
        assert same["title"] == SHEET["title"] and same["entity_code"] == OTHER  # type: ignore[index]

    async def test_creating_a_sheet_for_another_municipality_is_refused(
        self, indicators: ServiceHarness
    ) -> None:
        async with client_as(indicators, "municipality", OWN) as c:
            r = await c.post("/api/v1/pdca/sheets", json={"entity_code": OTHER, **SHEET})
            assert r.status_code in REFUSED, r.text
            r = await c.post("/api/v1/pdca/sheets", json={"entity_code": "130001", **SHEET})
            assert r.status_code in REFUSED, r.text
        async with indicators.client() as staff:
            assert await json_of(staff, "/api/v1/pdca/sheets") == []

    async def test_moving_ones_own_sheet_to_another_municipality_is_refused(
        self, indicators: ServiceHarness
    ) -> None:
        async with client_as(indicators, "municipality", OWN) as c:
            r = await c.post("/api/v1/pdca/sheets", json={"entity_code": OWN, **SHEET})
            assert r.status_code == 201, r.text
            mine = r.json()
            r = await c.put(
                f"/api/v1/pdca/sheets/{mine['id']}",
                json={**SHEET, "entity_code": OTHER, "version": mine["version"]},
            )
            assert r.status_code in (*REFUSED, 422), r.text
        async with indicators.client() as staff:
            same = await json_of(staff, f"/api/v1/pdca/sheets/{mine['id']}")
        assert same["entity_code"] == OWN  # type: ignore[index]


class TestSupportCases:
    async def _other_case(self, support_cases: ServiceHarness) -> dict:
        async with support_cases.client() as staff:
            cases = await json_of(staff, "/api/v1/cases", municipality_code=OTHER)
        return cases[0]  # type: ignore[index]

    async def test_another_municipalitys_case_is_hidden(
        self, support_cases: ServiceHarness
    ) -> None:
        await support_cases.with_demo()
        case = await self._other_case(support_cases)
        base = f"/api/v1/cases/{case['id']}"
        async with client_as(support_cases, "municipality", OWN) as c:
            for path in (
                base,
                f"{base}/visits",
                f"{base}/data-requests",
                f"{base}/tree",
                f"{base}/tree/snapshots",
                f"{base}/initiatives",
                f"{base}/roadmap",
                f"{base}/report",
                f"{base}/report.html",
                f"{base}/report.docx",
                f"{base}/report/lessons",
            ):
                r = await c.get(path)
                assert r.status_code == 404, (path, r.status_code)
            for path, params in (
                ("/api/v1/cases", {}),
                ("/api/v1/cases", {"municipality_code": OTHER}),
                ("/api/v1/applications", {"municipality_code": OTHER}),
            ):
                rows = await json_of(c, path, **params)
                assert all(x["municipality_code"] == OWN for x in rows), (path, rows)  # type: ignore[union-attr,index]
            visits = await json_of(c, "/api/v1/visits")
            assert all(v["case_id"] != case["id"] for v in visits)  # type: ignore[union-attr,index]

    async def test_applying_or_editing_for_another_municipality_is_refused(
        self, support_cases: ServiceHarness
    ) -> None:
        await support_cases.with_demo()
        async with support_cases.client() as staff:
            fy = (await json_of(staff, "/api/v1/rounds"))[0]["fiscal_year"]  # type: ignore[index]
            apps = await json_of(staff, "/api/v1/applications", municipality_code=OTHER)
        app = apps[0]  # type: ignore[index]
        async with client_as(support_cases, "municipality", OWN) as c:
            r = await c.post(f"/api/v1/rounds/{fy}/applications", json={"municipality_code": OTHER})
            assert r.status_code in REFUSED, r.text
            assert (await c.get(f"/api/v1/applications/{app['id']}")).status_code == 404
            r = await c.patch(
                f"/api/v1/applications/{app['id']}",
                json={"version": app["version"], "motivation": "改ざん"},
            )
            assert r.status_code in REFUSED, r.text
        async with support_cases.client() as staff:
            same = await json_of(staff, f"/api/v1/applications/{app['id']}")
            n = len(await json_of(staff, "/api/v1/applications", municipality_code=OTHER))  # type: ignore[arg-type]
        assert same["motivation"] == app["motivation"] and n == len(apps)  # type: ignore[index,arg-type]

    async def test_an_advisor_not_assigned_to_the_case_cannot_see_or_work_on_it(
        self, support_cases: ServiceHarness
    ) -> None:
        await support_cases.with_demo()
        case = await self._other_case(support_cases)
        assigned = {a["id"] for a in case["advisors"]}
        async with support_cases.client() as staff:
            advisors = await json_of(staff, "/api/v1/advisors")
        outsider = next(a for a in advisors if a["id"] not in assigned)  # type: ignore[union-attr]
        async with client_as(support_cases, "advisor", id=outsider["actor_id"]) as c:
            assert (await c.get(f"/api/v1/cases/{case['id']}")).status_code == 404
            r = await c.post(
                f"/api/v1/cases/{case['id']}/tree/nodes", json={"statement": "部外者の書き込み"}
            )
            assert r.status_code in REFUSED, r.text
            listed = await json_of(c, "/api/v1/cases")
            assert all(x["id"] != case["id"] for x in listed)  # type: ignore[union-attr,index]
