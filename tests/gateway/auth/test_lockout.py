"""Lock-out after repeated login failures: per account and per address, delay doubling."""

from __future__ import annotations

from tests.conftest import TEST_PASSWORD, GatewayFactory, gateway_user
from tests.gateway.auth.conftest import try_login, use_clock

LOCKED = "ログインの失敗が続いたため、しばらくログインできません。"


class TestAccountLockOut:
    async def test_fifth_failure_locks_for_30_seconds_then_doubling(
        self, gateway_factory: GatewayFactory
    ) -> None:
        gw = await gateway_factory(role=None)
        clock = use_clock(gw)
        login = await gateway_user(gw.app, "coordinator")
        for _ in range(4):
            assert (await try_login(gw, login, "wrong-password")).status_code == 400
        fifth = await try_login(gw, login, "wrong-password")
        assert fifth.status_code == 429
        assert fifth.headers["retry-after"] == "30"
        assert LOCKED in fifth.text and "30 秒" in fifth.text

        # While locked even the right password is refused, and nothing is counted.
        clock.advance(seconds=10)
        r = await try_login(gw, login, TEST_PASSWORD)
        assert r.status_code == 429 and r.headers["retry-after"] == "20"

        # After the lock, one more failure locks again for twice as long.
        clock.advance(seconds=21)
        r = await try_login(gw, login, "wrong-password")
        assert r.status_code == 429 and r.headers["retry-after"] == "60"
        clock.advance(seconds=61)
        r = await try_login(gw, login, "wrong-password")
        assert r.status_code == 429 and r.headers["retry-after"] == "120"

        # Once the lock has passed the right password works and clears the count.
        clock.advance(seconds=121)
        assert (await try_login(gw, login, TEST_PASSWORD)).status_code == 303
        await gw.post("/logout", headers={"X-CSRF-Token": await _csrf(gw)})
        assert (await try_login(gw, login, "wrong-password")).status_code == 400

    async def test_unknown_accounts_lock_the_same_way(
        self, gateway_factory: GatewayFactory
    ) -> None:
        gw = await gateway_factory(role=None)
        use_clock(gw)
        statuses = [(await try_login(gw, "no-such-user", "x")).status_code for _ in range(6)]
        assert statuses == [400, 400, 400, 400, 429, 429]

    async def test_failures_age_out_of_the_window(self, gateway_factory: GatewayFactory) -> None:
        gw = await gateway_factory(role=None)
        clock = use_clock(gw)
        login = await gateway_user(gw.app, "coordinator")
        for _ in range(4):
            await try_login(gw, login, "wrong-password")
        clock.advance(minutes=61)
        assert (await try_login(gw, login, "wrong-password")).status_code == 400

    async def test_lock_of_one_account_leaves_others_alone(
        self, gateway_factory: GatewayFactory
    ) -> None:
        gw = await gateway_factory(role=None)
        use_clock(gw)
        victim = await gateway_user(gw.app, "coordinator")
        other = await gateway_user(gw.app, "viewer")
        for _ in range(5):
            await try_login(gw, victim, "wrong-password")
        assert (await try_login(gw, other, TEST_PASSWORD)).status_code == 303


class TestAddressLockOut:
    async def test_many_accounts_tried_from_one_address_lock_the_address(
        self, gateway_factory: GatewayFactory
    ) -> None:
        gw = await gateway_factory(role=None, login_max_failures_per_address=6)
        use_clock(gw)
        real = await gateway_user(gw.app, "coordinator")
        statuses = [(await try_login(gw, f"guess-{i}", "password1")).status_code for i in range(6)]
        assert statuses == [400, 400, 400, 400, 400, 429]
        r = await try_login(gw, real, TEST_PASSWORD)
        assert r.status_code == 429 and r.headers["retry-after"] == "30"


async def _csrf(gw) -> str:  # type: ignore[no-untyped-def]
    import re

    page = await gw.get("/", headers={"Accept": "text/html"})
    return re.search(r'<meta name="csrf-token" content="([^"]+)">', page.text).group(1)
