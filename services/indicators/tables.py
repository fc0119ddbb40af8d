"""Every table of the indicators service, imported so that its metadata is complete."""

from services.indicators.base import Base
from services.indicators.frameworks import models as frameworks  # noqa: F401

metadata = Base.metadata
