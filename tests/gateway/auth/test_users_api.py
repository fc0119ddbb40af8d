"""The admin's JSON API for people."""

from __future__ import annotations

from tests.conftest import GatewayFactory
from tests.gateway.auth.conftest import try_login

NEW = {
    "login": " Chiyoda-Tanaka ",
    "display_name": "千代田区 田中",
    "role": "municipality",
    "municipality_code": "131016",
    "password": "correct-horse-battery",
}


class TestCreateUser:
    async def test_creates_and_lists_without_the_password_hash(
        self, gateway_factory: GatewayFactory
    ) -> None:
        admin = await gateway_factory(role="admin")
        r = await admin.post("/api/v1/admin/users", json=NEW)
        assert r.status_code == 201, r.text
        body = r.json()
        assert body["login"] == "chiyoda-tanaka" and body["municipality_code"] == "131016"
        assert body["active"] is True and body["version"] == 1
        listed = (await admin.get("/api/v1/admin/users")).json()
        assert [u["login"] for u in listed] == ["chiyoda-tanaka", "test-admin"]
        assert all("password" not in key for u in listed for key in u)
        anon = await gateway_factory(role=None)
        assert (await try_login(anon, "chiyoda-tanaka", NEW["password"])).status_code == 303

    async def test_municipality_staff_need_a_valid_code(
        self, gateway_factory: GatewayFactory
    ) -> None:
        admin = await gateway_factory(role="admin")
        missing = await admin.post("/api/v1/admin/users", json={**NEW, "municipality_code": None})
        assert missing.status_code == 422
        assert missing.json()["errors"] == [
            {
                "loc": ["body", "municipality_code"],
                "msg": "区市町村職員には所属の地方公共団体コード (6桁) が必要です",
            }
        ]
        wrong = await admin.post("/api/v1/admin/users", json={**NEW, "municipality_code": "131017"})
        assert wrong.status_code == 422 and "検査数字" in wrong.json()["detail"]
        coordinator = await admin.post("/api/v1/admin/users", json={**NEW, "role": "coordinator"})
        assert coordinator.status_code == 422
        assert "区市町村職員にだけ" in coordinator.json()["detail"]

    async def test_login_is_unique_and_password_long_enough(
        self, gateway_factory: GatewayFactory
    ) -> None:
        admin = await gateway_factory(role="admin")
        assert (await admin.post("/api/v1/admin/users", json=NEW)).status_code == 201
        dup = await admin.post("/api/v1/admin/users", json={**NEW, "login": "CHIYODA-TANAKA"})
        assert dup.status_code == 409
        short = await admin.post(
            "/api/v1/admin/users", json={**NEW, "login": "other", "password": "123456789"}
        )
        assert short.status_code == 422 and short.json()["errors"][0]["loc"] == [
            "body",
            "password",
        ]


class TestUpdateUser:
    async def test_stale_version_is_409_and_changes_nothing(
        self, gateway_factory: GatewayFactory
    ) -> None:
        admin = await gateway_factory(role="admin")
        made = (await admin.post("/api/v1/admin/users", json=NEW)).json()
        ok = await admin.patch(
            f"/api/v1/admin/users/{made['id']}", json={"display_name": "田中 一郎", "version": 1}
        )
        assert ok.status_code == 200 and ok.json()["version"] == 2
        stale = await admin.patch(
            f"/api/v1/admin/users/{made['id']}", json={"display_name": "別人", "version": 1}
        )
        assert stale.status_code == 409
        users = (await admin.get("/api/v1/admin/users")).json()
        assert next(u for u in users if u["id"] == made["id"])["display_name"] == "田中 一郎"

    async def test_moving_away_from_municipality_role_drops_the_code(
        self, gateway_factory: GatewayFactory
    ) -> None:
        admin = await gateway_factory(role="admin")
        made = (await admin.post("/api/v1/admin/users", json=NEW)).json()
        r = await admin.patch(
            f"/api/v1/admin/users/{made['id']}", json={"role": "viewer", "version": 1}
        )
        assert r.json()["role"] == "viewer" and r.json()["municipality_code"] is None

    async def test_unknown_user_is_404(self, gateway_factory: GatewayFactory) -> None:
        admin = await gateway_factory(role="admin")
        r = await admin.patch("/api/v1/admin/users/999", json={"version": 1})
        assert r.status_code == 404
