"""The admin's pages for people and API tokens (plain forms, Japanese)."""

from __future__ import annotations

import re

import httpx

from tests.conftest import GatewayFactory
from tests.gateway.auth.conftest import HTML


async def _form_post(gw: httpx.AsyncClient, url: str, data: dict) -> httpx.Response:
    """Submit as a browser without JavaScript: the csrf_token field, no header."""
    token = gw.headers.get("X-CSRF-Token")
    headers = {**HTML, "X-CSRF-Token": ""}
    return await gw.post(url, data={**data, "csrf_token": token}, headers=headers)


class TestUsersPage:
    async def test_admin_adds_a_municipality_user(self, gateway_factory: GatewayFactory) -> None:
        admin = await gateway_factory(role="admin")
        page = await admin.get("/admin/users", headers=HTML)
        assert page.status_code == 200 and "利用者の管理" in page.text
        assert '<label for="u-login">' in page.text and 'name="csrf_token"' in page.text
        r = await _form_post(
            admin,
            "/admin/users",
            {
                "login": "Chiyoda-Tanaka",
                "display_name": "千代田区 田中",
                "role": "municipality",
                "municipality_code": "131016",
                "password": "long-enough-password",
            },
        )
        assert r.status_code == 303
        listed = await admin.get(r.headers["location"], headers=HTML)
        assert "chiyoda-tanaka を追加しました。" in listed.text
        assert "千代田区 田中" in listed.text and "区市町村職員" in listed.text

    async def test_mistakes_are_listed_and_the_form_kept(
        self, gateway_factory: GatewayFactory
    ) -> None:
        admin = await gateway_factory(role="admin")
        r = await _form_post(
            admin,
            "/admin/users",
            {
                "login": "minato-suzuki",
                "display_name": "港区 鈴木",
                "role": "municipality",
                "municipality_code": "131017",
                "password": "long-enough-password",
            },
        )
        assert r.status_code == 422
        assert "追加できませんでした" in r.text and "検査数字" in r.text
        assert 'value="minato-suzuki"' in r.text
        short = await _form_post(
            admin,
            "/admin/users",
            {"login": "kanri2", "display_name": "管理", "role": "admin", "password": "short"},
        )
        assert short.status_code == 422 and "10 文字以上" in short.text
        dup = await _form_post(
            admin,
            "/admin/users",
            {
                "login": "test-admin",
                "display_name": "重複",
                "role": "viewer",
                "password": "long-enough-password",
            },
        )
        assert dup.status_code == 409 and "既に使われています" in dup.text

    async def test_admin_deactivates_a_user_from_the_edit_page(
        self, gateway_factory: GatewayFactory
    ) -> None:
        admin = await gateway_factory(role="admin")
        viewer = await gateway_factory(role="viewer")
        users = (await admin.get("/api/v1/admin/users")).json()
        target = next(u for u in users if u["login"] == "test-viewer")
        edit = await admin.get(f"/admin/users/{target['id']}", headers=HTML)
        assert edit.status_code == 200, edit.text
        assert 'name="version" value="1"' in edit.text
        r = await _form_post(
            admin,
            f"/admin/users/{target['id']}",
            {"version": "1", "display_name": "テスト viewer", "role": "viewer"},
        )
        assert r.status_code == 303
        assert (await viewer.get("/", headers=HTML)).status_code == 303
        stale = await _form_post(
            admin,
            f"/admin/users/{target['id']}",
            {"version": "1", "display_name": "x", "role": "viewer", "active": "on"},
        )
        assert stale.status_code == 409 and "他の人が更新しました" in stale.text


class TestTokensPage:
    async def test_token_is_shown_once_then_only_its_prefix(
        self, gateway_factory: GatewayFactory
    ) -> None:
        admin = await gateway_factory(role="admin")
        r = await _form_post(
            admin, "/admin/tokens", {"name": "交付金報告", "user_id": "", "expires_in_days": "90"}
        )
        assert r.status_code == 201 and r.headers["cache-control"] == "no-store"
        token = re.search(r'<code id="new-token">(bnk_[^<]+)</code>', r.text)
        assert token and "いま一度だけ" in r.text
        again = await admin.get("/admin/tokens", headers=HTML)
        assert token.group(1) not in again.text
        assert f"<code>{token.group(1)[:12]}…</code>" in again.text and "有効" in again.text

    async def test_revoke_button(self, gateway_factory: GatewayFactory) -> None:
        admin = await gateway_factory(role="admin")
        made = (await admin.post("/api/v1/admin/tokens", json={"name": "不要"})).json()
        r = await _form_post(admin, f"/admin/tokens/{made['id']}/revoke", {})
        assert r.status_code == 303
        page = await admin.get("/admin/tokens", headers=HTML)
        assert "失効" in page.text and "不要 を失効させる" not in page.text
