"""取組と目標 shared across the prefecture, through the gateway on the demo: the 62 side by
side, a municipality's own sheet (its staff edit it; the others read it when published and
never see a draft), 好事例 marked by a coordinator."""

from __future__ import annotations

import re

import httpx

from tests.conftest import GatewayFactory, ServiceHarness

HTML = {"Accept": "text/html"}
HX = {"Accept": "text/html", "HX-Request": "true"}
FY = 2025
CHIYODA, SHINJUKU, MITAKA = "131016", "131041", "132047"


async def _sheet_of(h: ServiceHarness, code: str) -> dict:
    async with h.client() as c:
        sheets = (await c.get("/api/v1/pdca/sheets", params={"entity_code": code})).json()
        return (await c.get(f"/api/v1/pdca/sheets/{sheets[0]['id']}")).json()


def _csrf(html: str) -> str:
    m = re.search(r'name="csrf_token" value="([^"]+)"', html)
    return m.group(1) if m else ""


class TestSideBySide:
    async def test_the_62_with_themes_counts_and_progress(
        self, demo: dict[str, ServiceHarness], gateway: httpx.AsyncClient
    ) -> None:
        r = await gateway.get("/pdca/municipalities", params={"fiscal_year": FY}, headers=HTML)
        assert r.status_code == 200, r.text
        t = r.text
        assert t.count('<tr id="pdca-') == 62
        assert 'id="count-shown">62<' in t
        row = t.split(f'<tr id="pdca-{CHIYODA}"')[1].split("</tr>")[0]
        assert "公開" in row and "通いの場への参加率の向上" in row and "好事例" in row
        assert '達成 <strong class="num">1</strong>' in row
        assert "0 / 3" in row  # achieved / numeric items
        head = t.split("<thead>")[1].split("</thead>")[0]
        assert "通いの場" in head and "給付適正化" in head
        mitaka = t.split(f'<tr id="pdca-{MITAKA}"')[1].split("</tr>")[0]
        assert "下書き" in mitaka  # the prefecture sees drafts

    async def test_filter_by_region_class(self, demo, gateway) -> None:
        r = await gateway.get(
            "/pdca/municipalities", params={"fiscal_year": FY, "region_class": "区部"}, headers=HX
        )
        assert r.text.count('<tr id="pdca-') == 23
        assert r.text.lstrip().startswith('<div id="side-by-side">')

    async def test_a_municipality_never_sees_anothers_draft(
        self, demo: dict[str, ServiceHarness], gateway_factory: GatewayFactory
    ) -> None:
        draft = await _sheet_of(demo["indicators"], MITAKA)
        assert draft["published"] is False
        client = await gateway_factory(role="municipality", municipality=CHIYODA)
        r = await client.get("/pdca/municipalities", params={"fiscal_year": FY}, headers=HTML)
        assert r.status_code == 200
        mitaka = r.text.split(f'<tr id="pdca-{MITAKA}"')[1].split("</tr>")[0]
        assert "なし" in mitaka and "下書き" not in mitaka
        assert draft["items"][0]["title"] not in r.text
        page = await client.get(f"/pdca/municipalities/{MITAKA}", params={"fiscal_year": FY})
        assert "シートはありません" in page.text and draft["title"] not in page.text


