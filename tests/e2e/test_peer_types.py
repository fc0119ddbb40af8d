"""A coordinator changes a municipality's peer type (類型) on its page and the dashboard groups
it by the new type, in a real browser against the whole system with its demo data (the type
is set back to the default at the end: the system is shared by the session's tests)."""

from __future__ import annotations

import httpx
from playwright.async_api import Page, expect

from services.common.actor import SYSTEM_COORDINATOR, mint_token
from tests.e2e.conftest import OUTPUT
from tests.e2e.system import System

MINATO = "131032"  # 港区: 大都市型 in the registry


def _api(system: System) -> httpx.Client:
    token = mint_token(system.secret, SYSTEM_COORDINATOR)
    return httpx.Client(
        base_url=system.service_url("indicators") + "/api/v1",
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )


def _stored(system: System) -> dict[str, object]:
    with _api(system) as api:
        return next(x for x in api.get("/peer-types").json()["data"] if x["entity_code"] == MINATO)


class TestPeerTypes:
    async def test_set_a_type_on_the_page_and_the_dashboard_follows(
        self, page: Page, system: System
    ) -> None:
        before = _stored(system)
        try:
            await page.goto("/indicators")
            await page.get_by_role("link", name="区市町村の類型 (類似団体の比較)").click()
            await expect(page.locator("h1")).to_have_text("区市町村の類型")
            row = page.locator(f"#pt-{MINATO}")
            await row.get_by_label("港区の類型").select_option("都市型")
            await row.get_by_role("button", name="保存").click()
            await expect(page.locator("#saved")).to_have_text("港区の類型を保存しました。")
            await expect(page.locator(f"#pt-{MINATO} .current")).to_contain_text("都市型")
            await expect(page.locator(f"#pt-{MINATO} .current")).to_contain_text("都の設定")
            await page.locator(f"#pt-{MINATO}").scroll_into_view_if_needed()
            await page.screenshot(path=str(OUTPUT / "peer_types.png"))

            await page.goto("/?peer_type=都市型")
            await expect(page.locator(f'tr[data-code="{MINATO}"]')).to_contain_text("都市型")
            await page.goto("/?peer_type=大都市型")
            await expect(page.locator('tr[data-code="131016"]')).to_be_visible()
            await expect(page.locator(f'tr[data-code="{MINATO}"]')).to_have_count(0)
        finally:  # back to the default for the session's other tests
            now = _stored(system)
            if now["version"] != before["version"]:
                with _api(system) as api:
                    r = api.put(
                        f"/peer-types/{MINATO}",
                        json={"peer_type": None, "version": now["version"]},
                    )
                    assert r.status_code == 200, r.text
