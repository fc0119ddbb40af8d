"""地域包括支援センター answers from the pages, role by role, through the gateway and the real
indicators service on the demo: a municipality edits only its own centres' answers and its
own municipal answers (市町村指標); the prefecture's staff edit any; the read-only roles none.
Every refused write is followed by a read proving nothing changed."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from tests.conftest import GatewayFactory, ServiceHarness

HTML = {"Accept": "text/html"}
HACHIOJI, CHIYODA = "132012", "131016"


async def _year(h: ServiceHarness) -> int:
    async with h.client() as c:
        return (await c.get("/api/v1/centres/catalogues")).json()[0]["fiscal_year"]


async def _centre(h: ServiceHarness, code: str) -> int:
    async with h.client() as c:
        return (await c.get("/api/v1/centres", params={"municipality_code": code})).json()[0]["id"]


async def _municipal(h: ServiceHarness, fy: int, code: str) -> dict[str, Any]:
    async with h.client() as c:
        return (await c.get(f"/api/v1/centres/evaluations/{fy}/municipalities/{code}")).json()


async def _of_centre(h: ServiceHarness, fy: int, centre_id: int) -> dict[str, Any]:
    async with h.client() as c:
        return (await c.get(f"/api/v1/centres/{centre_id}/evaluations/{fy}")).json()


def _form(ev: dict[str, Any], html: str) -> dict[str, Any]:
    """Every item answered as stored, the first one flipped."""
    flip = ev["answers"][0]["item_code"]
    data: dict[str, Any] = {
        "version": str(ev["version"]),
        "item": [a["item_code"] for a in ev["answers"]],
    }
    for a in ev["answers"]:
        if a["met"] != (a["item_code"] == flip):
            data[f"met:{a['item_code']}"] = "on"
        data[f"note:{a['item_code']}"] = a["note"] or ""
    token = re.search(r'name="csrf_token" value="([^"]+)"', html)
    if token:
        data["csrf_token"] = token.group(1)
    return data


async def _client(gateway_factory: GatewayFactory, role: str, code: str | None = None) -> Any:
    return await gateway_factory(role=role, municipality=code if role == "municipality" else None)


class TestMunicipalAnswers:
    async def test_own_municipality_saves_its_municipal_answers(
        self, demo: dict[str, ServiceHarness], gateway_factory: GatewayFactory
    ) -> None:
        ind = demo["indicators"]
        fy = await _year(ind)
        client = await _client(gateway_factory, "municipality", HACHIOJI)
        url = f"/centres/municipalities/{HACHIOJI}"
        page = await client.get(url, params={"fiscal_year": fy}, headers=HTML)
        assert 'id="answers-form"' in page.text
        before = await _municipal(ind, fy, HACHIOJI)
        r = await client.post(f"{url}/evaluation?fiscal_year={fy}", data=_form(before, page.text))
        assert r.status_code == 303, r.text
        after = await _municipal(ind, fy, HACHIOJI)
        assert after["answers"][0]["met"] is not before["answers"][0]["met"]
        assert [a["met"] for a in after["answers"][1:]] == [a["met"] for a in before["answers"][1:]]
        assert after["version"] == before["version"] + 1

    async def test_another_municipality_is_refused_and_nothing_changes(
        self, demo: dict[str, ServiceHarness], gateway_factory: GatewayFactory
    ) -> None:
        ind = demo["indicators"]
        fy = await _year(ind)
        client = await _client(gateway_factory, "municipality", CHIYODA)
        url = f"/centres/municipalities/{HACHIOJI}"
        page = await client.get(url, params={"fiscal_year": fy}, headers=HTML)
        assert page.status_code == 200 and 'id="answers-form"' not in page.text
        before = await _municipal(ind, fy, HACHIOJI)
        r = await client.post(
            f"{url}/evaluation?fiscal_year={fy}", data=_form(before, page.text), headers=HTML
        )
        assert r.status_code == 403
        assert await _municipal(ind, fy, HACHIOJI) == before

    @pytest.mark.parametrize("role", ["viewer", "advisor"])
    async def test_read_only_roles_are_refused_and_nothing_changes(
        self, role: str, demo: dict[str, ServiceHarness], gateway_factory: GatewayFactory
    ) -> None:
        ind = demo["indicators"]
        fy = await _year(ind)
        client = await _client(gateway_factory, role)
        url = f"/centres/municipalities/{HACHIOJI}"
        page = await client.get(url, params={"fiscal_year": fy}, headers=HTML)
        assert page.status_code == 200 and 'id="answers-form"' not in page.text
        before = await _municipal(ind, fy, HACHIOJI)
        r = await client.post(
            f"{url}/evaluation?fiscal_year={fy}", data=_form(before, page.text), headers=HTML
        )
        assert r.status_code == 403
        assert await _municipal(ind, fy, HACHIOJI) == before

    async def test_a_coordinator_saves_any_municipalitys_answers(
        self, demo: dict[str, ServiceHarness], gateway: httpx.AsyncClient
    ) -> None:
        ind = demo["indicators"]
        fy = await _year(ind)
        url = f"/centres/municipalities/{CHIYODA}"
        page = await gateway.get(url, params={"fiscal_year": fy}, headers=HTML)
        before = await _municipal(ind, fy, CHIYODA)
        r = await gateway.post(f"{url}/evaluation?fiscal_year={fy}", data=_form(before, page.text))
        assert r.status_code == 303, r.text
        assert (await _municipal(ind, fy, CHIYODA))["version"] == before["version"] + 1


class TestCentreAnswers:
    @pytest.mark.parametrize("role", ["viewer", "advisor"])
    async def test_read_only_roles_are_refused_and_nothing_changes(
        self, role: str, demo: dict[str, ServiceHarness], gateway_factory: GatewayFactory
    ) -> None:
        ind = demo["indicators"]
        fy, cid = await _year(ind), await _centre(ind, HACHIOJI)
        client = await _client(gateway_factory, role)
        page = await client.get(f"/centres/{cid}", params={"fiscal_year": fy}, headers=HTML)
        assert page.status_code == 200 and 'id="answers-form"' not in page.text
        before = await _of_centre(ind, fy, cid)
        r = await client.post(
            f"/centres/{cid}/evaluation?fiscal_year={fy}",
            data=_form(before, page.text),
            headers=HTML,
        )
        assert r.status_code == 403
        assert await _of_centre(ind, fy, cid) == before

    async def test_a_coordinator_saves_any_centre(
        self, demo: dict[str, ServiceHarness], gateway: httpx.AsyncClient
    ) -> None:
        ind = demo["indicators"]
        fy, cid = await _year(ind), await _centre(ind, CHIYODA)
        page = await gateway.get(f"/centres/{cid}", params={"fiscal_year": fy}, headers=HTML)
        assert 'id="answers-form"' in page.text
        before = await _of_centre(ind, fy, cid)
        r = await gateway.post(
            f"/centres/{cid}/evaluation?fiscal_year={fy}", data=_form(before, page.text)
        )
        assert r.status_code == 303, r.text
        after = await _of_centre(ind, fy, cid)
        assert after["answers"][0]["met"] is not before["answers"][0]["met"]
        assert after["version"] == before["version"] + 1

    async def test_own_municipality_sees_the_form_only_on_its_own_centres(
        self, demo: dict[str, ServiceHarness], gateway_factory: GatewayFactory
    ) -> None:
        ind = demo["indicators"]
        fy = await _year(ind)
        own, other = await _centre(ind, HACHIOJI), await _centre(ind, CHIYODA)
        client = await _client(gateway_factory, "municipality", HACHIOJI)
        mine = await client.get(f"/centres/{own}", params={"fiscal_year": fy}, headers=HTML)
        theirs = await client.get(f"/centres/{other}", params={"fiscal_year": fy}, headers=HTML)
        assert 'id="answers-form"' in mine.text
        assert theirs.status_code == 200 and 'id="answers-form"' not in theirs.text
        before = await _of_centre(ind, fy, other)
        r = await client.post(
            f"/centres/{other}/evaluation?fiscal_year={fy}",
            data=_form(before, theirs.text),
            headers=HTML,
        )
        assert r.status_code == 403
        assert await _of_centre(ind, fy, other) == before
