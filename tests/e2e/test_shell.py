"""A coordinator opens the workbench in a real browser and finds a municipality."""

from playwright.async_api import Page, expect


class TestHomePage:
    async def test_lists_62_and_opens_a_municipality(self, page: Page) -> None:
        await page.goto("/")
        await expect(page.get_by_role("heading", name="東京都の区市町村")).to_be_visible()
        await expect(page.locator("#municipality-rows tr")).to_have_count(62)
        await page.get_by_role("link", name="小笠原村").click()
        await expect(page.get_by_role("heading", name="小笠原村")).to_be_visible()
        await expect(page.get_by_text("島しょ").first).to_be_visible()

    async def test_filter_by_region_class_swaps_the_table(self, page: Page) -> None:
        await page.goto("/")
        await page.get_by_label("区分", exact=True).select_option("市部")
        await expect(page.locator("#municipality-rows tr")).to_have_count(26)
        assert "region_class=" in page.url
