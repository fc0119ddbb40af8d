"""The gateway refuses unsafe production settings."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from gateway.settings import Settings
from services.common.settings import CommonSettings

STRONG = "x" * 40


def test_production_needs_a_secure_session_cookie() -> None:
    common = CommonSettings(env="production", token_secret=STRONG)
    with pytest.raises(ValidationError, match="GATEWAY_SESSION_COOKIE_SECURE"):
        Settings(common=common)
    assert Settings(common=common, session_cookie_secure=True).session_cookie_secure


def test_production_refuses_the_development_token_secret() -> None:
    with pytest.raises(ValidationError, match="BANSO_TOKEN_SECRET"):
        Settings(common=CommonSettings(env="production"), session_cookie_secure=True)


def test_development_defaults_to_a_sqlite_file_under_var() -> None:
    s = Settings(common=CommonSettings(env="development"))
    assert s.database_url.startswith("sqlite+aiosqlite:///") and s.database_url.endswith(
        "var/gateway.db"
    )
