"""Helpers for the gateway's auth tests: a clock to move forward, login forms, tokens."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import httpx

from services.common.models import utcnow
from tests.conftest import GatewayClient

HTML = {"Accept": "text/html"}


class FakeClock:
    """Stands in for gateway.auth.deps.Clock: time moves only when the test says so."""

    def __init__(self, start: datetime | None = None) -> None:
        self.current = start or utcnow()

    def now(self) -> datetime:
        return self.current

    def advance(self, **kw: float) -> None:
        self.current += timedelta(**kw)


def use_clock(client: GatewayClient) -> FakeClock:
    clock = FakeClock()
    client.app.state.clock = clock
    return clock


async def login_form_token(client: httpx.AsyncClient) -> str:
    r = await client.get("/login")
    m = re.search(r'name="csrf_token" value="([^"]+)"', r.text)
    assert m, r.text
    return m.group(1)


async def try_login(
    client: httpx.AsyncClient, login: str, password: str, *, next: str = "/"
) -> httpx.Response:
    token = await login_form_token(client)
    return await client.post(
        "/login",
        data={"login": login, "password": password, "csrf_token": token, "next": next},
    )


def session_cookie(client: httpx.AsyncClient) -> str | None:
    return client.cookies.get("banso_session")


def set_session_cookie(client: httpx.AsyncClient, value: str) -> None:
    """Put a session cookie in the jar as the server would have (same domain and path)."""
    client.cookies.delete("banso_session")
    client.cookies.set("banso_session", value, domain="gateway.local", path="/")
