"""create indicators tables: frameworks, categories, items, scores, peer sets,
allocation inputs and PDCA sheets

Revision ID: 5254bcfd3bbd
Revises:
Create Date: 2026-11-22 05:25:37.212136+00:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "5254bcfd3bbd"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "allocation_input",
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("grant", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("grant_fy", sa.Integer(), nullable=False),
        sa.Column("entity_code", sqlmodel.sql.sqltypes.AutoString(length=6), nullable=False),
        sa.Column("first_insured", sa.Integer(), nullable=False),
        sa.Column("requested", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("grant", "grant_fy", "entity_code"),
    )
    with op.batch_alter_table("allocation_input", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_allocation_input_entity_code"), ["entity_code"], unique=False
        )

    op.create_table(
        "framework",
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("grant", sa.Enum("suishin", "doryoku", name="grant"), nullable=False),
        sa.Column("level", sa.Enum("municipality", "prefecture", name="level"), nullable=False),
        sa.Column("grant_fy", sa.Integer(), nullable=False),
        sa.Column("evaluation_fy", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("max_points", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("grant", "level", "grant_fy"),
    )
    with op.batch_alter_table("framework", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_framework_code"), ["code"], unique=False)

    op.create_table(
        "pdca_sheet",
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entity_code", sqlmodel.sql.sqltypes.AutoString(length=6), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("start_fy", sa.Integer(), nullable=False),
        sa.Column("end_fy", sa.Integer(), nullable=False),
        sa.Column("items", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("entity_code", "start_fy"),
    )
    with op.batch_alter_table("pdca_sheet", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_pdca_sheet_entity_code"), ["entity_code"], unique=False
        )

    op.create_table(
        "peer_set",
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("description", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "category",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("framework_id", sa.Integer(), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("stated_max", sa.Float(), nullable=True),
        sa.Column("max_points", sa.Float(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["framework_id"], ["framework.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["parent_id"], ["category.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("framework_id", "code"),
    )
    with op.batch_alter_table("category", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_category_framework_id"), ["framework_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_category_parent_id"), ["parent_id"], unique=False)

    op.create_table(
        "peer_member",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("peer_set_id", sa.Integer(), nullable=False),
        sa.Column("entity_code", sqlmodel.sql.sqltypes.AutoString(length=6), nullable=False),
        sa.Column("group_name", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.ForeignKeyConstraint(["peer_set_id"], ["peer_set.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("peer_set_id", "entity_code"),
    )
    with op.batch_alter_table("peer_member", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_peer_member_peer_set_id"), ["peer_set_id"], unique=False
        )

    op.create_table(
        "item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("framework_id", sa.Integer(), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=False),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("text", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column("max_points", sa.Float(), nullable=False),
        sa.Column("min_points", sa.Float(), nullable=False),
        sa.Column("alternatives", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("shared", sa.Boolean(), nullable=False),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["category_id"], ["category.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["framework_id"], ["framework.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("framework_id", "code"),
    )
    with op.batch_alter_table("item", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_item_category_id"), ["category_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_item_framework_id"), ["framework_id"], unique=False)

    op.create_table(
        "score",
        sa.Column("framework_id", sa.Integer(), nullable=False),
        sa.Column("entity_code", sqlmodel.sql.sqltypes.AutoString(length=6), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("points", sa.Float(), nullable=False),
        sa.Column("evaluation_fy", sa.Integer(), nullable=False),
        sa.Column("grant_fy", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.ForeignKeyConstraint(["framework_id"], ["framework.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["item_id"], ["item.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("framework_id", "entity_code", "item_id"),
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table("score")
    with op.batch_alter_table("item", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_item_framework_id"))
        batch_op.drop_index(batch_op.f("ix_item_category_id"))

    op.drop_table("item")
    with op.batch_alter_table("peer_member", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_peer_member_peer_set_id"))

    op.drop_table("peer_member")
    with op.batch_alter_table("category", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_category_parent_id"))
        batch_op.drop_index(batch_op.f("ix_category_framework_id"))

    op.drop_table("category")
    op.drop_table("peer_set")
    with op.batch_alter_table("pdca_sheet", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pdca_sheet_entity_code"))

    op.drop_table("pdca_sheet")
    with op.batch_alter_table("framework", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_framework_code"))

    op.drop_table("framework")
    with op.batch_alter_table("allocation_input", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_allocation_input_entity_code"))

    op.drop_table("allocation_input")
    # PostgreSQL keeps enum types apart from the tables.
    sa.Enum(name="grant").drop(op.get_bind(), checkfirst=True)
    sa.Enum(name="level").drop(op.get_bind(), checkfirst=True)
