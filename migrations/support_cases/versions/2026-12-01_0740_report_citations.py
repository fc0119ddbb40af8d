"""report citations: the 好事例 (pdca-good-practice:{id}) a case's report cites, with the
snapshot the gateway passed.

Revision ID: 5c1e0a7b2f16
Revises: 69163055ad06
Create Date: 2026-12-01 07:40:00+00:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5c1e0a7b2f16"
down_revision: str | Sequence[str] | None = "69163055ad06"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("report_lessons", schema=None) as batch_op:
        batch_op.add_column(sa.Column("citations", sa.JSON(), server_default="[]", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("report_lessons", schema=None) as batch_op:
        batch_op.drop_column("citations")
