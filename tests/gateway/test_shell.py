"""The gateway shell: home and municipality pages, the registry API, readiness, propagation."""

import re

import httpx
import pytest

from tests.conftest import GatewayFactory
from tests.helpers import COORDINATOR

HTML = {"Accept": "text/html"}


class RefusingTransport(httpx.AsyncBaseTransport):
    """A service that is down: every connection is refused."""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)


class RecordingTransport(httpx.AsyncBaseTransport):
    """Wraps a real transport and keeps the requests it passed on."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.requests: list[httpx.Request] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return await self.inner.handle_async_request(request)


class TestHomePage:
    async def test_lists_tokyo_62(self, gateway: httpx.AsyncClient) -> None:
        r = await gateway.get("/", headers=HTML)
        assert r.status_code == 200
        assert '<html lang="ja">' in r.text
        assert "<h1>東京都の区市町村 <small>" in r.text
        rows = re.findall(r'<tr data-code="(13\d{4})"', r.text)
        assert len(rows) == 62 and rows[0] == "131016" and rows[-1] == "134210"
        assert r.text.count('href="/municipalities/13') == 62
        assert "htmx-2.0.11.min.js" in r.text

    async def test_filter_returns_only_the_fragment_to_htmx(
        self, gateway: httpx.AsyncClient
    ) -> None:
        r = await gateway.get(
            "/", params={"region_class": "町村部"}, headers={"HX-Request": "true"}
        )
        assert r.status_code == 200
        assert r.text.lstrip().startswith('<div id="dashboard">')
        assert "<html" not in r.text
        assert len(re.findall(r'<tr data-code="', r.text)) == 13 and "13団体 / 62団体" in r.text
        assert r.headers["vary"] == "HX-Request"

    async def test_sample_badge_when_demo(self, gateway_factory: GatewayFactory) -> None:
        gw = await gateway_factory(demo=True)
        assert "サンプル" in (await gw.get("/", headers=HTML)).text


class TestMunicipalityPage:
    async def test_shows_registry_facts(self, gateway: httpx.AsyncClient) -> None:
        r = await gateway.get("/municipalities/133612", headers=HTML)
        assert r.status_code == 200
        assert "大島町" in r.text and "島しょ" in r.text and "離島・中山間型" in r.text
        assert "この区市町村の得点はまだ登録されていません" in r.text  # no scores loaded

    async def test_bad_check_digit_is_an_html_error_page(self, gateway: httpx.AsyncClient) -> None:
        r = await gateway.get("/municipalities/131017", headers=HTML)
        assert r.status_code == 422
        assert "検査数字" in r.text and '<html lang="ja">' in r.text


class TestRegistryApi:
    async def test_lists_home_prefecture(self, gateway: httpx.AsyncClient) -> None:
        r = await gateway.get("/api/v1/municipalities")
        body = r.json()
        assert r.status_code == 200 and body["prefecture"] == "13" and body["count"] == 62
        assert body["data"][0] == {
            "code": "131016",
            "name": "千代田区",
            "kana": "ちよだく",
            "kind": "特別区",
            "prefecture": "13",
            "prefecture_name": "東京都",
            "region_class": "区部",
            "island": False,
            "medical_area": "区中央部",
            "peer_type": "大都市型",
        }

    async def test_filters(self, gateway: httpx.AsyncClient) -> None:
        r = await gateway.get("/api/v1/municipalities", params={"region_class": "市部"})
        assert r.json()["count"] == 26
        r = await gateway.get("/api/v1/municipalities", params={"prefecture": "01"})
        assert r.json()["count"] == 179

    @pytest.mark.parametrize(
        ("code", "fragment"), [("131017", "検査数字"), ("139998", "登録されていません")]
    )
    async def test_bad_codes_are_422_problems(
        self, gateway: httpx.AsyncClient, code: str, fragment: str
    ) -> None:
        r = await gateway.get(f"/api/v1/municipalities/{code}")
        assert r.status_code == 422
        assert r.headers["content-type"] == "application/problem+json"
        assert fragment in r.json()["detail"]

    async def test_prefectures(self, gateway: httpx.AsyncClient) -> None:
        r = await gateway.get("/api/v1/prefectures")
        assert len(r.json()) == 47 and r.json()[12]["code"] == "130001"


class TestReadiness:
    async def test_ready_when_every_service_is(self, gateway: httpx.AsyncClient) -> None:
        r = await gateway.get("/readyz")
        assert r.status_code == 200, r.text
        assert r.json()["failing"] == []
        assert set(r.json()["checks"]) == {"indicators", "support_cases", "training"}

    async def test_names_the_service_that_is_down(self, gateway_factory: GatewayFactory) -> None:
        gw = await gateway_factory({"training": RefusingTransport()})
        r = await gw.get("/readyz")
        assert r.status_code == 503
        assert r.json()["failing"] == ["training"]
        assert "接続できません" in r.json()["checks"]["training"]["detail"]

    async def test_healthz_and_metrics(self, gateway: httpx.AsyncClient) -> None:
        assert (await gateway.get("/healthz")).json() == {"status": "ok", "service": "gateway"}
        await gateway.get("/api/v1/municipalities/131016")
        text = (await gateway.get("/metrics")).text
        assert 'route="/api/v1/municipalities/{code}",status="200"' in text


class TestServiceCalls:
    async def test_passes_request_id_and_a_valid_actor_token(
        self, gateway_factory: GatewayFactory, all_services
    ) -> None:
        rec = RecordingTransport(httpx.ASGITransport(app=all_services["training"].app))
        gw = await gateway_factory({"training": rec})
        app = gw._transport.app  # type: ignore[attr-defined]
        services = app.state.services
        # A service call made while serving a request carries that request's ID.
        from services.common.observability import _request_id

        token = _request_id.set("rid-42")
        try:
            programs = await services.training.programs(fiscal_year=2025, actor=COORDINATOR)
        finally:
            _request_id.reset(token)
        assert programs == []
        sent = rec.requests[-1]
        assert sent.headers["x-request-id"] == "rid-42"
        assert sent.headers["authorization"].startswith("Bearer bn1.")

    async def test_service_error_names_the_service(self, gateway_factory: GatewayFactory) -> None:
        from gateway.clients.base import ServiceError

        gw = await gateway_factory({"indicators": RefusingTransport()})
        services = gw._transport.app.state.services  # type: ignore[attr-defined]
        with pytest.raises(ServiceError) as err:
            await services.indicators.frameworks(actor=COORDINATOR)
        assert err.value.service == "indicators"
