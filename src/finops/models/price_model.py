from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from finops.kit.db import Base, UTCDateTime


class PriceModel(Base):
    """A model the catalog knows, with the rule that matches the model ids callers send."""

    __tablename__ = "price_models"
    __table_args__ = (UniqueConstraint("catalog_provider", "model_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    catalog_provider: Mapped[str] = mapped_column(String(64))
    model_id: Mapped[str] = mapped_column(String(256))
    name: Mapped[str | None] = mapped_column(String(256), nullable=True)
    match: Mapped[dict[str, Any]] = mapped_column(JSON)
    position: Mapped[int] = mapped_column(Integer, default=0)
    context_window: Mapped[int | None] = mapped_column(Integer, nullable=True)
    deprecated: Mapped[bool] = mapped_column(Boolean, default=False)
    # Set when a catalog sync no longer lists the model; its last prices stay in force.
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
