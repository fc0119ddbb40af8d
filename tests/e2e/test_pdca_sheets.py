"""取組と目標 written by a municipality in a real browser against the whole system: 千代田区's
staff create the sheet of a new plan period, add an item, record the year and publish it; the
prefecture's coordinator then sees it among the 62 on /pdca/municipalities."""

from __future__ import annotations

import re

from playwright.async_api import Page, expect

from tests.e2e.conftest import AXE, Axe, log_in
from tests.e2e.system import System

CHIYODA = "131016"
FY = 2027  # no demo sheet covers it: 千代田区's page offers to create one


class TestOwnSheet:
    async def test_a_municipality_creates_fills_and_publishes_its_sheet(
        self, page: Page, browser: object, system: System
    ) -> None:
        context = await browser.new_context(  # type: ignore[attr-defined]
            base_url=system.url,
            locale="ja-JP",
            timezone_id="Asia/Tokyo",
            viewport={"width": 1280, "height": 900},
        )
        context.set_default_timeout(10_000)
        await context.add_init_script(path=str(AXE))
        own = await context.new_page()
        axe = Axe(own)
        await log_in(own, "demo-chiyoda", "banso-demo-chiyoda")  # demo-only, see README

        await own.goto(f"/pdca/municipalities?fiscal_year={FY}")
        await own.get_by_role("link", name="自分の団体の取組と目標を作成・編集する").click()
        await expect(own).to_have_url(
            re.compile(rf"/pdca/municipalities/{CHIYODA}\?fiscal_year={FY}$")
        )
        await expect(
            own.get_by_text("この年度を含む取組と目標のシートはありません")
        ).to_be_visible()
        create = own.get_by_role("region", name="シートを作成する")
        await create.get_by_label("シートの名前").fill("千代田区の取組と目標 (次期計画)")
        await create.get_by_label("計画の開始年度").fill(str(FY))
        await create.get_by_label("計画の終了年度").fill(str(FY + 2))
        await create.get_by_role("button", name="シートを作成").click()
        await expect(own.get_by_role("status")).to_contain_text("シートを作成しました")
        await expect(own.locator("#sheet-state")).to_have_text("下書き")

        add = own.get_by_role("region", name="事項を追加する")
        await add.get_by_label("事項の番号").fill("1")
        await add.get_by_label("取組 (事項の内容)").fill("男性の通いの場への参加を増やす")
        await add.get_by_label("テーマ").select_option(label="通いの場")
        await add.get_by_label("目標の種類").select_option("level")
        await add.get_by_label("目標 (表記)").fill("参加率 9%")
        await add.get_by_label("目標値").fill("9")
        await add.get_by_label("単位").fill("%")
        await add.get_by_role("button", name="事項を追加").click()
        await expect(own.get_by_role("status")).to_have_text("事項を保存しました。")
        items = own.get_by_role("table", name="取組と目標の事項")
        await expect(items.locator("tr#item-1")).to_contain_text("男性の通いの場への参加を増やす")
        await expect(items.locator("tr#item-1")).to_contain_text("通いの場")

        await items.get_by_text(re.compile(r"^1 の.+の記録を編集$")).click()
        await items.get_by_label("実施内容・実績").fill("シニア向け体操教室を通いの場に移した")
        await items.get_by_label("実績値 (%)").fill("9.3")
        await items.get_by_label("自己評価").select_option("達成")
        await items.get_by_role("button", name="1 を保存").click()
        await expect(own.get_by_role("status")).to_have_text("記録を保存しました。")
        await expect(items.locator("tr#item-1")).to_contain_text("103%")

        await own.get_by_role("button", name="公開する").click()
        await expect(own.get_by_role("status")).to_contain_text("公開しました")
        await expect(own.locator("#sheet-state")).to_have_text("公開")
        await axe.finish()
        await context.close()
        assert not axe.violations, axe.violations

        # the prefecture reads it among the 62
        await page.goto(f"/pdca/municipalities?fiscal_year={FY}")
        table = page.get_by_role("table", name=re.compile("区市町村の取組と目標"))
        row = table.locator(f"tr#pdca-{CHIYODA}")
        await expect(row).to_contain_text("公開")
        await expect(row).to_contain_text("男性の通いの場への参加を増やす")
        await expect(table.locator("thead")).to_contain_text("通いの場")
