"""Settings of the support_cases service (environment variables prefixed SUPPORT_CASES_)."""

from pydantic_settings import SettingsConfigDict

from services.common.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="SUPPORT_CASES_", extra="ignore")

    service_name: str = "support_cases"
    port: int = 8002
