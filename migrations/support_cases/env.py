"""Alembic environment of the support_cases service (its own history and version table)."""

from services.common.migrate import run_env
from services.support_cases.tables import metadata

run_env("support_cases", metadata)
