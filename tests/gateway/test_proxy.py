"""Behind a TLS-terminating reverse proxy: links and redirects are paths (right whatever scheme
and host the gateway sees), and X-Forwarded-For / X-Forwarded-Proto are believed only from
GATEWAY_FORWARDED_ALLOW_IPS. The in-process client connects from 127.0.0.1 (httpx's ASGI
transport), which is the default trusted proxy address; "10.9.9.9" makes it an outsider."""

from __future__ import annotations

import re

from tests.conftest import TEST_PASSWORD, GatewayFactory, gateway_user
from tests.gateway.auth.conftest import try_login, use_clock

PROXY = {"X-Forwarded-Proto": "https", "Host": "banso.example.lg.jp"}
# href/action/src/hx-* attributes holding an absolute URL (http://…, https://…, //host)
ABSOLUTE = re.compile(r'(?:href|action|src|hx-get|hx-post|hx-put)="(?:https?:)?//')


def forwarded(address: str) -> dict[str, str]:
    return {**PROXY, "X-Forwarded-For": address}


async def test_links_and_redirects_are_paths_behind_the_proxy(
    gateway_factory: GatewayFactory,
) -> None:
    gw = await gateway_factory(role=None)
    gw.headers.update(forwarded("203.0.113.5"))
    admin = await gateway_user(gw.app, "admin")
    form = await gw.get("/login")
    assert form.status_code == 200
    assert 'action="/login"' in form.text
    assert not ABSOLUTE.search(form.text), ABSOLUTE.search(form.text)
    r = await try_login(gw, admin, TEST_PASSWORD, next="/admin/users")
    assert r.status_code == 303 and r.headers["location"] == "/admin/users"
    page = await gw.get("/admin/users", headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert 'action="/admin/users"' in page.text
    assert not ABSOLUTE.search(page.text), ABSOLUTE.search(page.text)
    # A POST action's redirect is a path too (a new user through the admin form).
    csrf = re.search(r'<meta name="csrf-token" content="([^"]+)">', page.text).group(1)
    created = await gw.post(
        "/admin/users",
        data={
            "login": "proxy-user",
            "display_name": "プロキシ 経由",
            "role": "viewer",
            "municipality_code": "",
            "password": "proxy-password-0123",
            "csrf_token": csrf,
        },
        headers={"X-CSRF-Token": csrf},
    )
    assert created.status_code == 303, created.text[:500]
    assert created.headers["location"] == "/admin/users?created=proxy-user"
    listing = (await gw.get("/api/v1/admin/users")).json()
    assert "proxy-user" in {u["login"] for u in listing}
    # Pages of the parts: every link is a path.
    for path in ("/", "/training", "/support", "/indicators"):
        p = await gw.get(path, headers={"Accept": "text/html"})
        assert p.status_code == 200, path
        assert not ABSOLUTE.search(p.text), (path, ABSOLUTE.search(p.text))


async def test_the_lock_out_follows_the_real_client_behind_a_trusted_proxy(
    gateway_factory: GatewayFactory,
) -> None:
    gw = await gateway_factory(role=None, login_max_failures_per_address=3, login_max_failures=100)
    use_clock(gw)
    real = await gateway_user(gw.app, "coordinator")
    gw.headers.update(forwarded("203.0.113.5"))
    statuses = [(await try_login(gw, f"guess-{i}", "password1")).status_code for i in range(3)]
    assert statuses == [400, 400, 429]
    assert (await try_login(gw, real, TEST_PASSWORD)).status_code == 429
    # Another person behind the same proxy is not locked out by the first one's failures.
    gw.headers.update(forwarded("203.0.113.6"))
    assert (await try_login(gw, real, TEST_PASSWORD)).status_code == 303
    # The proxy appends what it saw: the rightmost untrusted address is the client.
    gw.cookies.clear()
    gw.headers.update(forwarded("198.51.100.7, 203.0.113.5"))
    assert (await try_login(gw, real, TEST_PASSWORD)).status_code == 429


async def test_a_forged_forwarded_for_from_outside_does_not_escape_the_lock_out(
    gateway_factory: GatewayFactory,
) -> None:
    gw = await gateway_factory(
        role=None,
        login_max_failures_per_address=3,
        login_max_failures=100,
        forwarded_allow_ips="10.9.9.9",
    )
    use_clock(gw)
    real = await gateway_user(gw.app, "coordinator")
    statuses = []
    for i in range(3):
        gw.headers.update(forwarded(f"198.51.100.{i + 1}"))  # a new forged address every time
        statuses.append((await try_login(gw, f"guess-{i}", "password1")).status_code)
    assert statuses == [400, 400, 429]
    gw.headers.update(forwarded("198.51.100.99"))
    r = await try_login(gw, real, TEST_PASSWORD)
    assert r.status_code == 429, "a forged X-Forwarded-For must not unlock the address"
    # …and the forged scheme is not believed either: links and redirects are paths anyway.
    assert 'action="/login"' in r.text and not ABSOLUTE.search(r.text)
