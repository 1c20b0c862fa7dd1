from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Boolean, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from finops.kit.db import Base, Money, UTCDateTime


class Budget(Base):
    """A spending limit on a scope (any mix of dimensions and tags) per period, in an IANA zone.

    `tenant_id` repeats `scope["tenant_id"]` (None for a global budget) so tenant-scoped listing
    and the pre-flight check find candidate budgets through an index. With `split_by`, the amount
    applies to each value of those dimensions separately. A deleted budget keeps its row
    (`deleted_at` set, inactive) so alerts and reservations that name it stay readable.
    """

    __tablename__ = "budgets"
    __table_args__ = (Index("ix_budgets_tenant_active", "tenant_id", "active"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    tenant_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    name: Mapped[str] = mapped_column(String(200))
    scope: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    split_by: Mapped[list[str]] = mapped_column(JSON, default=list)
    amount_usd: Mapped[Decimal] = mapped_column(Money())
    period: Mapped[str] = mapped_column(String(16))
    period_start: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    period_end: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    thresholds: Mapped[list[str]] = mapped_column(JSON, default=list)  # decimal strings, ascending
    enforcement: Mapped[str] = mapped_column(String(8), default="soft")
    channel_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    cooldown_seconds: Mapped[int] = mapped_column(Integer, default=3600)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[str] = mapped_column(String(256), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    def scope_filters(self) -> dict[str, str]:
        """Scope dimensions other than tags."""
        return {k: v for k, v in self.scope.items() if not k.startswith("tag:")}

    def scope_tags(self) -> dict[str, str]:
        return {k[4:]: v for k, v in self.scope.items() if k.startswith("tag:")}

    def threshold_values(self) -> list[Decimal]:
        return [Decimal(t) for t in self.thresholds]

    def describe(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "tenant_id": self.tenant_id}
