"""Alembic environment of the training service (its own history and version table)."""

from services.common.migrate import run_env
from services.training.tables import metadata

run_env("training", metadata)
