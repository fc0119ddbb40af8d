"""The gateway's own SQLModel base: its tables live in their own metadata."""

from services.common.models import make_base

Base = make_base("gateway")
