"""The issue #16 pages × every role, one real request each through the gateway on the demo
data, against the exact statuses of tests/security/matrix.py (PAGE_MATRIX). A page route of
those routers without an entry fails the test."""

from __future__ import annotations

import re
from typing import Any

import httpx

from gateway.pages.centres import router as centres_router
from gateway.pages.pdca_shared import router as pdca_shared_router
from gateway.pages.regional import router as regional_router
from tests.conftest import GatewayFactory, ServiceHarness
from tests.security.matrix import OWN_MUNICIPALITY, PAGE_MATRIX, PAGE_ROLES, STALE

OTHER = "131016"  # 千代田区: has a published sheet with a 好事例
ROUTERS = (regional_router, centres_router, pdca_shared_router)


def _template(entry: str) -> str:
    return entry.replace("{other}", "{code}").replace("{other_centre_id}", "{centre_id}")


def test_every_page_route_has_an_entry() -> None:
    routes = {f"{m} {r.path}" for router in ROUTERS for r in router.routes for m in r.methods}
    covered = {_template(e) for e in PAGE_MATRIX}
    assert routes - covered == set(), "page routes without an entry in PAGE_MATRIX"
    assert covered - routes == set(), "PAGE_MATRIX entries for routes that do not exist"


async def _params(h: ServiceHarness) -> dict[str, Any]:
    async with h.client() as c:
        fy = (await c.get("/api/v1/centres/catalogues")).json()[0]["fiscal_year"]
        own = await c.get("/api/v1/centres", params={"municipality_code": OWN_MUNICIPALITY})
        other = (await c.get("/api/v1/centres", params={"municipality_code": OTHER})).json()
        sheets = (await c.get("/api/v1/pdca/sheets", params={"entity_code": OTHER})).json()
        sheet = (await c.get(f"/api/v1/pdca/sheets/{sheets[0]['id']}")).json()
        cid = own.json()[0]["id"]
        centre_ev = (await c.get(f"/api/v1/centres/{cid}/evaluations/{fy}")).json()
        own_ev = (
            await c.get(f"/api/v1/centres/evaluations/{fy}/municipalities/{OWN_MUNICIPALITY}")
        ).json()
    marked = sheet["good_practices"][0]["item_code"]
    return {
        "code": OWN_MUNICIPALITY,
        "other": OTHER,
        "centre_id": own.json()[0]["id"],
        "other_centre_id": other[0]["id"],
        "query": {"fiscal_year": fy},
        "cite": {"node": 1, "cite": "kayoinoba_rate:2023"},
        "forms": {
            # every item answered (a partial sheet is a 422), with a stale version
            "/evaluation": _answers(centre_ev),
            "municipalities/{code}/evaluation": _answers(own_ev),
            "/records": {
                "sheet_id": sheet["id"],
                "version": STALE,
                "item": sheet["items"][0]["code"],
                "actions": "マトリクス試験",
            },
            "/sheets": {"title": "マトリクス試験", "start_fy": sheet["start_fy"], "end_fy": 2030},
            "/items": {
                "sheet_id": sheet["id"],
                "version": STALE,
                "code": "マトリクス",
                "title": "マトリクス試験",
                "target_kind": "qualitative",
            },
            "/published": {"sheet_id": sheet["id"], "version": STALE, "published": "0"},
            "/pdca/good-practices": {
                "sheet_id": sheet["id"],
                "item_code": marked,
                "note": "マトリクス試験",
                "code": OTHER,
                "fiscal_year": 2025,
            },
        },
    }


def _answers(ev: dict[str, Any]) -> dict[str, Any]:
    return {"item": [a["item_code"] for a in ev["answers"]], "version": str(STALE)}


def _fill(entry: str, p: dict[str, Any]) -> str:
    return re.sub(r"\{([a-z_]+)\}", lambda m: str(p[m.group(1)]), entry)


async def _clients(gateway_factory: GatewayFactory) -> dict[str, httpx.AsyncClient]:
    from gateway.auth import service as auth_service

    clients = {}
    for role in PAGE_ROLES:
        if role != "api_client":
            clients[role] = await gateway_factory(
                role=role, municipality=OWN_MUNICIPALITY if role == "municipality" else None
            )
    app = clients["admin"].app  # type: ignore[attr-defined]
    async with app.state.db.session(write=True) as s:
        raw, _, _ = await auth_service.create_token(
            s,
            name="頁マトリクス",
            user_id=None,
            expires_in_days=1,
            by="test",
            now=app.state.clock.now(),
        )
        await s.commit()
    api = await gateway_factory(role=None)
    api.headers["Authorization"] = f"Bearer {raw}"
    clients["api_client"] = api
    return clients


async def test_every_page_for_every_role(
    demo: dict[str, ServiceHarness], gateway_factory: GatewayFactory
) -> None:
    p = await _params(demo["indicators"])
    async with demo["support_cases"].client() as c:
        cases = await c.get("/api/v1/cases", params={"municipality_code": OWN_MUNICIPALITY})
        p["case_id"] = cases.json()[0]["id"]
    p["good_practice_id"] = 1
    p["forms"]["/cite"] = {"case_id": p["case_id"]}
    clients = await _clients(gateway_factory)
    problems = []
    for entry, expected in PAGE_MATRIX.items():
        method, path = entry.split(" ", 1)
        url = _fill(path, p)
        key = "municipalities/{code}/evaluation" if "/centres/municipalities" in entry else ""
        form = p["forms"].get(key) or next(
            (f for k, f in p["forms"].items() if url.endswith(k)), None
        )
        for role in PAGE_ROLES:
            r = await clients[role].request(
                method,
                url,
                params=p["query"]
                if "/centres" in url
                else p["cite"]
                if "/evidence" in url
                else None,
                data=form if method == "POST" else None,
                follow_redirects=False,
                headers={"Accept": "text/html"},
            )
            if r.status_code != expected[role]:
                problems.append(
                    f"{entry} as {role}: expected {expected[role]}, got {r.status_code}"
                )
    assert not problems, "\n".join(problems)
