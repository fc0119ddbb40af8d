"""Every table of the training service, imported so that its metadata is complete."""

from services.training.base import Base
from services.training.programs import models as programs  # noqa: F401
from services.training.registrations import models as registrations  # noqa: F401

metadata = Base.metadata
