"""core schema

Revision ID: 0001
Revises:
Create Date: 2026-11-26 18:48:07.117464
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import finops.kit.db

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "catalog_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=128), nullable=False),
        sa.Column("updated_at", finops.kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalog_state")),
    )
    op.create_table(
        "cost_rollups",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("grain", sa.String(length=8), nullable=False),
        sa.Column("bucket_start", finops.kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.String(length=128), nullable=False),
        sa.Column("service", sa.String(length=128), nullable=False),
        sa.Column("learner_id", sa.String(length=128), nullable=False),
        sa.Column("subject", sa.String(length=128), nullable=False),
        sa.Column("provider", sa.String(length=32), nullable=False),
        sa.Column("model", sa.String(length=256), nullable=False),
        sa.Column("events", sa.BigInteger(), nullable=False),
        sa.Column("unpriced_events", sa.BigInteger(), nullable=False),
        sa.Column("input_tokens", sa.BigInteger(), nullable=False),
        sa.Column("cached_input_tokens", sa.BigInteger(), nullable=False),
        sa.Column("cache_write_tokens", sa.BigInteger(), nullable=False),
        sa.Column("output_tokens", sa.BigInteger(), nullable=False),
        sa.Column("reasoning_tokens", sa.BigInteger(), nullable=False),
        sa.Column("audio_input_tokens", sa.BigInteger(), nullable=False),
        sa.Column("audio_output_tokens", sa.BigInteger(), nullable=False),
        sa.Column("image_input_tokens", sa.BigInteger(), nullable=False),
        sa.Column("cost_usd", finops.kit.db.Money(precision=30, scale=12), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cost_rollups")),
        sa.UniqueConstraint(
            "grain",
            "bucket_start",
            "tenant_id",
            "service",
            "learner_id",
            "subject",
            "provider",
            "model",
            name="uq_cost_rollups_key",
        ),
    )
    with op.batch_alter_table("cost_rollups", schema=None) as batch_op:
        batch_op.create_index("ix_cost_rollups_bucket", ["grain", "bucket_start"], unique=False)
        batch_op.create_index(
            "ix_cost_rollups_tenant_bucket", ["grain", "tenant_id", "bucket_start"], unique=False
        )

    op.create_table(
        "price_models",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("catalog_provider", sa.String(length=64), nullable=False),
        sa.Column("model_id", sa.String(length=256), nullable=False),
        sa.Column("name", sa.String(length=256), nullable=True),
        sa.Column("match", sa.JSON(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("context_window", sa.Integer(), nullable=True),
        sa.Column("deprecated", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_price_models")),
        sa.UniqueConstraint(
            "catalog_provider", "model_id", name=op.f("uq_price_models_catalog_provider_model_id")
        ),
    )
    op.create_table(
        "prices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("catalog_provider", sa.String(length=64), nullable=False),
        sa.Column("model_id", sa.String(length=256), nullable=False),
        sa.Column("variant", sa.String(length=32), nullable=False),
        sa.Column("effective_from", finops.kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("effective_to", finops.kit.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("rates", sa.JSON(), nullable=False),
        sa.Column("source", sa.String(length=128), nullable=False),
        sa.Column("created_at", finops.kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_prices")),
    )
    with op.batch_alter_table("prices", schema=None) as batch_op:
        batch_op.create_index(
            "ix_prices_lookup", ["catalog_provider", "model_id", "variant", "effective_from"], unique=False
        )

    op.create_table(
        "usage_events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("tenant_id", sa.String(length=128), nullable=False),
        sa.Column("event_id", sa.String(length=128), nullable=False),
        sa.Column("occurred_at", finops.kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("received_at", finops.kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("service", sa.String(length=128), nullable=False),
        sa.Column("learner_id", sa.String(length=128), nullable=False),
        sa.Column("subject", sa.String(length=128), nullable=False),
        sa.Column("provider", sa.String(length=32), nullable=False),
        sa.Column("model", sa.String(length=256), nullable=False),
        sa.Column("batch", sa.Boolean(), nullable=False),
        sa.Column("service_tier", sa.String(length=32), nullable=True),
        sa.Column("region", sa.String(length=64), nullable=True),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("reservation_id", sa.String(length=64), nullable=True),
        sa.Column("usage_source", sa.String(length=32), nullable=False),
        sa.Column("provider_usage", sa.JSON(), nullable=True),
        sa.Column("input_tokens", sa.BigInteger(), nullable=False),
        sa.Column("cached_input_tokens", sa.BigInteger(), nullable=False),
        sa.Column("cache_write_tokens", sa.BigInteger(), nullable=False),
        sa.Column("cache_write_1h_tokens", sa.BigInteger(), nullable=False),
        sa.Column("output_tokens", sa.BigInteger(), nullable=False),
        sa.Column("reasoning_tokens", sa.BigInteger(), nullable=False),
        sa.Column("audio_input_tokens", sa.BigInteger(), nullable=False),
        sa.Column("audio_output_tokens", sa.BigInteger(), nullable=False),
        sa.Column("image_input_tokens", sa.BigInteger(), nullable=False),
        sa.Column("priced", sa.Boolean(), nullable=False),
        sa.Column("price_id", sa.Integer(), nullable=True),
        sa.Column("catalog_model", sa.String(length=256), nullable=True),
        sa.Column("price_variant", sa.String(length=32), nullable=True),
        sa.Column("cost_usd", finops.kit.db.Money(precision=30, scale=12), nullable=False),
        sa.Column("cost_breakdown", sa.JSON(), nullable=False),
        sa.Column("pricing_notes", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_usage_events")),
        sa.UniqueConstraint("tenant_id", "event_id", name=op.f("uq_usage_events_tenant_id_event_id")),
    )
    with op.batch_alter_table("usage_events", schema=None) as batch_op:
        batch_op.create_index("ix_usage_events_occurred", ["occurred_at"], unique=False)
        batch_op.create_index("ix_usage_events_reservation", ["reservation_id"], unique=False)
        batch_op.create_index("ix_usage_events_tenant_occurred", ["tenant_id", "occurred_at"], unique=False)
        batch_op.create_index("ix_usage_events_unpriced", ["priced", "tenant_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("usage_events", schema=None) as batch_op:
        batch_op.drop_index("ix_usage_events_unpriced")
        batch_op.drop_index("ix_usage_events_tenant_occurred")
        batch_op.drop_index("ix_usage_events_reservation")
        batch_op.drop_index("ix_usage_events_occurred")

    op.drop_table("usage_events")
    with op.batch_alter_table("prices", schema=None) as batch_op:
        batch_op.drop_index("ix_prices_lookup")

    op.drop_table("prices")
    op.drop_table("price_models")
    with op.batch_alter_table("cost_rollups", schema=None) as batch_op:
        batch_op.drop_index("ix_cost_rollups_tenant_bucket")
        batch_op.drop_index("ix_cost_rollups_bucket")

    op.drop_table("cost_rollups")
    op.drop_table("catalog_state")
