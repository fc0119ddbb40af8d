"""Login and logout: the form, the session cookie, generic failures, safe redirects."""

from __future__ import annotations

import httpx

from tests.conftest import TEST_PASSWORD, GatewayFactory, gateway_user
from tests.gateway.auth.conftest import (
    HTML,
    login_form_token,
    session_cookie,
    set_session_cookie,
    try_login,
)

GENERIC = "ログインIDまたはパスワードが正しくありません。"


class TestLoginForm:
    async def test_is_a_japanese_form_that_works_without_javascript(
        self, anonymous_gateway: httpx.AsyncClient
    ) -> None:
        r = await anonymous_gateway.get("/login?next=/municipalities/131016")
        assert r.status_code == 200
        assert '<html lang="ja">' in r.text and '<h1 id="login-title">ログイン</h1>' in r.text
        assert 'method="post" action="/login"' in r.text
        assert 'hx-boost="false"' in r.text
        assert '<label for="login">ログインID</label>' in r.text
        assert 'autocomplete="current-password"' in r.text
        assert 'name="next" value="/municipalities/131016"' in r.text
        assert r.headers["cache-control"] == "no-store"


class TestLogin:
    async def test_success_sets_a_strict_session_cookie_and_goes_to_next(
        self, gateway_factory: GatewayFactory
    ) -> None:
        gw = await gateway_factory(role=None)
        login = await gateway_user(gw.app, "advisor")
        r = await try_login(gw, login, TEST_PASSWORD, next="/municipalities/131016")
        assert r.status_code == 303
        assert r.headers["location"] == "/municipalities/131016"
        cookie = next(c for c in r.headers.get_list("set-cookie") if c.startswith("banso_session="))
        attrs = {a.strip().lower() for a in cookie.split(";")[1:]}
        assert {"httponly", "samesite=lax", "path=/"} <= attrs
        assert "secure" not in attrs
        page = await gw.get("/", headers=HTML)
        assert page.status_code == 200
        assert "テスト advisor" in page.text and "アドバイザー" in page.text
        assert "ログアウト" in page.text

    async def test_cookie_is_secure_when_configured(self, gateway_factory: GatewayFactory) -> None:
        gw = await gateway_factory(role=None, session_cookie_secure=True)
        login = await gateway_user(gw.app, "viewer")
        # Secure cookies travel over HTTPS only (the login form's cookie too).
        async with httpx.AsyncClient(transport=gw._transport, base_url="https://gateway") as tls:
            r = await try_login(tls, login, TEST_PASSWORD)
            assert r.status_code == 303
        cookie = next(c for c in r.headers.get_list("set-cookie") if c.startswith("banso_session="))
        assert "secure" in {a.strip().lower() for a in cookie.split(";")}

    async def test_login_id_is_case_insensitive(self, gateway_factory: GatewayFactory) -> None:
        gw = await gateway_factory(role=None)
        await gateway_user(gw.app, "viewer")
        r = await try_login(gw, "  TEST-Viewer ", TEST_PASSWORD)
        assert r.status_code == 303

    async def test_wrong_password_and_unknown_account_get_the_same_answer(
        self, gateway_factory: GatewayFactory
    ) -> None:
        gw = await gateway_factory(role=None)
        login = await gateway_user(gw.app, "coordinator")
        wrong = await try_login(gw, login, "not-the-password")
        unknown = await try_login(gw, "nobody-here", "not-the-password")
        for r in (wrong, unknown):
            assert r.status_code == 400
            assert GENERIC in r.text
            assert session_cookie(gw) is None
        assert wrong.text.replace(login, "X") == unknown.text.replace("nobody-here", "X").replace(
            *_token_diff(wrong.text, unknown.text)
        )

    async def test_inactive_user_cannot_log_in(self, gateway_factory: GatewayFactory) -> None:
        from gateway.auth.models import User

        gw = await gateway_factory(role=None)
        login = await gateway_user(gw.app, "coordinator")
        async with gw.app.state.db.session(write=True) as s:
            from sqlmodel import select

            user = (await s.exec(select(User).where(User.login == login))).one()
            user.active = False
            await s.commit()
        r = await try_login(gw, login, TEST_PASSWORD)
        assert r.status_code == 400 and GENERIC in r.text

    async def test_form_without_its_login_csrf_token_is_refused(
        self, gateway_factory: GatewayFactory
    ) -> None:
        gw = await gateway_factory(role=None)
        login = await gateway_user(gw.app, "coordinator")
        await login_form_token(gw)
        r = await gw.post(
            "/login", data={"login": login, "password": TEST_PASSWORD, "csrf_token": "forged"}
        )
        assert r.status_code == 403 and "画面の有効期限が切れました" in r.text
        assert session_cookie(gw) is None

    async def test_next_never_leaves_the_site(self, gateway_factory: GatewayFactory) -> None:
        gw = await gateway_factory(role=None)
        login = await gateway_user(gw.app, "coordinator")
        r = await try_login(gw, login, TEST_PASSWORD, next="//evil.example/")
        assert r.headers["location"] == "/"

    async def test_logged_in_user_visiting_login_goes_on(self, gateway: httpx.AsyncClient) -> None:
        r = await gateway.get("/login?next=/municipalities/131016")
        assert r.status_code == 303 and r.headers["location"] == "/municipalities/131016"


class TestLogout:
    async def test_ends_the_session(self, gateway: httpx.AsyncClient) -> None:
        old = session_cookie(gateway)
        r = await gateway.post("/logout")
        assert r.status_code == 303 and r.headers["location"] == "/login"
        assert session_cookie(gateway) is None
        # The old cookie is worth nothing now, even if someone kept it.
        set_session_cookie(gateway, old or "")
        r = await gateway.get("/", headers=HTML)
        assert r.status_code == 303 and r.headers["location"].startswith("/login")

    async def test_is_post_only(self, gateway: httpx.AsyncClient) -> None:
        r = await gateway.get("/logout", headers=HTML)
        assert r.status_code == 405


def _token_diff(a: str, b: str) -> tuple[str, str]:
    """The two pages differ only in their one-time login form token."""
    import re

    ta = re.search(r'name="csrf_token" value="([^"]+)"', a).group(1)  # type: ignore[union-attr]
    tb = re.search(r'name="csrf_token" value="([^"]+)"', b).group(1)  # type: ignore[union-attr]
    return tb, ta
