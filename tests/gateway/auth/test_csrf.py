"""CSRF: state-changing requests made with the session cookie carry the session's token."""

from __future__ import annotations

import re

import httpx

from tests.conftest import GatewayFactory
from tests.gateway.auth.conftest import HTML


def _without_header(client: httpx.AsyncClient) -> str:
    token = client.headers.pop("X-CSRF-Token")
    return token


class TestRefused:
    async def test_plain_form_without_token_gets_an_html_403(
        self, gateway: httpx.AsyncClient
    ) -> None:
        _without_header(gateway)
        r = await gateway.post("/logout", data={}, headers=HTML)
        assert r.status_code == 403
        assert '<html lang="ja">' in r.text and "CSRF トークンがないか正しくありません" in r.text
        assert (await gateway.get("/api/v1/me")).status_code == 200  # still logged in

    async def test_wrong_form_token_is_refused(self, gateway: httpx.AsyncClient) -> None:
        _without_header(gateway)
        r = await gateway.post("/logout", data={"csrf_token": "guessed"}, headers=HTML)
        assert r.status_code == 403

    async def test_htmx_request_with_a_wrong_header_is_refused(
        self, gateway: httpx.AsyncClient
    ) -> None:
        r = await gateway.post(
            "/logout", headers={"HX-Request": "true", "X-CSRF-Token": "not-the-token"}
        )
        assert r.status_code == 403

    async def test_api_write_with_session_but_no_token_is_a_403_problem(
        self, gateway_factory: GatewayFactory
    ) -> None:
        admin = await gateway_factory(role="admin")
        _without_header(admin)
        r = await admin.post("/api/v1/admin/tokens", json={"name": "盗み"})
        assert r.status_code == 403
        assert r.headers["content-type"] == "application/problem+json"
        assert "CSRF" in r.json()["detail"]

    async def test_token_of_another_session_does_not_count(
        self, gateway_factory: GatewayFactory
    ) -> None:
        a = await gateway_factory(role="admin")
        b = await gateway_factory(role="admin")
        assert a.csrf != b.csrf
        r = await a.post(
            "/api/v1/admin/tokens", json={"name": "x"}, headers={"X-CSRF-Token": b.csrf or ""}
        )
        assert r.status_code == 403


class TestAccepted:
    async def test_form_field_from_csrf_field_is_accepted(self, gateway: httpx.AsyncClient) -> None:
        token = _without_header(gateway)
        page = await gateway.get("/", headers=HTML)
        field = re.search(r'<input type="hidden" name="csrf_token" value="([^"]+)">', page.text)
        assert field and field.group(1) == token
        r = await gateway.post("/logout", data={"csrf_token": field.group(1)}, headers=HTML)
        assert r.status_code == 303

    async def test_htmx_sends_it_from_hx_headers_on_body(self, gateway: httpx.AsyncClient) -> None:
        token = _without_header(gateway)
        page = await gateway.get("/", headers=HTML)
        assert f'hx-headers=\'{{"X-CSRF-Token": "{token}"}}\'' in page.text
        assert f'<meta name="csrf-token" content="{token}">' in page.text
        r = await gateway.post("/logout", headers={"HX-Request": "true", "X-CSRF-Token": token})
        assert r.status_code == 200 and r.headers["hx-redirect"] == "/login"

    async def test_reads_need_no_token(self, gateway: httpx.AsyncClient) -> None:
        _without_header(gateway)
        assert (await gateway.get("/", headers=HTML)).status_code == 200

    async def test_bearer_token_requests_are_exempt(self, gateway_factory: GatewayFactory) -> None:
        admin = await gateway_factory(role="admin")
        made = await admin.post("/api/v1/admin/tokens", json={"name": "運用スクリプト"})
        assert made.status_code == 201
        owner = (await admin.get("/api/v1/me")).json()
        assert owner["role"] == "admin"
        # An admin's own token: no cookie, no CSRF header, and the write goes through.
        uid = (await admin.get("/api/v1/admin/users")).json()[0]["id"]
        mine = await admin.post(
            "/api/v1/admin/tokens", json={"name": "管理者の個人トークン", "user_id": uid}
        )
        async with httpx.AsyncClient(transport=admin._transport, base_url="http://gateway") as c:
            r = await c.post(
                "/api/v1/admin/tokens",
                json={"name": "自動化"},
                headers={"Authorization": f"Bearer {mine.json()['token']}"},
            )
        assert r.status_code == 201, r.text
        assert r.json()["created_by"] == "test-admin:テスト admin"
