"""地域包括支援センター pages through the gateway on the demo: the prefecture's weakest work
areas with the training aimed there, a municipality's centres, one centre's radar, and who may
save answers (staff, or the centre's own municipality)."""

from __future__ import annotations

import re

import httpx

from tests.conftest import GatewayFactory, ServiceHarness

HTML = {"Accept": "text/html"}
HACHIOJI, CHIYODA = "132012", "131016"


async def _first_centre(h: ServiceHarness, code: str) -> tuple[int, int]:
    async with h.client() as c:
        fy = (await c.get("/api/v1/centres/catalogues")).json()[0]["fiscal_year"]
        centres = (await c.get("/api/v1/centres", params={"municipality_code": code})).json()
        return centres[0]["id"], fy


async def _evaluation(h: ServiceHarness, centre_id: int, fy: int) -> dict:
    async with h.client() as c:
        return (await c.get(f"/api/v1/centres/{centre_id}/evaluations/{fy}")).json()


def _form(ev: dict, html: str, flip: str | None = None) -> dict:
    data: dict = {"version": str(ev["version"]), "item": [a["item_code"] for a in ev["answers"]]}
    for a in ev["answers"]:
        met = a["met"] if a["item_code"] != flip else not a["met"]
        if met:
            data[f"met:{a['item_code']}"] = "on"
        data[f"note:{a['item_code']}"] = a["note"] or ""
    token = re.search(r'name="csrf_token" value="([^"]+)"', html)
    if token:
        data["csrf_token"] = token.group(1)
    return data


class TestCentrePage:
    async def test_radar_by_work_area_against_municipality_and_tokyo(
        self, demo: dict[str, ServiceHarness], gateway: httpx.AsyncClient
    ) -> None:
        cid, fy = await _first_centre(demo["indicators"], HACHIOJI)
        async with demo["indicators"].client() as c:
            radar = (await c.get(f"/api/v1/centres/{cid}/evaluations/{fy}/radar")).json()
        r = await gateway.get(f"/centres/{cid}", headers=HTML)
        assert r.status_code == 200, r.text
        t = r.text
        assert 'class="chart radar"' in t
        assert t.count('<polygon class="series') == 3
        assert "八王子市のセンター平均" in t and "東京都のセンター平均" in t
        table = t.split('id="area-table"')[1].split("</table>")[0]
        for a in radar["areas"]:
            assert f"{a['code']} {a['name']}" in table
            assert f"{a['prefecture_mean'] * 100:.1f}%" in table
        assert f"{radar['rate'] * 100:.1f}%" in t.split('id="centre-rate"')[1][:80]


class TestOverview:
    async def test_weakest_areas_first_with_training(self, demo, gateway) -> None:
        r = await gateway.get("/centres", headers=HTML)
        assert r.status_code == 200, r.text
        weak = r.text.split('id="weak-areas"')[1].split("</table>")[0]
        first = weak.split("<tr>")[2]
        assert "事業間連携" in first and "生活支援コーディネーター" in first
        assert "457" in r.text.split('id="centre-stats"')[1].split("</table>")[0]

    async def test_municipality_lists_its_centres_and_own_items(self, demo, gateway) -> None:
        r = await gateway.get(f"/centres/municipalities/{HACHIOJI}", headers=HTML)
        assert r.status_code == 200
        rows = r.text.split('id="centre-list"')[1].split("</table>")[0]
        assert rows.count('<tr><th scope="row">') == 7
        assert "区市町村の評価項目（市町村指標）" in r.text


class TestWhoSaves:
    async def test_own_municipality_saves_its_centre(
        self, demo: dict[str, ServiceHarness], gateway_factory: GatewayFactory
    ) -> None:
        cid, fy = await _first_centre(demo["indicators"], HACHIOJI)
        client = await gateway_factory(role="municipality", municipality=HACHIOJI)
        page = await client.get(f"/centres/{cid}", headers=HTML)
        assert 'id="answers-form"' in page.text
        ev = await _evaluation(demo["indicators"], cid, fy)
        flip = ev["answers"][0]["item_code"]
        r = await client.post(
            f"/centres/{cid}/evaluation?fiscal_year={fy}", data=_form(ev, page.text, flip)
        )
        assert r.status_code == 303, r.text
        after = await _evaluation(demo["indicators"], cid, fy)
        assert after["answers"][0]["met"] is not ev["answers"][0]["met"]
        assert after["version"] == ev["version"] + 1

    async def test_another_municipality_is_refused_and_nothing_changes(
        self, demo: dict[str, ServiceHarness], gateway_factory: GatewayFactory
    ) -> None:
        cid, fy = await _first_centre(demo["indicators"], HACHIOJI)
        client = await gateway_factory(role="municipality", municipality=CHIYODA)
        page = await client.get(f"/centres/{cid}", headers=HTML)
        assert page.status_code == 200 and 'id="answers-form"' not in page.text
        ev = await _evaluation(demo["indicators"], cid, fy)
        r = await client.post(
            f"/centres/{cid}/evaluation?fiscal_year={fy}",
            data=_form(ev, page.text, ev["answers"][0]["item_code"]),
            headers=HTML,
        )
        assert r.status_code == 403
        assert await _evaluation(demo["indicators"], cid, fy) == ev

    async def test_stale_version_shows_the_conflict(self, demo, gateway) -> None:
        cid, fy = await _first_centre(demo["indicators"], HACHIOJI)
        page = await gateway.get(f"/centres/{cid}", headers=HTML)
        ev = await _evaluation(demo["indicators"], cid, fy)
        form = _form(ev, page.text, ev["answers"][0]["item_code"]) | {"version": "1000"}
        r = await gateway.post(
            f"/centres/{cid}/evaluation?fiscal_year={fy}", data=form, headers=HTML
        )
        assert r.status_code == 409
        assert "保存していません" in r.text
        assert await _evaluation(demo["indicators"], cid, fy) == ev
