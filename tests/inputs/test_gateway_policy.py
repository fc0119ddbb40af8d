"""The gateway applies the same input policy: a page form field and a JSON field with a control
character are refused with 422 naming the field, and nothing is stored."""

from __future__ import annotations

from tests.conftest import GatewayFactory
from tests.gateway.auth.conftest import HTML


async def test_page_form_and_json_refused_nothing_stored(gateway_factory: GatewayFactory) -> None:
    admin = await gateway_factory(role="admin")
    token = admin.headers.get("X-CSRF-Token")
    r = await admin.post(
        "/admin/users",
        data={
            "login": "chiyoda-ctrl",
            "display_name": "千代田区\x1b田中",
            "role": "municipality",
            "municipality_code": "131016",
            "password": "long-enough-password",
            "csrf_token": token,
        },
        headers={**HTML, "X-CSRF-Token": ""},
    )
    assert r.status_code == 422
    assert "display_name" in r.text and "U+001B" in r.text
    r = await admin.post(
        "/api/v1/admin/users",
        json={
            "login": "chiyoda-ctrl",
            "display_name": "千代田区\x00田中",
            "role": "municipality",
            "municipality_code": "131016",
            "password": "long-enough-password",
        },
    )
    assert r.status_code == 422
    assert r.json()["errors"][0]["loc"] == ["body", "display_name"]
    users = (await admin.get("/api/v1/admin/users")).json()
    assert "chiyoda-ctrl" not in str(users)


async def test_a_service_down_is_a_503_not_a_500(demo, gateway_factory: GatewayFactory) -> None:
    """A service call no route catches (here the PDCA sheet of the prefecture while indicators
    refuses connections) answers 503 with Retry-After naming the service."""
    import httpx

    class Refusing(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            raise httpx.ConnectError("refused", request=request)

    gw = await gateway_factory(role="coordinator", transports={"indicators": Refusing()})
    r = await gw.get("/api/v1/pdca/prefecture")
    assert r.status_code == 503, r.text
    assert r.headers["retry-after"] == "5"
    assert r.json()["errors"][0]["loc"] == ["service", "indicators"]
