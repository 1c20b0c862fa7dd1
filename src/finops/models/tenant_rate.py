from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Index, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from finops.kit.db import Base, UTCDateTime


class TenantRate(Base):
    """One effective-dated version of a tenant's negotiated rate on a provider or one catalog model.

    `kind` is "discount" (`discount_percent` off the list price) or "price" (`rates` replace the list
    rates they name, for the `variant` they name). `catalog_provider`/`model_id` are "" for a rate on
    the whole provider. Versions of one scope never overlap: a new one closes the previous one.
    """

    __tablename__ = "tenant_rates"
    __table_args__ = (
        Index(
            "ix_tenant_rates_scope", "tenant_id", "provider", "catalog_provider", "model_id", "effective_from"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(128))
    provider: Mapped[str] = mapped_column(String(32))
    catalog_provider: Mapped[str] = mapped_column(String(64), default="")
    model_id: Mapped[str] = mapped_column(String(256), default="")
    kind: Mapped[str] = mapped_column(String(16))
    discount_percent: Mapped[Decimal | None] = mapped_column(Numeric(9, 6), nullable=True)
    variant: Mapped[str | None] = mapped_column(String(32), nullable=True)
    rates: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    effective_from: Mapped[datetime] = mapped_column(UTCDateTime())
    effective_to: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_by: Mapped[str] = mapped_column(String(256))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
