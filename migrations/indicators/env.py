"""Alembic environment of the indicators service (its own history and version table)."""

from services.common.migrate import run_env
from services.indicators.tables import metadata

run_env("indicators", metadata)
