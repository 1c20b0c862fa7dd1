from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import BigInteger, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from finops.kit.db import Base, Money, UTCDateTime

ROLLUP_DIMENSIONS = ("tenant_id", "service", "learner_id", "subject", "provider", "model")
ROLLUP_SUMS = (
    "events",
    "unpriced_events",
    "input_tokens",
    "cached_input_tokens",
    "cache_write_tokens",
    "output_tokens",
    "reasoning_tokens",
    "audio_input_tokens",
    "audio_output_tokens",
    "image_input_tokens",
    "cost_usd",
    "list_cost_usd",
)


class CostRollup(Base):
    """Sums of usage events per (grain, bucket, dimensions), kept in the ingest transaction.

    Two grains share the table: `hour` and `day` (UTC). Absent dimensions are stored as "" so the
    unique key works on every backend.
    """

    __tablename__ = "cost_rollups"
    __table_args__ = (
        UniqueConstraint("grain", "bucket_start", *ROLLUP_DIMENSIONS, name="uq_cost_rollups_key"),
        Index("ix_cost_rollups_tenant_bucket", "grain", "tenant_id", "bucket_start"),
        Index("ix_cost_rollups_bucket", "grain", "bucket_start"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    grain: Mapped[str] = mapped_column(String(8))
    bucket_start: Mapped[datetime] = mapped_column(UTCDateTime())
    tenant_id: Mapped[str] = mapped_column(String(128))
    service: Mapped[str] = mapped_column(String(128))
    learner_id: Mapped[str] = mapped_column(String(128))
    subject: Mapped[str] = mapped_column(String(128))
    provider: Mapped[str] = mapped_column(String(32))
    model: Mapped[str] = mapped_column(String(256))
    events: Mapped[int] = mapped_column(BigInteger, default=0)
    unpriced_events: Mapped[int] = mapped_column(BigInteger, default=0)
    input_tokens: Mapped[int] = mapped_column(BigInteger, default=0)
    cached_input_tokens: Mapped[int] = mapped_column(BigInteger, default=0)
    cache_write_tokens: Mapped[int] = mapped_column(BigInteger, default=0)
    output_tokens: Mapped[int] = mapped_column(BigInteger, default=0)
    reasoning_tokens: Mapped[int] = mapped_column(BigInteger, default=0)
    audio_input_tokens: Mapped[int] = mapped_column(BigInteger, default=0)
    audio_output_tokens: Mapped[int] = mapped_column(BigInteger, default=0)
    image_input_tokens: Mapped[int] = mapped_column(BigInteger, default=0)
    cost_usd: Mapped[Decimal] = mapped_column(Money(), default=0)
    list_cost_usd: Mapped[Decimal] = mapped_column(Money(), default=0, server_default="0")
