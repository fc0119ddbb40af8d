"""Settings shared by every app (BANSO_* variables) and the base for each service's own."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parents[2]
VAR_DIR = ROOT / "var"

# The development secret. Safe on a laptop, refused when ENV=production.
DEV_TOKEN_SECRET = "banso-development-secret-do-not-use-in-production"


class CommonSettings(BaseSettings):
    """Settings every app reads the same way, whatever its prefix."""

    model_config = SettingsConfigDict(env_prefix="BANSO_", extra="ignore")

    env: Literal["development", "test", "production"] = Field(
        "development", validation_alias=AliasChoices("BANSO_ENV", "ENV")
    )
    token_secret: str = Field(
        DEV_TOKEN_SECRET,
        description="HMAC secret the gateway signs actor tokens with; services verify with it.",
    )
    token_ttl_seconds: int = Field(300, ge=30, le=86_400)
    home_prefecture: str = Field("13", pattern=r"^\d{2}$", description="都道府県コード (2 digits)")
    log_level: str = "INFO"
    log_json: bool = True

    @model_validator(mode="after")
    def _refuse_unsafe_production(self) -> CommonSettings:
        if self.env == "production" and (
            self.token_secret == DEV_TOKEN_SECRET or len(self.token_secret) < 32
        ):
            raise ValueError(
                "BANSO_TOKEN_SECRET must be set to a random value of 32+ characters "
                "when ENV=production (the development secret is refused)"
            )
        return self


def sqlite_url(name: str) -> str:
    """Default database: a SQLite file under var/, created on demand."""
    return f"sqlite+aiosqlite:///{VAR_DIR / f'{name}.db'}"


class ServiceSettings(BaseSettings):
    """Base for a service's settings; subclasses set env_prefix (e.g. ``TRAINING_``)."""

    model_config = SettingsConfigDict(extra="ignore")

    service_name: str = ""
    database_url: str = ""
    host: str = "127.0.0.1"
    port: int = 0
    db_pool_size: int = Field(10, ge=1)
    db_echo: bool = False
    common: CommonSettings = Field(default_factory=CommonSettings)

    @model_validator(mode="after")
    def _default_database(self) -> ServiceSettings:
        if not self.database_url:
            self.database_url = sqlite_url(self.service_name)
        return self
