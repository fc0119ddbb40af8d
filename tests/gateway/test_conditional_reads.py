"""The gateway keeps the services' answers and asks again with If-None-Match
(gateway/clients/base.py, services/common/conditional.py): a second dashboard costs each
service a 304, shows the same page, and a write in a service makes that service answer in
full again, so the next page shows it."""

from __future__ import annotations

import re

import httpx

from tests.conftest import GatewayFactory, ServiceHarness
from tests.gateway.test_combined import HACHIOJI

HTML = {"Accept": "text/html"}


class StatusTransport(httpx.AsyncBaseTransport):
    """Passes requests on to a real transport and keeps the statuses of its answers."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.statuses: list[int] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        resp = await self.inner.handle_async_request(request)
        self.statuses.append(resp.status_code)
        return resp


def _page(html: str) -> str:
    """The page without what differs per answer (the CSRF token, the request's nonce)."""
    return re.sub(r'(csrf[^"]*"|nonce=)"?[^"\s>]+', r"\1", html)


async def test_second_dashboard_is_304s_and_a_write_shows(
    demo: dict[str, ServiceHarness], gateway_factory: GatewayFactory
) -> None:
    rec = {n: StatusTransport(httpx.ASGITransport(app=h.app)) for n, h in demo.items()}
    gw = await gateway_factory(dict(rec))
    first = await gw.get("/", headers=HTML)
    assert first.status_code == 200
    for t in rec.values():
        t.statuses.clear()
    second = await gw.get("/", headers=HTML)
    assert second.status_code == 200
    assert {n: t.statuses for n, t in rec.items()} == {n: [304] for n in rec}
    assert _page(second.text) == _page(first.text)
    assert "一部の情報を表示できません" not in second.text

    # a case for 八王子市 in this fiscal year, written through the support_cases service: its
    # next answer is in full, the others stay 304, and the dashboard shows the new case
    cases = (await gw.get("/api/v1/municipalities/" + HACHIOJI + "/overview")).json()
    assert cases is not None
    for t in rec.values():
        t.statuses.clear()
    async with demo["training"].client("coordinator") as c:
        r = await c.post(
            "/api/v1/programs",
            json={
                "name": "再読込の確認研修",
                "kind": "地域ケア会議 司会者・助言者養成",
                "fiscal_year": 2026,
            },
        )
        assert r.status_code == 201, r.text
    third = await gw.get("/", headers=HTML)
    assert third.status_code == 200
    assert rec["training"].statuses == [200]
    assert rec["indicators"].statuses == [304] and rec["support_cases"].statuses == [304]
