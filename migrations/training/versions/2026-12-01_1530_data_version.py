"""data_version: the counter of committed writes behind the ETags of the service's reads
(services/common/conditional.py). One row (id 1), starting at 0; no stored row changes.

Revision ID: c3e5a7b9f123
Revises: 5e1c0a7b9d21
Create Date: 2026-12-01 15:30:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c3e5a7b9f123"
down_revision: str | Sequence[str] | None = "5e1c0a7b9d21"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    table = op.create_table(
        "data_version",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("n", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("id = 1", name="ck_data_version_one_row"),
        sa.CheckConstraint("n >= 0", name="ck_data_version_n"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.bulk_insert(table, [{"id": 1, "n": 0}])


def downgrade() -> None:
    op.drop_table("data_version")
