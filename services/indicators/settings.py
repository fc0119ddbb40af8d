"""Settings of the indicators service (environment variables prefixed INDICATORS_)."""

from pydantic_settings import SettingsConfigDict

from services.common.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="INDICATORS_", extra="ignore")

    service_name: str = "indicators"
    port: int = 8001
