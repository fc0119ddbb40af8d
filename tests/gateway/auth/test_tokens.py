"""API tokens: made by an admin and shown once, stored hashed, listed, expiring, revocable."""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx
from sqlmodel import select

from gateway.auth.models import ApiToken
from gateway.auth.service import digest
from tests.conftest import GatewayClient, GatewayFactory, log_in
from tests.gateway.auth.conftest import use_clock


def bearer(gw: GatewayClient, token: str) -> httpx.AsyncClient:
    """A client with only the token (no cookie), as a reporting system calls."""
    return httpx.AsyncClient(
        transport=gw._transport,
        base_url="http://gateway",
        headers={"Authorization": f"Bearer {token}"},
    )


class TestCreate:
    async def test_service_account_token_is_shown_once_and_stored_hashed(
        self, gateway_factory: GatewayFactory
    ) -> None:
        admin = await gateway_factory(role="admin")
        clock = use_clock(admin)
        r = await admin.post(
            "/api/v1/admin/tokens", json={"name": "交付金報告システム", "expires_in_days": 30}
        )
        assert r.status_code == 201, r.text
        body = r.json()
        token = body["token"]
        assert token.startswith("bnk_") and len(token) > 40
        assert body["prefix"] == token[:12] and body["role"] == "api_client"
        assert body["status"] == "有効" and body["user_id"] is None
        assert body["created_by"] == "test-admin:テスト admin"
        assert datetime.fromisoformat(body["expires_at"]) == clock.now() + timedelta(days=30)
        async with admin.app.state.db.session() as s:
            row = (await s.exec(select(ApiToken))).one()
        assert row.token_hash == digest(token) and token not in repr(row.model_dump())
        listed = (await admin.get("/api/v1/admin/tokens")).json()
        assert [t["name"] for t in listed] == ["交付金報告システム"]
        assert "token" not in listed[0] and listed[0]["last_used_at"] is None

    async def test_token_acts_as_api_client(self, gateway_factory: GatewayFactory) -> None:
        admin = await gateway_factory(role="admin")
        made = (await admin.post("/api/v1/admin/tokens", json={"name": "報告"})).json()
        async with bearer(admin, made["token"]) as c:
            me = (await c.get("/api/v1/me")).json()
            assert (await c.get("/api/v1/municipalities/131016")).status_code == 200
            assert (await c.get("/api/v1/admin/tokens")).status_code == 403
        assert me == {
            "id": f"api-token-{made['id']}",
            "name": "報告",
            "role": "api_client",
            "municipality_code": None,
            "advised": [],
        }
        listed = (await admin.get("/api/v1/admin/tokens")).json()
        assert listed[0]["last_used_at"] is not None

    async def test_token_of_a_person_acts_with_their_role(
        self, gateway_factory: GatewayFactory
    ) -> None:
        admin = await gateway_factory(role="admin")
        await gateway_factory(role="municipality", municipality="131016")
        users = (await admin.get("/api/v1/admin/users")).json()
        uid = next(u["id"] for u in users if u["login"] == "test-municipality")
        made = (
            await admin.post("/api/v1/admin/tokens", json={"name": "区の集計", "user_id": uid})
        ).json()
        assert made["role"] == "municipality" and made["user_login"] == "test-municipality"
        async with bearer(admin, made["token"]) as c:
            me = (await c.get("/api/v1/me")).json()
        assert me["id"] == "test-municipality" and me["municipality_code"] == "131016"

    async def test_unknown_owner_is_422(self, gateway_factory: GatewayFactory) -> None:
        admin = await gateway_factory(role="admin")
        r = await admin.post("/api/v1/admin/tokens", json={"name": "x", "user_id": 9999})
        assert r.status_code == 422 and r.json()["errors"][0]["loc"] == ["body", "user_id"]


class TestRefused:
    async def test_expired_token_is_401(self, gateway_factory: GatewayFactory) -> None:
        admin = await gateway_factory(role="admin")
        clock = use_clock(admin)
        made = (
            await admin.post("/api/v1/admin/tokens", json={"name": "短期", "expires_in_days": 1})
        ).json()
        async with bearer(admin, made["token"]) as c:
            clock.advance(hours=23)
            assert (await c.get("/api/v1/me")).status_code == 200
            clock.advance(hours=1)
            r = await c.get("/api/v1/me")
        assert r.status_code == 401 and r.json()["detail"] == "API トークンの有効期限が切れています"
        await log_in(admin, "test-admin")  # the admin's own session ran out meanwhile
        listed = (await admin.get("/api/v1/admin/tokens")).json()
        assert listed[0]["status"] == "期限切れ"

    async def test_revoked_token_is_401_at_once(self, gateway_factory: GatewayFactory) -> None:
        admin = await gateway_factory(role="admin")
        made = (await admin.post("/api/v1/admin/tokens", json={"name": "漏れた"})).json()
        async with bearer(admin, made["token"]) as c:
            assert (await c.get("/api/v1/me")).status_code == 200
            r = await admin.post(f"/api/v1/admin/tokens/{made['id']}/revoke")
            assert r.status_code == 200 and r.json()["status"] == "失効"
            assert r.json()["revoked_at"] is not None
            refused = await c.get("/api/v1/me")
        assert refused.status_code == 401
        assert refused.json()["detail"] == "API トークンは失効しています"
        again = await admin.post(f"/api/v1/admin/tokens/{made['id']}/revoke")
        assert again.json()["revoked_at"] == r.json()["revoked_at"]

    async def test_revoking_an_unknown_token_is_404(self, gateway_factory: GatewayFactory) -> None:
        admin = await gateway_factory(role="admin")
        assert (await admin.post("/api/v1/admin/tokens/999/revoke")).status_code == 404

    async def test_made_up_token_is_401(self, anonymous_gateway: GatewayClient) -> None:
        async with bearer(anonymous_gateway, "bnk_" + "A" * 43) as c:
            r = await c.get("/api/v1/municipalities")
        assert r.status_code == 401 and r.json()["detail"] == "API トークンが正しくありません"

    async def test_token_of_a_deactivated_person_is_401(
        self, gateway_factory: GatewayFactory
    ) -> None:
        admin = await gateway_factory(role="admin")
        await gateway_factory(role="viewer")
        users = (await admin.get("/api/v1/admin/users")).json()
        viewer = next(u for u in users if u["login"] == "test-viewer")
        made = (
            await admin.post("/api/v1/admin/tokens", json={"name": "v", "user_id": viewer["id"]})
        ).json()
        await admin.patch(
            f"/api/v1/admin/users/{viewer['id']}",
            json={"active": False, "version": viewer["version"]},
        )
        async with bearer(admin, made["token"]) as c:
            assert (await c.get("/api/v1/me")).status_code == 401
