"""Gateway settings (environment variables prefixed GATEWAY_)."""

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.common.settings import CommonSettings


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GATEWAY_", extra="ignore")

    service_name: str = "gateway"
    host: str = "127.0.0.1"
    port: int = 8000
    indicators_url: str = "http://127.0.0.1:8001"
    support_cases_url: str = "http://127.0.0.1:8002"
    training_url: str = "http://127.0.0.1:8003"
    service_timeout_seconds: float = Field(2.0, gt=0, le=60)
    circuit_failure_threshold: int = Field(3, ge=1, description="連続失敗でこの回数に達したら遮断")
    circuit_cooldown_seconds: float = Field(5.0, gt=0, description="遮断してから再試行までの秒数")
    demo: bool = Field(False, description="サンプルデータで動いていることを画面に表示する")
    common: CommonSettings = Field(default_factory=CommonSettings)
