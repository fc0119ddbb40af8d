"""A coordinator imports a score file and sees the results, runs the allocation what-if and
sees the amount change in place, and opens the PDCA sheet — in a real browser against the
whole system with its demo data."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
from playwright.async_api import Page, expect

from services.common.actor import SYSTEM_COORDINATOR, mint_token
from tests.e2e.conftest import OUTPUT
from tests.e2e.system import System

CHIYODA = "131016"


def _api(system: System) -> httpx.Client:
    token = mint_token(system.secret, SYSTEM_COORDINATOR)
    return httpx.Client(
        base_url=system.service_url("indicators") + "/api/v1",
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )


def _framework(system: System, code: str) -> dict[str, Any]:
    with _api(system) as api:
        return next(f for f in api.get("/frameworks").json() if f["code"] == code)


class TestScoreImport:
    async def test_coordinator_imports_a_file_and_sees_the_results(
        self, page: Page, system: System, tmp_path: Path
    ) -> None:
        fw = _framework(system, "suishin-municipality-2020-demo")
        with _api(system) as api:
            items = {
                c["item_code"]: c["points"]
                for c in api.get(
                    f"/frameworks/{fw['id']}/scores", params={"entity_code": CHIYODA}
                ).json()
            }
        # Full points on every provisional item: 千代田区 should end up near the top.
        wide = ["団体コード", *items]
        row = [CHIYODA, *("10" if "残余" not in c else str(int(items[c])) for c in items)]
        upload = tmp_path / "chiyoda.csv"
        upload.write_bytes((",".join(wide) + "\r\n" + ",".join(row) + "\r\n").encode("cp932"))

        await page.goto(f"/indicators/frameworks/{fw['id']}/import")
        await page.get_by_label("得点のファイル").set_input_files(str(upload))
        await page.get_by_role("button", name="取り込む").click()
        ok = page.locator("#import-ok")
        await expect(ok).to_contain_text(f"得点を{len(items)}件書き込みました")

        await ok.get_by_role("link", name="結果を見る").click()
        await expect(page.get_by_role("heading", name="結果")).to_be_visible()
        with _api(system) as api:
            results = api.get(f"/frameworks/{fw['id']}/results", params={"prefecture": "13"}).json()
        mine = next(e for e in results["entities"] if e["entity_code"] == CHIYODA)
        table = page.get_by_role("table", name="結果の一覧")
        chiyoda = table.get_by_role("row").filter(has_text="千代田区")
        await expect(chiyoda).to_contain_text(f"{mine['total']:.0f}/692")
        await expect(chiyoda.get_by_role("cell").first).to_have_text(
            f"{mine['rank']}/{mine['rank_of']}"
        )
        # The peer-group filter narrows the table in place.
        await page.get_by_label("グループ", exact=True).select_option(label="区部")
        await page.get_by_role("button", name="絞り込む").click()
        await expect(page.locator("#count-entities")).to_have_text("23")
        await page.screenshot(path=str(OUTPUT / "indicators_results.png"), full_page=True)

    async def test_a_bad_row_shows_the_table_and_nothing_is_written(
        self, page: Page, system: System, tmp_path: Path
    ) -> None:
        fw = _framework(system, "suishin-municipality-2020-demo")
        upload = tmp_path / "bad.csv"
        upload.write_text("団体コード,指標コード,得点\n131016,Ⅱ-通いの場,99\n", encoding="utf-8")
        await page.goto(f"/indicators/frameworks/{fw['id']}/import")
        await page.get_by_label("得点のファイル").set_input_files(str(upload))
        await page.get_by_role("button", name="取り込む").click()
        await expect(page.get_by_role("alert")).to_contain_text("何も書き込んでいません")
        bad = page.get_by_role("table", name="誤りのある行")
        await expect(bad.get_by_role("row")).to_have_count(2)
        await expect(bad).to_contain_text("得点")


class TestAllocation:
    async def test_what_if_changes_the_amount_in_place(self, page: Page, system: System) -> None:
        fw = _framework(system, "suishin-municipality-2020-demo")
        await page.goto(f"/indicators/frameworks/{fw['id']}/allocation")
        table_before = await page.locator("#allocation-table").inner_text()
        await page.get_by_label("保険者", exact=True).select_option(value=CHIYODA)
        await page.get_by_label("指標 1", exact=True).select_option(value="Ⅱ-残余")
        await page.get_by_label("指標 1 の仮定の得点").fill("469")
        await page.get_by_role("button", name="試算する (what-if)").click()

        amount = page.locator("#whatif-amount")
        diff = amount.locator("#whatif-difference")
        await expect(diff).to_contain_text("円")
        # no budget typed: the year's budget the service holds (with its source)
        typed = await page.locator("input[name=budget][type=hidden]").input_value()
        body: dict[str, Any] = {"what_if": {"entity_code": CHIYODA, "points": {"Ⅱ-残余": 469}}}
        if typed:
            body["budget"] = int(typed)
        with _api(system) as api:
            expected = api.post(f"/frameworks/{fw['id']}/allocation", json=body).json()["what_if"]
        sign = "+" if expected["difference"] > 0 else ""
        await expect(diff).to_have_text(f"{sign}{expected['difference']:,}円")
        await expect(amount).to_contain_text(f"{expected['paid_after']:,}円")
        # Only the amount block changed: the form keeps its values, the table is as it was.
        await expect(page.get_by_label("指標 1 の仮定の得点")).to_have_value("469")
        assert await page.locator("#allocation-table").inner_text() == table_before
        await amount.scroll_into_view_if_needed()
        await page.screenshot(path=str(OUTPUT / "allocation_whatif.png"))


class TestAuthoring:
    async def test_copy_fy2025_to_fy2026_edit_an_item_and_see_the_provisional_mark(
        self, page: Page, system: System
    ) -> None:
        # FY2025 of the prefecture framework, made from the demo's FY2020 one through the API
        fw20 = _framework(system, "suishin-prefecture-2020-demo")
        with _api(system) as api:
            have = {
                f["grant_fy"]
                for f in api.get(
                    "/frameworks", params={"grant": "suishin", "level": "prefecture"}
                ).json()
            }
            if 2025 not in have:
                r = api.post(f"/frameworks/{fw20['id']}/copy", json={"grant_fy": 2025})
                assert r.status_code == 201, r.text

        await page.goto("/indicators")
        copy = page.locator("#copy")
        await copy.get_by_label("交付金・区分").select_option(value="suishin:prefecture")
        await copy.get_by_label("作る体系の交付年度 (西暦)").fill("2026")
        await copy.get_by_label("出典: 資料名 (任意)").fill("令和8年度 評価指標 (案)")
        await copy.get_by_role("button", name="複製して作る").click()
        await expect(page.locator("#saved")).to_contain_text("前年度の体系を複製して作りました")
        await expect(page.locator("#fw-state")).to_have_text("暫定")

        row = page.locator("#edit-items tbody tr").filter(has=page.locator('input[value="Ⅰ-①"]'))
        await row.get_by_role("textbox", name=re.compile("の評価指標$")).fill(
            "見える化システムの活用 (令和8年度)"
        )
        await row.get_by_role("textbox", name=re.compile("の満点$")).fill("12")
        await page.get_by_role("button", name="区分と指標を保存").click()
        await expect(page.locator("#saved")).to_contain_text("区分と指標を保存しました")

        with _api(system) as api:
            fw26 = next(
                f
                for f in api.get(
                    "/frameworks", params={"grant": "suishin", "level": "prefecture"}
                ).json()
                if f["grant_fy"] == 2026
            )
        assert (
            fw26["state"] == "provisional"
            and fw26["source"]["document"] == "令和8年度 評価指標 (案)"
        )
        await page.goto(f"/indicators/frameworks/{fw26['id']}")
        await expect(page.locator("#fw-state")).to_have_text("暫定")
        item = page.get_by_role("table", name="Ⅰ の指標").get_by_role("row").filter(has_text="Ⅰ-①")
        await expect(item).to_contain_text("見える化システムの活用 (令和8年度)")
        with _api(system) as api:
            detail = api.get(f"/frameworks/{fw26['id']}").json()
        edited = next(it for c in detail["categories"] for it in c["items"] if it["code"] == "Ⅰ-①")
        with _api(system) as api:
            src = api.get(f"/frameworks/{fw20['id']}").json()
        before = next(it for c in src["categories"] for it in c["items"] if it["code"] == "Ⅰ-①")
        assert edited["max_points"] == 12
        assert detail["max_points"] == src["max_points"] - before["max_points"] + 12
        await page.goto("/indicators")
        await expect(page.locator(f"#fw-{fw26['id']}")).to_contain_text("暫定")
        await page.screenshot(path=str(OUTPUT / "framework_authoring.png"), full_page=True)


class TestPdca:
    async def test_sheet_cell_is_edited_in_place(self, page: Page, system: System) -> None:
        await page.goto("/pdca")
        sheet = page.get_by_role("table", name="取組と目標のシート")
        await expect(sheet).to_contain_text("地域ケア会議")
        await page.set_viewport_size({"width": 1900, "height": 1000})  # years across
        await page.screenshot(path=str(OUTPUT / "pdca_sheet.png"), full_page=True)
        await page.get_by_role("link", name="3-事項2 令和2年度 (2020年度) の自己評価を編集").click()
        await page.get_by_label("今後の課題・対応策").fill("オンライン開催を検討する (e2e)")
        await page.get_by_role("button", name="保存").click()
        cell = page.locator("td.pdca-cell.evaluation").filter(has_text="保存しました")
        await expect(cell).to_contain_text("オンライン開催を検討する (e2e)")
