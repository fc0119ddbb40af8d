"""Every table of the support_cases service, imported so that its metadata is complete."""

from services.common.audit import audit_table
from services.common.conditional import data_version_table
from services.support_cases.advisors import models as advisors  # noqa: F401
from services.support_cases.base import Base
from services.support_cases.cases import models as cases  # noqa: F401
from services.support_cases.figures import models as figures  # noqa: F401
from services.support_cases.reports import models as reports  # noqa: F401
from services.support_cases.roadmaps import models as roadmaps  # noqa: F401
from services.support_cases.rounds import models as rounds  # noqa: F401
from services.support_cases.trees import models as trees  # noqa: F401
from services.support_cases.visits import models as visits  # noqa: F401

# The append-only audit trail of every write in this service (services/common/audit.py).
audit = audit_table(Base.metadata)

# The counter of committed writes behind the ETags of its reads (services/common/conditional.py).
data_version = data_version_table(Base.metadata)

metadata = Base.metadata
