"""Alembic environment of the gateway (people, sessions, API tokens; its own version table)."""

from gateway.auth.tables import metadata
from services.common.migrate import run_env

run_env("gateway", metadata)
