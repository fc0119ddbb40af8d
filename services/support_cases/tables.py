"""Every table of the support_cases service, imported so that its metadata is complete."""

from services.support_cases.base import Base
from services.support_cases.rounds import models as rounds  # noqa: F401

metadata = Base.metadata
