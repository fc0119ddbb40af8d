"""deduction rule version: the prefecture's deduction rule per grant × year carries a version
(optimistic concurrency like every other editable record: a stale version → 409); the rows
already stored start at version 1

Revision ID: 36ca0baecb07
Revises: 8c4f2a6e1d30
Create Date: 2026-12-01 12:15:00.000000+00:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "36ca0baecb07"
down_revision: str | Sequence[str] | None = "8c4f2a6e1d30"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    # a plain ADD COLUMN (no table copy on SQLite): the stored rules get version 1
    op.add_column(
        "deduction_rule",
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
    )


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("deduction_rule", schema=None) as batch_op:
        batch_op.drop_column("version")
