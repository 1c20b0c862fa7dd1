from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from finops.kit.db import Base, UTCDateTime


class Alert(Base):
    """One alert about one budget (and one split value) in one period: the outbox's message.

    The unique key makes an alert happen at most once, whichever replica evaluates first:
    (budget, split value, period, kind, threshold, arm). `arm` counts the times the budget was
    resolved within the period (raised above spend), so thresholds re-arm after a resolution.
    """

    __tablename__ = "alerts"
    __table_args__ = (
        UniqueConstraint(
            "budget_id", "split_key", "period_start", "kind", "threshold_key", "arm", name="uq_alerts_once"
        ),
        Index("ix_alerts_tenant_created", "tenant_id", "created_at"),
        Index("ix_alerts_budget_open", "budget_id", "resolved_at"),
        Index("ix_alerts_created", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tenant_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    budget_id: Mapped[str] = mapped_column(String(40))
    budget_name: Mapped[str] = mapped_column(String(200))
    split_key: Mapped[str] = mapped_column(String(1024), default="")
    period_start: Mapped[datetime] = mapped_column(UTCDateTime())
    period_end: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    kind: Mapped[str] = mapped_column(String(32))
    threshold_key: Mapped[str] = mapped_column(String(32), default="")
    arm: Mapped[int] = mapped_column(Integer, default=0)
    severity: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(64), nullable=True)
    title: Mapped[str] = mapped_column(String(300))
    details: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    resolved_by: Mapped[str | None] = mapped_column(String(36), nullable=True)
