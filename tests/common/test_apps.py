"""Every service app: health, readiness, metrics, request IDs, actor tokens, problem+json."""

import json
import logging

import httpx
import pytest

from services.common.actor import mint_token
from services.common.observability import JsonFormatter
from tests.conftest import ServiceHarness, _service_modules, common_settings
from tests.helpers import actor

SERVICES = ["indicators", "support_cases", "training"]
LIST_PATH = {
    "indicators": "/api/v1/frameworks",
    "support_cases": "/api/v1/rounds",
    "training": "/api/v1/programs",
}


@pytest.fixture(params=SERVICES)
async def svc(
    request: pytest.FixtureRequest, harnesses: dict[str, ServiceHarness]
) -> ServiceHarness:
    h = harnesses[request.param]
    await h.reset()
    return h


class TestHealth:
    async def test_healthz(self, svc: ServiceHarness) -> None:
        async with svc.client(role="") as c:
            r = await c.get("/healthz")
        assert r.status_code == 200
        assert r.json() == {"status": "ok", "service": svc.service}

    async def test_readyz_at_head(self, svc: ServiceHarness) -> None:
        async with svc.client(role="") as c:
            r = await c.get("/readyz")
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["status"] == "ok" and body["failing"] == []
        assert body["checks"]["database"]["ok"] is True

    async def test_readyz_names_unmigrated_database(self, svc: ServiceHarness, tmp_path) -> None:
        main, settings_mod, _ = _service_modules(svc.service)
        url = f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"
        app = main.create_app(settings_mod.Settings(database_url=url, common=common_settings()))
        async with app.router.lifespan_context(app):
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://x"
            ) as c:
                r = await c.get("/readyz")
        assert r.status_code == 503
        body = r.json()
        assert body["failing"] == ["database"]
        assert "マイグレーション" in body["checks"]["database"]["detail"]

    async def test_readyz_names_unreachable_database(self, svc: ServiceHarness) -> None:
        main, settings_mod, _ = _service_modules(svc.service)
        url = "postgresql+asyncpg://nobody@127.0.0.1:1/none"
        app = main.create_app(settings_mod.Settings(database_url=url, common=common_settings()))
        async with app.router.lifespan_context(app):
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://x"
            ) as c:
                r = await c.get("/readyz")
        assert r.status_code == 503
        assert "接続できません" in r.json()["checks"]["database"]["detail"]


class TestMetrics:
    async def test_counts_by_route_template_and_status(self, svc: ServiceHarness) -> None:
        async with svc.client() as c:
            await c.get(LIST_PATH[svc.service])
            await c.get("/api/v1/me", headers={"Authorization": "Bearer nope"})
            r = await c.get("/metrics")
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/plain")
        text = r.text
        path = LIST_PATH[svc.service]
        assert f'http_requests_total{{method="GET",route="{path}",status="200"}}' in text
        assert 'http_requests_total{method="GET",route="/api/v1/me",status="401"}' in text
        assert (
            f'http_request_duration_seconds_bucket{{le="0.005",method="GET",route="{path}"}}'
            in text
        )


class TestRequestId:
    async def test_echoes_incoming(self, svc: ServiceHarness) -> None:
        async with svc.client() as c:
            r = await c.get("/healthz", headers={"X-Request-ID": "abc-123"})
        assert r.headers["x-request-id"] == "abc-123"

    async def test_makes_one_when_missing_or_unsafe(self, svc: ServiceHarness) -> None:
        async with svc.client() as c:
            r1 = await c.get("/healthz")
            r2 = await c.get("/healthz", headers={"X-Request-ID": "bad id\twith space"})
        assert len(r1.headers["x-request-id"]) == 32
        assert r2.headers["x-request-id"] != "bad id\twith space"

    async def test_every_log_line_carries_it(
        self, svc: ServiceHarness, caplog: pytest.LogCaptureFixture
    ) -> None:
        caplog.set_level(logging.INFO)
        async with svc.client() as c:
            await c.get(LIST_PATH[svc.service], headers={"X-Request-ID": "trace-me-1"})
        fmt = JsonFormatter(svc.service)
        lines = [json.loads(fmt.format(r)) for r in caplog.records if r.name == "banso.access"]
        assert lines, "no access log line"
        assert lines[-1]["request_id"] == "trace-me-1"
        assert lines[-1]["status"] == 200 and lines[-1]["service"] == svc.service


