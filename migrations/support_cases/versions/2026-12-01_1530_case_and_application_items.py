"""round, case and application items: the JSON of a round and its summary, of a case's list item (in two parts around its
day-dependent visit fields) and of an application (with and without contact data), kept on
every write, so that the lists and the round view join stored rows; filled from the records
already there.

Revision ID: 3e9a5c2d7f41
Revises: 7b2d4e6f8a13
Create Date: 2026-12-01 15:30:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "3e9a5c2d7f41"
down_revision: str | Sequence[str] | None = "7b2d4e6f8a13"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "case_item",
        sa.Column("case_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("head", sa.Text(), nullable=False),
        sa.Column("tail", sa.Text(), nullable=False),
        sa.Column("visit_dates", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("case_id"),
    )
    op.create_table(
        "round_item",
        sa.Column("round_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("round", sa.Text(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("round_id"),
    )
    op.create_table(
        "application_item",
        sa.Column("application_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("municipality_code", sa.String(length=6), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("full", sa.Text(), nullable=False),
        sa.Column("redacted", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("application_id"),
    )
    with op.batch_alter_table("application_item", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_application_item_round_id"), ["round_id"], unique=False
        )
    # Fill the items from the records already there (the same code the service runs after a
    # write).
    from services.support_cases.figures.service import rebuild_items

    rebuild_items(op.get_bind())


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("application_item", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_application_item_round_id"))
    op.drop_table("application_item")
    op.drop_table("case_item")
    op.drop_table("round_item")
