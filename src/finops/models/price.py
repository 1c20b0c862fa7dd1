from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from finops.kit.db import Base, UTCDateTime


class Price(Base):
    """One effective-dated version of a model's rates for one variant (standard, batch, flex, ...).

    `rates` maps a price key (input_mtok, cache_read_mtok, ...) to a decimal string, or to
    {"base": "...", "tiers": [{"start": n, "price": "..."}]} for long-context tiers.
    """

    __tablename__ = "prices"
    __table_args__ = (Index("ix_prices_lookup", "catalog_provider", "model_id", "variant", "effective_from"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    catalog_provider: Mapped[str] = mapped_column(String(64))
    model_id: Mapped[str] = mapped_column(String(256))
    variant: Mapped[str] = mapped_column(String(32))
    effective_from: Mapped[datetime] = mapped_column(UTCDateTime())
    effective_to: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    rates: Mapped[dict[str, Any]] = mapped_column(JSON)
    source: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
