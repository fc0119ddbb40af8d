"""Sessions: idle and absolute expiry, a new id at every login, ended by admin changes."""

from __future__ import annotations

from sqlmodel import select

from gateway.auth.models import User, UserSession
from gateway.auth.service import digest
from tests.conftest import TEST_PASSWORD, GatewayFactory, gateway_user
from tests.gateway.auth.conftest import (
    HTML,
    login_form_token,
    session_cookie,
    set_session_cookie,
    try_login,
    use_clock,
)


class TestExpiry:
    async def test_idle_session_expires_after_30_minutes(
        self, gateway_factory: GatewayFactory
    ) -> None:
        gw = await gateway_factory()
        clock = use_clock(gw)
        clock.advance(minutes=29)
        assert (await gw.get("/", headers=HTML)).status_code == 200
        clock.advance(minutes=29)  # activity above kept it alive
        assert (await gw.get("/", headers=HTML)).status_code == 200
        clock.advance(minutes=30)
        r = await gw.get("/municipalities/131016", headers=HTML)
        assert r.status_code == 303
        assert r.headers["location"] == "/login?next=%2Fmunicipalities%2F131016&reason=expired"
        notice = await gw.get(r.headers["location"])
        assert "ログインの有効期限が切れました。" in notice.text
        async with gw.app.state.db.session() as s:
            assert (await s.exec(select(UserSession))).all() == []

    async def test_active_session_still_ends_after_12_hours(
        self, gateway_factory: GatewayFactory
    ) -> None:
        gw = await gateway_factory()
        clock = use_clock(gw)
        for _ in range(11 * 3):
            clock.advance(minutes=20)
            assert (await gw.get("/api/v1/me")).status_code == 200
        clock.advance(minutes=60)
        assert (await gw.get("/api/v1/me")).status_code == 401


class TestRotation:
    async def test_login_issues_a_new_session_id_and_ends_the_old_one(
        self, gateway_factory: GatewayFactory
    ) -> None:
        gw = await gateway_factory()
        first = session_cookie(gw)
        # A logged-in browser is sent on from /login: fetch the form as if from another tab
        # that was opened before, then log in again with the old session cookie present.
        gw.cookies.delete("banso_session")
        token = await login_form_token(gw)
        set_session_cookie(gw, first or "")
        r = await gw.post(
            "/login",
            data={"login": "test-coordinator", "password": TEST_PASSWORD, "csrf_token": token},
        )
        assert r.status_code == 303
        second = session_cookie(gw)
        assert first and second and first != second
        async with gw.app.state.db.session() as s:
            rows = (await s.exec(select(UserSession))).all()
        assert [row.id_hash for row in rows] == [digest(second)]

    async def test_session_id_planted_before_login_is_not_kept(
        self, gateway_factory: GatewayFactory
    ) -> None:
        gw = await gateway_factory(role=None)
        login = await gateway_user(gw.app, "coordinator")
        set_session_cookie(gw, "planted-by-an-attacker")
        await try_login(gw, login, TEST_PASSWORD)
        assert session_cookie(gw) != "planted-by-an-attacker"

    async def test_only_the_hash_of_the_session_id_is_stored(self, gateway: GatewayFactory) -> None:
        raw = session_cookie(gateway)  # type: ignore[arg-type]
        async with gateway.app.state.db.session() as s:  # type: ignore[attr-defined]
            row = (await s.exec(select(UserSession))).one()
        assert row.id_hash == digest(raw) and raw not in row.id_hash


class TestEndedByAdmin:
    async def test_deactivating_a_user_ends_their_session(
        self, gateway_factory: GatewayFactory
    ) -> None:
        admin = await gateway_factory(role="admin")
        user = await gateway_factory(role="coordinator")
        assert (await user.get("/api/v1/me")).status_code == 200
        uid, version = await _user_id(admin, "test-coordinator")
        r = await admin.patch(
            f"/api/v1/admin/users/{uid}", json={"active": False, "version": version}
        )
        assert r.status_code == 200 and r.json()["active"] is False
        assert (await user.get("/api/v1/me")).status_code == 401

    async def test_new_password_ends_sessions(self, gateway_factory: GatewayFactory) -> None:
        admin = await gateway_factory(role="admin")
        user = await gateway_factory(role="viewer")
        uid, version = await _user_id(admin, "test-viewer")
        r = await admin.patch(
            f"/api/v1/admin/users/{uid}",
            json={"password": "a-brand-new-password", "version": version},
        )
        assert r.status_code == 200
        assert (await user.get("/api/v1/me")).status_code == 401
        assert (await try_login(user, "test-viewer", TEST_PASSWORD)).status_code == 400
        assert (await try_login(user, "test-viewer", "a-brand-new-password")).status_code == 303

    async def test_role_change_applies_at_once(self, gateway_factory: GatewayFactory) -> None:
        admin = await gateway_factory(role="admin")
        user = await gateway_factory(role="coordinator")
        uid, version = await _user_id(admin, "test-coordinator")
        await admin.patch(f"/api/v1/admin/users/{uid}", json={"role": "viewer", "version": version})
        assert (await user.get("/api/v1/me")).json()["role"] == "viewer"


async def _user_id(admin, login: str) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    async with admin.app.state.db.session() as s:
        user = (await s.exec(select(User).where(User.login == login))).one()
    return user.id, user.version


class TestLastAdmin:
    async def test_last_admin_cannot_be_deactivated_or_demoted(
        self, gateway_factory: GatewayFactory
    ) -> None:
        admin = await gateway_factory(role="admin")
        uid, version = await _user_id(admin, "test-admin")
        for change in ({"active": False}, {"role": "coordinator"}):
            r = await admin.patch(f"/api/v1/admin/users/{uid}", json={**change, "version": version})
            assert r.status_code == 409 and "最後の管理者" in r.json()["detail"]
        assert (await admin.get("/api/v1/me")).json()["role"] == "admin"
