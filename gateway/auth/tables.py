"""Every table of the gateway, imported so that its metadata is complete."""

from gateway import uploads  # noqa: F401  (the import wizard's uploads)
from gateway.auth import models  # noqa: F401
from gateway.auth.base import Base

metadata = Base.metadata
