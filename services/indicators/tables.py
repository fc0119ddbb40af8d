"""Every table of the indicators service, imported so that its metadata is complete."""

from services.common.audit import audit_table
from services.common.conditional import data_version_table
from services.indicators.allocation import models as allocation  # noqa: F401
from services.indicators.base import Base
from services.indicators.centres import models as centres  # noqa: F401
from services.indicators.frameworks import models as frameworks  # noqa: F401
from services.indicators.insurers import models as insurers  # noqa: F401
from services.indicators.pdca import models as pdca  # noqa: F401
from services.indicators.peers import models as peers  # noqa: F401
from services.indicators.regional import models as regional  # noqa: F401
from services.indicators.results import models as results  # noqa: F401
from services.indicators.scores import models as scores  # noqa: F401

# The append-only audit trail of every write in this service (services/common/audit.py).
audit = audit_table(Base.metadata)

# The counter of committed writes behind the ETags of its reads (services/common/conditional.py).
data_version = data_version_table(Base.metadata)

metadata = Base.metadata
