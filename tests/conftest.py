"""Fixtures: migrated databases per service, the real apps in-process, authenticated clients."""

from __future__ import annotations

import importlib
import os
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

# Settings read the environment when apps are made: pin it for the suite.
os.environ.setdefault("BANSO_ENV", "test")
os.environ["BANSO_LOG_JSON"] = os.environ.get("BANSO_LOG_JSON", "true")

from services.common import migrate
from services.common.settings import CommonSettings
from tests import dbs
from tests.helpers import TEST_SECRET, auth


def pytest_report_header(config: pytest.Config) -> str:
    return f"database: {'PostgreSQL' if dbs.using_postgres() else 'SQLite'}"


def common_settings(**kw: Any) -> CommonSettings:
    return CommonSettings(env="test", token_secret=TEST_SECRET, log_json=True, **kw)


@pytest.fixture(scope="session")
def db_urls(tmp_path_factory: pytest.TempPathFactory) -> Any:
    urls = dbs.service_urls(tmp_path_factory.mktemp("db"))
    dbs.create_databases(urls)
    for service, url in urls.items():
        migrate.upgrade(service, url)
    yield urls
    dbs.drop_databases(urls)


def _service_modules(service: str) -> tuple[Any, Any, Any]:
    main = importlib.import_module(f"services.{service}.main")
    settings = importlib.import_module(f"services.{service}.settings")
    tables = importlib.import_module(f"services.{service}.tables")
    return main, settings, tables


class ServiceHarness:
    """A service app with its lifespan running, on its migrated test database."""

    def __init__(self, service: str, app: Any, metadata: Any) -> None:
        self.service = service
        self.app = app
        self.metadata = metadata

    @property
    def db(self) -> Any:
        return self.app.state.db

    def client(
        self, role: str = "coordinator", municipality: str | None = None
    ) -> httpx.AsyncClient:
        headers = auth(role, municipality) if role else {}
        return httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.app, raise_app_exceptions=False),
            base_url=f"http://{self.service}",
            headers=headers,
        )

    async def reset(self) -> None:
        await dbs.truncate_all(self.db.engine, self.metadata)


async def _start(service: str, url: str) -> tuple[ServiceHarness, Any]:
    main, settings_mod, tables = _service_modules(service)
    settings = settings_mod.Settings(database_url=url, common=common_settings())
    app = main.create_app(settings)
    ctx = app.router.lifespan_context(app)
    await ctx.__aenter__()
    return ServiceHarness(service, app, tables.metadata), ctx


@pytest.fixture(scope="session")
async def harnesses(db_urls: dict[str, str]) -> AsyncIterator[dict[str, ServiceHarness]]:
    started = [await _start(s, u) for s, u in db_urls.items()]
    yield {h.service: h for h, _ in started}
    for _, ctx in started:
        await ctx.__aexit__(None, None, None)


async def _harness(harnesses: dict[str, ServiceHarness], name: str) -> ServiceHarness:
    h = harnesses[name]
    await h.reset()
    return h


@pytest.fixture
async def indicators(harnesses: dict[str, ServiceHarness]) -> ServiceHarness:
    """The indicators service on an emptied database."""
    return await _harness(harnesses, "indicators")


@pytest.fixture
async def support_cases(harnesses: dict[str, ServiceHarness]) -> ServiceHarness:
    """The support_cases service on an emptied database."""
    return await _harness(harnesses, "support_cases")


@pytest.fixture
async def training(harnesses: dict[str, ServiceHarness]) -> ServiceHarness:
    """The training service on an emptied database."""
    return await _harness(harnesses, "training")


@pytest.fixture
async def all_services(
    indicators: ServiceHarness, support_cases: ServiceHarness, training: ServiceHarness
) -> dict[str, ServiceHarness]:
    return {"indicators": indicators, "support_cases": support_cases, "training": training}


GatewayFactory = Callable[..., Any]


@pytest.fixture
async def gateway_factory(
    all_services: dict[str, ServiceHarness],
) -> AsyncIterator[GatewayFactory]:
    """Make a gateway wired to the real service apps in-process; ``transports`` overrides
    some of them (e.g. a failing transport to simulate a service that is down)."""
    from gateway.main import create_app
    from gateway.settings import Settings

    opened: list[Any] = []

    async def make(
        transports: dict[str, httpx.AsyncBaseTransport] | None = None, **settings_kw: Any
    ) -> httpx.AsyncClient:
        wired: dict[str, httpx.AsyncBaseTransport] = {
            name: httpx.ASGITransport(app=h.app) for name, h in all_services.items()
        }
        wired.update(transports or {})
        settings = Settings(common=common_settings(), **settings_kw)
        app = create_app(settings, transports=wired)
        ctx = app.router.lifespan_context(app)
        await ctx.__aenter__()
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app, raise_app_exceptions=False),
            base_url="http://gateway",
        )
        opened.append((ctx, client))
        return client

    yield make
    for ctx, client in reversed(opened):
        await client.aclose()
        await ctx.__aexit__(None, None, None)


@pytest.fixture
async def gateway(gateway_factory: GatewayFactory) -> httpx.AsyncClient:
    return await gateway_factory()
