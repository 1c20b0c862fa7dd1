"""Settings: one object, read from the environment with the FINOPS_ prefix."""

from __future__ import annotations

import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="FINOPS_", extra="ignore")

    env: Literal["development", "test", "production"] = "development"
    data_dir: Path = Path(".finops")
    database_url: str | None = None
    jwt_secret: str | None = None
    jwt_jwks_url: str | None = None
    jwt_audience: str | None = None
    jwt_leeway_seconds: int = 30
    max_body_bytes: int = 5 * 1024 * 1024
    max_batch_events: int = 1000
    catalog_refresh_seconds: float = 30.0
    log_level: str = "INFO"
    db_pool_size: int = Field(default=10, ge=1)
    run_background_jobs: bool = True
    # Price catalog sync (issue 3): a published catalog pulled daily; failures retried with backoff.
    pricing_sync_enabled: bool = True
    pricing_sync_url: str = (
        "https://raw.githubusercontent.com/pydantic/genai-prices/refs/heads/main/prices/new_data/v2/data.json"
    )
    pricing_sync_format: Literal["genai", "litellm"] = "genai"
    pricing_sync_interval_seconds: float = Field(default=86400.0, gt=0)
    pricing_sync_attempts: int = Field(default=3, ge=1, le=20)
    pricing_sync_backoff_seconds: float = Field(default=2.0, ge=0)
    pricing_sync_timeout_seconds: float = Field(default=30.0, gt=0)
    pricing_sync_max_bytes: int = Field(default=50 * 1024 * 1024, gt=0)
    # alerts: evaluation, delivery and provider endpoints (tests point these at local servers)
    alerts_monitor_seconds: float = Field(default=300.0, gt=0)
    alerts_dispatch_seconds: float = Field(default=2.0, gt=0)
    alerts_max_attempts: int = Field(default=8, ge=1, le=100)
    alerts_backoff_base_seconds: float = Field(default=5.0, ge=0)
    alerts_backoff_max_seconds: float = Field(default=3600.0, ge=0)
    alerts_http_timeout_seconds: float = Field(default=10.0, gt=0)
    alerts_budget_cache_seconds: float = Field(default=2.0, ge=0)
    alerts_public_url: str = "http://127.0.0.1:8000"
    alerts_sendgrid_base_url: str = "https://api.sendgrid.com"
    alerts_twilio_base_url: str = "https://api.twilio.com"
    # Budgets: how long a pre-flight check may reuse a scope's spend and a tenant's budget list
    # (0 = read both live on every check; status and forecasts are always live).
    budget_check_cache_seconds: float = Field(default=1.0, ge=0)
    # Operations: metrics, logs, leader election across replicas.
    metrics_token: str | None = None
    metrics_cache_seconds: float = Field(default=10.0, ge=0)
    log_format: Literal["json", "console"] = "json"
    replica_id: str | None = None
    leader_lock_key: int = 0x46494E4F  # "FINO": the advisory lock every replica competes for
    leader_renew_seconds: float = Field(default=5.0, gt=0)

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return normalize_database_url(self.database_url)
        return f"sqlite+aiosqlite:///{(self.data_dir / 'finops.db').resolve()}"

    def resolve_jwt_secret(self) -> str:
        """The configured secret; in development, one generated once into the data dir."""
        if self.jwt_secret:
            return self.jwt_secret
        if self.env == "production":
            raise RuntimeError("FINOPS_JWT_SECRET must be set when FINOPS_ENV=production")
        path = self.data_dir / "jwt-secret"
        if path.exists():
            return path.read_text().strip()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        secret = secrets.token_urlsafe(48)
        path.write_text(secret)
        path.chmod(0o600)
        return secret


def normalize_database_url(url: str) -> str:
    """Accept plain postgres:// and sqlite:// URLs and pick the async driver for them."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix) :]
    if url.startswith("sqlite:///"):
        return "sqlite+aiosqlite:///" + url[len("sqlite:///") :]
    return url


@lru_cache
def get_settings() -> Settings:
    return Settings()
