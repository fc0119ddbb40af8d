"""The demo data loads once and makes the pages worth looking at (two years, a few low scores)."""

from __future__ import annotations

from services.indicators import demo


class TestDemo:
    async def test_loads_once_with_two_years_low_scores_and_a_pdca_sheet(self, indicators):
        async with indicators.db.session(write=True) as s:
            first = await demo.load(s)
            await s.commit()
        async with indicators.db.session(write=True) as s:
            second = await demo.load(s)
        async with indicators.client() as c:
            fws = (await c.get("/api/v1/frameworks?level=municipality")).json()
            assert [f["grant_fy"] for f in fws] == [2019, 2020]  # the skeletons come on start
            res = (await c.get(f"/api/v1/frameworks/{fws[1]['id']}/results?prefecture=13")).json()
            pref = (await c.get("/api/v1/frameworks?level=prefecture")).json()
            pres = (await c.get(f"/api/v1/frameworks/{pref[0]['id']}/results")).json()
            sheets = (await c.get("/api/v1/pdca/sheets?entity_code=130001")).json()
            alloc = (
                await c.post(
                    f"/api/v1/frameworks/{fws[1]['id']}/allocation", json={"budget": 1_000_000_000}
                )
            ).json()
            deduction = (await c.get(f"/api/v1/frameworks/{pref[0]['id']}/deduction")).json()
        assert first and second is None
        assert res["summary"]["count"] == 62
        low = {
            e["entity_code"]
            for e in res["entities"]
            if any(f["code"] == "low_score_rate" for f in e["flags"])
        }
        assert {"134023", "133817"} <= low
        assert any(f["code"] == "drop" for e in res["entities"] for f in e["flags"])
        assert pres["summary"]["count"] == 47
        assert len(sheets) == 1 and len(sheets[0]["items"]) == 7
        assert sheets[0]["progress"][2]["actual"] == 1199
        assert len(alloc["entities"]) == 62
        # the demo's national denominator is a made-up sample, and says so
        assert alloc["basis"]["kind"] == "published" and "サンプル" in alloc["basis"]["text"]
        assert 0 < alloc["totals"]["share"] < 1_000_000_000
        assert alloc["totals"]["outside_listed"] == 1_000_000_000 - alloc["totals"]["share"]
        tokyo = next(p for p in deduction["prefectures"] if p["prefecture_code"] == "130001")
        assert tokyo["points"] == -10 and tokyo["derived"]
        assert {"134023", "133817"} <= {t["entity_code"] for t in tokyo["triggered_by"]}
