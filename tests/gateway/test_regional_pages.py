"""地域分析 pages through the gateway, on every service's demo data: the profile's section,
one measure across the 62, the printable sheet."""

from __future__ import annotations

import re

import httpx

from tests.conftest import GatewayFactory, ServiceHarness

HTML = {"Accept": "text/html"}
HX = {"Accept": "text/html", "HX-Request": "true"}
CHIYODA = "131016"


async def _compare(h: ServiceHarness, code: str) -> dict:
    async with h.client() as c:
        fy = (await c.get("/api/v1/regional/years")).json()[0]["fiscal_year"]
        r = await c.get(f"/api/v1/regional/{fy}/compare", params={"entity_code": code})
        return r.json()


class TestProfileSection:
    async def test_fragment_shows_each_measure_against_peers_tokyo_and_rank(
        self, demo: dict[str, ServiceHarness], gateway: httpx.AsyncClient
    ) -> None:
        want = await _compare(demo["indicators"], CHIYODA)
        r = await gateway.get(f"/municipalities/{CHIYODA}/regional", headers=HX)
        assert r.status_code == 200, r.text
        assert r.text.lstrip().startswith("<section")  # the block only
        row = r.text.split('<tr id="measure-kayoinoba_rate">')[1].split("</tr>")[0]
        k = next(m for m in want["measures"] if m["code"] == "kayoinoba_rate")
        assert f"<strong>{k['value']:,.1f}</strong>" in row
        assert f"{k['prefecture_mean']:,.1f}" in row
        assert f"{k['peer_mean']:,.1f}" in row
        assert f"{k['rank_in_prefecture']}位 / 62" in row
        assert "<svg" in row  # the trend
        assert "サンプル" in r.text

    async def test_profile_loads_the_section_by_htmx(self, demo, gateway) -> None:
        r = await gateway.get(f"/municipalities/{CHIYODA}", headers=HTML)
        assert f'/municipalities/{CHIYODA}/regional" hx-trigger="load"' in r.text

    async def test_municipality_sees_its_own_and_not_anothers(
        self, demo: dict[str, ServiceHarness], gateway_factory: GatewayFactory
    ) -> None:
        client = await gateway_factory(role="municipality", municipality=CHIYODA)
        assert (
            await client.get(f"/municipalities/{CHIYODA}/regional", headers=HTML)
        ).status_code == 200
        assert (
            await client.get("/municipalities/132012/regional", headers=HTML)
        ).status_code == 404


class TestMeasureAcross:
    async def test_the_62_grouped_sorted_with_a_chart(self, demo, gateway) -> None:
        r = await gateway.get(
            "/regional", params={"measure": "certification_rate", "sort": "value"}, headers=HTML
        )
        assert r.status_code == 200, r.text
        t = r.text
        assert t.index("区部</strong>") < t.index("市部</strong>") < t.index("町村部</strong>")
        assert 'class="chart bars"' in t
        ku = t.split("区部</strong>")[1].split("</table>")[0]
        values = [
            float(v.replace(",", "")) for v in re.findall(r'<td class="num">([\d,]+\.\d)</td>', ku)
        ]
        assert len(values) == 23 and values == sorted(values, reverse=True)
        asc = await gateway.get(
            "/regional",
            params={"measure": "certification_rate", "sort": "value", "dir": "asc"},
            headers=HX,
        )
        ku = asc.text.split("区部</strong>")[1].split("</table>")[0]
        values = [
            float(v.replace(",", "")) for v in re.findall(r'<td class="num">([\d,]+\.\d)</td>', ku)
        ]
        assert values == sorted(values)

    async def test_unknown_measure_says_so(self, demo, gateway) -> None:
        r = await gateway.get("/regional", params={"measure": "nothing_here"}, headers=HTML)
        assert r.status_code == 404
        assert "カタログにありません" in r.text


class TestSheet:
    async def test_a4_sheet(self, demo, gateway) -> None:
        r = await gateway.get(f"/municipalities/{CHIYODA}/regional/sheet", headers=HTML)
        assert r.status_code == 200
        assert "地域分析シート" in r.text and 'id="sheet-table"' in r.text
        assert "regional.css" in r.text


class TestTreeCitations:
    async def test_a_cited_node_shows_its_value_beside_it(
        self, demo: dict[str, ServiceHarness], gateway: httpx.AsyncClient
    ) -> None:
        async with demo["support_cases"].client() as c:
            case = (await c.get("/api/v1/cases", params={"municipality_code": "132012"})).json()[0]
            tree = (await c.get(f"/api/v1/cases/{case['id']}/tree")).json()
        root = tree["root"]
        assert root["measure_evidence"][0]["measure_code"] == "kayoinoba_rate"
        page = await gateway.get(f"/support/cases/{case['id']}", headers=HTML)
        assert page.status_code == 200
        m = re.search(rf'<span id="cited-{root["id"]}" hx-get="([^"]+)"', page.text)
        assert m, page.text[:2000]
        url = m.group(1).replace("&amp;", "&")
        r = await gateway.get(url, headers=HX)
        assert r.status_code == 200, r.text
        want = (await _compare_fy(demo["indicators"], "132012", 2023))["kayoinoba_rate"]
        assert f'<strong class="num">{want["value"]:,.1f}%</strong>' in r.text
        assert f"都平均 {want['prefecture_mean']:,.1f}" in r.text
        assert "都平均と比べる" in r.text and "令和5年度" in r.text

    async def test_another_municipality_cannot_read_the_case_values(
        self, demo: dict[str, ServiceHarness], gateway_factory: GatewayFactory
    ) -> None:
        async with demo["support_cases"].client() as c:
            case = (await c.get("/api/v1/cases", params={"municipality_code": "132012"})).json()[0]
        client = await gateway_factory(role="municipality", municipality=CHIYODA)
        r = await client.get(
            f"/support/cases/{case['id']}/evidence",
            params={"node": 1, "cite": "kayoinoba_rate:2023"},
            headers=HTML,
        )
        assert r.status_code == 404


async def _compare_fy(h: ServiceHarness, code: str, fy: int) -> dict:
    async with h.client() as c:
        r = await c.get(f"/api/v1/regional/{fy}/compare", params={"entity_code": code})
        return {m["code"]: m for m in r.json()["measures"]}
