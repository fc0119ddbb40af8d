"""Where each app lives and how its settings are made (for the operational commands)."""

from __future__ import annotations

import importlib
from typing import Any

SERVICES = ("indicators", "support_cases", "training")
APPS = ("gateway", *SERVICES)
# Apps with a database and an Alembic history (the gateway keeps people and sessions).
DATABASES = (*SERVICES, "gateway")


def settings_of(name: str) -> Any:
    module = "gateway.settings" if name == "gateway" else f"services.{name}.settings"
    return importlib.import_module(module).Settings()


def app_path(name: str) -> str:
    return "gateway.main:app" if name == "gateway" else f"services.{name}.main:app"
