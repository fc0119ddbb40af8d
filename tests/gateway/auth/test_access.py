"""Who may reach what: anonymous pages go to login, the API answers 401, some paths are open;
service calls carry the logged-in person as the actor."""

from __future__ import annotations

import httpx
import pytest
from fastapi import Request

from services.common.actor import verify_token
from tests.conftest import GatewayFactory
from tests.gateway.auth.conftest import HTML
from tests.gateway.test_shell import RecordingTransport
from tests.helpers import TEST_SECRET


class TestAnonymous:
    async def test_page_redirects_to_login_with_next(
        self, anonymous_gateway: httpx.AsyncClient
    ) -> None:
        r = await anonymous_gateway.get("/municipalities/131016?tab=x", headers=HTML)
        assert r.status_code == 303
        assert r.headers["location"] == "/login?next=%2Fmunicipalities%2F131016%3Ftab%3Dx"

    async def test_htmx_request_gets_hx_redirect_to_the_current_page(
        self, anonymous_gateway: httpx.AsyncClient
    ) -> None:
        r = await anonymous_gateway.get(
            "/?region_class=市部",
            headers={"HX-Request": "true", "HX-Current-URL": "http://gateway/?region_class=x"},
        )
        assert r.status_code == 200 and r.text == ""
        assert r.headers["hx-redirect"] == "/login?next=%2F%3Fregion_class%3Dx"

    async def test_api_answers_401_problem(self, anonymous_gateway: httpx.AsyncClient) -> None:
        r = await anonymous_gateway.get("/api/v1/municipalities")
        assert r.status_code == 401
        assert r.headers["content-type"] == "application/problem+json"
        assert r.headers["www-authenticate"] == "Bearer"
        assert r.json()["status"] == 401 and "API トークン" in r.json()["detail"]

    async def test_api_write_answers_401_not_a_redirect(
        self, anonymous_gateway: httpx.AsyncClient
    ) -> None:
        r = await anonymous_gateway.post("/api/v1/admin/tokens", json={"name": "x"})
        assert r.status_code == 401

    async def test_service_actor_token_is_not_a_gateway_credential(
        self, anonymous_gateway: httpx.AsyncClient
    ) -> None:
        from tests.helpers import auth

        r = await anonymous_gateway.get("/api/v1/municipalities", headers=auth("coordinator"))
        assert r.status_code == 401
        assert "形式" in r.json()["detail"]

    @pytest.mark.parametrize("path", ["/healthz", "/readyz", "/metrics", "/login", "/openapi.json"])
    async def test_operations_and_login_stay_open(
        self, anonymous_gateway: httpx.AsyncClient, path: str
    ) -> None:
        assert (await anonymous_gateway.get(path)).status_code == 200

    async def test_static_files_stay_open(self, anonymous_gateway: httpx.AsyncClient) -> None:
        r = await anonymous_gateway.get("/static/app.css")
        assert r.status_code == 200 and "text/css" in r.headers["content-type"]

    async def test_login_page_shows_no_menu(self, anonymous_gateway: httpx.AsyncClient) -> None:
        r = await anonymous_gateway.get("/login")
        assert "メインメニュー" not in r.text and "ログアウト" not in r.text


class TestAdminOnly:
    @pytest.mark.parametrize("role", ["coordinator", "advisor", "municipality", "viewer"])
    async def test_admin_api_is_403_for_other_roles(
        self, gateway_factory: GatewayFactory, role: str
    ) -> None:
        gw = await gateway_factory(role=role)
        assert (await gw.get("/api/v1/admin/users")).status_code == 403
        assert (await gw.post("/api/v1/admin/tokens", json={"name": "x"})).status_code == 403
        page = await gw.get("/admin/users", headers=HTML)
        assert page.status_code == 403 and "管理者だけ" in page.text
        assert 'href="/admin/users"' not in (await gw.get("/", headers=HTML)).text


class TestActorPassedToServices:
    async def test_service_sees_the_logged_in_user(
        self, gateway_factory: GatewayFactory, all_services
    ) -> None:
        rec = RecordingTransport(httpx.ASGITransport(app=all_services["training"].app))
        gw = await gateway_factory({"training": rec}, role="municipality", municipality="131016")

        # A handler as the pages and API write them: the actor comes from request.state.
        async def probe(request: Request) -> dict:
            programs = await request.app.state.services.training.programs(actor=request.state.actor)
            return {"programs": len(programs)}

        gw.app.add_api_route("/api/v1/_probe", probe)
        r = await gw.get("/api/v1/_probe")
        assert r.status_code == 200 and r.json() == {"programs": 0}
        sent = rec.requests[-1].headers["authorization"].removeprefix("Bearer ")
        actor = verify_token(TEST_SECRET, sent)
        assert actor.id == "test-municipality"
        assert actor.name == "テスト municipality"
        assert actor.role == "municipality" and actor.municipality_code == "131016"

    async def test_me_tells_the_acting_user(self, gateway_factory: GatewayFactory) -> None:
        gw = await gateway_factory(role="advisor")
        assert (await gw.get("/api/v1/me")).json() == {
            "id": "test-advisor",
            "name": "テスト advisor",
            "role": "advisor",
            "municipality_code": None,
            "advised": [],  # no support case assigned to this advisor
        }


class TestReadiness:
    async def test_checks_the_gateways_own_database(self, gateway: httpx.AsyncClient) -> None:
        body = (await gateway.get("/readyz")).json()
        assert body["database"]["ok"] is True and body["failing"] == []

    async def test_unmigrated_database_is_not_ready(
        self, gateway_factory: GatewayFactory, tmp_path
    ) -> None:
        gw = await gateway_factory(
            role=None, database_url=f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"
        )
        r = await gw.get("/readyz")
        assert r.status_code == 503
        assert r.json()["failing"] == ["database"]
        assert "マイグレーション" in r.json()["database"]["detail"]


class TestOpenApi:
    async def test_api_operations_declare_token_or_session(
        self, anonymous_gateway: httpx.AsyncClient
    ) -> None:
        doc = (await anonymous_gateway.get("/openapi.json")).json()
        assert doc["components"]["securitySchemes"]["apiToken"]["scheme"] == "bearer"
        op = doc["paths"]["/api/v1/municipalities"]["get"]
        assert op["security"] == [{"apiToken": []}, {"session": []}]
        assert "401" in op["responses"]
        assert "security" not in doc["paths"]["/healthz"]["get"]
