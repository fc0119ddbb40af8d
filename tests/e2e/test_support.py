"""A coordinator edits a logic tree (adds a node, moves it) and looks at the roadmap, in a real
browser against the whole system with its demo data."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from playwright.async_api import Page, expect

from services.common.actor import SYSTEM_COORDINATOR, mint_token
from tests.e2e.conftest import OUTPUT
from tests.e2e.system import System


def _api(system: System) -> httpx.Client:
    token = mint_token(system.secret, SYSTEM_COORDINATOR)
    return httpx.Client(
        base_url=system.service_url("support_cases"),
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )


def _case(system: System, name: str) -> dict[str, Any]:
    with _api(system) as api:
        r = api.get("/api/v1/cases")
        r.raise_for_status()
        return next(c for c in r.json() if c["municipality_name"] == name)


def _nodes(system: System, case_id: int) -> dict[str, dict[str, Any]]:
    with _api(system) as api:
        r = api.get(f"/api/v1/cases/{case_id}/tree")
        r.raise_for_status()
    out: dict[str, dict[str, Any]] = {}
    stack = [r.json()["root"]]
    while stack:
        n = stack.pop()
        out[n["statement"]] = n
        stack += n["children"]
    return out


class TestLogicTree:
    async def test_coordinator_adds_a_node_and_moves_it(self, page: Page, system: System) -> None:
        case = _case(system, "八王子市")
        before = _nodes(system, case["id"])
        parent = before["男性の参加が少ない"]
        target = before["会場が市東部に偏っている"]
        statement = f"男性が誘い合う仕組みがない ({uuid.uuid4().hex[:6]})"

        await page.goto("/support")
        await (
            page.get_by_role("table", name="支援事例").get_by_role("link", name="八王子市").click()
        )
        await expect(page.locator("#h-tree")).to_contain_text("ロジックツリー")

        # Add a child with the keyboard only: open the disclosure, type, press Enter.
        own = page.locator(f"#node-{parent['id']} > .node-body")
        await own.get_by_text("子を追加", exact=True).focus()
        await page.keyboard.press("Enter")
        await own.get_by_label("なぜ？ (原因)").fill(statement)
        await own.get_by_label("なぜ？ (原因)").press("Enter")
        added = page.locator(f"#node-{parent['id']} > ul > li > .node-body .stmt").filter(
            has_text=statement
        )
        await expect(added).to_be_visible()
        await expect(
            page.get_by_role("status").filter(has_text=f"「{statement}」を追加しました。")
        ).to_be_visible()
        node = _nodes(system, case["id"])[statement]
        assert node["parent_id"] == parent["id"]

        # Move it under another cause; it appears there after the swap.
        body = page.locator(f"#node-{node['id']} > .node-body")
        await body.get_by_text("移動", exact=True).click()
        await body.get_by_label("新しい親").select_option(value=str(target["id"]))
        await body.get_by_role("button", name="移動する").click()
        moved = page.locator(f"#node-{target['id']} > ul > #node-{node['id']}")
        await expect(moved).to_be_visible()
        await expect(moved).to_contain_text("「会場が市東部に偏っている」の下へ移動しました。")
        await expect(page.locator(f"#node-{parent['id']} #node-{node['id']}")).to_have_count(0)
        assert _nodes(system, case["id"])[statement]["parent_id"] == target["id"]

        OUTPUT.mkdir(parents=True, exist_ok=True)
        await page.locator("#logic-tree").screenshot(path=str(OUTPUT / "logic_tree.png"))


class TestRoadmap:
    async def test_roadmap_timeline_shows_the_item_bar(self, page: Page, system: System) -> None:
        case = _case(system, "八王子市")
        await page.goto(f"/support/cases/{case['id']}")
        await (
            page.get_by_role("navigation", name="伴走型支援メニュー")
            .get_by_role("link", name="ロードマップ")
            .click()
        )
        await expect(page.get_by_role("heading", name="八王子市のロードマップ")).to_be_visible()
        bar = page.locator(".rm-bar").first
        await expect(bar).to_be_visible()
        await expect(bar).to_contain_text("実施中")
        assert (await bar.get_attribute("data-start") or "").endswith("-10")
        OUTPUT.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(OUTPUT / "roadmap.png"), full_page=True)
