"""地域分析, 地域包括支援センター and the shared 取組と目標 in a real browser against the whole
system with its demo data: a measure compared on a profile, a centre's radar, the 62 sheets
side by side."""

from __future__ import annotations

import re

import httpx
from playwright.async_api import Page, expect

from services.common.actor import SYSTEM_COORDINATOR, mint_token
from tests.e2e.conftest import OUTPUT
from tests.e2e.system import System

CHIYODA, HACHIOJI = "131016", "132012"


def _api(system: System) -> httpx.Client:
    token = mint_token(system.secret, SYSTEM_COORDINATOR)
    return httpx.Client(
        base_url=system.service_url("indicators") + "/api/v1",
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )


class TestRegionalAnalysis:
    async def test_a_measure_compared_on_the_profile(self, page: Page, system: System) -> None:
        OUTPUT.mkdir(parents=True, exist_ok=True)
        with _api(system) as api:
            fy = api.get("/regional/years").json()[0]["fiscal_year"]
            compare = api.get(f"/regional/{fy}/compare", params={"entity_code": CHIYODA}).json()
        k = next(m for m in compare["measures"] if m["code"] == "kayoinoba_rate")

        await page.goto(f"/municipalities/{CHIYODA}")
        section = page.locator("section#regional")  # loaded by htmx after the page
        await expect(section.get_by_role("heading", name=re.compile("地域分析"))).to_be_visible()
        table = section.get_by_role("table", name=re.compile("地域分析 指標の比較"))
        row = table.locator("tr#measure-kayoinoba_rate")
        await expect(row.locator("td.value strong")).to_have_text(f"{k['value']:,.1f}")
        await expect(row.locator("td").nth(2)).to_have_text(f"{k['prefecture_mean']:,.1f}")
        await expect(row.locator("td.rank")).to_have_text(f"{k['rank_in_prefecture']}位 / 62")
        await expect(row.locator("svg.chart.spark")).to_be_visible()
        await section.scroll_into_view_if_needed()
        await section.screenshot(path=str(OUTPUT / "regional_profile.png"))

        # From the measure to the 62: grouped, its own municipality highlighted, sortable.
        await row.get_by_role("link", name=re.compile("通いの場")).click()
        await expect(
            page.get_by_role("heading", level=2, name=re.compile("通いの場"))
        ).to_be_visible()
        await expect(page.locator("svg.chart.bars rect.bar")).to_have_count(62)
        ku = page.get_by_role("table", name=re.compile("^区部の"))
        await expect(ku.locator("tbody tr")).to_have_count(23)
        await ku.get_by_role("link", name="値").click()  # was descending: now ascending
        await expect(page).to_have_url(re.compile(r"dir=asc"))
        ku = page.get_by_role("table", name=re.compile("^区部の"))
        values = [
            float(v.replace(",", ""))
            for v in await ku.locator("tbody td:nth-child(3)").all_inner_texts()
        ]
        assert len(values) == 23 and values == sorted(values)
        await page.screenshot(path=str(OUTPUT / "regional_measure.png"), full_page=True)

    async def test_the_sheet_prints_on_a4(self, page: Page) -> None:
        await page.goto(f"/municipalities/{CHIYODA}/regional/sheet")
        await expect(
            page.get_by_role("heading", level=1, name=re.compile("地域分析シート"))
        ).to_be_visible()
        await page.emulate_media(media="print")
        await expect(page.get_by_role("button", name="印刷")).to_be_hidden()
        pdf = await page.pdf(prefer_css_page_size=True, print_background=True)
        (OUTPUT / "regional_sheet.pdf").write_bytes(pdf)
        assert len(re.findall(rb"/Type\s*/Page[^s]", pdf)) == 1
        box = re.search(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf)
        assert box and round(float(box.group(1))) == 595 and round(float(box.group(2))) == 842


class TestCentres:
    async def test_a_centres_radar(self, page: Page, system: System) -> None:
        with _api(system) as api:
            centre = api.get("/centres", params={"municipality_code": HACHIOJI}).json()[0]
            fy = api.get("/centres/catalogues").json()[0]["fiscal_year"]
            radar = api.get(f"/centres/{centre['id']}/evaluations/{fy}/radar").json()

        await page.goto("/centres")
        weak = page.get_by_role("table", name="弱い業務分野")
        await expect(weak.locator("tbody tr").first).to_contain_text("事業間連携")
        await page.get_by_role("link", name="八王子市", exact=True).click()
        await page.get_by_role("link", name=centre["name"]).click()
        await expect(page.get_by_role("heading", level=1, name=centre["name"])).to_be_visible()
        chart = page.locator("#centre-radar svg.chart.radar")
        await expect(chart).to_be_visible()
        await expect(chart.locator("polygon.series")).to_have_count(3)
        await expect(chart.locator("text.label")).to_have_text([a["code"] for a in radar["areas"]])
        await expect(page.locator("#centre-radar .legend li")).to_have_text(
            ["このセンター", "八王子市のセンター平均", "東京都のセンター平均"]
        )
        table = page.get_by_role("table", name="業務分野別の達成率")
        weakest = min(radar["areas"], key=lambda a: a["rate"])
        await expect(table.get_by_role("row").filter(has_text=weakest["name"])).to_contain_text(
            f"{weakest['rate'] * 100:.1f}%"
        )
        await page.screenshot(path=str(OUTPUT / "centre_radar.png"), full_page=True)


class TestPdcaSideBySide:
    async def test_the_62_sheets_side_by_side(self, page: Page) -> None:
        await page.goto("/pdca/municipalities?fiscal_year=2025")
        table = page.get_by_role("table", name=re.compile("区市町村の取組と目標"))
        await expect(table.locator("tbody tr")).to_have_count(62)
        chiyoda = table.locator(f"tr#pdca-{CHIYODA}")
        await expect(chiyoda).to_contain_text("公開")
        await expect(chiyoda).to_contain_text("通いの場への参加率の向上")
        await expect(chiyoda.locator(".gp")).to_have_text("好事例")
        await expect(table.locator("thead")).to_contain_text("給付適正化")
        await page.screenshot(path=str(OUTPUT / "pdca_municipalities.png"), full_page=True)

        await page.get_by_label("区分").select_option("町村部")
        await page.get_by_role("button", name="絞り込む").click()
        await expect(table.locator("tbody tr")).to_have_count(13)
        await expect(page.locator("#count-shown")).to_have_text("13")
        await table.get_by_role("link", name="檜原村").click()
        await expect(
            page.get_by_role("heading", level=1, name=re.compile("檜原村の取組と目標"))
        ).to_be_visible()
        await expect(page.get_by_role("table", name="取組と目標の事項")).to_contain_text("好事例")
