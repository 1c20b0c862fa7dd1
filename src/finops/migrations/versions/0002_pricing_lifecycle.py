"""pricing lifecycle: tenant rates, sync runs, audit log

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import finops.kit.db

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_entries",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("occurred_at", finops.kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=256), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("entity_type", sa.String(length=64), nullable=False),
        sa.Column("entity_id", sa.String(length=512), nullable=False),
        sa.Column("tenant_id", sa.String(length=128), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_entries")),
    )
    with op.batch_alter_table("audit_entries", schema=None) as batch_op:
        batch_op.create_index("ix_audit_entries_occurred", ["occurred_at", "id"], unique=False)
        batch_op.create_index(
            "ix_audit_entries_tenant_occurred", ["tenant_id", "occurred_at", "id"], unique=False
        )
        batch_op.create_index("ix_audit_entries_entity", ["entity_type", "entity_id"], unique=False)

    op.create_table(
        "tenant_rates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.String(length=128), nullable=False),
        sa.Column("provider", sa.String(length=32), nullable=False),
        sa.Column("catalog_provider", sa.String(length=64), nullable=False),
        sa.Column("model_id", sa.String(length=256), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("discount_percent", sa.Numeric(precision=9, scale=6), nullable=True),
        sa.Column("variant", sa.String(length=32), nullable=True),
        sa.Column("rates", sa.JSON(), nullable=True),
        sa.Column("effective_from", finops.kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("effective_to", finops.kit.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_by", sa.String(length=256), nullable=False),
        sa.Column("created_at", finops.kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tenant_rates")),
    )
    with op.batch_alter_table("tenant_rates", schema=None) as batch_op:
        batch_op.create_index(
            "ix_tenant_rates_scope",
            ["tenant_id", "provider", "catalog_provider", "model_id", "effective_from"],
            unique=False,
        )

    op.create_table(
        "pricing_sync_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("started_at", finops.kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", finops.kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=256), nullable=False),
        sa.Column("source", sa.String(length=1024), nullable=False),
        sa.Column("format", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("content_sha256", sa.String(length=64), nullable=True),
        sa.Column("models_seen", sa.Integer(), nullable=False),
        sa.Column("added", sa.Integer(), nullable=False),
        sa.Column("changed", sa.Integer(), nullable=False),
        sa.Column("removed", sa.Integer(), nullable=False),
        sa.Column("diff", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pricing_sync_runs")),
    )
    with op.batch_alter_table("pricing_sync_runs", schema=None) as batch_op:
        batch_op.create_index("ix_pricing_sync_runs_started", ["started_at"], unique=False)

    with op.batch_alter_table("price_models", schema=None) as batch_op:
        batch_op.add_column(sa.Column("removed_at", finops.kit.db.UTCDateTime(timezone=True), nullable=True))

    # List cost next to the effective cost. Rows stored before tenant rates existed were priced at
    # list price, so their list cost is their cost (same storage form: integers on SQLite, NUMERIC
    # on PostgreSQL), which keeps rollups and raw events reconciled.
    money = finops.kit.db.Money(precision=30, scale=12)
    with op.batch_alter_table("usage_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("list_cost_usd", money, server_default="0", nullable=False))
        batch_op.add_column(sa.Column("tenant_rate_id", sa.Integer(), nullable=True))
    with op.batch_alter_table("cost_rollups", schema=None) as batch_op:
        batch_op.add_column(sa.Column("list_cost_usd", money, server_default="0", nullable=False))
    op.execute("UPDATE usage_events SET list_cost_usd = cost_usd")
    op.execute("UPDATE cost_rollups SET list_cost_usd = cost_usd")


def downgrade() -> None:
    with op.batch_alter_table("cost_rollups", schema=None) as batch_op:
        batch_op.drop_column("list_cost_usd")
    with op.batch_alter_table("usage_events", schema=None) as batch_op:
        batch_op.drop_column("tenant_rate_id")
        batch_op.drop_column("list_cost_usd")
    with op.batch_alter_table("price_models", schema=None) as batch_op:
        batch_op.drop_column("removed_at")
    with op.batch_alter_table("pricing_sync_runs", schema=None) as batch_op:
        batch_op.drop_index("ix_pricing_sync_runs_started")
    op.drop_table("pricing_sync_runs")
    with op.batch_alter_table("tenant_rates", schema=None) as batch_op:
        batch_op.drop_index("ix_tenant_rates_scope")
    op.drop_table("tenant_rates")
    with op.batch_alter_table("audit_entries", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_entries_entity")
        batch_op.drop_index("ix_audit_entries_tenant_occurred")
        batch_op.drop_index("ix_audit_entries_occurred")
    op.drop_table("audit_entries")
