"""Fixtures: migrated databases per service, the real apps in-process, authenticated clients."""

from __future__ import annotations

import importlib
import os
import re
import tempfile
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

# Settings read the environment when apps are made: pin it for the suite.
os.environ.setdefault("BANSO_ENV", "test")
os.environ["BANSO_LOG_JSON"] = os.environ.get("BANSO_LOG_JSON", "true")

from services.common import migrate
from services.common.settings import CommonSettings
from tests import ci_skips, dbs
from tests.helpers import TEST_SECRET, auth


def pytest_report_header(config: pytest.Config) -> str:
    ci = "; CI: an unexpected skip fails the run (tests/ci_skips.py)" if ci_skips.in_ci() else ""
    return f"database: {'PostgreSQL' if dbs.using_postgres() else 'SQLite'}{ci}"


# Every skipped test of the run: (nodeid, reason, allow-list entry or None).
_SKIPPED: list[tuple[str, str, ci_skips.AllowedSkip | None]] = []


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.skipped and not hasattr(report, "wasxfail"):
        reason = ci_skips.skip_reason(report.longrepr)
        _SKIPPED.append((report.nodeid, reason, ci_skips.allowed(report.nodeid, reason)))


def unexpected_skips() -> list[tuple[str, str]]:
    return [(nodeid, reason) for nodeid, reason, entry in _SKIPPED if entry is None]


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """In CI a skip that tests/ci_skips.py does not allow fails the run."""
    if ci_skips.in_ci() and unexpected_skips() and exitstatus == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: Any) -> None:
    if not _SKIPPED:
        return
    tr = terminalreporter
    tr.section(f"skipped tests ({len(_SKIPPED)}, {ci_skips.db_pass()} pass)")
    by_reason: dict[tuple[str, bool], list[str]] = {}
    for nodeid, reason, entry in _SKIPPED:
        by_reason.setdefault((reason, entry is not None), []).append(nodeid)
    for (reason, ok), nodeids in by_reason.items():
        mark = "allowed" if ok else "UNEXPECTED"
        tr.write_line(f"{mark}: {len(nodeids)} × {reason}")
        for nodeid in nodeids if not ok else nodeids[:3]:
            tr.write_line(f"    {nodeid}")
        if ok and len(nodeids) > 3:
            tr.write_line(f"    … and {len(nodeids) - 3} more")
    bad = unexpected_skips()
    if bad:
        verdict = "fail the run" if ci_skips.in_ci() else "would fail a CI run"
        tr.write_line(
            f"{len(bad)} skip(s) not allowed by tests/ci_skips.py {verdict}", red=True, bold=True
        )


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


def metadata_of(name: str) -> Any:
    """The table metadata of a service, or of the gateway's own database."""
    if name == "gateway":
        return importlib.import_module("gateway.auth.tables").metadata
    return _service_modules(name)[2].metadata


def _service_modules(service: str) -> tuple[Any, Any, Any]:
    main = importlib.import_module(f"services.{service}.main")
    settings = importlib.import_module(f"services.{service}.settings")
    tables = importlib.import_module(f"services.{service}.tables")
    return main, settings, tables


SNAP_DIR = Path(tempfile.mkdtemp(prefix="banso-snap-"))


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
        self.holds_demo = False

    holds_demo = False
    snapshot_path: str | None = None

    async def with_demo(self) -> None:
        """Demo data loaded once per run (the service's own demo.load), then restored from a
        snapshot before each test that asks for it: seconds saved per test."""
        if self.snapshot_path is None:
            await self.reset()
            module = importlib.import_module(f"services.{self.service}.demo")
            async with self.db.session(write=True) as s:
                await module.load(s)
                await s.commit()
            self.snapshot_path = str(SNAP_DIR / f"{self.service}-snap.db")
            await dbs.snapshot(self.db.engine, self.metadata, self.snapshot_path)
        else:
            await dbs.restore(self.db.engine, self.metadata, self.snapshot_path)
        self.holds_demo = True


async def _start(service: str, url: str) -> tuple[ServiceHarness, Any]:
    main, settings_mod, tables = _service_modules(service)
    settings = settings_mod.Settings(database_url=url, common=common_settings())
    app = main.create_app(settings)
    ctx = app.router.lifespan_context(app)
    await ctx.__aenter__()
    return ServiceHarness(service, app, tables.metadata), ctx


@pytest.fixture(scope="session")
async def harnesses(db_urls: dict[str, str]) -> AsyncIterator[dict[str, ServiceHarness]]:
    started = [await _start(s, db_urls[s]) for s in dbs.SERVICES]
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
async def demo(all_services: dict[str, ServiceHarness]) -> dict[str, ServiceHarness]:
    """Every service holding its demo data (loaded once, restored from a snapshot per test)."""
    for h in all_services.values():
        await h.with_demo()
    return all_services


