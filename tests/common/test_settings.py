import pytest
from pydantic import ValidationError

from services.common.settings import DEV_TOKEN_SECRET, CommonSettings
from services.training.settings import Settings as TrainingSettings


class TestProductionRefusesUnsafeSecret:
    def test_dev_secret_refused_in_production(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("ENV", "production")
        monkeypatch.delenv("BANSO_ENV", raising=False)
        monkeypatch.delenv("BANSO_TOKEN_SECRET", raising=False)
        with pytest.raises(ValidationError, match="BANSO_TOKEN_SECRET"):
            CommonSettings()

    def test_real_secret_accepted(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("BANSO_ENV", "production")
        monkeypatch.setenv("BANSO_TOKEN_SECRET", "r" * 48)
        assert CommonSettings().token_secret == "r" * 48

    def test_development_default(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.delenv("BANSO_ENV", raising=False)
        monkeypatch.delenv("ENV", raising=False)
        monkeypatch.delenv("BANSO_TOKEN_SECRET", raising=False)
        assert CommonSettings().token_secret == DEV_TOKEN_SECRET


class TestServiceSettings:
    def test_default_database_is_sqlite_under_var(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.delenv("TRAINING_DATABASE_URL", raising=False)
        s = TrainingSettings()
        assert s.database_url.startswith("sqlite+aiosqlite:///")
        assert s.database_url.endswith("/var/training.db")
        assert s.port == 8003

    def test_database_url_from_prefixed_env(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("TRAINING_DATABASE_URL", "postgresql+asyncpg://db/training")
        assert TrainingSettings().database_url == "postgresql+asyncpg://db/training"
