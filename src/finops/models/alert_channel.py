from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from finops.kit.db import Base, UTCDateTime


class AlertChannel(Base):
    """Where a tenant's alerts go: one email/Slack/webhook/SMS destination.

    `config` is returned by the API; `secrets` (passwords, API keys, webhook URLs, signing keys) is
    write-only. Deleting a channel only stamps `deleted_at`, so past deliveries keep their channel.
    """

    __tablename__ = "alert_channels"
    __table_args__ = (Index("ix_alert_channels_tenant", "tenant_id", "deleted_at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tenant_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    name: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(16))
    config: Mapped[dict[str, Any]] = mapped_column(JSON)
    secrets: Mapped[dict[str, Any]] = mapped_column(JSON)
    min_severity: Mapped[str] = mapped_column(String(16))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_test_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_test_ok: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    last_test_status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    last_test_error: Mapped[str | None] = mapped_column(String(1000), nullable=True)
