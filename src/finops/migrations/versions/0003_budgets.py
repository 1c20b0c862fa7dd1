"""budgets and reservations

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import finops.kit.db

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "budgets",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("tenant_id", sa.String(length=128), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("scope", sa.JSON(), nullable=False),
        sa.Column("split_by", sa.JSON(), nullable=False),
        sa.Column("amount_usd", finops.kit.db.Money(precision=30, scale=12), nullable=False),
        sa.Column("period", sa.String(length=16), nullable=False),
        sa.Column("period_start", finops.kit.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("period_end", finops.kit.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("thresholds", sa.JSON(), nullable=False),
        sa.Column("enforcement", sa.String(length=8), nullable=False),
        sa.Column("channel_ids", sa.JSON(), nullable=False),
        sa.Column("cooldown_seconds", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.String(length=256), nullable=False),
        sa.Column("created_at", finops.kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", finops.kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", finops.kit.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_budgets")),
    )
    with op.batch_alter_table("budgets", schema=None) as batch_op:
        batch_op.create_index("ix_budgets_tenant_active", ["tenant_id", "active"], unique=False)

    op.create_table(
        "budget_reservations",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("reservation_id", sa.String(length=64), nullable=False),
        sa.Column("tenant_id", sa.String(length=128), nullable=False),
        sa.Column("budget_id", sa.String(length=40), nullable=False),
        sa.Column("split_key", sa.String(length=1024), nullable=False),
        sa.Column("amount_usd", finops.kit.db.Money(precision=30, scale=12), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", finops.kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", finops.kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("closed_at", finops.kit.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("event_id", sa.String(length=128), nullable=True),
        sa.Column("settled_cost_usd", finops.kit.db.Money(precision=30, scale=12), nullable=True),
        sa.ForeignKeyConstraint(
            ["budget_id"],
            ["budgets.id"],
            name=op.f("fk_budget_reservations_budget_id_budgets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_budget_reservations")),
    )
    with op.batch_alter_table("budget_reservations", schema=None) as batch_op:
        batch_op.create_index("ix_budget_reservations_expiry", ["status", "expires_at"], unique=False)
        batch_op.create_index(
            "ix_budget_reservations_held", ["budget_id", "split_key", "status", "expires_at"], unique=False
        )
        batch_op.create_index("ix_budget_reservations_reservation", ["reservation_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("budget_reservations", schema=None) as batch_op:
        batch_op.drop_index("ix_budget_reservations_reservation")
        batch_op.drop_index("ix_budget_reservations_held")
        batch_op.drop_index("ix_budget_reservations_expiry")
    op.drop_table("budget_reservations")
    with op.batch_alter_table("budgets", schema=None) as batch_op:
        batch_op.drop_index("ix_budgets_tenant_active")
    op.drop_table("budgets")
