"""The gateway's cache of an advisor's advised municipalities (gateway/auth/advised.py)."""

from __future__ import annotations

from types import SimpleNamespace

from gateway.auth.advised import AdvisedCache, with_advised
from gateway.clients.base import ServiceError
from services.common.actor import MAX_ADVISED, Actor, Role

ADVISOR = Actor(id="advisor-yamada", name="山田 花子", role=Role.advisor)


class FakeSupportCases:
    def __init__(self, codes: list[str] | None) -> None:
        self.codes = codes
        self.calls: list[str] = []

    async def advised_municipalities(self, *, actor: Actor) -> dict:
        self.calls.append(actor.id)
        if self.codes is None:
            raise ServiceError("support_cases", "接続できません (ConnectError)")
        return {"advisor_id": 1, "case_ids": [1], "municipality_codes": self.codes}


def _app(codes: list[str] | None, ttl: float = 45.0) -> SimpleNamespace:
    state = SimpleNamespace(
        settings=SimpleNamespace(advised_cache_seconds=ttl),
        services=SimpleNamespace(support_cases=FakeSupportCases(codes)),
    )
    return SimpleNamespace(state=state)


async def test_one_call_per_advisor_within_the_ttl() -> None:
    app = _app(["133078", "132012"])
    for _ in range(3):
        got = await with_advised(app, ADVISOR)
        assert got.advised == ("132012", "133078") and got.id == ADVISOR.id
    assert app.state.services.support_cases.calls == [ADVISOR.id]
    app.state.advised.forget(ADVISOR.id)
    await with_advised(app, ADVISOR)
    assert len(app.state.services.support_cases.calls) == 2


async def test_ttl_zero_reads_every_time() -> None:
    app = _app(["132012"], ttl=0)
    await with_advised(app, ADVISOR)
    await with_advised(app, ADVISOR)
    assert len(app.state.services.support_cases.calls) == 2


async def test_other_roles_are_not_looked_up() -> None:
    app = _app(["132012"])
    for role in (Role.admin, Role.coordinator, Role.viewer, Role.api_client):
        a = Actor(id="x", name="x", role=role)
        assert await with_advised(app, a) is a
    muni = Actor(id="m", name="m", role=Role.municipality, municipality_code="132012")
    assert (await with_advised(app, muni)).advised == ()
    assert app.state.services.support_cases.calls == []


async def test_support_cases_down_means_no_claim_and_no_cached_failure() -> None:
    app = _app(None)
    got = await with_advised(app, ADVISOR)
    assert got.advised == ()
    app.state.services.support_cases.codes = ["132012"]
    assert (await with_advised(app, ADVISOR)).advised == ("132012",)


async def test_at_most_the_bound_is_kept() -> None:
    cache = AdvisedCache(45)
    many = [f"{130000 + i}" for i in range(100)]
    services = SimpleNamespace(support_cases=FakeSupportCases(many))
    codes = await cache.codes(services, ADVISOR)
    assert codes is not None and len(codes) == MAX_ADVISED
