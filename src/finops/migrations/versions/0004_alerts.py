"""alerts, channels and deliveries

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import finops.kit.db

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

BIGINT_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "alert_channels",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("tenant_id", sa.String(length=128), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("config", sa.JSON(), nullable=False),
        sa.Column("secrets", sa.JSON(), nullable=False),
        sa.Column("min_severity", sa.String(length=16), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", finops.kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", finops.kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", finops.kit.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_test_at", finops.kit.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_test_ok", sa.Boolean(), nullable=True),
        sa.Column("last_test_status_code", sa.Integer(), nullable=True),
        sa.Column("last_test_error", sa.String(length=1000), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_channels")),
    )
    with op.batch_alter_table("alert_channels", schema=None) as batch_op:
        batch_op.create_index("ix_alert_channels_tenant", ["tenant_id", "deleted_at"], unique=False)

    op.create_table(
        "alerts",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("tenant_id", sa.String(length=128), nullable=True),
        sa.Column("budget_id", sa.String(length=40), nullable=False),
        sa.Column("budget_name", sa.String(length=200), nullable=False),
        sa.Column("split_key", sa.String(length=1024), nullable=False),
        sa.Column("period_start", finops.kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("period_end", finops.kit.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("threshold_key", sa.String(length=32), nullable=False),
        sa.Column("arm", sa.Integer(), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=64), nullable=True),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("created_at", finops.kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", finops.kit.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("resolved_by", sa.String(length=36), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alerts")),
        # Exactly one alert per (budget, split value, period, kind, threshold, arm): replicas race
        # on this constraint, not on application locks.
        sa.UniqueConstraint(
            "budget_id", "split_key", "period_start", "kind", "threshold_key", "arm", name="uq_alerts_once"
        ),
    )
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.create_index("ix_alerts_budget_open", ["budget_id", "resolved_at"], unique=False)
        batch_op.create_index("ix_alerts_created", ["created_at"], unique=False)
        batch_op.create_index("ix_alerts_tenant_created", ["tenant_id", "created_at"], unique=False)

    op.create_table(
        "alert_deliveries",
        sa.Column("id", BIGINT_ID, nullable=False),
        sa.Column("alert_id", sa.String(length=36), nullable=False),
        sa.Column("channel_id", sa.String(length=36), nullable=False),
        sa.Column("channel_type", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("attempt_limit", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", finops.kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("lease_until", finops.kit.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("claim_token", sa.String(length=36), nullable=True),
        sa.Column("progress", sa.JSON(), nullable=False),
        sa.Column("last_status_code", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.String(length=1000), nullable=True),
        sa.Column("sent_at", finops.kit.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", finops.kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", finops.kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["alert_id"], ["alerts.id"], name=op.f("fk_alert_deliveries_alert_id_alerts"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_deliveries")),
        sa.UniqueConstraint("alert_id", "channel_id", name=op.f("uq_alert_deliveries_alert_id_channel_id")),
    )
    with op.batch_alter_table("alert_deliveries", schema=None) as batch_op:
        batch_op.create_index("ix_alert_deliveries_due", ["status", "next_attempt_at"], unique=False)

    op.create_table(
        "alert_delivery_attempts",
        sa.Column("id", BIGINT_ID, nullable=False),
        sa.Column("delivery_id", BIGINT_ID, nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("started_at", finops.kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("error", sa.String(length=1000), nullable=True),
        sa.ForeignKeyConstraint(
            ["delivery_id"],
            ["alert_deliveries.id"],
            name=op.f("fk_alert_delivery_attempts_delivery_id_alert_deliveries"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_delivery_attempts")),
    )
    with op.batch_alter_table("alert_delivery_attempts", schema=None) as batch_op:
        batch_op.create_index("ix_alert_delivery_attempts_delivery", ["delivery_id", "number"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("alert_delivery_attempts", schema=None) as batch_op:
        batch_op.drop_index("ix_alert_delivery_attempts_delivery")
    op.drop_table("alert_delivery_attempts")
    with op.batch_alter_table("alert_deliveries", schema=None) as batch_op:
        batch_op.drop_index("ix_alert_deliveries_due")
    op.drop_table("alert_deliveries")
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.drop_index("ix_alerts_tenant_created")
        batch_op.drop_index("ix_alerts_created")
        batch_op.drop_index("ix_alerts_budget_open")
    op.drop_table("alerts")
    with op.batch_alter_table("alert_channels", schema=None) as batch_op:
        batch_op.drop_index("ix_alert_channels_tenant")
    op.drop_table("alert_channels")
