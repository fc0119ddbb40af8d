"""Operational commands: demo users (once), the first admin, signing everybody out."""

from __future__ import annotations

import pytest

from gateway.settings import Settings
from scripts import create_admin, demo_users, end_sessions
from tests.conftest import CHEAP_ARGON2, GatewayFactory, common_settings
from tests.gateway.auth.conftest import try_login


def _settings(url: str) -> Settings:
    return Settings(common=common_settings(), database_url=url, **CHEAP_ARGON2)


class TestDemoUsers:
    async def test_one_per_role_created_once_and_able_to_log_in(
        self, gateway_factory: GatewayFactory, db_urls: dict[str, str]
    ) -> None:
        gw = await gateway_factory(role=None)
        settings = _settings(db_urls["gateway"])
        lines = await demo_users.load(settings)
        assert [line.split()[0] for line in lines] == [
            "demo-admin",
            "demo-coordinator",
            "demo-advisor",
            "demo-chiyoda",
            "demo-viewer",
            "API",
        ]
        token = lines[-1].split()[-1]
        assert await demo_users.load(settings) == []
        r = await try_login(gw, "demo-chiyoda", "banso-demo-chiyoda")
        assert r.status_code == 303
        me = (await gw.get("/api/v1/me")).json()
        assert me["role"] == "municipality" and me["municipality_code"] == "131016"
        gw.cookies.clear()
        r = await gw.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
        assert r.json()["role"] == "api_client"

    def test_refused_in_production(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("BANSO_ENV", "production")
        monkeypatch.setenv("BANSO_TOKEN_SECRET", "p" * 40)
        monkeypatch.setenv("GATEWAY_SESSION_COOKIE_SECURE", "true")
        assert demo_users.main() == 2


class TestCreateAdmin:
    async def test_creates_an_admin_who_can_log_in(
        self, gateway_factory: GatewayFactory, db_urls: dict[str, str]
    ) -> None:
        gw = await gateway_factory(role=None)
        settings = _settings(db_urls["gateway"])
        assert (
            await create_admin.create(settings, "Root", "最初の管理者", "long-password-1") == "root"
        )
        assert (await try_login(gw, "root", "long-password-1")).status_code == 303
        assert (await gw.get("/api/v1/me")).json()["role"] == "admin"
        # Everybody signed out at once.
        assert await end_sessions.end_all(settings) == 1
        assert (await gw.get("/api/v1/me")).status_code == 401
