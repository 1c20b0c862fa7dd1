from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from finops.kit.db import Base, Money, UTCDateTime

TOKEN_COLUMNS = (
    "input_tokens",
    "cached_input_tokens",
    "cache_write_tokens",
    "cache_write_1h_tokens",
    "output_tokens",
    "reasoning_tokens",
    "audio_input_tokens",
    "audio_output_tokens",
    "image_input_tokens",
)


class UsageEvent(Base):
    """One inference call, append-only, with its priced breakdown and the price that priced it."""

    __tablename__ = "usage_events"
    __table_args__ = (
        UniqueConstraint("tenant_id", "event_id"),
        Index("ix_usage_events_tenant_occurred", "tenant_id", "occurred_at"),
        Index("ix_usage_events_occurred", "occurred_at"),
        Index("ix_usage_events_unpriced", "priced", "tenant_id"),
        Index("ix_usage_events_reservation", "reservation_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(128))
    event_id: Mapped[str] = mapped_column(String(128))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    service: Mapped[str] = mapped_column(String(128))
    learner_id: Mapped[str] = mapped_column(String(128), default="")
    subject: Mapped[str] = mapped_column(String(128), default="")
    provider: Mapped[str] = mapped_column(String(32))
    model: Mapped[str] = mapped_column(String(256))
    batch: Mapped[bool] = mapped_column(Boolean, default=False)
    service_tier: Mapped[str | None] = mapped_column(String(32), nullable=True)
    region: Mapped[str | None] = mapped_column(String(64), nullable=True)
    tags: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    reservation_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    usage_source: Mapped[str] = mapped_column(String(32))
    provider_usage: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)

    input_tokens: Mapped[int] = mapped_column(BigInteger, default=0)
    cached_input_tokens: Mapped[int] = mapped_column(BigInteger, default=0)
    cache_write_tokens: Mapped[int] = mapped_column(BigInteger, default=0)
    cache_write_1h_tokens: Mapped[int] = mapped_column(BigInteger, default=0)
    output_tokens: Mapped[int] = mapped_column(BigInteger, default=0)
    reasoning_tokens: Mapped[int] = mapped_column(BigInteger, default=0)
    audio_input_tokens: Mapped[int] = mapped_column(BigInteger, default=0)
    audio_output_tokens: Mapped[int] = mapped_column(BigInteger, default=0)
    image_input_tokens: Mapped[int] = mapped_column(BigInteger, default=0)

    priced: Mapped[bool] = mapped_column(Boolean)
    price_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    catalog_model: Mapped[str | None] = mapped_column(String(256), nullable=True)
    price_variant: Mapped[str | None] = mapped_column(String(32), nullable=True)
    cost_usd: Mapped[Decimal] = mapped_column(Money())
    # cost_usd is what the tenant pays (FOCUS EffectiveCost, after its tenant rate); list_cost_usd is
    # the same usage at the provider's list price (FOCUS ListCost). Equal when no tenant rate applies.
    list_cost_usd: Mapped[Decimal] = mapped_column(Money(), default=0, server_default="0")
    tenant_rate_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    cost_breakdown: Mapped[dict[str, Any]] = mapped_column(JSON)
    pricing_notes: Mapped[list[str]] = mapped_column(JSON, default=list)
