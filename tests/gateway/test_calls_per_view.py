"""One call per service per view: every service call the gateway sends is recorded at the
client transport (the idea of bench/recorder.py, in process), grouped by the request ID the
gateway passes on, and counted per service for each combined view."""

from __future__ import annotations

from collections import Counter

import httpx

from services.common.observability import REQUEST_ID_HEADER
from tests.conftest import GatewayFactory, ServiceHarness
from tests.gateway.test_combined import FY, HACHIOJI
from tests.gateway.test_shell import RecordingTransport

HTML = {"Accept": "text/html"}


async def _calls_of(
    gw: httpx.AsyncClient, rec: dict[str, RecordingTransport], url: str, **kw: object
) -> Counter[str]:
    """The service calls one gateway request made, by service (all under its request ID)."""
    for t in rec.values():
        t.requests.clear()
    r = await gw.get(url, **kw)  # type: ignore[arg-type]
    assert r.status_code == 200, r.text
    rid = r.headers.get(REQUEST_ID_HEADER)
    assert rid, "the gateway answers with its request ID"
    sent = [(n, q) for n, t in rec.items() for q in t.requests]
    assert sent and all(q.headers.get(REQUEST_ID_HEADER) == rid for _, q in sent)
    return Counter(n for n, _ in sent)


EVERY = {"indicators": 1, "support_cases": 1, "training": 1}


class TestOneCallPerServicePerView:
    async def test_dashboard_profile_overview_and_grant_report(
        self, demo: dict[str, ServiceHarness], gateway_factory: GatewayFactory
    ) -> None:
        rec = {n: RecordingTransport(httpx.ASGITransport(app=h.app)) for n, h in demo.items()}
        gw = await gateway_factory(dict(rec))
        views = {
            "dashboard": ("/", {"headers": HTML}),
            "profile": (f"/municipalities/{HACHIOJI}", {"headers": HTML}),
            "overview": (f"/api/v1/municipalities/{HACHIOJI}/overview", {}),
            "grant report": (f"/api/v1/grant-report/{FY}", {}),
        }
        for name, (url, kw) in views.items():
            calls = await _calls_of(gw, rec, url, **kw)
            assert dict(calls) == EVERY, f"{name}: {dict(calls)}"

    async def test_a_municipality_staff_profile_is_one_call_per_service_too(
        self, demo: dict[str, ServiceHarness], gateway_factory: GatewayFactory
    ) -> None:
        rec = {n: RecordingTransport(httpx.ASGITransport(app=h.app)) for n, h in demo.items()}
        gw = await gateway_factory(dict(rec), role="municipality", municipality=HACHIOJI)
        for url in (f"/municipalities/{HACHIOJI}", f"/api/v1/municipalities/{HACHIOJI}/overview"):
            calls = await _calls_of(gw, rec, url, headers=HTML)
            assert dict(calls) == EVERY, f"{url}: {dict(calls)}"
