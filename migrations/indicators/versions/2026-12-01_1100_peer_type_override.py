"""peer type override: a municipality's peer type set by the prefecture (the regional means
follow it at that write)

Revision ID: 5b7e2c9d1a40
Revises: 264ac5c89dff
Create Date: 2026-12-01 11:00:00.000000+00:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "5b7e2c9d1a40"
down_revision: str | Sequence[str] | None = "264ac5c89dff"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "peer_type_override",
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("entity_code", sqlmodel.sql.sqltypes.AutoString(length=6), nullable=False),
        sa.Column("peer_type", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.PrimaryKeyConstraint("entity_code"),
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table("peer_type_override")
