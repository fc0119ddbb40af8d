"""Removing a citation where it is shown in the case workspace, through the gateway and the
real services on the demo: a 好事例 cited by the report (``pdca-good-practice:{id}``) and a
地域分析 measure cited by a logic-tree node. A stale page or a role that may not write
changes nothing (a read proves it)."""

from __future__ import annotations

from typing import Any

import httpx

from tests.conftest import GatewayFactory, ServiceHarness

HTML = {"Accept": "text/html"}
HX = {"Accept": "text/html", "HX-Request": "true"}
HACHIOJI = "132012"


async def _case(h: ServiceHarness) -> dict[str, Any]:
    async with h.client() as c:
        return (await c.get("/api/v1/cases", params={"municipality_code": HACHIOJI})).json()[0]


async def _lessons(h: ServiceHarness, case_id: int) -> dict[str, Any]:
    async with h.client() as c:
        return (await c.get(f"/api/v1/cases/{case_id}/report/lessons")).json()


async def _root(h: ServiceHarness, case_id: int) -> dict[str, Any]:
    async with h.client() as c:
        root = (await c.get(f"/api/v1/cases/{case_id}/tree")).json()["root"]
    return {k: v for k, v in root.items() if k != "children"}


async def _cite_two(demo: dict[str, ServiceHarness], gateway: httpx.AsyncClient) -> list[dict]:
    """Two 好事例 cited in 八王子市's case report through the page that cites them."""
    case = await _case(demo["support_cases"])
    async with demo["indicators"].client() as c:
        gps = (await c.get("/api/v1/pdca/good-practices")).json()[:2]
    for gp in gps:
        r = await gateway.post(
            f"/pdca/good-practices/{gp['id']}/cite", data={"case_id": case["id"]}
        )
        assert r.status_code == 303, r.text
    return gps


class TestGoodPracticeCitation:
    async def test_removed_from_the_report_where_it_is_shown(
        self, demo: dict[str, ServiceHarness], gateway: httpx.AsyncClient
    ) -> None:
        sc = demo["support_cases"]
        gps = await _cite_two(demo, gateway)
        case = await _case(sc)
        before = await _lessons(sc, case["id"])
        page = await gateway.get(f"/support/cases/{case['id']}", headers=HTML)
        listed = page.text.split('<ul id="citations"')[1].split("</ul>")[0]
        assert listed.count("引用を外す</button>") == 2
        gone = f"pdca-good-practice:{gps[0]['id']}"
        assert f'name="reference" value="{gone}"' in listed

        r = await gateway.post(
            f"/support/cases/{case['id']}/citations/remove",
            data={"reference": gone, "version": before["version"]},
            headers=HX,
        )
        assert r.status_code == 200, r.text
        assert r.text.lstrip().startswith('<section id="report"')
        assert "好事例の引用を外しました" in r.text and f"[{gone}]" not in r.text
        after = await _lessons(sc, case["id"])
        assert [c["reference"] for c in after["citations"]] == [
            f"pdca-good-practice:{gps[1]['id']}"
        ]
        assert after["lessons"] == before["lessons"]
        async with sc.client() as c:
            html = (await c.get(f"/api/v1/cases/{case['id']}/report.html")).text
        assert f"[{gone}]" not in html and f"[pdca-good-practice:{gps[1]['id']}]" in html

    async def test_a_stale_page_is_refused_and_nothing_changes(
        self, demo: dict[str, ServiceHarness], gateway: httpx.AsyncClient
    ) -> None:
        sc = demo["support_cases"]
        gps = await _cite_two(demo, gateway)
        case = await _case(sc)
        before = await _lessons(sc, case["id"])
        r = await gateway.post(
            f"/support/cases/{case['id']}/citations/remove",
            data={
                "reference": f"pdca-good-practice:{gps[0]['id']}",
                "version": before["version"] - 1,
            },
            headers=HTML,
        )
        assert r.status_code == 409
        assert "引用は外していません" in r.text
        assert await _lessons(sc, case["id"]) == before

    async def test_a_municipality_may_not_remove_it(
        self,
        demo: dict[str, ServiceHarness],
        gateway: httpx.AsyncClient,
        gateway_factory: GatewayFactory,
    ) -> None:
        sc = demo["support_cases"]
        gps = await _cite_two(demo, gateway)
        case = await _case(sc)
        before = await _lessons(sc, case["id"])
        client = await gateway_factory(role="municipality", municipality=HACHIOJI)
        r = await client.post(
            f"/support/cases/{case['id']}/citations/remove",
            data={"reference": f"pdca-good-practice:{gps[0]['id']}", "version": before["version"]},
            headers=HTML,
        )
        assert r.status_code == 403
        assert await _lessons(sc, case["id"]) == before


class TestMeasureCitation:
    async def test_removed_from_the_node_where_it_is_shown(
        self, demo: dict[str, ServiceHarness], gateway: httpx.AsyncClient
    ) -> None:
        sc = demo["support_cases"]
        case = await _case(sc)
        root = await _root(sc, case["id"])
        assert [c["measure_code"] for c in root["measure_evidence"]] == ["kayoinoba_rate"]
        page = await gateway.get(f"/support/cases/{case['id']}", headers=HTML)
        node = page.text.split(f'<li id="node-{root["id"]}"')[1]
        assert "kayoinoba_rate (2023年度) の引用を外す" in node.split('<ul class="tree')[0]
        r = await gateway.post(
            f"/support/cases/{case['id']}/tree/nodes/{root['id']}/measure-evidence/remove",
            data={
                "measure_code": "kayoinoba_rate",
                "fiscal_year": "2023",
                "version": root["version"],
            },
            headers=HX,
        )
        assert r.status_code == 200, r.text
        assert r.headers["HX-Retarget"] == f"#node-{root['id']}"
        assert "kayoinoba_rate (2023年度) の引用を外しました" in r.text
        assert f'id="cited-{root["id"]}"' not in r.text
        after = await _root(sc, case["id"])
        assert after["measure_evidence"] == []
        assert after["statement"] == root["statement"] and after["evidence"] == root["evidence"]
        assert after["version"] == root["version"] + 1

    async def test_a_stale_node_shows_the_conflict_and_keeps_the_citation(
        self, demo: dict[str, ServiceHarness], gateway: httpx.AsyncClient
    ) -> None:
        sc = demo["support_cases"]
        case = await _case(sc)
        root = await _root(sc, case["id"])
        r = await gateway.post(
            f"/support/cases/{case['id']}/tree/nodes/{root['id']}/measure-evidence/remove",
            data={
                "measure_code": "kayoinoba_rate",
                "fiscal_year": "2023",
                "version": root["version"] + 7,
            },
            headers=HTML,
        )
        assert r.status_code == 409
        assert "保存していません" in r.text
        assert await _root(sc, case["id"]) == root

    async def test_a_viewer_may_not_remove_it(
        self, demo: dict[str, ServiceHarness], gateway_factory: GatewayFactory
    ) -> None:
        sc = demo["support_cases"]
        case = await _case(sc)
        root = await _root(sc, case["id"])
        client = await gateway_factory(role="viewer")
        r = await client.post(
            f"/support/cases/{case['id']}/tree/nodes/{root['id']}/measure-evidence/remove",
            data={
                "measure_code": "kayoinoba_rate",
                "fiscal_year": "2023",
                "version": root["version"],
            },
            headers=HTML,
        )
        assert r.status_code == 403
        assert await _root(sc, case["id"]) == root
