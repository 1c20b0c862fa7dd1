from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from finops.kit.db import Base, Money, UTCDateTime

HELD = "held"
SETTLED = "settled"
RELEASED = "released"
EXPIRED = "expired"


class BudgetReservation(Base):
    """One reservation line: an estimate held against one budget (and one split of it).

    A pre-flight check with `reserve: true` writes one line per matching budget, all sharing one
    `reservation_id`. Only `held` lines whose `expires_at` is in the future count as reserved;
    a usage event carrying the reservation id settles them (its real cost enters the rollups).
    """

    __tablename__ = "budget_reservations"
    __table_args__ = (
        Index("ix_budget_reservations_reservation", "reservation_id"),
        Index("ix_budget_reservations_held", "budget_id", "split_key", "status", "expires_at"),
        Index("ix_budget_reservations_expiry", "status", "expires_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    reservation_id: Mapped[str] = mapped_column(String(64))
    tenant_id: Mapped[str] = mapped_column(String(128))
    budget_id: Mapped[str] = mapped_column(String(40), ForeignKey("budgets.id", ondelete="CASCADE"))
    split_key: Mapped[str] = mapped_column(String(1024), default="")
    amount_usd: Mapped[Decimal] = mapped_column(Money())
    status: Mapped[str] = mapped_column(String(16), default=HELD)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    event_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    settled_cost_usd: Mapped[Decimal | None] = mapped_column(Money(), nullable=True)
