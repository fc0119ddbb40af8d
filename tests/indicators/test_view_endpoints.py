"""The one-call view endpoints' extensions for the gateway: the grant report's figures in one
read, and a municipality's newest 取組と目標 sheet (per asker) with its profile figures."""

from __future__ import annotations

from datetime import date

from services.common.fiscal import fiscal_year_of
from tests.indicators.test_pdca import sheet

FY = fiscal_year_of(date.today())
HACHIOJI = "132012"


class TestGrantReportView:
    async def test_equals_the_per_framework_reads(self, demo) -> None:
        async with demo["indicators"].client() as c:
            r = await c.get(
                "/api/v1/views/grant-report",
                params={"fiscal_year": FY, "prefecture": "13", "budget_suishin": 1_000_000},
            )
            assert r.status_code == 200, r.text
            view = r.json()
            assert view["fiscal_year"] == FY
            fws = (await c.get("/api/v1/frameworks")).json()
            newest: dict[tuple[str, str], dict] = {}
            for f in fws:
                key = (f["grant"], f["level"])
                if f["grant_fy"] <= FY and (
                    key not in newest or f["grant_fy"] > newest[key]["grant_fy"]
                ):
                    newest[key] = f
            municipal = [f for (_, lvl), f in newest.items() if lvl == "municipality"]
            assert [m["framework"]["id"] for m in view["municipal"]] == [f["id"] for f in municipal]
            assert municipal, "the demo has a municipal framework"
            for m in view["municipal"]:
                fid = m["framework"]["id"]
                res = await c.get(f"/api/v1/frameworks/{fid}/results", params={"prefecture": "13"})
                assert m["results"] == res.json()
                grant = m["framework"]["grant"]
                alloc = await c.post(
                    f"/api/v1/frameworks/{fid}/allocation",
                    json={"budget": 1_000_000 if grant == "suishin" else 0},
                )
                assert m["allocation"] == (alloc.json() if alloc.status_code == 200 else None)
            prefectural = [f for (_, lvl), f in newest.items() if lvl == "prefecture"]
            assert [p["framework"]["id"] for p in view["prefectural"]] == [
                f["id"] for f in prefectural
            ]
            for p in view["prefectural"]:
                fid = p["framework"]["id"]
                res = await c.get(
                    f"/api/v1/frameworks/{fid}/results", params={"entity_code": "130001"}
                )
                assert p["results"] == res.json()

    async def test_bad_prefecture_is_422_naming_the_field(self, indicators) -> None:
        async with indicators.client() as c:
            r = await c.get(
                "/api/v1/views/grant-report", params={"fiscal_year": FY, "prefecture": "Tokyo"}
            )
            assert r.status_code == 422
            assert "prefecture" in r.text


class TestProfileViewSheet:
    async def test_newest_sheet_only_when_asked_and_only_what_the_asker_may_read(
        self, demo
    ) -> None:
        url = f"/api/v1/views/municipalities/{HACHIOJI}"
        async with demo["indicators"].client() as c:
            plain = await c.get(url, params={"prefecture": "13"})
            assert plain.status_code == 200
            assert "pdca" not in plain.json()
            r = await c.post("/api/v1/pdca/sheets", json=sheet(HACHIOJI))
            assert r.status_code == 201, r.text
            created = r.json()
            asked = await c.get(url, params={"prefecture": "13", "pdca": "true"})
            assert asked.status_code == 200
            body = asked.json()
            direct = (await c.get(f"/api/v1/pdca/sheets/{created['id']}")).json()
            assert body["pdca"] == direct
            assert body["pdca"]["published"] is False
            assert {k: v for k, v in body.items() if k != "pdca"} == plain.json()
        # Another municipality's staff read the same figures but not the unpublished sheet,
        # though the figures came from the cache a moment ago.
        async with demo["indicators"].client("municipality", "131016") as c:
            other = await c.get(url, params={"prefecture": "13", "pdca": "true"})
            assert other.status_code == 200
            assert other.json()["pdca"] is None
            assert other.json()["grants"] == body["grants"]
