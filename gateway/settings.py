"""Gateway settings (environment variables prefixed GATEWAY_)."""

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.common.settings import CommonSettings, sqlite_url


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GATEWAY_", extra="ignore")

    service_name: str = "gateway"
    host: str = "127.0.0.1"
    port: int = 8000
    indicators_url: str = "http://127.0.0.1:8001"
    support_cases_url: str = "http://127.0.0.1:8002"
    training_url: str = "http://127.0.0.1:8003"
    service_timeout_seconds: float = Field(2.0, gt=0, le=60)
    service_write_timeout_seconds: float = Field(
        15.0, gt=0, le=300, description="書き込みの呼び出しを待つ秒数 (読み込みより長く)"
    )
    circuit_failure_threshold: int = Field(3, ge=1, description="連続失敗でこの回数に達したら遮断")
    circuit_cooldown_seconds: float = Field(5.0, gt=0, description="遮断してから再試行までの秒数")
    priority_categories: str = Field(
        "",
        description="伴走型支援の候補選びで重視する区分コード (カンマ区切り、空なら最上位の全区分)",
    )
    low_score_threshold: float = Field(0.30, gt=0, lt=1, description="低得点とみなす得点率")
    demo: bool = Field(False, description="サンプルデータで動いていることを画面に表示する")
    # The gateway's own database: people, sessions, API tokens, login attempts.
    database_url: str = Field("", description="既定: var/gateway.db (SQLite)")
    db_pool_size: int = Field(10, ge=1)
    # Sessions (see docs/security.md).
    session_cookie_name: str = "banso_session"
    session_cookie_secure: bool = Field(
        False, description="Cookie に Secure を付ける (HTTPS で公開するときは必須)"
    )
    session_idle_minutes: int = Field(30, ge=1, le=24 * 60)
    session_absolute_hours: int = Field(12, ge=1, le=24 * 30)
    # Behind a TLS-terminating reverse proxy: X-Forwarded-Proto / X-Forwarded-For are believed
    # only from these addresses (comma-separated IPs or networks, "*" for any).
    forwarded_allow_ips: str = Field(
        "127.0.0.1",
        description="X-Forwarded-Proto/For を信じる接続元 (リバースプロキシの IP かネットワーク、カンマ区切り)",
    )
    # Lock-out after repeated login failures, per account and per client address.
    login_max_failures: int = Field(5, ge=1, description="アカウントごとの失敗回数の上限")
    login_max_failures_per_address: int = Field(20, ge=1, description="接続元ごとの上限")
    login_lock_seconds: int = Field(30, ge=1, description="最初のロック時間 (以後は倍々)")
    login_lock_max_seconds: int = Field(3600, ge=1)
    login_failure_window_minutes: int = Field(60, ge=1, description="失敗を数える期間")
    password_min_length: int = Field(10, ge=8)
    # Argon2id cost (argon2-cffi's defaults, RFC 9106 low-memory profile).
    password_time_cost: int = Field(3, ge=1)
    password_memory_kib: int = Field(65536, ge=8)
    password_parallelism: int = Field(4, ge=1)
    api_token_default_days: int = Field(90, ge=1, le=730)
    # An advisor's assigned municipalities (support_cases), signed into their service tokens
    # so that training shows them those municipalities' participants' contacts: read once per
    # user and kept this long (an assignment made or removed shows after at most this).
    advised_cache_seconds: float = Field(
        45.0, ge=0, le=300, description="専門家の担当区市町村を保持する秒数 (0 なら毎回読む)"
    )
    common: CommonSettings = Field(default_factory=CommonSettings)

    @model_validator(mode="after")
    def _defaults_and_safety(self) -> "Settings":
        if not self.database_url:
            self.database_url = sqlite_url("gateway")
        if self.common.env == "production" and not self.session_cookie_secure:
            raise ValueError(
                "GATEWAY_SESSION_COOKIE_SECURE=true is required when ENV=production "
                "(the session cookie must only travel over HTTPS)"
            )
        return self
