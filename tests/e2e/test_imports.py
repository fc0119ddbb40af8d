"""A coordinator imports a framework's item table through the import wizard — file, column
mapping (one column changed by hand), preview, commit — in a real browser against the whole
system."""

from __future__ import annotations

from pathlib import Path

import httpx
from playwright.async_api import Page, expect

from services.common.actor import SYSTEM_COORDINATOR, mint_token
from tests.e2e.conftest import OUTPUT
from tests.e2e.system import System


def _api(system: System) -> httpx.Client:
    token = mint_token(system.secret, SYSTEM_COORDINATOR)
    return httpx.Client(
        base_url=system.service_url("indicators") + "/api/v1",
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )


def _fresh_framework(system: System) -> int:
    """A copy of the FY2023 努力支援 skeleton for a year nobody uses (Ⅲ: 40 points, no items)."""
    with _api(system) as api:
        assert api.post("/frameworks/shipped").status_code == 200
        src = next(
            f for f in api.get("/frameworks").json() if f["code"] == "doryoku-municipality-2023"
        )
        r = api.post(
            f"/frameworks/{src['id']}/copy",
            json={"grant_fy": 2040, "code": "e2e-wizard-2040", "name": "取込の試験 2040"},
        )
        assert r.status_code == 201, r.text
        return r.json()["id"]


class TestItemTableImport:
    async def test_coordinator_maps_previews_and_imports_an_item_table(
        self, page: Page, system: System, tmp_path: Path
    ) -> None:
        fid = _fresh_framework(system)
        upload = tmp_path / "items.csv"
        upload.write_bytes(
            (
                "分野,番号,指標の内容,配点,説明\r\n"
                "Ⅲ,Ⅲ-1,ケアプラン点検を実施しているか,20,点検の件数で判定\r\n"
                "Ⅲ,Ⅲ-2,住宅改修の点検を実施しているか,20,\r\n"
            ).encode("cp932")
        )

        await page.goto(f"/indicators/frameworks/{fid}")
        await page.get_by_role("link", name="評価指標の一覧を取り込む").click()
        await expect(page.get_by_role("heading", name="1. ファイルを選ぶ")).to_be_visible()
        await page.locator("#f-file").set_input_files(str(upload))
        await page.get_by_role("button", name="次へ: 列の対応").click()

        # step 2: pre-filled from the header names; 説明 is mapped by hand to 備考
        await expect(page.get_by_role("heading", name="2. 列の対応")).to_be_visible()
        await expect(page.get_by_label("分野")).to_have_value("category")
        await expect(page.get_by_label("配点")).to_have_value("max_points")
        await expect(page.get_by_label("説明")).to_have_value("")
        # a field chosen twice: the same step says so (htmx swaps it in), the choices kept
        await page.get_by_label("説明").select_option(label="満点 *")
        await page.get_by_role("button", name="次へ: 内容を確かめる (まだ書き込みません)").click()
        await expect(page.locator("#import-message")).to_contain_text("列の対応を直してください")
        await expect(page.locator("#import-problems")).to_contain_text("2つの列 (配点、説明)")
        await expect(page.get_by_label("説明")).to_have_value("max_points")
        await page.get_by_label("説明").select_option(label="備考")
        await page.screenshot(path=str(OUTPUT / "import_mapping.png"), full_page=True)
        await page.get_by_role("button", name="次へ: 内容を確かめる (まだ書き込みません)").click()

        # step 3: the service's dry run, nothing written yet
        await expect(page.get_by_role("heading", name="3. 内容の確認")).to_be_visible()
        await expect(page.locator("#problem-count")).to_have_text("0件")
        await expect(page.locator("#preview-items")).to_contain_text(
            "ケアプラン点検を実施しているか"
        )
        with _api(system) as api:
            tree = api.get(f"/frameworks/{fid}").json()
        assert not any(i["code"] == "Ⅲ-1" for c in tree["categories"] for i in c["items"])
        await page.screenshot(path=str(OUTPUT / "import_preview.png"), full_page=True)

        # step 4: written, all at once
        await page.get_by_role("button", name="取り込む", exact=True).click()
        await expect(page.locator("#import-done")).to_contain_text("評価指標を2件書き込みました")
        with _api(system) as api:
            tree = api.get(f"/frameworks/{fid}").json()
        items = {i["code"]: i for c in tree["categories"] for i in c["items"]}
        assert items["Ⅲ-1"]["max_points"] == 20 and items["Ⅲ-1"]["note"] == "点検の件数で判定"
        await page.get_by_role("link", name="体系に戻る").click()
        await expect(page.get_by_text("ケアプラン点検を実施しているか")).to_be_visible()