class TestOwnSheet:
    async def test_own_staff_save_a_record(
        self, demo: dict[str, ServiceHarness], gateway_factory: GatewayFactory
    ) -> None:
        before = await _sheet_of(demo["indicators"], CHIYODA)
        client = await gateway_factory(role="municipality", municipality=CHIYODA)
        page = await client.get(f"/pdca/municipalities/{CHIYODA}", params={"fiscal_year": FY})
        assert "記録を編集" in page.text and "好事例にする" not in page.text
        item = before["items"][0]["code"]
        r = await client.post(
            f"/pdca/municipalities/{CHIYODA}/records?fiscal_year={FY}",
            data={
                "csrf_token": _csrf(page.text),
                "sheet_id": before["id"],
                "version": before["version"],
                "item": item,
                "actions": "ページから入力した実績",
                "actual_value": "7.9",
                "self_evaluation": "一部達成",
                "next_steps": "男性の参加を増やす",
            },
        )
        assert r.status_code == 303, r.text
        after = await _sheet_of(demo["indicators"], CHIYODA)
        rec = next(y for y in after["items"][0]["years"] if y["fiscal_year"] == FY)
        assert rec["actions"] == "ページから入力した実績" and rec["actual_value"] == 7.9
        assert after["version"] == before["version"] + 1

    async def test_another_municipality_reads_only_and_is_refused(
        self, demo: dict[str, ServiceHarness], gateway_factory: GatewayFactory
    ) -> None:
        before = await _sheet_of(demo["indicators"], SHINJUKU)
        client = await gateway_factory(role="municipality", municipality=CHIYODA)
        page = await client.get(f"/pdca/municipalities/{SHINJUKU}", params={"fiscal_year": FY})
        assert page.status_code == 200 and "閲覧のみ" in page.text
        assert "記録を編集" not in page.text
        r = await client.post(
            f"/pdca/municipalities/{SHINJUKU}/records?fiscal_year={FY}",
            data={
                "csrf_token": _csrf(page.text),
                "sheet_id": before["id"],
                "version": before["version"],
                "item": before["items"][0]["code"],
                "actions": "他団体が書き込もうとした",
            },
            headers=HTML,
        )
        assert r.status_code == 404
        assert await _sheet_of(demo["indicators"], SHINJUKU) == before

    async def test_stale_version_is_shown_and_nothing_written(self, demo, gateway) -> None:
        before = await _sheet_of(demo["indicators"], CHIYODA)
        r = await gateway.post(
            f"/pdca/municipalities/{CHIYODA}/records?fiscal_year={FY}",
            data={
                "sheet_id": before["id"],
                "version": before["version"] + 5,
                "item": before["items"][0]["code"],
                "actions": "古い版",
            },
            headers=HTML,
        )
        assert r.status_code == 409 and "保存していません" in r.text
        assert await _sheet_of(demo["indicators"], CHIYODA) == before


class TestGoodPractices:
    async def test_coordinator_marks_and_the_list_shows_it(
        self, demo: dict[str, ServiceHarness], gateway: httpx.AsyncClient
    ) -> None:
        sheet = await _sheet_of(demo["indicators"], SHINJUKU)
        page = await gateway.get(f"/pdca/municipalities/{SHINJUKU}", params={"fiscal_year": FY})
        assert "好事例にする" in page.text
        item = sheet["items"][1]
        r = await gateway.post(
            "/pdca/good-practices",
            data={
                "sheet_id": sheet["id"],
                "item_code": item["code"],
                "note": "会議の回数を保ちながら自立支援の視点を定着させた",
                "code": SHINJUKU,
                "fiscal_year": FY,
            },
        )
        assert r.status_code == 303, r.text
        listed = await gateway.get("/pdca/good-practices", headers=HTML)
        assert "会議の回数を保ちながら自立支援の視点を定着させた" in listed.text
        assert item["title"] in listed.text

    async def test_a_municipality_cannot_mark(
        self, demo: dict[str, ServiceHarness], gateway_factory: GatewayFactory
    ) -> None:
        sheet = await _sheet_of(demo["indicators"], SHINJUKU)
        client = await gateway_factory(role="municipality", municipality=SHINJUKU)
        page = await client.get("/pdca/good-practices", headers=HTML)
        before = page.text.count('<tr id="gp-')
        r = await client.post(
            "/pdca/good-practices",
            data={
                "csrf_token": _csrf(page.text),
                "sheet_id": sheet["id"],
                "item_code": sheet["items"][1]["code"],
                "note": "自分で好事例にする",
                "code": SHINJUKU,
                "fiscal_year": FY,
            },
            headers=HTML,
        )
        assert r.status_code == 403
        after = await client.get("/pdca/good-practices", headers=HTML)
        assert after.text.count('<tr id="gp-') == before


class TestCiteInReport:
    async def test_coordinator_cites_a_good_practice_in_a_case_report(
        self, demo: dict[str, ServiceHarness], gateway: httpx.AsyncClient
    ) -> None:
        async with demo["support_cases"].client() as c:
            case = (await c.get("/api/v1/cases", params={"municipality_code": "132012"})).json()[0]
        async with demo["indicators"].client() as c:
            gp = (await c.get("/api/v1/pdca/good-practices")).json()[0]
        page = await gateway.get("/pdca/good-practices", headers=HTML)
        assert f'action="/pdca/good-practices/{gp["id"]}/cite"' in page.text
        r = await gateway.post(
            f"/pdca/good-practices/{gp['id']}/cite", data={"case_id": case["id"]}
        )
        assert r.status_code == 303, r.text
        async with demo["support_cases"].client() as c:
            lessons = (await c.get(f"/api/v1/cases/{case['id']}/report/lessons")).json()
            html = (await c.get(f"/api/v1/cases/{case['id']}/report.html")).text
        assert lessons["citations"] == [
            {
                "reference": f"pdca-good-practice:{gp['id']}",
                "title": gp["item_title"],
                "entity_name": gp["entity_name"],
                "note": gp["note"],
            }
        ]
        assert f"[pdca-good-practice:{gp['id']}]" in html
