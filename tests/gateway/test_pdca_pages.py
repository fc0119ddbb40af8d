"""The prefecture's PDCA sheet page (取組と目標) through the gateway, with every service's demo."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.conftest import GatewayFactory, ServiceHarness
from tests.gateway.test_shell import RefusingTransport

HTML = {"Accept": "text/html"}
HX = {"Accept": "text/html", "HX-Request": "true"}
ITEM = "2(1)-事項1"  # 地域ケア会議 facilitators: 1,350人 over FY2018–2020, linked to training


@pytest.fixture
async def demo(all_services: dict[str, ServiceHarness]) -> dict[str, ServiceHarness]:
    for h in all_services.values():
        await h.with_demo()  # loaded once, restored from a snapshot (tests/conftest.py)
    return all_services


async def _sheet(h: ServiceHarness) -> dict:
    async with h.client() as c:
        sheets = (await c.get("/api/v1/pdca/sheets", params={"entity_code": "130001"})).json()
        return (await c.get(f"/api/v1/pdca/sheets/{sheets[0]['id']}")).json()


def _item(sheet: dict, code: str) -> dict:
    return next(i for i in sheet["items"] if i["code"] == code)


class TestSheetPage:
    async def test_items_down_years_across_with_figures_and_sources(
        self, demo: dict[str, ServiceHarness], gateway: httpx.AsyncClient
    ) -> None:
        combined = (await gateway.get("/api/v1/pdca/prefecture")).json()
        r = await gateway.get("/pdca", headers=HTML)
        assert r.status_code == 200, r.text
        t = r.text
        for fy in ("平成30年度 (2018年度)", "令和元年度 (2019年度)", "令和2年度 (2020年度)"):
            assert f'<th scope="colgroup" colspan="2">{fy}</th>' in t
        assert t.count('<th scope="col">実施内容・実績</th>') == 3
        assert "地域ケア会議及び介護予防の効果的な実施に向けた支援" in t
        assert t.count('<tr id="item-i') == 7
        # The linked item shows the figure the combined API computed and where it came from.
        p = next(x for x in combined["sheet"]["progress"] if x["code"] == ITEM)
        row = t.split('<tr id="item-i2">')[1].split("</tr>")[0]
        assert "1,350人" in row
        assert f'id="actual-i2">{p["actual"]:,.0f}人</strong>' in row
        source = "出典: 記録" if p["actual_from"] == "metric" else "出典: 入力値の合計"
        assert source in row
        # An entered year value says it is typed.
        assert "修了者428人 (募集規模450人)" in row and "出典: 入力値" in row
        assert "/pdca/export.xlsx" in t and "取組と目標</a>" in t

    async def test_export_is_the_service_xlsx(
        self, demo: dict[str, ServiceHarness], gateway: httpx.AsyncClient
    ) -> None:
        r = await gateway.get("/pdca/export.xlsx")
        assert r.status_code == 200 and r.content[:2] == b"PK"
        assert "pdca-130001-2018.xlsx" in r.headers["content-disposition"]


class TestEditCell:
    async def test_edit_form_carries_the_current_version(
        self, demo: dict[str, ServiceHarness], gateway: httpx.AsyncClient
    ) -> None:
        sheet = await _sheet(demo["indicators"])
        r = await gateway.get(
            "/pdca/cell",
            params={"item": ITEM, "fy": 2020, "kind": "actions", "edit": 1},
            headers=HX,
        )
        assert r.status_code == 200
        assert r.text.lstrip().startswith('<td id="cell-i2-2020-actions"')
        assert f'name="version" value="{sheet["version"]}"' in r.text
        assert "修了者419人 (募集規模540人)" in r.text and 'value="419"' in r.text

    async def test_saving_one_cell_puts_the_sheet_and_swaps_the_cell(
        self, demo: dict[str, ServiceHarness], gateway: httpx.AsyncClient
    ) -> None:
        sheet = await _sheet(demo["indicators"])
        r = await gateway.post(
            "/pdca/cell",
            data={
                "item": ITEM,
                "fy": "2020",
                "kind": "evaluation",
                "version": str(sheet["version"]),
                "self_evaluation": "達成",
                "next_steps": "講師養成研修を始める",
            },
            headers=HX,
        )
        assert r.status_code == 200, r.text
        assert r.text.lstrip().startswith('<td id="cell-i2-2020-evaluation"')
        assert "保存しました" in r.text and "講師養成研修を始める" in r.text
        after = await _sheet(demo["indicators"])
        assert after["version"] == sheet["version"] + 1
        year = next(y for y in _item(after, ITEM)["years"] if y["fiscal_year"] == 2020)
        assert year["self_evaluation"] == "達成" and year["next_steps"] == "講師養成研修を始める"
        # The other cells are untouched.
        assert year["actual_value"] == 419 and _item(after, "3-事項1") == _item(sheet, "3-事項1")

    async def test_stale_version_shows_the_conflict_and_overwrites_nothing(
        self, demo: dict[str, ServiceHarness], gateway: httpx.AsyncClient
    ) -> None:
        sheet = await _sheet(demo["indicators"])
        first = {
            "item": ITEM,
            "fy": "2019",
            "kind": "actions",
            "version": str(sheet["version"]),
            "actions": "修了者428人 (別の人の修正)",
            "actual_value": "428",
        }
        assert (await gateway.post("/pdca/cell", data=first, headers=HX)).status_code == 200
        stale = {**first, "actions": "私の修正", "actual_value": "430"}
        r = await gateway.post("/pdca/cell", data=stale, headers=HX)
        assert r.status_code == 200
        assert "更新の衝突" in r.text and "上書きしていません" in r.text
        assert "いま保存されている内容: 修了者428人 (別の人の修正)" in r.text
        assert "私の修正</textarea>" in r.text and 'value="430"' in r.text  # kept what was typed
        assert f'name="version" value="{sheet["version"] + 1}"' in r.text
        after = await _sheet(demo["indicators"])
        year = next(y for y in _item(after, ITEM)["years"] if y["fiscal_year"] == 2019)
        assert year["actions"] == "修了者428人 (別の人の修正)" and year["actual_value"] == 428
        # Without htmx the same conflict is a 409 page.
        plain = await gateway.post("/pdca/cell", data=stale, headers=HTML)
        assert plain.status_code == 409 and "更新の衝突" in plain.text

    async def test_a_bad_number_is_refused_next_to_the_field(
        self, demo: dict[str, ServiceHarness], gateway: httpx.AsyncClient
    ) -> None:
        sheet = await _sheet(demo["indicators"])
        r = await gateway.post(
            "/pdca/cell",
            data={
                "item": ITEM,
                "fy": "2018",
                "kind": "actions",
                "version": str(sheet["version"]),
                "actions": "x",
                "actual_value": "三百",
            },
            headers=HX,
        )
        assert "実績値は数値で入力してください" in r.text and 'value="三百"' in r.text
        assert (await _sheet(demo["indicators"]))["version"] == sheet["version"]

    async def test_plain_save_redirects_with_the_notice(
        self, demo: dict[str, ServiceHarness], gateway: httpx.AsyncClient
    ) -> None:
        sheet = await _sheet(demo["indicators"])
        r = await gateway.post(
            "/pdca/cell",
            data={
                "item": "3-事項2",
                "fy": "2018",
                "kind": "actions",
                "version": str(sheet["version"]),
                "actions": "準備会を開催",
                "actual_value": "",
            },
            headers=HTML,
        )
        assert r.status_code == 303
        page = await gateway.get(r.headers["location"], headers=HTML)
        assert "3-事項2 の2018年度を保存しました" in page.text and "準備会を開催" in page.text


class TestDegraded:
    async def test_indicators_down_is_a_notice(self, gateway_factory: GatewayFactory) -> None:
        gw = await gateway_factory({"indicators": RefusingTransport()})
        r = await gw.get("/pdca", headers=HTML)
        assert r.status_code == 200
        assert "評価指標のサービスが応答しない" in r.text

    async def test_training_down_falls_back_to_entered_values(
        self, demo: dict[str, ServiceHarness], gateway_factory: GatewayFactory
    ) -> None:
        gw = await gateway_factory({"training": RefusingTransport()})
        r = await gw.get("/pdca", headers=HTML)
        assert r.status_code == 200
        assert "研修のサービスが応答しない" in r.text
        row = r.text.split('<tr id="item-i2">')[1].split("</tr>")[0]
        assert re.search(r'id="actual-i2">1,199人</strong>', row)  # 352 + 428 + 419 typed
        assert "出典: 入力値の合計" in row

    async def test_municipality_staff_cannot_open_the_prefecture_sheet(
        self, gateway_factory: GatewayFactory
    ) -> None:
        gw = await gateway_factory(role="municipality", municipality="131016")
        r = await gw.get("/pdca", headers=HTML)
        assert r.status_code == 403
