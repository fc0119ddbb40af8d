"""The gateway keeps the services' answers and asks again with If-None-Match
(gateway/clients/base.py, services/common/conditional.py): a second dashboard costs each
service a 304, shows the same page, and a write in a service makes that service answer in
full again, so the next page shows it."""

from __future__ import annotations

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


async def test_second_dashboard_is_304s_and_a_write_shows(
    demo: dict[str, ServiceHarness], gateway_factory: GatewayFactory
) -> None:
    rec = {n: StatusTransport(httpx.ASGITransport(app=h.app)) for n, h in demo.items()}
    gw = await gateway_factory(dict(rec))
    first = await gw.get("/", headers=HTML)
    assert first.status_code == 200
    kept = gw.app.state.kept_responses
    hits = kept.hits  # (logging in read the page already)
    for t in rec.values():
        t.statuses.clear()
    second = await gw.get("/", headers=HTML)
    assert second.status_code == 200
    assert {n: t.statuses for n, t in rec.items()} == {n: [304] for n in rec}
    assert second.text == first.text  # the page made from the same answers, sent again
    assert kept.hits == hits + 1
    assert "一部の情報を表示できません" not in second.text
    # another sort is another page
    by_name = await gw.get("/?sort=name", headers=HTML)
    assert by_name.status_code == 200 and by_name.text != first.text
    assert kept.hits == hits + 1

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
    assert kept.hits == hits + 1, "a page from a changed answer is made anew"


async def test_kept_responses_are_per_person_and_never_from_a_missing_part(
    demo: dict[str, ServiceHarness], gateway_factory: GatewayFactory
) -> None:
    """A municipality's staff never get the coordinator's page; a page with a part missing
    (a service that did not answer) is never kept."""
    coordinator = await gateway_factory()
    page = await coordinator.get("/", headers=HTML)
    staff = await gateway_factory(role="municipality", municipality=HACHIOJI)
    own = await staff.get("/", headers=HTML)
    assert own.status_code == 200 and own.text != page.text
    assert own.text.count('<tr data-code="') == 1

    class Down(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            raise httpx.ConnectError("down", request=request)

    gw = await gateway_factory({"training": Down()})
    for _ in range(2):
        r = await gw.get("/", headers=HTML)
        assert r.status_code == 200 and "一部の情報を表示できません" in r.text
    assert gw.app.state.kept_responses.hits == 0


def test_kept_is_bounded_in_count_and_bytes() -> None:
    from gateway.clients.base import Kept

    kept = Kept(max_entries=3, max_bytes=80)
    for i in range(5):
        kept.put(f"/a/{i}", f"v{i}", 10)
    assert len(kept) == 3 and kept.get("/a/0") is None and kept.bytes == 30
    assert kept.get("/a/2") == "v2"  # now the most recently used
    kept.put("/big", "b", 11)  # more than an eighth of the bytes: not kept
    assert kept.get("/big") is None
    kept.put("/a/5", "v5", 10)
    assert kept.get("/a/3") is None and kept.get("/a/2") == "v2"  # the least recent went
    kept.put("/a/6", "w", 10)
    kept.put("/a/6", "w2", 5)  # replaced: its old size no longer counts
    assert kept.bytes == 25 and len(kept) == 3


def test_direct_read_response_reads_like_httpx() -> None:
    """The gateway's direct read path builds its httpx.Response without a stream
    (gateway/clients/transport.py): content, text, JSON and headers as httpx's own."""
    from gateway.clients.transport import _response

    raw = [(b"ETag", b'W/"1-a"'), (b"Content-Type", b"application/json")]
    r = _response(200, raw, '{"名前":"千代田区"}'.encode())
    plain = httpx.Response(200, headers=raw, content='{"名前":"千代田区"}'.encode())
    assert (r.status_code, r.content, r.text, r.json()) == (
        plain.status_code,
        plain.content,
        plain.text,
        plain.json(),
    )
    assert r.headers.get("etag") == plain.headers.get("etag") == 'W/"1-a"'