@pytest.fixture
async def all_services(
    indicators: ServiceHarness, support_cases: ServiceHarness, training: ServiceHarness
) -> dict[str, ServiceHarness]:
    return {"indicators": indicators, "support_cases": support_cases, "training": training}


GatewayFactory = Callable[..., Any]

# Test users log in with this password; Argon2 runs with small costs to keep tests fast.
TEST_PASSWORD = "test-password-0123"
CHEAP_ARGON2 = {"password_time_cost": 1, "password_memory_kib": 1024, "password_parallelism": 1}


class GatewayClient(httpx.AsyncClient):
    """A browser-like client of the gateway: keeps cookies; ``app`` is the gateway app."""

    app: Any = None
    csrf: str | None = None


def _csrf_of(html: str) -> str | None:
    m = re.search(r'<meta name="csrf-token" content="([^"]+)">', html)
    return m.group(1) if m else None


async def gateway_user(
    app: Any, role: str = "coordinator", municipality: str | None = None, *, login: str = ""
) -> str:
    """Make sure a user of ``role`` exists in the gateway's database; return its login."""
    from gateway.auth import service
    from gateway.auth.schemas import UserCreate

    login = login or f"test-{role}"
    if role == "municipality":
        municipality = municipality or "131016"
    async with app.state.db.session(write=True) as session:
        if await service.get_user_by_login(session, login) is None:
            await service.create_user(
                session,
                data=UserCreate(
                    login=login,
                    display_name=f"テスト {role}",
                    role=role,  # type: ignore[arg-type]
                    municipality_code=municipality,
                    password=TEST_PASSWORD,
                ),
                passwords=app.state.passwords,
                settings=app.state.settings,
                by="test",
            )
            await session.commit()
    return login


async def log_in(
    client: GatewayClient, login: str, password: str = TEST_PASSWORD
) -> httpx.Response:
    """Log in through the login form, as a browser does; keep the page's CSRF token and send it
    on every request (as htmx does with hx-headers)."""
    form = await client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert token, form.text
    r = await client.post(
        "/login", data={"login": login, "password": password, "csrf_token": token.group(1)}
    )
    if r.status_code == 303:
        page = await client.get("/", headers={"Accept": "text/html"})
        client.csrf = _csrf_of(page.text)
        client.headers["X-CSRF-Token"] = client.csrf or ""
    return r


@pytest.fixture
async def gateway_factory(
    all_services: dict[str, ServiceHarness], db_urls: dict[str, str]
) -> AsyncIterator[GatewayFactory]:
    """Make a gateway wired to the real service apps in-process, on its emptied database,
    logged in as ``role`` (None: anonymous); ``transports`` overrides some services (e.g. a
    failing transport to simulate a service that is down)."""
    from gateway.auth.tables import metadata
    from gateway.main import create_app
    from gateway.settings import Settings

    opened: list[Any] = []
    emptied = False

    async def make(
        transports: dict[str, httpx.AsyncBaseTransport] | None = None,
        *,
        role: str | None = "coordinator",
        municipality: str | None = None,
        **settings_kw: Any,
    ) -> GatewayClient:
        nonlocal emptied
        wired: dict[str, httpx.AsyncBaseTransport] = {
            name: httpx.ASGITransport(app=h.app) for name, h in all_services.items()
        }
        wired.update(transports or {})
        settings = Settings(
            common=common_settings(),
            **{"database_url": db_urls["gateway"], **CHEAP_ARGON2, **settings_kw},
        )
        app = create_app(settings, transports=wired)
        ctx = app.router.lifespan_context(app)
        await ctx.__aenter__()
        if not emptied and settings.database_url == db_urls["gateway"]:
            await dbs.truncate_all(app.state.db.engine, metadata)
            emptied = True
        client = GatewayClient(
            transport=httpx.ASGITransport(app=app, raise_app_exceptions=False),
            base_url="http://gateway",
        )
        client.app = app
        opened.append((ctx, client))
        if role:
            login = await gateway_user(app, role, municipality)
            r = await log_in(client, login)
            assert r.status_code == 303, r.text
        return client

    yield make
    for ctx, client in reversed(opened):
        await client.aclose()
        await ctx.__aexit__(None, None, None)


@pytest.fixture
async def gateway(gateway_factory: GatewayFactory) -> GatewayClient:
    """The gateway, logged in as a coordinator (session cookie and CSRF header)."""
    return await gateway_factory()


@pytest.fixture
async def anonymous_gateway(gateway_factory: GatewayFactory) -> GatewayClient:
    """The gateway with nobody logged in."""
    return await gateway_factory(role=None)
