"""Every table of the training service, imported so that its metadata is complete."""

from services.common.audit import audit_table
from services.common.conditional import data_version_table
from services.training.attendance import models as attendance  # noqa: F401
from services.training.base import Base
from services.training.figures import models as figures  # noqa: F401
from services.training.history import models as history  # noqa: F401
from services.training.kotei_hyo import models as kotei_hyo  # noqa: F401
from services.training.programs import models as programs  # noqa: F401
from services.training.registrations import models as registrations  # noqa: F401
from services.training.reporting import models as reporting  # noqa: F401

# The append-only audit trail of every write in this service (services/common/audit.py).
audit = audit_table(Base.metadata)

# The counter of committed writes behind the ETags of its reads (services/common/conditional.py).
data_version = data_version_table(Base.metadata)

metadata = Base.metadata
