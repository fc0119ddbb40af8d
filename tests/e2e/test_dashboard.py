"""A coordinator reads the dashboard, narrows it to 町村部, sorts it and opens a profile, in a
real browser against the whole system with its demo data; the profile prints on A4."""

from __future__ import annotations

import re

from playwright.async_api import Page, expect

from tests.e2e.conftest import OUTPUT

HINOHARA = "檜原村"  # 町村部, the demo's case at 選定 and a late 工程表


class TestDashboard:
    async def test_filter_sort_and_open_a_profile(self, page: Page) -> None:
        OUTPUT.mkdir(parents=True, exist_ok=True)
        await page.goto("/")
        table = page.get_by_role("table", name="区市町村の一覧")
        rows = table.locator("tbody tr")
        await expect(rows).to_have_count(62)
        await expect(page.locator("#count-flagged")).to_have_text(re.compile(r"^\d+$"))
        await expect(page.locator("#cases-by-status")).to_contain_text("実施・検証")
        await page.screenshot(path=str(OUTPUT / "dashboard.png"), full_page=True)

        await page.get_by_label("区分", exact=True).select_option("町村部")
        await expect(rows).to_have_count(13)
        await expect(page).to_have_url(re.compile(r"region_class=%E7%94%BA%E6%9D%91%E9%83%A8"))
        await expect(table.get_by_role("link", name=HINOHARA)).to_be_visible()

        # Sort the 13 by score rate, highest first (two clicks on the header: up, then down).
        header = table.get_by_role("link", name=re.compile("得点率"))
        await header.click()
        await expect(page).to_have_url(re.compile(r"sort=score"))
        await table.get_by_role("link", name=re.compile("得点率")).click()
        await expect(page).to_have_url(re.compile(r"dir=desc"))
        await expect(rows).to_have_count(13)
        rates = [
            float(t.rstrip("%")) for t in await table.locator("td.score .num").all_inner_texts()
        ]
        assert len(rates) == 13 and rates == sorted(rates, reverse=True)
        assert "region_class=" in page.url  # the filter stays while sorting

        await table.get_by_role("link", name=HINOHARA).click()
        await expect(page.get_by_role("heading", level=1, name=HINOHARA)).to_be_visible()
        await expect(page.locator("svg.chart.radar")).to_be_visible()
        await expect(page.locator("svg.chart.radar text.label")).to_have_text(["Ⅰ", "Ⅱ", "Ⅲ"])
        await expect(page.locator("svg.chart.line")).to_be_visible()
        case = page.locator(".case-card")
        await expect(case.locator("[aria-current=step]")).to_have_text("選定")
        await expect(page.get_by_role("table", name="工程表の状況")).to_contain_text("遅れ")
        await page.screenshot(path=str(OUTPUT / "profile.png"), full_page=True)

        # Printed: no menu, no print button; the PDF is A4 (595 × 842 pt), three pages.
        await page.emulate_media(media="print")
        await expect(page.get_by_role("navigation", name="メインメニュー")).to_be_hidden()
        await expect(page.get_by_role("button", name="印刷")).to_be_hidden()
        pdf = await page.pdf(prefer_css_page_size=True, print_background=True)
        (OUTPUT / "profile.pdf").write_bytes(pdf)
        pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
        assert 2 <= pages <= 4, pages  # three parts, each starting a page (see app.css)
        box = re.search(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf)
        assert box and round(float(box.group(1))) == 595 and round(float(box.group(2))) == 842