class TestActorToken:
    async def test_no_token_is_401_problem(self, svc: ServiceHarness) -> None:
        async with svc.client(role="") as c:
            r = await c.get(LIST_PATH[svc.service])
        assert r.status_code == 401
        assert r.headers["content-type"] == "application/problem+json"
        assert r.headers["www-authenticate"] == "Bearer"
        assert r.json()["status"] == 401 and "Bearer" in r.json()["detail"]

    async def test_bad_signature_is_401(self, svc: ServiceHarness) -> None:
        forged = mint_token("another-secret-of-enough-length-000000", actor())
        async with svc.client(role="") as c:
            r = await c.get(LIST_PATH[svc.service], headers={"Authorization": f"Bearer {forged}"})
        assert r.status_code == 401 and "署名" in r.json()["detail"]

    async def test_expired_is_401(self, svc: ServiceHarness) -> None:
        from tests.helpers import TEST_SECRET

        old = mint_token(TEST_SECRET, actor(), ttl_seconds=60, now=1_000_000)
        async with svc.client(role="") as c:
            r = await c.get("/api/v1/me", headers={"Authorization": f"Bearer {old}"})
        assert r.status_code == 401 and "有効期限" in r.json()["detail"]

    async def test_actor_reaches_the_endpoint(self, svc: ServiceHarness) -> None:
        async with svc.client(role="municipality", municipality="131016") as c:
            r = await c.get("/api/v1/me")
        assert r.status_code == 200
        assert r.json()["role"] == "municipality" and r.json()["municipality_code"] == "131016"


class TestProblems:
    async def test_unknown_route_is_404_problem(self, svc: ServiceHarness) -> None:
        async with svc.client() as c:
            r = await c.get("/api/v1/nothing-here")
        assert r.status_code == 404
        assert r.headers["content-type"] == "application/problem+json"
        assert r.json()["title"] == "見つかりません"

    async def test_validation_error_lists_loc_and_msg(self, harnesses) -> None:
        async with harnesses["training"].client() as c:
            r = await c.get("/api/v1/programs", params={"fiscal_year": "next"})
        assert r.status_code == 422
        body = r.json()
        assert body["errors"][0]["loc"] == ["query", "fiscal_year"]
        assert body["errors"][0]["msg"]

    async def test_unexpected_error_is_500_without_internals(
        self, svc: ServiceHarness, caplog: pytest.LogCaptureFixture
    ) -> None:
        main, settings_mod, _ = _service_modules(svc.service)
        app = main.create_app(
            settings_mod.Settings(database_url="sqlite+aiosqlite://", common=common_settings())
        )

        @app.get("/boom")
        async def boom() -> None:
            raise RuntimeError("secret internal detail")

        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app, raise_app_exceptions=False), base_url="http://x"
        ) as c:
            r = await c.get("/boom")
        assert r.status_code == 500
        assert r.headers["content-type"] == "application/problem+json"
        assert "secret" not in r.text
        assert any(
            "secret internal detail" in (r.exc_text or "") or r.exc_info for r in caplog.records
        )


class TestOutOfRangeInput:
    async def test_an_id_beyond_64_bits_is_422_not_500(self, harnesses) -> None:
        async with harnesses["training"].client() as c:
            r = await c.get("/api/v1/programs/51597303480491259131505702946650193920")
        assert r.status_code == 422
        assert r.headers["content-type"] == "application/problem+json"


class TestDatabaseAway:
    """A database that restarts answers 503 problem+json (found by the PostgreSQL-restart
    drill, which saw 500s for errors SQLAlchemy does not class as OperationalError)."""

    @pytest.mark.parametrize(
        "exc",
        [
            ConnectionRefusedError(111, "refused"),
            OSError("Multiple exceptions: [Errno 111] Connect call failed"),
        ],
    )
    async def test_connection_errors_are_503(self, svc: ServiceHarness, exc: Exception) -> None:
        main, settings_mod, _ = _service_modules(svc.service)
        app = main.create_app(
            settings_mod.Settings(database_url="sqlite+aiosqlite://", common=common_settings())
        )

        @app.get("/down")
        async def down() -> None:
            raise exc

        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app, raise_app_exceptions=False), base_url="http://x"
        ) as c:
            r = await c.get("/down")
        assert r.status_code == 503 and r.headers["retry-after"] == "5"
        assert r.headers["content-type"] == "application/problem+json"

    def test_sqlstate_classes_08_and_57_mean_the_database_is_away(self) -> None:
        from services.common.errors import _is_connection_loss

        class PgError(Exception):
            def __init__(self, sqlstate: str) -> None:
                self.sqlstate = sqlstate

        for code in ("57P01", "57P03", "08006"):
            outer = RuntimeError("wrapped")
            outer.__cause__ = PgError(code)
            assert _is_connection_loss(outer)
        assert not _is_connection_loss(PgError("23505"))
