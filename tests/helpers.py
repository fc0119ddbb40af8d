"""Helpers tests share: tokens, actors and the test secret."""

from __future__ import annotations

from services.common.actor import Actor, Role, mint_token

TEST_SECRET = "test-secret-for-banso-tests-only-0123456789"

COORDINATOR = Actor(id="u-coord", name="テスト 調整担当", role=Role.coordinator)


def actor(
    role: str = "coordinator", municipality: str | None = None, *, id: str | None = None
) -> Actor:
    return Actor(
        id=id or f"u-{role}",
        name=f"テスト {role}",
        role=Role(role),
        municipality_code=municipality,
    )


def token(role: str = "coordinator", municipality: str | None = None, *, ttl: int = 600) -> str:
    return mint_token(TEST_SECRET, actor(role, municipality), ttl_seconds=ttl)


def auth(role: str = "coordinator", municipality: str | None = None) -> dict[str, str]:
    return {"Authorization": f"Bearer {token(role, municipality)}"}
