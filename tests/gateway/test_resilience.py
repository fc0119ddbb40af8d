"""The gateway's calls to services: one retry on connection errors, timeouts, circuit breaker,
and the combination helper's degraded and complete modes."""

import asyncio

import httpx
import pytest

from gateway.clients.base import CircuitBreaker, ServiceError, ServiceRejected, TokenSigner
from gateway.clients.training import TrainingClient
from gateway.views.parts import gather, require_complete
from services.common.errors import ServiceUnavailable
from tests.helpers import COORDINATOR, TEST_SECRET


class FlakyTransport(httpx.AsyncBaseTransport):
    """Refuses the first ``refuse`` connections, then answers with ``status``."""

    def __init__(
        self, refuse: int = 0, status: int = 200, body: object = (), delay: float = 0
    ) -> None:
        self.refuse = refuse
        self.status = status
        self.body = list(body) if isinstance(body, tuple) else body
        self.delay = delay
        self.seen = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.seen += 1
        if self.seen <= self.refuse:
            raise httpx.ConnectError("refused", request=request)
        if self.delay:
            await asyncio.sleep(self.delay)
        return httpx.Response(self.status, json=self.body)


def client(
    transport: httpx.AsyncBaseTransport,
    *,
    timeout: float = 2.0,
    breaker=None,
    write_timeout: float = 15.0,
) -> TrainingClient:
    http = httpx.AsyncClient(base_url="http://training", transport=transport, timeout=timeout)
    return TrainingClient(
        http,
        TokenSigner(TEST_SECRET, 300),
        breaker or CircuitBreaker(3, 60),
        write_deadline=write_timeout,
    )


class TestRetry:
    async def test_get_is_retried_once_after_a_refused_connection(self) -> None:
        t = FlakyTransport(refuse=1)
        assert await client(t).programs(actor=COORDINATOR) == []
        assert t.seen == 2

    async def test_two_refusals_fail(self) -> None:
        t = FlakyTransport(refuse=2)
        with pytest.raises(ServiceError, match="接続できません"):
            await client(t).programs(actor=COORDINATOR)
        assert t.seen == 2

    async def test_writes_are_not_retried(self) -> None:
        t = FlakyTransport(refuse=1)
        with pytest.raises(ServiceError):
            await client(t).request(
                "POST", "/api/v1/programs", json={}, expect=(201,), actor=COORDINATOR
            )
        assert t.seen == 1

    async def test_a_5xx_is_not_retried(self) -> None:
        t = FlakyTransport(status=500, body={})
        with pytest.raises(ServiceError, match="500"):
            await client(t).programs(actor=COORDINATOR)
        assert t.seen == 1


class TestTimeout:
    async def test_slow_service_times_out(self) -> None:
        t = FlakyTransport(delay=0.5)
        with pytest.raises(ServiceError, match="タイムアウト"):
            await client(t, timeout=0.05).programs(actor=COORDINATOR)

    async def test_a_write_waits_for_the_write_deadline_not_the_read_one(self) -> None:
        """A write slower than the read deadline is answered (the person learns it was saved);
        past the write deadline it times out too."""
        t = FlakyTransport(delay=0.3, status=201, body={})
        slow_write = client(t, timeout=0.05, write_timeout=2.0)
        r = await slow_write.request(
            "POST", "/api/v1/programs", json={}, expect=(201,), actor=COORDINATOR
        )
        assert r.status_code == 201
        with pytest.raises(ServiceError, match="タイムアウト"):
            await client(t, timeout=0.05, write_timeout=0.1).request(
                "POST", "/api/v1/programs", json={}, expect=(201,), actor=COORDINATOR
            )
        with pytest.raises(ServiceError, match="タイムアウト"):  # a read keeps its deadline
            await slow_write.programs(actor=COORDINATOR)


class TestCircuitBreaker:
    async def test_opens_after_threshold_and_fails_fast(self) -> None:
        t = FlakyTransport(refuse=10_000)
        c = client(t, breaker=CircuitBreaker(threshold=2, cooldown=60))
        for _ in range(2):
            with pytest.raises(ServiceError):
                await c.programs(actor=COORDINATOR)
        sent = t.seen
        with pytest.raises(ServiceError, match="一時的に停止中"):
            await c.programs(actor=COORDINATOR)
        assert t.seen == sent, "an open circuit sends nothing"
        assert c.breaker.state == "open"

    async def test_half_open_trial_closes_on_success(self) -> None:
        t = FlakyTransport(refuse=4)
        c = client(t, breaker=CircuitBreaker(threshold=2, cooldown=0.05))
        for _ in range(2):
            with pytest.raises(ServiceError):
                await c.programs(actor=COORDINATOR)
        await asyncio.sleep(0.06)
        assert c.breaker.state == "half-open"
        assert await c.programs(actor=COORDINATOR) == []
        assert c.breaker.state == "closed"

    async def test_a_4xx_is_the_callers_mistake_not_a_failure(self) -> None:
        t = FlakyTransport(status=422, body={"detail": "年度が不正です", "errors": []})
        c = client(t, breaker=CircuitBreaker(threshold=1, cooldown=60))
        with pytest.raises(ServiceRejected) as err:
            await c.programs(actor=COORDINATOR)
        assert err.value.status == 422 and err.value.detail == "年度が不正です"
        assert c.breaker.state == "closed"


class TestGather:
    async def test_degraded_answer_names_missing_services(self) -> None:
        async def ok() -> int:
            return 1

        async def down() -> int:
            raise ServiceError("training", "接続できません")

        parts = await gather({"a": ("indicators", ok()), "b": ("training", down())})
        assert parts.values == {"a": 1}
        assert parts.unavailable == ["training"]
        require_complete(parts, complete=False)
        with pytest.raises(ServiceUnavailable) as err:
            require_complete(parts, complete=True)
        assert err.value.extra["unavailable"] == ["training"]


class TestActor:
    async def test_no_actor_means_no_call(self) -> None:
        t = FlakyTransport()
        with pytest.raises(ServiceError, match="利用者が特定できない"):
            await client(t).programs()
        assert t.seen == 0
